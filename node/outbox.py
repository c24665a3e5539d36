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

**Compaction** (issue 11 item 4): once the replica dropped a closed day, the events the hub
logged up to that close leave this log too (:meth:`Outbox.compact`): the kept events are
written to a new folder ``own.c<n>``, then ``own.json`` names it atomically together with
what the dropped events still vouched for (the last ``seq``, the HLC, the newest hub time,
the ``req`` high-water mark, ``inc``), then the old folder goes. At open a folder ``own.json``
does not name is a leftover of a cut-short switch and is removed. A hub restored from a
backup older than the close no longer gets those events re-pushed by this node: the close
is in the hub's log, so a backup is taken after it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from core.clock import HLC, MAX_OFFSET_MS, Clock, stamp
from core.errors import JournalError
from core.events import Event
from core.journal import Journal, OsFiles, read_json_atomic, write_atomic, write_json_atomic

INC_FILE = "incarnation"
REQ_FILE = "req_reserved"
LOG_DIR = "own"
LOG_PREFIX = "own"
BASE_FILE = "own.json"  # the folder in use since the last compaction, and what it vouches for
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
        self._base = read_json_atomic(self.data_dir / BASE_FILE, {}) or {}
        folder = own_folder(self.data_dir, self._base)
        for path in (self.data_dir / LOG_DIR, *self.data_dir.glob(f"{LOG_DIR}.c*")):
            if path != folder and path.is_dir():
                shutil.rmtree(path)  # left by a compaction a power cut interrupted
        self._journal = Journal(folder, prefix=LOG_PREFIX)
        self._events: list[dict] = list(self._journal)
        self._ids = {e["id"] for e in self._events}
        self.inc = self._load_inc()
        # A compaction may keep an open day's event and leave out later ones of no day:
        # what it vouched for counts as much as what the log still holds.
        own = [e["seq"] for e in self._own_iter()]
        self._seq = max([int(self._base.get("last_seq") or 0), *own])
        self.hlc = HLC(node_id, clock)
        for last_hlc in (
            max((e.get("hlc") or "" for e in self._events), default=""),
            str(self._base.get("hlc") or ""),
        ):
            if last_hlc:
                self.hlc.restore(last_hlc)
        # The newest hub wall time seen (hub events' clocks, records' recv_ms): a floor for
        # now_ms(). Only the hub's time counts: our own past stamps may come from a wall
        # clock that was wrong and has been stepped back since.
        self._hub_ms = max(
            [int(self._base.get("hub_ms") or 0)]
            + [_wall(e) for e in self._events if e.get("origin") == "hub"]
        )
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
        elif self._base.get("inc"):
            inc = str(self._base["inc"])  # ... or what the compacted log vouched for
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
            start = max([start, int(self._base.get("req") or 0) + 1])
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

    # -- compaction ----------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        return self._journal.directory

    def compact(self, drop: Callable[[dict], bool]) -> int:
        """Leave out every event ``drop`` says the hub's log holds before a close the
        replica dropped; returns how many left. See the module doc for the power-cut order."""
        with self._lock:
            keep = [e for e in self._events if not drop(e)]
            gone = len(self._events) - len(keep)
            if not gone:
                return 0
            old = self._journal.directory
            n = int(self._base.get("n") or 0) + 1
            folder = self.data_dir / f"{LOG_DIR}.c{n}"
            if folder.exists():
                shutil.rmtree(folder)
            fresh = Journal(folder, prefix=LOG_PREFIX)
            try:
                batches = iter(keep)
                while batch := list(itertools.islice(batches, 1000)):
                    fresh.append(batch)
                OsFiles().fsync_dir(self.data_dir)
                base = {
                    "n": n,
                    "folder": folder.name,
                    "last_seq": self._seq,
                    "hlc": self.hlc.now(),
                    "hub_ms": self._hub_ms,
                    "req": self._req_limit,
                    "inc": self.inc,
                }
                write_json_atomic(self.data_dir / BASE_FILE, base)  # the switch
            except BaseException:
                fresh.close()
                raise
            self._journal.close()
            self._journal, self._base = fresh, base
            self._events, self._ids = keep, {e["id"] for e in keep}
            shutil.rmtree(old, ignore_errors=True)
            return gone

    def close(self) -> None:
        self._journal.close()


def own_folder(data_dir: Path, base: dict | None = None) -> Path:
    """The folder of the node's own log: ``own/`` until the first compaction."""
    if base is None:
        base = read_json_atomic(Path(data_dir) / BASE_FILE, {}) or {}
    return Path(data_dir) / str(base.get("folder") or LOG_DIR)


def last_seq_vouched(data_dir: Path) -> int:
    """The last own seq a compaction left out of the log (0 before any)."""
    base = read_json_atomic(Path(data_dir) / BASE_FILE, {}) or {}
    return int(base.get("last_seq") or 0)


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
