"""The hub as a node towards the regional server: push the log up, pull bookings down.

The hub's own log is the outbox: records are pushed in hseq order, in batches, with the
region's idempotent contract (``site`` + event id), so a batch retried after a lost answer
costs nothing. The cursor (last hseq the region acknowledged) and the region's epoch are
kept in ``<data_dir>/upstream.json`` (written atomically after each acknowledged batch), so
a restarted hub resumes exactly where it stopped. A region restored from a backup answers a
new ``region_epoch``: like a node seeing a new hub epoch, the hub pushes everything again
from the start (the region drops what it already holds) and pulls bookings from zero.

While the region is unreachable the pusher backs off (interval, doubling up to
``max_backoff_s``) and logs one warning when the link goes down and one line when it is
back: an MPP with a flaky uplink gets no error spam. The local hub never waits for it:
this runs on its own thread and only reads durable records.

Bookings pulled down become ``booking.made`` hub events, idempotent by ``req`` =
``booking:<code hash>``, so kiosks receive them with the feed and check citizens in offline.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from core.config_region import UpstreamConfig
from core.journal import read_json_atomic, write_json_atomic

log = logging.getLogger(__name__)

STATE_FILE = "upstream.json"


class RegionUnreachable(OSError):
    """The regional server did not answer, or refused (the message says how)."""


class HttpRegion:
    """Minimal JSON over HTTP to the regional server (stdlib: nothing more on the hub)."""

    def __init__(self, base_url: str, token: str, timeout: float = 15.0):
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            with exc:
                text = exc.read()[:300].decode("utf-8", "replace")
            raise RegionUnreachable(f"region answered {exc.code}: {text}") from None
        except (OSError, ValueError) as exc:
            raise RegionUnreachable(f"region unreachable: {exc}") from None


class Upstream:
    """Push/pull loop for one hub. ``step()`` does one round (tests call it directly)."""

    def __init__(self, authority: Any, config: UpstreamConfig, *, region: Any = None):
        self.authority = authority
        self.config = config
        self.region = region or HttpRegion(config.url, config.token())
        self.path = Path(authority.store.data_dir) / STATE_FILE
        saved = read_json_atomic(self.path, default=None) or {}
        self.cursor = int(saved.get("cursor", 0))
        self.bookings_after = int(saved.get("bookings_after", 0))
        self.region_epoch: str | None = saved.get("region_epoch")
        self.online: bool | None = None
        self.last_sync_ms: int | None = saved.get("last_sync_ms")
        self.last_error: str | None = None
        self.failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state --------------------------------------------------------------------------------

    def _save(self) -> None:
        write_json_atomic(
            self.path,
            {
                "cursor": self.cursor,
                "bookings_after": self.bookings_after,
                "region_epoch": self.region_epoch,
                "last_sync_ms": self.last_sync_ms,
            },
        )

    def status(self) -> dict:
        """For ``/healthz`` and the admin page."""
        return {
            "url": self.config.url,
            "site": self.config.site,
            "online": self.online,
            "last_sync_ms": self.last_sync_ms,
            "cursor": self.cursor,
            "backlog": max(0, self.authority.last_hseq - self.cursor),
            "region_epoch": self.region_epoch,
            "bookings_after": self.bookings_after,
            "last_error": self.last_error,
        }

    def _note_epoch(self, epoch: str | None) -> bool:
        """True when the region changed epoch (restored): start over from zero."""
        if not epoch or epoch == self.region_epoch:
            return False
        changed = self.region_epoch is not None
        if changed:
            log.warning(
                "upstream: the region's epoch changed (%s -> %s): pushing the whole log again",
                self.region_epoch,
                epoch,
            )
            self.cursor = 0
            self.bookings_after = 0
        self.region_epoch = epoch
        self._save()
        return changed

    # -- one round ----------------------------------------------------------------------------

    def push_once(self) -> bool:
        """Push one batch from the cursor; True when nothing is left to push."""
        batch = self.authority.records_since(self.cursor, self.config.batch)
        if not batch:
            return True
        answer = self.region.request(
            "POST",
            "/region/api/v1/push",
            {"site": self.config.site, "epoch": self.region_epoch, "events": batch},
        )
        if self._note_epoch(answer.get("region_epoch")):
            return False
        self.cursor = batch[-1]["hseq"]
        self.last_sync_ms = self.authority.now_ms()
        self._save()
        return len(batch) < self.config.batch and self.cursor >= self.authority.last_hseq

    def pull_bookings(self) -> int:
        """Bring the site's new bookings into the log as ``booking.made``; returns how many."""
        query = urllib.parse.urlencode({"site": self.config.site, "after": self.bookings_after})
        answer = self.region.request("GET", f"/region/api/v1/bookings?{query}")
        if self._note_epoch(answer.get("region_epoch")):
            return 0
        made = 0
        for b in answer.get("bookings") or []:
            body = {k: b[k] for k in ("code_hash", "service", "date", "session", "expires_ms")}
            req = f"booking:{b['code_hash']}"
            self.authority.commit_hub_event("booking.made", req=req, body=body)
            self.bookings_after = max(self.bookings_after, int(b["seq"]))
            made += 1
        if made:
            self._save()
        return made

    def step(self) -> bool:
        """Push until caught up, then pull bookings. False when the region was unreachable."""
        try:
            self._push_all()
            if self.pull_bookings():
                self._push_all()  # the booking events just logged
        except RegionUnreachable as exc:
            self._went(False, str(exc))
            return False
        self._went(True, None)
        return True

    def _push_all(self) -> None:
        while not self.push_once():
            if self._stop.is_set():
                return

    def _went(self, online: bool, error: str | None) -> None:
        if online:
            if self.online is False:
                log.info("upstream: the region answers again (backlog pushed)")
            self.failures = 0
        else:
            if self.online is not False:
                log.warning("upstream: %s; retrying with backoff (the mall works on)", error)
            self.failures += 1
        self.online, self.last_error = online, error

    # -- thread -------------------------------------------------------------------------------

    def delay_s(self) -> float:
        if self.failures == 0:
            return self.config.interval_s
        return min(self.config.max_backoff_s, self.config.interval_s * 2 ** min(self.failures, 20))

    def start(self) -> None:
        self.authority.add_listener(self._on_commit)
        self._thread = threading.Thread(target=self._run, name="loket-upstream", daemon=True)
        self._thread.start()

    def _on_commit(self, records: list[dict]) -> None:
        if self.failures == 0:
            self._wake.set()  # while down, the backoff decides, not every commit

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - the thread must outlive any one bad round
                log.exception("upstream: round failed")
                self.failures += 1
            self._wake.wait(self.delay_s())
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.authority.remove_listener(self._on_commit)
        if self._thread is not None:
            self._thread.join(timeout=30)


def start(app: Any, config: Any) -> Upstream | None:
    """Start the pusher for ``loket hub serve`` when the profile has ``[upstream]``."""
    if config.upstream is None:
        return None
    upstream = Upstream(app.extensions["loket"], config.upstream)
    app.extensions["loket_upstream"] = upstream
    upstream.start()
    log.info("upstream: pushing to %s as site %s", config.upstream.url, config.upstream.site)
    return upstream
