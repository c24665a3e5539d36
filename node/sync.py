"""Keeps a node and the hub in step: push the outbox, pull the changes feed.

The protocol is docs/sync.md §5.4:

* **push** ``outbox[acked_through:]`` to ``POST /api/v1/sync/push`` in batches; the hub answers
  ``acked_through`` after it committed, which is stored in the checkpoint. Held events (waiting
  for their ``deps``) are simply sent again later: the hub inserts by id, so repeats are free.
* **pull** ``GET /api/v1/sync/changes?since=&wait=`` (long-poll); records are appended to the
  replica and fsync'd, *then* the checkpoint moves (:meth:`Replica.apply`).
* **hub_epoch changed** (hub restored from a backup, or replaced): re-push every *primary* event
  held -- own, received from the hub in the replica, or kept from RPC answers -- never a derived
  one (bug 7 in §8.4), then start a new replica at ``since=0``. Until the re-push got through
  the old epoch stays in the checkpoint, so a crash in between simply repeats it.
* **carry until confirmed**: the restored hub may hold a re-pushed event back (its deps are not
  in yet), and it holds events in RAM only. So the re-pushed events that are not this node's
  own (own ones are covered by ``acked_through``) stay in the replica's durable carry set, and
  every push round, once the pull has caught up with the hub, re-pushes those the new replica
  still lacks, until each is in it (by id). A hub restart while one was held loses nothing.

* **prune**: once the replica holds a ``day.closed`` (the hub has it) and none of this node's
  own events of that day or before waits for an acknowledgement, the records up to the close
  are dropped (:meth:`Replica.prune`): a node's disk and start-up hold the open days only.
* **start from the snapshot**: a replica with no record (a new device, a wiped card, a new
  epoch, a replica set aside as corrupt) asks ``GET /api/v1/sync/snapshot`` first; when the
  hub has closed days the replica starts from that fold and pulls the feed after its hseq
  instead of the whole history from 1. A hub without the route (404) or without a closed day
  is simply pulled from 0, as before.

Three threads run :meth:`push_once`, :meth:`pull_once` and :meth:`probe_once` in loops; tests
call :meth:`step` (and ``probe_once``) instead and never sleep. The probe is what makes a node
notice the hub quickly both ways (issue 8 item 8): offline, it asks ``GET /healthz`` every
``probe_offline_s`` (0.5 s) and, at the first answer, marks the node online and wakes the push
and pull loops out of their backoff; online, every ``probe_online_s`` (5 s), so a link that
died without a reset (the long-poll would only time out after ``wait`` + 10 s) is noticed after
two failed probes. Every online/offline change rewrites the status file at once. Listeners are
told about online/offline changes, new records and epoch changes; a failing listener is logged
and the others still run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from core.clock import Clock
from core.errors import JournalError
from core.events import DERIVED_TYPES
from node import replica_base
from node.outbox import Outbox
from node.replica import Replica, write_json
from node.transport import HubUnreachable, Transport

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"
PUSH_PATH = "/api/v1/sync/push"
CHANGES_PATH = "/api/v1/sync/changes"
SNAPSHOT_PATH = "/api/v1/sync/snapshot"
PROBE_PATH = "/healthz"
# Failed probes in a row before an online node calls itself offline: one lost packet on a
# flaky link must not flip the counters to offline calling.
PROBE_MISSES = 2


class SyncListener:
    """Override what you need; every method is a no-op by default (Mopidy style)."""

    def on_online(self, online: bool) -> None:
        """The hub became reachable (True) or unreachable (False)."""

    def on_records(self, records: list[dict]) -> None:
        """New hub records were applied to the replica (fsync'd), in hseq order."""

    def on_epoch_changed(self, old: str | None, new: str) -> None:
        """The replica was rebuilt for a new hub epoch (now empty, pulling from 0)."""


def is_derived(event: dict) -> bool:
    return event.get("type") in DERIVED_TYPES or str(event.get("id", "")).startswith("hub:comp:")


def event_day(event: dict) -> str:
    """The service day an event belongs to (its ticket's, a lease's, a close's), or "" for
    one of no day (a hello, a device status): those go with the close that covers them."""
    if event.get("ticket"):
        return str(event["ticket"]).split("/", 1)[0]
    day = (event.get("body") or {}).get("day")  # lease.granted/released, day.closed
    return day if isinstance(day, str) else ""


class SyncClient:
    """Outbox pusher + changes-feed puller for one node."""

    def __init__(
        self,
        transport: Transport,
        outbox: Outbox,
        replica: Replica,
        clock: Clock,
        *,
        batch: int = 100,
        wait: float = 25.0,
        push_timeout: float = 5.0,
        max_backoff: float = 30.0,
        probe_offline_s: float = 0.5,
        probe_online_s: float = 5.0,
        probe_timeout: float = 1.0,
    ):
        self.transport = transport
        self.outbox = outbox
        self.replica = replica
        self.clock = clock
        self.node_id = outbox.node_id
        self.batch = batch
        self.wait = wait
        self.push_timeout = push_timeout
        self.max_backoff = max_backoff
        self.probe_offline_s = probe_offline_s
        self.probe_online_s = probe_online_s
        self.probe_timeout = probe_timeout
        self._misses = 0
        self.online: bool | None = None
        self.last_sync_ms: int | None = None
        self.last_error: str | None = None
        self.last_rejected: dict | None = None  # the hub's last refusal of a pushed event
        self.hub_last_hseq: int | None = None  # the hub's newest hseq at the last pull
        self.status_extra: Callable[[], dict] | None = None
        self._listeners: list[SyncListener] = []
        self._lock = threading.RLock()  # one push/pull/epoch switch at a time
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._back = threading.Event()  # set when the hub answers again: pull at once
        self._recheck = threading.Event()  # set when a request failed: probe at once
        self._threads: list[threading.Thread] = []
        self._pull_ok = False
        self._retry_after: float | None = None
        # (epoch, generation) whose empty replica already asked for the hub's snapshot
        self._snapshot_asked: tuple[str | None, int] | None = None

    # -- listeners -----------------------------------------------------------------------

    def add_listener(self, listener: SyncListener) -> None:
        self._listeners.append(listener)

    def _notify(self, method: str, *args: object) -> None:
        for listener in list(self._listeners):
            try:
                getattr(listener, method)(*args)
            except Exception:  # one bad listener must not stop the others
                log.exception("sync listener %r failed in %s", listener, method)

    def set_online(self, online: bool, error: str | None = None) -> None:
        """Record reachability; roles call this too when an RPC fails or succeeds."""
        self.last_error = error
        if online:
            self.last_sync_ms = self.clock.wall_ms()
        changed = online != self.online
        self.online = online
        if online:
            self._misses = 0
        if changed:
            self.write_status()
            self._notify("on_online", online)
            if online:
                self._wake.set()  # the backlog goes now, not after the push backoff
                self._back.set()
            else:
                # An online node probes every probe_online_s; one failed request (a reset,
                # a dropped connection) must not leave it calling offline beside a live hub
                # until then: the probe decides now whether the hub is gone.
                self._recheck.set()

    # -- push ----------------------------------------------------------------------------

    def _post_push(self, events: list[dict], epoch_seen: str | None) -> dict:
        status, body = self.transport.request(
            "POST",
            PUSH_PATH,
            json={
                "node": self.node_id,
                "inc": self.outbox.inc,
                "hub_epoch_seen": epoch_seen,
                "events": events,
            },
            timeout=self.push_timeout,
        )
        if status >= 400:
            raise _HubRefused(status, body)
        self.outbox.anchor_hub_now(body.get("hub_ms"))
        for item in body.get("rejected") or []:
            log.error("hub rejected %s: %s", item.get("id"), item.get("reason"))
            # `loket node status` shows it too: a technician has to fix what made it
            self.last_rejected = {"id": item.get("id"), "reason": item.get("reason")}
        return body

    def push_once(self) -> bool:
        """Send the next batch of unacknowledged own events (and re-push carried events the
        new replica still lacks); True when none remain."""
        with self._lock:
            try:
                # Never in the way of own events: a carried event may be held for long.
                carried = self._push_carried()
                pending = self.outbox.own_events(after_seq=self.replica.acked_through)
                if not pending:
                    return carried
                body = self._post_push(pending[: self.batch], self.replica.hub_epoch)
                if self._epoch_changed(body.get("hub_epoch")):
                    return False
            except HubUnreachable as err:
                self.set_online(False, str(err))
                return False
            except _HubRefused as err:
                log.error("push refused: %s", err)
                self.last_error = str(err)
                return False
            self.replica.set_acked(int(body.get("acked_through") or 0))
            self.prune()  # an acknowledgement may be what a closed day waited for
            self.set_online(True)
            self.write_status()
            return carried and self.replica.acked_through >= self.outbox.last_seq

    def _caught_up(self) -> bool:
        """The last pull of this epoch reached the hub's newest record."""
        last = self.hub_last_hseq
        return last is not None and self.replica.last_hseq >= last

    def _push_carried(self) -> bool:
        """Re-push the carried events the new replica does not hold (see the module doc).

        Only once the pull has caught up: before that, most of them are merely not pulled
        yet. Returns True when nothing is carried any more (own events may go next), False
        while some are still missing (or the epoch changed again meanwhile).
        """
        replica = self.replica
        if not replica.carrying:
            replica.drop_carried()  # all arrived: forget the set (no-op when there is none)
            return True
        if not self._caught_up():
            return False
        replica.drop_carried()  # what the new replica holds now
        events = replica.carried()
        if not events:
            return True
        log.info("re-pushing %d carried event(s) the hub has not logged yet", len(events))
        refused: set[str] = set()
        for start in range(0, len(events), self.batch):
            body = self._post_push(events[start : start + self.batch], replica.hub_epoch)
            if self._epoch_changed(body.get("hub_epoch")):
                return False
            refused |= {str(x.get("id")) for x in body.get("rejected") or []}
        if refused:
            replica.drop_carried(refused)  # the hub will never log these (logged as errors)
        self.set_online(True)
        return not replica.carrying

    # -- pull ----------------------------------------------------------------------------

    def pull_once(self, wait: float = 0) -> list[dict]:
        """One changes request (long-poll up to ``wait`` s); returns the new records."""
        with self._lock:
            try:
                self._start_from_snapshot()
            except HubUnreachable as err:
                self.set_online(False, str(err))
                return []
            except _HubRefused as err:
                log.error("first contact refused: %s", err)  # the feed is pulled anyway
            since = self.replica.since
        path = f"{CHANGES_PATH}?since={since}&limit=500&wait={int(wait)}"
        try:
            status, body = self.transport.request("GET", path, timeout=wait + 10)
        except HubUnreachable as err:
            self.set_online(False, str(err))
            return []
        if status >= 400:
            log.error("changes refused: %s %s", status, body)
            self.last_error = f"{status} {body.get('error')}"
            self._pull_ok = False
            retry = body.get("retry_after_s")
            if isinstance(retry, int | float) and 0 < retry <= self.max_backoff:
                self._retry_after = float(retry)
            return []
        self.outbox.anchor_hub_now(body.get("hub_ms"))
        with self._lock:
            if self._stop.is_set():
                return []  # stopping: the replica may be closing; pull again next start
            try:
                if self._epoch_changed(body.get("hub_epoch")):
                    return []  # the feed we asked for belonged to the old epoch
            except HubUnreachable as err:
                self.set_online(False, str(err))
                return []
            except _HubRefused as err:
                log.error("re-push refused: %s", err)
                return []
            if self.replica.since != since:
                return []  # someone else pulled meanwhile; ask again
            fresh = self.replica.apply(body.get("results") or [])
            self.hub_last_hseq = int(body.get("last_hseq") or self.replica.last_hseq)
            self._pull_ok = True
            if any(r["event"].get("type") == "day.closed" for r in fresh):
                self.prune()
        newest = max((r["event"].get("hlc") or "" for r in fresh), default="")
        if newest:
            self.outbox.merge_hlc(newest)
        self.outbox.note_hub_time(max((r.get("recv_ms") or 0 for r in fresh), default=0))
        self.set_online(True)
        self.write_status()
        if fresh:
            self._notify("on_records", fresh)
        return fresh

    # -- closed days ---------------------------------------------------------------------

    def prune(self) -> bool:
        """Drop the replica's records up to the newest ``day.closed`` it holds whose day (and
        every day before) has no own event still unacknowledged, and the outbox's events the
        hub logged before it (``Outbox.compact``); True if it dropped any.

        The close is in the replica, so the hub holds it; what the node logged of that day
        is acknowledged, so the hub holds that too. Not while carrying: the carried events
        are told apart from the dropped ones only by the replica holding them.
        """
        with self._lock:
            replica = self.replica
            closes = replica.closes()
            if not closes or replica.carrying:
                return False
            unacked = self.outbox.own_events(after_seq=replica.acked_through)
            oldest = min(
                (e["ticket"].split("/", 1)[0] for e in unacked if e.get("ticket")), default=None
            )
            for hseq, day in reversed(closes):
                if oldest is None or oldest > day:
                    try:
                        if not replica.prune(hseq):
                            return False
                        self._compact_outbox()
                        return True
                    except (JournalError, OSError):
                        # The disk refused (full?): keep the records, try at the next close.
                        log.exception("could not prune the replica through hseq %d", hseq)
                        return False
            return False

    def _compact_outbox(self) -> int:
        """What the hub logged up to the dropped close leaves the own log too, but only of
        closed days: a kiosk counts its lease numbers from that log (node.roles.kiosk)."""
        replica, closed = self.replica, self.replica.closed_days()
        return self.outbox.compact(lambda e: replica.dropped(e["id"]) and event_day(e) in closed)

    def _start_from_snapshot(self) -> bool:
        """An empty replica starts from the hub's snapshot when the hub has closed days
        (see the module doc); asked once per epoch and replica generation. Caller holds
        the lock. True when the replica now starts after the snapshot."""
        replica = self.replica
        asked = (replica.hub_epoch, replica.generation)
        if len(replica) or self._snapshot_asked == asked:
            return False
        status, body = self.transport.request("GET", SNAPSHOT_PATH, timeout=self.wait + 10)
        self._snapshot_asked = asked
        if status >= 400:
            if status != 404:  # 404: a hub older than the route
                log.error("snapshot refused: %s %s", status, body)
            return False
        epoch = body.get("hub_epoch")
        if not epoch or (replica.hub_epoch is not None and epoch != replica.hub_epoch):
            return False  # another epoch than the replica's: the feed will say so first
        if replica.hub_epoch is None:
            self._epoch_changed(epoch)  # first contact: adopt it and say so
            self._snapshot_asked = (replica.hub_epoch, replica.generation)
        if not (body.get("state") or {}).get("closed_days"):
            return False  # no day closed yet: the whole log is the open days
        try:
            base = replica_base.checked(body)
        except replica_base.BaseError as err:
            log.error("unusable hub snapshot: %s", err)
            return False
        replica.start_from(epoch, base)
        self._snapshot_asked = (replica.hub_epoch, replica.generation)
        log.info("replica starts from the hub's snapshot at hseq %d", base["hseq"])
        return True

    def step(self, wait: float = 0) -> list[dict]:
        """Push everything pushable, then pull until caught up (tests drive this)."""
        for _ in range(1000):
            before = self.replica.acked_through
            if self.push_once() or self.online is False:
                break
            if self.replica.acked_through == before:
                break  # held events (deps not yet at the hub): try again next step
        out: list[dict] = []
        for _ in range(1000):
            fresh = self.pull_once(wait)
            out.extend(fresh)
            if not fresh:
                break
        return out

    # -- epoch change --------------------------------------------------------------------

    def _epoch_changed(self, epoch: str | None) -> bool:
        if not epoch:
            return False
        old = self.replica.hub_epoch
        if old is None:
            self.replica.adopt_epoch(epoch)
            # First contact: say which epoch we now work in (a hub restored before this
            # node ever talked to it waits for that in its recovery barrier).
            self._post_push([], epoch)
            return False
        if epoch == old:
            return False
        log.warning("hub epoch changed %s -> %s: re-pushing every primary event held", old, epoch)
        acked, repushed = self._repush_primaries(old)
        # Tell the hub we now work in its epoch: this is what lifts its recovery barrier.
        acked = int(self._post_push([], epoch).get("acked_through") or acked)
        own = (self.node_id, self.outbox.inc)
        carry = [e for e in repushed if (e.get("origin"), e.get("inc")) != own]
        self.replica.reset(epoch, acked_through=acked, carry=carry)
        self.hub_last_hseq = None  # the old epoch's; the carry waits for a pull of the new
        self.write_status()
        self._notify("on_epoch_changed", old, epoch)
        return True

    def _repush_primaries(self, epoch_seen: str) -> tuple[int, list[dict]]:
        """Push every primary event held (carried from an earlier epoch change and still
        missing, the replica's, the outbox's); returns ``(acked_through, events pushed)``."""
        seen: set[str] = set()
        events: list[dict] = []
        records = (rec["event"] for rec in self.replica.records())
        for ev in (*self.replica.carried(), *records, *self.outbox.events()):
            if not is_derived(ev) and ev["id"] not in seen:
                seen.add(ev["id"])
                events.append(ev)
        acked = 0
        refused: set[str] = set()
        for start in range(0, len(events), self.batch) or [0]:
            body = self._post_push(events[start : start + self.batch], epoch_seen)
            acked = int(body.get("acked_through") or 0)
            refused |= {str(x.get("id")) for x in body.get("rejected") or []}
        return acked, [e for e in events if e["id"] not in refused]

    # -- probe ---------------------------------------------------------------------------

    def probe_once(self) -> bool:
        """``GET /healthz``; True when the hub answered (any HTTP status: even a hub whose
        disk is full is reachable, and its refusals are answers)."""
        try:
            # offline, a probe that takes longer than a press would is as good as none
            wait = self.probe_timeout if self.online else min(self.probe_timeout, 0.8)
            self.transport.request("GET", PROBE_PATH, timeout=wait)
        except HubUnreachable as err:
            self._misses += 1
            if self.online is not True or self._misses >= PROBE_MISSES:
                self.set_online(False, str(err))
            return False
        if self.online is not True:
            log.info("hub answers again")
        self.set_online(True)
        return True

    # -- status file ---------------------------------------------------------------------

    def status(self) -> dict:
        return {
            "node": self.node_id,
            "online": self.online,
            "last_sync_ms": self.last_sync_ms,
            "hub_epoch": self.replica.hub_epoch,
            "since": self.replica.since,
            "acked_through": self.replica.acked_through,
            "last_seq": self.outbox.last_seq,
            "backlog": max(0, self.outbox.last_seq - self.replica.acked_through),
            "carrying": self.replica.carrying,
            "last_error": self.last_error,
            "last_rejected": self.last_rejected,
        }

    def write_status(self) -> None:
        """Persist what ``loket node status`` shows, for reading without this process."""
        data = self.status()
        data["updated_ms"] = self.clock.wall_ms()
        if self.status_extra is not None:
            try:
                data.update(self.status_extra())
            except Exception:
                log.exception("status_extra failed")
        try:
            write_json(Path(self.replica.data_dir) / STATUS_FILE, data)
        except OSError:
            log.exception("cannot write the status file")

    # -- threads -------------------------------------------------------------------------

    def wake(self) -> None:
        """Push soon (called after an own event was logged)."""
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        loops = (("push", self._push_loop), ("pull", self._pull_loop), ("probe", self._probe_loop))
        for name, target in loops:
            t = threading.Thread(target=target, name=f"loket-sync-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both loops. The pull loop may sit in a long-poll for up to ``wait`` s: it is
        not waited for, since it applies nothing once stopping (checked under the lock, and
        taking the lock here lets an apply already under way finish first)."""
        self._stop.set()
        self._wake.set()
        self._back.set()
        self._recheck.set()
        for t in self._threads:
            t.join(timeout if t.name.endswith("push") else 0.2)
        with self._lock:
            pass
        self._threads.clear()

    def _push_loop(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                done = self.push_once()
            except Exception:
                log.exception("push failed")
                done = False
            if done:
                delay = 0.5
                self._wake.wait(10.0)
            else:
                self._wake.wait(delay)
                delay = min(delay * 2, self.max_backoff)
            self._wake.clear()

    def _pull_loop(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            self._back.clear()
            try:
                self._pull_ok = False
                self._retry_after = None
                self.pull_once(self.wait)
                ok = self._pull_ok
            except Exception:
                log.exception("pull failed")
                ok = False
            if ok:
                delay = 0.5
            elif self._retry_after is not None:
                # The hub's long-poll places are taken: it said when to come back.
                self._stop.wait(self._retry_after)
            else:
                # Offline, the probe sets _back the moment the hub answers again.
                self._back.wait(delay)
                delay = min(delay * 2, self.max_backoff)

    def _probe_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.probe_once()
            except Exception:
                log.exception("probe failed")
            self._recheck.clear()  # what the probe just did is the answer to it
            self._recheck.wait(self.probe_online_s if self.online else self.probe_offline_s)


class _HubRefused(Exception):
    """The hub answered a sync request with an error status."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        super().__init__(f"{status} {body.get('error')}: {body.get('message')}")
