"""The node's own log: every event this node created, plus hub events it acted on.

This log *is* the outbox (docs/sync.md §2, "outbox pattern"): nothing else is written when a
button is pressed or a ticket printed. Rules it enforces:

* ids are ``<node>:<inc>:<seq>`` with a gapless ``seq`` from 1, derived from the log at open,
  never from a counter kept only in RAM;
* ``inc`` (the log's incarnation) is random and created once per data folder, so a reflashed
  SD card never reuses an id;
* ``req`` ids (``<node>:<inc>:r<n>``) come from a reserved block recorded durably *before* use,
  so a restart never re-sends an old ``req`` (the hub would answer with the old result);
* the HLC is restored from the last logged event so it never runs backwards after a reboot;
* :meth:`append_own` / :meth:`store_foreign` return only after the line is fsync'd: callers
  print, light or acknowledge after that (DESIGN.md "Storage").

Hub events received as RPC results (a ticket the hub issued, a call it made, a lease it
granted) are kept here too: after a hub restore they are re-pushed (docs/sync.md §5.4, 5.5).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path

from core.clock import HLC, MAX_OFFSET_MS, Clock, stamp
from core.errors import JournalError
from core.events import Event
from core.journal import Journal, write_atomic

INC_FILE = "incarnation"
REQ_FILE = "req_reserved"
LOG_DIR = "own"
LOG_PREFIX = "own"
# Reserving req numbers in blocks costs one atomic write per block, not per press.
REQ_BLOCK = 64


class Outbox:
    """Append-only own log of one node (thread-safe; one process per data folder)."""

    def __init__(self, data_dir: str | Path, node_id: str, clock: Clock):
        self.data_dir = Path(data_dir)
        self.node_id = node_id
        self.clock = clock
        self._lock = threading.RLock()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._journal = Journal(self.data_dir / LOG_DIR, prefix=LOG_PREFIX)
        self._events: list[dict] = list(self._journal)
        self._ids = {e["id"] for e in self._events}
        self.inc = self._load_inc()
        self._seq = max((e["seq"] for e in self._own_iter()), default=0)
        self.hlc = HLC(node_id, clock)
        last_hlc = max((e.get("hlc") or "" for e in self._events), default="")
        if last_hlc:
            self.hlc.restore(last_hlc)
        # The newest hub wall time seen (hub events' clocks, records' recv_ms): a floor for
        # now_ms(). Only the hub's time counts: our own past stamps may come from a wall
        # clock that was wrong and has been stepped back since.
        self._hub_ms = max((_wall(e) for e in self._events if e.get("origin") == "hub"), default=0)
        # (boot id, our boot clock, the hub's wall time) at the hub's last answer: carried on
        # by the boot clock, it is the hub's time now, whatever our wall clock did since.
        self._hub_anchor: tuple[str, int, int] | None = None
        self._req_next, self._req_limit = self._reserve_reqs(first=True)

    # -- identity ------------------------------------------------------------------------

    def _load_inc(self) -> str:
        path = self.data_dir / INC_FILE
        if path.exists():
            inc = path.read_text(encoding="utf-8").strip()
            if not inc:
                raise JournalError(f"{path} is empty; restore it or start a fresh data folder")
            return inc
        own = [e for e in self._events if e.get("origin") == self.node_id]
        if own:
            # The file was lost but the log survived: the log is the truth, keep its inc.
            inc = own[0]["inc"]
        else:
            inc = secrets.token_hex(8)
        write_atomic(path, (inc + "\n").encode("ascii"))
        return inc

    def _reserve_reqs(self, first: bool = False) -> tuple[int, int]:
        path = self.data_dir / REQ_FILE
        start = 1
        if first:
            if path.exists():
                start = int(path.read_text(encoding="utf-8").strip() or "0") + 1
            used = [_req_number(e.get("req"), self.node_id, self.inc) for e in self._events]
            start = max([start, *(n + 1 for n in used if n is not None)])
        else:
            start = self._req_limit + 1
        limit = start + REQ_BLOCK - 1
        write_atomic(path, f"{limit}\n".encode("ascii"))
        return start, limit

    def new_req(self) -> str:
        """A fresh idempotency key for one button press or one print."""
        with self._lock:
            if self._req_next > self._req_limit:
                self._req_next, self._req_limit = self._reserve_reqs()
            n = self._req_next
            self._req_next += 1
            return f"{self.node_id}:{self.inc}:r{n}"

    # -- reading -------------------------------------------------------------------------

    def _own_iter(self) -> Iterable[dict]:
        inc = getattr(self, "inc", None)
        for e in self._events:
            if e.get("origin") == self.node_id and (inc is None or e.get("inc") == inc):
                yield e

    @property
    def last_seq(self) -> int:
        return self._seq

    def events(self) -> list[dict]:
        """Every event held, own and foreign, in the order they were logged."""
        with self._lock:
            return list(self._events)

    def own_events(self, after_seq: int = 0) -> list[dict]:
        """This incarnation's own events with ``seq > after_seq``, in seq order."""
        with self._lock:
            return [e for e in self._own_iter() if e["seq"] > after_seq]

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    # -- writing -------------------------------------------------------------------------

    def append_own(
        self,
        type: str,  # noqa: A002 - the event field's name
        body: dict,
        *,
        ticket: str | None = None,
        req: str | None = None,
        deps: Iterable[str] = (),
    ) -> dict:
        """Create the next own event, append it and fsync; returns the event dict.

        Validated with :meth:`core.events.Event.from_dict` first, so a malformed event raises
        ``EventError`` before anything reaches the disk.
        """
        with self._lock:
            seq = self._seq + 1
            hlc = self.hlc.now()
            event = {
                "v": 1,
                "id": f"{self.node_id}:{self.inc}:{seq}",
                "origin": self.node_id,
                "inc": self.inc,
                "seq": seq,
                "type": type,
                "ticket": ticket,
                "req": req,
                "deps": list(deps),
                "hlc": hlc,
                "clock": stamp(self.clock),
                "body": dict(body),
            }
            event = Event.from_dict(event).to_dict()
            self._journal.append([event])
            self._seq = seq
            self._events.append(event)
            self._ids.add(event["id"])
            return event

    def store_foreign(self, event: dict) -> bool:
        """Log a hub event this node is about to act on (RPC result); False if already held."""
        with self._lock:
            if event["id"] in self._ids:
                return False
            Event.from_dict(event)
            self._journal.append([event])
            self._events.append(event)
            self._ids.add(event["id"])
            if event.get("hlc"):
                self.merge_hlc(event["hlc"])
            if event.get("origin") == "hub":
                self.note_hub_time(_wall(event))
            return True

    # -- time ----------------------------------------------------------------------------

    def merge_hlc(self, remote: str) -> None:
        """Merge a hub timestamp: nodes always trust the hub (docs/sync.md §4, bug 11)."""
        with self._lock:
            self.hlc.merge(remote, trusted=True)

    def note_hub_time(self, hub_ms: int | None) -> None:
        """Remember the hub's wall time seen in a record or an answer."""
        if hub_ms:
            with self._lock:
                self._hub_ms = max(self._hub_ms, int(hub_ms))

    def anchor_hub_now(self, hub_ms: object) -> None:
        """The hub's wall time in an answer just received (``hub_ms`` of a push or a pull)."""
        if isinstance(hub_ms, int) and not isinstance(hub_ms, bool) and hub_ms > 0:
            with self._lock:
                self._hub_anchor = (self.clock.boot_id(), self.clock.mono_ms(), hub_ms)
                self._hub_ms = max(self._hub_ms, hub_ms)

    def now_ms(self) -> int:
        """The time for the service day and printed times (never for correctness).

        Our wall clock, unless it has stepped more than ``MAX_OFFSET_MS`` away from the hub's
        time carried on by the boot clock since the hub last answered in this boot (an NTP
        step, a technician, fake-hwclock while the cable is out): then the hub's time, so an
        offline ticket is dated the hub's service day and not tomorrow. Without such an
        anchor (a fresh boot, no hub yet): the wall clock, never before the newest hub time
        seen, since a Pi without RTC may boot into 1970."""
        wall = self.clock.wall_ms()
        with self._lock:
            anchor, floor = self._hub_anchor, self._hub_ms
        if anchor is not None and anchor[0] == self.clock.boot_id():
            hub_now = anchor[2] + self.clock.mono_ms() - anchor[1]
            if abs(wall - hub_now) > MAX_OFFSET_MS:
                return hub_now
        return max(wall, floor)

    def close(self) -> None:
        self._journal.close()


def _wall(event: dict) -> int:
    clock = event.get("clock") or {}
    value = clock.get("wall_ms")
    return value if isinstance(value, int) else 0


def _req_number(req: object, node_id: str, inc: str) -> int | None:
    if not isinstance(req, str):
        return None
    head, _, tail = req.rpartition(":r")
    if head != f"{node_id}:{inc}" or not tail.isdigit():
        return None
    return int(tail)


def read_status_file(path: Path) -> dict:
    """A JSON state file written with write_atomic, or {} when absent."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
