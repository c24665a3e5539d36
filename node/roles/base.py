"""What every role shares: the context it works in, RPCs with the same req, hub metadata.

Roles run on the node's single worker thread (node.app): button callbacks and sync listeners
only enqueue work (docs/hardware.md, "Callbacks run on library threads: queue work"), so a
role never needs a lock of its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.catalogue import Catalogue
from core.clock import Clock
from core.numbering import service_day
from node import hub_info as cache
from node.outbox import Outbox
from node.sync import SyncClient, SyncListener
from node.transport import HubUnreachable, Transport
from node.view import LocalView

log = logging.getLogger(__name__)

HUB_INFO_FILE = cache.HUB_INFO_FILE
DEFAULT_TZ = "Asia/Jakarta"  # node profiles carry no timezone; MPPs are in WIB by default
RPC_TIMEOUT = 0.8
RPC_ATTEMPTS = 3  # the first try + 2 retries, always with the same req (docs/sync.md §5.4)


@dataclass
class Devices:
    """The devices a node drives; any may be None when the role does not use it."""

    display: Any = None
    printer: Any = None
    announcer: Any = None
    screen: Any = None
    buttons: Any = None

    def close(self) -> None:
        for dev in (self.buttons, self.display, self.printer, self.announcer, self.screen):
            close = getattr(dev, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing %r failed", dev)


@dataclass
class Context:
    """Everything a role works with; built once by ``node.app.build_node``."""

    node_id: str
    config: Any
    data_dir: Path
    clock: Clock
    transport: Transport
    outbox: Outbox
    view: LocalView
    sync: SyncClient
    devices: Devices
    hub_url: str = ""
    hub_info: dict = field(default_factory=dict)
    # Set by node.app.Node: sends a heartbeat at once with these device reports on top of the
    # polled ones (a kiosk's printer fault must not wait for the next poll); None in bare tests.
    beat_now: Callable[[dict], bool] | None = field(default=None, repr=False)
    _parsed: tuple | None = field(default=None, repr=False)

    def rpc(
        self, method: str, path: str, body: dict | None = None, *, attempts: int = RPC_ATTEMPTS
    ) -> tuple[int, dict] | None:
        """A hub command; None when the hub cannot be reached (the caller falls back).

        Retries reuse the same body, hence the same req: the hub answers a repeated req with
        the result it already committed. A 5xx counts as "no answer" (e.g. the recovery
        barrier after a restore refuses new numbers), a 4xx is a real answer.
        """
        if self.sync.online is False:
            attempts = 1  # known offline: one quick probe instead of three timeouts per press
        error = "no attempt"
        for _ in range(attempts):
            try:
                status, answer = self.transport.request(
                    method, path, json=body, timeout=RPC_TIMEOUT
                )
            except HubUnreachable as err:
                error = str(err)
                continue
            if status >= 500:
                error = f"{status} {answer.get('error')}"
                if answer.get("error"):
                    # The hub itself refused (e.g. its recovery barrier after a restore): it
                    # is reachable, retrying the same req changes nothing; fall back now.
                    self.sync.set_online(True)
                    return None
                continue  # a proxy or a half-started server: as good as no answer
            self.sync.set_online(True)
            return status, answer
        self.sync.set_online(False, error)
        return None

    # -- the catalogue: from the fold, cached for a start with nothing folded yet ---------

    def load_hub_info(self) -> None:
        self.hub_info = cache.load(self.data_dir)

    def refresh_hub_info(self) -> dict | None:
        """GET /api/v1/state and cache its catalogue (for a start before any pull); returns
        the whole answer, or None when the hub does not answer."""
        try:
            status, body = self.transport.request("GET", "/api/v1/state", timeout=5.0)
        except HubUnreachable:
            return None
        if status != 200:
            return None
        info = cache.from_state(body)
        if info is not None:
            self._store_hub_info(info)
        return body

    def remember_catalogue(self) -> None:
        """Cache what the fold knows now, if it changed (the feed brought catalogue or
        roster events): a restart without the hub starts from it."""
        catalogue = self.view.catalogue()
        if catalogue.hseq == 0:
            return  # nothing folded yet: the cache is all we know
        info = cache.from_fold(catalogue, self.view.folded_roster(), self.sync.replica.hub_epoch)
        if cache.differs(info, self.hub_info):
            self._store_hub_info(info)

    def _store_hub_info(self, info: dict) -> None:
        self.hub_info = info
        try:
            cache.save(self.data_dir, info)
        except OSError:
            log.exception("cannot cache the catalogue")

    def cached_catalogue(self) -> tuple[Catalogue | None, dict]:
        """The cached catalogue and roster (the LocalView's fallback): parsed once per
        ``hub_info``, so the view knows by identity whether it changed."""
        info = self.hub_info
        if self._parsed is None or self._parsed[0] is not info:
            self._parsed = (info, cache.catalogue_of(info), cache.roster_of(info))
        return self._parsed[1], self._parsed[2]

    def catalogue(self) -> Catalogue:
        """The catalogue this node works with: its fold (or the cache before any)."""
        return self.view.catalogue()

    def service_info(self, service: str) -> dict:
        """``{id, prefix, name, agency}`` of a service (also one retired since)."""
        s = self.catalogue().last_known("service", service)
        if s is None:
            return {"id": service, "prefix": service, "name": service}
        return {"id": s.id, "prefix": s.prefix, "name": s.name, "agency": s.agency}

    def agency_name(self, agency: str | None) -> str:
        a = self.catalogue().last_known("agency", agency) if agency else None
        return (a.name if a is not None else agency) or ""

    def counter_number(self, counter: str) -> int:
        """The number spoken and shown for a counter ("loket 3")."""
        c = self.catalogue().last_known("counter", counter)
        if c is not None and isinstance(c.number, int):
            return c.number
        digits = re.findall(r"\d+", counter)
        return int(digits[-1]) if digits else 0

    def timezone(self) -> ZoneInfo:
        name = (
            config_value(self.config, "mpp", "timezone")
            or config_value(self.config, "node", "timezone")
            or self.catalogue().timezone
            or DEFAULT_TZ
        )
        return ZoneInfo(name)

    def service_day(self) -> str:
        """Today's service day by this node's best time (the HLC has merged the hub's time,
        so a Pi that booted into 1970 still gets it right once it talked to the hub)."""
        return service_day(self.outbox.now_ms(), self.timezone())

    def mpp_name(self) -> str:
        mpp = self.catalogue().mpp
        return (
            (mpp.name if mpp is not None else None)
            or config_value(self.config, "mpp", "name")
            or "Mal Pelayanan Publik"
        )


def config_value(config: Any, section: str, key: str, default: Any = None) -> Any:
    sec = getattr(config, section, None)
    if sec is None and isinstance(config, dict):
        sec = config.get(section)
    if sec is None:
        return default
    if isinstance(sec, dict):
        return sec.get(key, default)
    if hasattr(sec, key):
        return getattr(sec, key)
    get = getattr(sec, "get", None)  # core.config_node.DeviceSection keeps options in .get()
    return get(key, default) if callable(get) else default


class Role(SyncListener):
    """Base of the three roles; every hook is a no-op by default."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def start(self) -> None:
        """Called once on the worker thread after boot (restore the display, etc.)."""

    def on_button(self, name: str, kind: str = "press") -> None:
        """A button press or hold, or a simulated key."""

    tick_s: float | None = None  # seconds of quiet between ticks; None: never ticked

    def maintain(self) -> None:
        """Periodic housekeeping on the worker thread (lease top-ups...)."""

    def tick(self) -> None:
        """Called on the worker thread after ``tick_s`` of quiet (the kiosk polls its printer)."""

    def status(self) -> dict:
        return {}
