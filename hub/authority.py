"""The Authority: the hub's single writer of the queue (DESIGN.md "Sync", docs/sync.md §5).

Every change goes through :meth:`Authority._commit` under the store's one lock: fold the new
primary events into the live state, collect the derived events the fold (and the clock check)
emits and write cause + derived events to the journal in ONE write. The fsync is a group
commit (:meth:`Authority._await_durable`): after releasing the lock, the first command that
finds no fsync running becomes the leader and fsyncs outside the lock, covering every record
written before it; the others wait on the Condition. Only after the fsync covering its records
does a command answer, and only then are the records published (``last_hseq``, the Condition
for long-polls and streams, ``add_listener`` callbacks). Anything that read the state (a
refusal, a repeated ``req``, ``snapshot()``) also waits until what it saw is durable: memory
runs ahead of the disk only between a write and its fsync, and nobody is told about that
stretch. A failed fsync (or write, or fold) rebuilds memory from the journal, and every command
whose records were not durable fails (JournalError -> 503), so the client retries with the
same ``req``.

Everything the hub knows is rebuilt from the journal at startup: the fold, the request index
(``req`` -> event), per-(origin, inc) ``acked_through``, clock anchors and the hub's own event
counter ``n`` of ``hub:<epoch>:<n>`` (derived from the log, so no TinyDB write per event).
Derived events are committed with their cause, but a log restored from a backup or written
by an older fold may lack some: they are re-derived and appended at startup, and their
deterministic ids make that idempotent (docs/sync.md §5.5, §8.4 bug 10).
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from core import sdnotify
from core.catalogue import Catalogue
from core.clock import HLC, Clock, SystemClock
from core.errors import CommandRejected, ConfigError, JournalError, JournalOrderError
from core.events import DERIVED_TYPES, Event, make_event, make_record
from core.model import LIVE_STATES, TicketStatus
from core.queue import QueueState
from hub import catalogue_ops, checkpoint, floor_ops, identity, operations, pushcheck, receipts
from hub.barrier import RecoveryBarrier
from hub.derive import ClockAnchors, bound_estimate, hlc_wall_ms, skew_notice
from hub.errors import Refused
from hub.known import Known
from hub.pushgate import PushGate, canonical, parse_pushed
from hub.store import Store
from hub.views import config_view, day_of, mpp_view, timezone_of
from hub.withdrawn import Withdrawn

log = logging.getLogger(__name__)

Listener = Callable[[list[dict]], None]

# Persist nodes' last-seen times at most this often: each TinyDB write rewrites the file.
SEEN_FLUSH_MS = 60_000
# After a storage fault, try to reopen the journal at most this often (each try reads it).
HEAL_EVERY_S = 1.0
REJECTIONS_KEPT = 200
# A replay tells systemd it is still starting every this many records (see _replay).
REPLAY_EXTEND_EVERY = 20_000
REPLAY_EXTEND_S = 90.0
# What _replay builds from the journal and a checkpoint restores (hub.checkpoint).
_IMAGE_FIELDS = ("state", "gate", "anchors", "_known", "_reqs", "_events", "_issue_of",
                 "_last_call", "_by_day", "_hub_seq", "_journal_day", "_skewed",
                 "_withdrawn")  # fmt: skip


def digest(canonical_text: str) -> bytes:
    """16 bytes stand for an event's canonical text: same id + other digest = alarm."""
    return hashlib.blake2b(canonical_text.encode("utf-8"), digest_size=16).digest()


def canonical_digest(event_dict: dict) -> bytes:
    """``digest(canonical(event))`` of an ``Event.to_dict()`` (skips canonical()'s re-parse)."""
    return digest(json.dumps(event_dict, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


class Authority:
    """Accepts commands and pushed events, folds, persists, notifies. Thread-safe."""

    def __init__(
        self,
        config: Any,
        store: Store,
        clock: Clock | None = None,
        *,
        rating_window_s: float = 120.0,
    ):
        self.config = config
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.rating_window_ms = int(rating_window_s * 1000)
        self._profile_tz = timezone_of(config)
        self._tz_cache: tuple[str, ZoneInfo] | None = None
        self._lock = store.lock
        self._cond = threading.Condition(self._lock)
        self._listeners: list[Listener] = []
        # Group commit: one leader fsyncs at a time; a rebuild from the journal starts a new
        # generation, and _gen_durable says what was durable when each earlier one ended.
        self._syncing = False
        self._gen = 0
        self._gen_durable: dict[int, int] = {}
        self.hlc = HLC("hub", self.clock)
        self.epoch: str = store.setting("hub_epoch")
        self._receipt_key = receipts.key_from_hex(store.setting("receipt_key"))
        self._seen: dict[str, dict] = {}
        self._seen_flushed_ms = 0
        self.rebuilds = 0  # memory rebuilt from the journal (a failed write or fsync)
        self._heal_tried = float("-inf")
        self._rejected_ids: set[str] = set()
        self.rejections: collections.deque[dict] = collections.deque(maxlen=REJECTIONS_KEPT)
        self._reset()
        if not self._replay(repair=True) and self.state.closed_days:
            # Closed days were replayed from the journal (the first start after an upgrade, a
            # checkpoint lost): once is enough, the next start begins here.
            checkpoint.save_or_log(self)
        # What the profile's catalogue says and the log does not (empty after a seed).
        self.profile_differences: list[str] = catalogue_ops.seed_or_compare(self)
        self._barrier = RecoveryBarrier(store, self.epoch, lambda: self.state.catalogue)

    # -- startup ------------------------------------------------------------------------------

    def _reset(self) -> None:
        """Empty every in-memory structure that is rebuilt from the journal."""
        self.last_hseq = 0  # durable and published: what readers may see
        self._written_hseq = 0  # written to the journal and folded into memory
        self._withdrawn = Withdrawn()
        self._unpublished: list[dict] = []  # records (last_hseq, _written_hseq], in order
        self.state = QueueState()  # the catalogue (and so the roster) comes from the log
        self.gate = PushGate()
        self.anchors = ClockAnchors()
        self._known = Known()  # logged event ids (dedup + alarm); closed days by seq
        self._reqs: dict[str, str] = {}  # req -> id of the first primary event carrying it
        self._events: dict[str, int] = {}  # primary event id -> its hseq (for answers)
        self._issue_of: dict[str, str] = {}  # ticket key -> id of its ticket.issued
        self._last_call: dict[str, str] = {}  # ticket key -> id of its latest ticket.called
        # open day -> (id, req) of its ticket events (derived ones too), dropped at its close
        self._by_day: dict[str, list[tuple[str, str | None]]] = {}
        self._hub_seq = 0
        self._journal_day: str | None = None
        self._skewed: set[tuple[str, str]] = set()  # (node, boot) already given a clock.skew

    def _replay(self, *, repair: bool) -> bool:
        """Rebuild memory from the checkpoint and the journal; True if a checkpoint was used."""
        derived_wanted: list[Event] = []
        last_hub_hlc = ""
        image = checkpoint.load(self)
        self._restore_image(image)
        for n, record in enumerate(self.store.records(self._written_hseq), 1):
            if n % REPLAY_EXTEND_EVERY == 0:
                # A year replayed on a Pi (no checkpoint yet, or a lost one) outlasts
                # systemd's start timeout: keep asking for more while it progresses.
                sdnotify.extend_start(REPLAY_EXTEND_S, f"replaying the journal: {n} records")
            if record.get("hseq") != self._written_hseq + 1:
                raise JournalOrderError(
                    f"the hub journal in {self.store.data_dir / 'journal'} is out of order: "
                    f"record {self._written_hseq + 1} has hseq {record.get('hseq')!r} "
                    f"(expected {self._written_hseq + 1}). The journal was edited, or files of "
                    "two hubs were mixed; nothing was changed. To recover: keep this folder "
                    "for inspection (move it aside) and restore the latest backup with "
                    "`loket hub restore BACKUP --config ...`; the nodes then re-push what "
                    "they hold"
                )
            ev = record["event"]
            if ev["type"] == "day.closed" and derived_wanted:
                # What the day's events derived is logged right after them; once the day's
                # ids leave memory (below) it could no longer be told from missing.
                derived_wanted = [d for d in derived_wanted if d.id not in self._known]
            self._withdrawn.note(self.state.catalogue, ev, record["recv_ms"], self.tz)
            self._index(record)
            derived_wanted += self.state.apply(record)
            if (notice := skew_notice(record, self._skewed)) is not None:
                derived_wanted.append(notice)
            if ev["origin"] == "hub" and ev["inc"] == self.epoch and ev["hlc"] > last_hub_hlc:
                last_hub_hlc = ev["hlc"]
        if last_hub_hlc:
            self.hlc.restore(last_hub_hlc)
        missing = [d for d in derived_wanted if d.id not in self._known]
        if missing and repair:
            log.warning("re-deriving %d missing derived event(s) at startup", len(missing))
            now = self.clock.wall_ms()
            records = []
            hseq = self._written_hseq
            for d in missing:
                hseq += 1
                records.append(make_record(hseq, now, now, d))
            self.store.append(records)
            self.store.sync()
            for r in records:
                self._index(r)
                self.state.apply(r)
        self.last_hseq = self._written_hseq
        return image is not None

    # -- the start-up checkpoint (hub.checkpoint; written after a daily close) --------------

    def replay_image(self) -> dict[str, Any]:
        """What replaying the durable journal built (caller holds the lock)."""
        self.store.sync()  # the image covers written records: make them durable first
        image = {name: getattr(self, name) for name in _IMAGE_FIELDS}
        hseq = self._written_hseq
        last = checkpoint.record_digest(self.store, hseq)
        return {
            **image,
            "epoch": self.epoch,
            "hseq": hseq,
            "last": last,
            "hub_hlc": self.hlc.last(),
        }

    def _restore_image(self, image: dict[str, Any] | None) -> None:
        if image is None:
            return
        for name in _IMAGE_FIELDS:
            setattr(self, name, image[name])
        self._written_hseq = image["hseq"]
        self.hlc.restore(image["hub_hlc"])

    def _forget_day(self, day: str) -> None:
        """Drop the per-ticket indexes of a closed day (its tickets left the fold). Its event
        ids leave ``_known`` too, which still knows them by sequence (``hub.known``): a
        re-pushed event of that day is known, never doubled."""
        for event_id, req in self._by_day.pop(day, ()):
            self._forget_event(event_id, req)
        prefix = f"{day}/"
        for index in (self._issue_of, self._last_call):
            for key in [k for k in index if k.startswith(prefix)]:
                del index[key]

    def _forget_event(self, event_id: str, req: str | None) -> None:
        self._events.pop(event_id, None)
        if req and self._reqs.get(req) == event_id:
            del self._reqs[req]
        self._known.forget(event_id, req, self.gate.acked_through)

    def _index(self, record: dict, known_digest: bytes | None = None) -> None:
        """Account for one logged record in every in-memory index (replay and commit).

        Records are not kept in RAM: the journal reads them back by hseq (journal index
        hseq - 1) for records_since and answers.
        """
        ev = record["event"]
        self._written_hseq = record["hseq"]
        self._known.add(
            ev["id"],
            ev["origin"],
            ev["inc"],
            ev.get("seq", 0),
            known_digest if known_digest is not None else digest(canonical(ev)),
        )
        self._journal_day = day_of(record["recv_ms"], self.tz)
        ticket_day = ev["ticket"].split("/", 1)[0] if ev.get("ticket") else None
        if ticket_day is not None:
            self._by_day.setdefault(ticket_day, []).append((ev["id"], ev.get("req")))
        if ev["type"] in DERIVED_TYPES:
            self._late(ticket_day)
            return  # notifications: no req, no seq, nothing to gate on
        self._events[ev["id"]] = record["hseq"]
        self.gate.note_logged(ev)
        self.anchors.observe(ev["origin"], ev.get("clock"), record["recv_ms"])
        if ev.get("req"):
            self._reqs.setdefault(ev["req"], ev["id"])
        if ev["type"] == "ticket.issued":
            self._issue_of.setdefault(ev["ticket"], ev["id"])
        elif ev["type"] == "ticket.called":
            self._last_call[ev["ticket"]] = ev["id"]
        elif ev["type"] == "day.closed":
            self._forget_day(ev["body"]["day"])
            self._withdrawn.forget_through(ev["body"]["day"])
        if ev["origin"] == "hub" and ev["inc"] == self.epoch:
            self._hub_seq = max(self._hub_seq, ev["seq"])
        self._late(ticket_day)

    def _late(self, day: str | None) -> None:
        """An event of a day already closed (a node offline past closing) is logged, not
        folded, and not held in memory either."""
        if day is not None and day in self.state.closed_days:
            self._forget_day(day)

    # -- the one way to change anything ------------------------------------------------------

    def _commit(self, events: list[Event], texts: dict[str, str] | None = None) -> list[dict]:
        """Fold and write cause + derived in one write. Caller holds the lock.

        Not durable yet: the caller answers after :meth:`_await_durable`, which also
        publishes. The fold runs on the live state (copying a year of tickets per command
        costs ~0.1 s on a Pi); if the fold or the write fails, everything in memory is rebuilt
        from the journal, which holds exactly what can have been acknowledged.
        """
        now = self.clock.wall_ms()
        digests: list[bytes] = []
        try:
            records = self._fold_and_append(events, now, digests, texts or {})
        except BaseException:
            # A half-applied fold or a refused write: memory may now be ahead of the disk.
            log.error("commit failed: rebuilding the hub state from the journal")
            self._rebuild()
            raise
        for record, event_digest in zip(records, digests, strict=True):
            self._index(record, event_digest)
        self._unpublished.extend(records)
        return records

    # -- group commit -------------------------------------------------------------------------

    def _mark(self) -> tuple[int, int]:
        """What the caller has seen so far (under the lock): written hseq and generation."""
        return self._written_hseq, self._gen

    def _await_durable(self, target: int, gen: int) -> None:
        """Return once every record up to ``target`` is fsync'd and published.

        Call without holding the lock. Leader/follower: if no fsync is running, this thread
        runs one (outside the lock) for everything written so far; otherwise it waits for the
        running one and checks again. Raises JournalError if the records were lost to a
        failure (memory was rebuilt from the journal without them).
        """
        error: BaseException | None = None
        while True:
            with self._lock:
                while True:
                    if gen != self._gen:
                        if target <= self._gen_durable[gen]:
                            return
                        raise JournalError(
                            "the journal failed before this change was durable; "
                            "nothing of it was kept"
                        ) from error
                    if self.last_hseq >= target:
                        return
                    if not self._syncing:
                        break
                    self._cond.wait()
                self._syncing = True
                upto, lead_gen = self._written_hseq, self._gen
            error = self._lead_sync(upto, lead_gen)

    def _lead_sync(self, upto: int, lead_gen: int) -> BaseException | None:
        """The leader's fsync (outside the lock), then publish or rebuild (under it)."""
        error: BaseException | None = None
        try:
            self.store.sync()
        except BaseException as exc:  # noqa: BLE001 - every waiter must hear of it
            error = exc
        with self._lock:
            self._syncing = False
            try:
                if error is not None:
                    log.error("journal sync failed: rebuilding the hub state from the journal")
                    self._rebuild()
                elif lead_gen == self._gen:
                    self._publish(upto)
            finally:
                self._cond.notify_all()
        return error

    def _publish(self, upto: int) -> None:
        """Records up to ``upto`` are durable: show them to readers, wake waiters, listeners."""
        n = upto - self.last_hseq
        if n <= 0:
            return
        records = self._unpublished[:n]
        del self._unpublished[:n]
        self.last_hseq = upto
        self._notify(records)

    def _notify(self, records: list[dict]) -> None:
        self._cond.notify_all()
        if not records:
            return
        for fn in list(self._listeners):
            try:
                fn(records)
            except Exception:  # one failing listener must not stop the others (STYLE 8)
                log.exception("listener %r failed", fn)

    def _rebuild(self) -> None:
        """Memory may be ahead of the disk: keep what the disk still takes, rebuild from it.

        Caller holds the lock. Records that become durable here are published; a command
        whose records are not in the rebuilt memory fails (its generation ended below them).
        """
        try:
            self.store.sync()
        except Exception:
            log.error("journal sync failed: unsynced records are dropped", exc_info=True)
        published, gen = self.last_hseq, self._gen
        self.rebuilds += 1
        self._reset()
        self._replay(repair=False)
        self._gen_durable[gen] = self.last_hseq
        self._gen = gen + 1
        self._notify(self._decoded(published, self.last_hseq))

    def _decide(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn`` under the lock; return (or raise its refusal) once what it saw is durable.

        While the journal refuses writes (disk full, read-only) the answer is a cheap 503:
        nothing is folded (a fold whose write fails costs a rebuild from the journal), and
        every request first gives the journal a chance to come back (:meth:`heal`).
        """
        self.heal()
        fault = self.store.fault
        if fault is not None:
            raise JournalError(f"storage fault, retrying by itself: {fault}")
        refusal: CommandRejected | ConfigError | None = None
        with self._lock:
            try:
                result = fn(*args, **kw)
            except (CommandRejected, ConfigError) as exc:  # a refusal read the state too
                result, refusal = None, exc
            mark = self._mark()
        self._await_durable(*mark)
        if refusal is not None:
            raise refusal
        return result

    def _fold_and_append(
        self, events: list[Event], now: int, digests: list[bytes], texts: dict[str, str]
    ) -> list[dict]:
        """Apply ``events`` in order, collecting each one's derived events; one append.

        ``digests`` receives each record's event digest (see :func:`canonical_digest`);
        ``texts`` may hold events' canonical texts already made (a push checked them).
        """
        state, skewed = self.state, self._skewed
        records: list[dict] = []
        batch_ids: set[str] = set()
        hseq = self._written_hseq
        for event in events:
            hseq += 1
            d = event.to_dict()
            clamped = False
            if event.origin == "hub":
                est = now
            else:
                self.anchors.observe(event.origin, d.get("clock"), now)
                est, clamped = bound_estimate(self.anchors.estimate(d, now), now, d, self.tz)
            text = texts.get(event.id) or json.dumps(
                d, sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
            digests.append(digest(text))
            d[receipts.RECEIPT_FIELD] = receipts.receipt(self._receipt_key, text)
            record = {"hseq": hseq, "recv_ms": now, "est_ms": est, "event": d}  # make_record
            if clamped:
                record["est_clamped"] = True
            records.append(record)
            batch_ids.add(event.id)
            self._withdrawn.note(state.catalogue, d, now, self.tz)
            derived = state.apply(event, hseq, est)  # the Event itself: no re-parse
            if (notice := skew_notice(record, skewed)) is not None:
                derived.append(notice)
            if event.origin != "hub" and hlc_wall_ms(event.hlc) is not None:
                try:
                    # untrusted: a node clock > 5 min ahead is not merged (the hub keeps time)
                    self.hlc.merge(event.hlc, trusted=False)
                except ValueError:
                    log.warning("unreadable hlc %r in %s", event.hlc, event.id)
            for dev in derived:
                if dev.id in self._known or dev.id in batch_ids:
                    continue
                hseq += 1
                batch_ids.add(dev.id)
                records.append(make_record(hseq, now, now, dev))
                digests.append(canonical_digest(records[-1]["event"]))
                # a no-op for the queue, but the state's last_hseq must match the log's
                state.apply(records[-1])
        if not records:
            return []
        if self._journal_day is not None and day_of(now, self.tz) != self._journal_day:
            self.store.rotate()  # one journal segment per service day
        self.store.append(records)  # written; durable after the group commit's fsync
        return records

    def _hub_event(
        self, type_: str, *, ticket: str | None, req: str | None, deps, body, offset: int = 0
    ) -> Event:
        """A primary event made by the hub: id ``hub:<epoch>:<n>``.

        ``n`` advances when the commit indexes it, so a refused or failed command leaves no
        gap (re-pushed hub events are gated on gapless seqs after a restore); a commit of
        several hub events numbers them with ``offset`` 0, 1, 2...
        """
        clock = {
            "wall_ms": self.clock.wall_ms(),
            "boot_id": self.clock.boot_id(),
            "mono_ms": self.clock.mono_ms(),
        }
        return make_event(
            "hub",
            self.epoch,
            self._hub_seq + 1 + offset,
            type_,
            ticket=ticket,
            req=req,
            deps=tuple(d for d in deps if d),
            hlc=self.hlc.now(),
            clock=clock,
            body=body,
        )

    # -- the surface hub.operations builds commands on (lock held: inside _decide) ----------

    def hub_event(
        self, type_: str, *, ticket: str | None, req: str | None, deps, body, offset: int = 0
    ) -> Event:
        """A new hub event (see :meth:`_hub_event`; ``offset`` numbers several of one
        commit); commit it with :meth:`commit`."""
        return self._hub_event(type_, ticket=ticket, req=req, deps=deps, body=body, offset=offset)

    def commit(self, events: list[Event]) -> list[dict]:
        """Fold and write ``events`` (+ what they derive); the records, each event dict with
        its receipt: answer with those, so a node can carry them after a restore."""
        return self._commit(events)

    def event_for_req(self, req: str) -> dict | None:
        """The logged primary event an earlier request with this ``req`` produced, or None."""
        event_id = self._reqs.get(req)
        if event_id is None and self._known.req_of_closed_day(req):
            # Its answer left memory with its day (hub.known): say so, never run it again.
            raise Refused("req_closed_day", f"req {req!r} was carried out on a closed day", 409)
        return None if event_id is None else self._event_dict(event_id)

    def logged_event(self, event_id: str) -> dict | None:
        """A logged primary event by id (with its receipt), or None."""
        return self._event_dict(event_id)

    def logged_hseq(self, event_id: str) -> int | None:
        """The hseq of a logged primary event (``hub.day_close`` names its archive by it)."""
        return self._events.get(event_id)

    def issue_id(self, ticket_key: str) -> str | None:
        """The id of the ``ticket.issued`` that created this ticket."""
        return self._issue_of.get(ticket_key)

    def last_call_id(self, ticket_key: str) -> str | None:
        """The id of the latest ``ticket.called`` of this ticket."""
        return self._last_call.get(ticket_key)

    def commit_hub_event(self, type_: str, *, ticket=None, req=None, deps=(), body) -> dict:
        """Make, commit and return one hub event (admin actions such as roster changes)."""

        def decide() -> dict:
            if req and (req in self._reqs or self._known.req_of_closed_day(req)):
                return self.event_for_req(req)
            event = self._hub_event(type_, ticket=ticket, req=req, deps=deps, body=body)
            return self._commit([event])[0]["event"]

        return self._decide(decide)

    def cancel_ticket(self, ticket: str, by: str, reason: str) -> dict:
        """An operator cancels a waiting or called ticket (the visitor left): ``ticket`` is a
        key or today's label (``A-014``). Refused (409/404) for any other state."""

        def decide() -> dict:
            key = ticket if "/" in ticket else f"{self.today()}/{ticket.strip().upper()}"
            found = self.state.tickets.get(key)
            if found is None:
                raise Refused("unknown_ticket", f"no ticket {ticket!r} today", 404)
            if found.status not in LIVE_STATES:
                raise Refused("not_cancellable", f"{found.label} is already {found.status}", 409)
            event = self._hub_event(
                "ticket.cancelled",
                ticket=key,
                req=None,
                deps=(self._issue_of.get(key),),
                body={"by": by, "reason": reason},
            )
            events = [event]
            if found.status == TicketStatus.CALLED:  # out of order: audited (issue 9 item 6)
                events.append(
                    floor_ops.audit(self, "cancel_called", event, found.holder, by, reason, 1)
                )
            return self._commit(events)[0]["event"]

        return self._decide(decide)

    # -- storage faults -----------------------------------------------------------------------

    def heal(self) -> bool:
        """After a storage fault: reopen the journal at its durable prefix and rebuild memory
        from it, at most every ``HEAL_EVERY_S``; True when storage works (again)."""
        if self.store.fault is None:
            return True
        now = time.monotonic()
        with self._lock:
            if self.store.fault is None:
                return True
            if self._syncing or now - self._heal_tried < HEAL_EVERY_S:
                return False
            self._heal_tried = now
            try:
                self.store.reopen()
            except JournalError as exc:
                log.warning("storage still failing: %s", exc)
                return False
            # The failure already rebuilt memory from the durable records, which is exactly
            # what the reopened journal holds; rebuild only if that is not so.
            if self.store.journal.count != self._written_hseq:
                log.warning("storage works again: rebuilding the hub state from the journal")
                self._rebuild()
            else:
                log.warning("storage works again")
            self._cond.notify_all()
        return True

    def health(self) -> dict:
        """The ``/healthz`` body: ``ok`` false while the journal cannot be written."""
        self.heal()
        fault = self.store.fault
        return {
            "ok": fault is None,
            "storage": {"ok": fault is None, "fault": fault},
            "hub_epoch": self.epoch,
            "last_hseq": self.last_hseq,
            "rebuilds": self.rebuilds,
        }

    # -- reading ------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return self.clock.wall_ms()

    @property
    def tz(self) -> ZoneInfo:
        """The mall's timezone: the catalogue's (an edit may change it), the profile's before
        the seed."""
        name = self.state.catalogue.timezone
        if name is None:
            return self._profile_tz
        if self._tz_cache is None or self._tz_cache[0] != name:
            self._tz_cache = (name, ZoneInfo(name))
        return self._tz_cache[1]

    def catalogue(self) -> Catalogue:
        """The folded catalogue (immutable: safe to keep), once what it shows is durable."""
        return self._decide(lambda: self.state.catalogue)

    def catalogue_now(self) -> Catalogue:
        """The folded catalogue as memory holds it, without waiting for durability: for the
        who-is-calling checks of every request (``hub.auth``), which must answer during a
        storage fault too. An edit not yet fsync'd may show for a moment; it only decides
        whether a token's node exists, and the command then waits as usual."""
        with self._lock:
            return self.state.catalogue

    def change_catalogue(
        self, op: str, kind: str, entity_id: str, value: Any = None, by: str = "admin"
    ) -> list[dict]:
        """One catalogue edit (C1): validated, committed as events, returned; raises
        ConfigError listing every problem. ``[]`` when it changes nothing."""
        return self._decide(catalogue_ops.change, self, op, kind, entity_id, value, by)

    def apply_catalogue(self, target: dict, by: str) -> list[dict]:
        """Make the catalogue equal a normalised profile catalogue (``import-profile``), in
        one commit; returns the events."""
        return self._decide(catalogue_ops.apply, self, target, by)

    def update_roster(
        self, counter_id: str, *, services=None, open: bool | None = None, by: str = "admin"
    ) -> dict | None:
        """A counter's live roster: which services it serves now and whether it is open
        (pause/resume). None means "as it is"; returns the ``roster.updated`` event, or None
        when nothing changes."""
        return self._decide(catalogue_ops.roster, self, counter_id, services, open, by)

    def today(self) -> str:
        return day_of(self.clock.wall_ms(), self.tz)

    def snapshot(self) -> dict:
        """The ``GET /api/v1/state`` body: ``{hub_epoch, last_hseq, hub_ms, state, catalogue,
        config, mpp}`` (``config`` = the catalogue in the older shape, for older nodes)."""
        with self._lock:
            snap = {
                "hub_epoch": self.epoch,
                "last_hseq": self._written_hseq,
                "hub_ms": self.clock.wall_ms(),
                "state": self.state.snapshot(day=self.today()),
                "catalogue": self.state.catalogue.to_dict(),
                "config": config_view(self.state.catalogue),
                "mpp": mpp_view(self.state.catalogue),
            }
            mark = self._mark()
        self._await_durable(*mark)  # never show what a failing fsync may take back
        return snap

    def records_since(self, hseq: int, limit: int = 500) -> list[dict]:
        """Durable records after ``hseq`` (at most ``limit``); unsynced ones never show."""
        with self._lock:
            start = max(0, hseq)
            stop = min(self.last_hseq, start + max(0, limit))
        return self._decoded(start, stop)  # durable records never change: no lock needed

    def _decoded(self, start: int, stop: int) -> list[dict]:
        """Records of hseq ``start+1 .. stop``, read back from the journal."""
        if stop <= start:
            return []
        return [json.loads(text) for text in self.store.record_texts(start, stop)]

    def _event_dict(self, event_id: str) -> dict | None:
        """A logged primary event (also one written but not yet durable: callers wait)."""
        hseq = self._events.get(event_id)
        if hseq is None:
            return None
        return json.loads(self.store.record_texts(hseq - 1, hseq)[0])["event"]

    def wait_for(self, hseq: int, timeout: float) -> bool:
        """Block until ``last_hseq > hseq`` or ``timeout`` seconds pass; True if it happened."""
        with self._cond:
            return self._cond.wait_for(lambda: self.last_hseq > hseq, timeout=max(0.0, timeout))

    def add_listener(self, fn: Listener) -> None:
        """``fn(records)`` runs once records are durable (in hseq order, each record once,
        a group commit's records together), under the lock: keep it quick."""
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def has_req(self, req: str) -> bool:
        """Whether a request with this ``req`` was already carried out (a retry)."""
        with self._lock:
            return req in self._reqs or self._known.req_of_closed_day(req)

    def event(self, event_id: str) -> dict | None:
        return self._decide(self._event_dict, event_id)

    def ticket_by_public(self, public: str) -> dict | None:
        """A ticket by its public id (the status page), under the lock, once durable."""

        def lookup() -> dict | None:
            ticket = self.state.ticket_by_public(public)
            return None if ticket is None else ticket.to_dict()

        return self._decide(lookup)

    def hub_time(self) -> dict:
        with self._lock:
            return {"hub_ms": self.clock.wall_ms(), "hub_hlc": self.hlc.now()}

    # -- commands (bodies in hub.operations) ---------------------------------------------

    def issue_status(
        self, req, service, kiosk, priority=0, public=None, category=None
    ) -> tuple[int, dict]:
        """``(201, body)`` for a new ticket, ``(200, same body)`` for a repeated ``req``."""
        return self._decide(operations.issue, self, req, service, kiosk, priority, public, category)

    def issue(self, req, service, kiosk, priority=0, public=None, category=None) -> dict:
        return self.issue_status(req, service, kiosk, priority, public, category)[1]

    def counter_command(self, counter_id: str, action: str, req: str, **kw: Any) -> dict:
        return self._decide(operations.counter_command, self, counter_id, action, req, **kw)

    def grant_lease(self, req: str, kiosk: str, service: str) -> dict:
        return self._decide(operations.grant_lease, self, req, kiosk, service)

    # -- sync push ----------------------------------------------------------------------------

    def push(
        self, node: str, inc: str, hub_epoch_seen: str | None, events: list, *, auth_node=None
    ) -> dict:
        """Insert-if-absent in causal order; answers only after the commit (notes §5.3)."""
        if auth_node is not None and auth_node != node:
            raise Refused("forbidden_node", f"this token belongs to {auth_node!r}", 403)
        if not identity.may_push(self.state.catalogue, node):
            raise Refused("unknown_node", f"{node!r} is not a node of the catalogue", 404)

        def decide() -> dict:
            stale = hub_epoch_seen is not None and hub_epoch_seen != self.epoch
            rejected: list[dict] = []
            fresh: list[Event] = []
            conflicts: list[str] = []
            pushed: set[str] = set()  # this push's ids: a re-push of a held one is held again
            batch: dict[str, dict] = {}  # accepted so far in this push (a lease, an issue)
            texts: dict[str, str] = {}  # their canonical texts, made once
            ctx = pushcheck.Context(
                self.state.catalogue,
                self.today(),
                lambda eid: self._find(eid, batch),
                self.state.bookings,
                {
                    e.body.get("booking")
                    for e in self.gate.held.values()
                    if e.type == "ticket.issued" and e.body.get("booking")
                },
                withdrawn=self._withdrawn.allows,
            )
            for raw in events:
                reason = pushcheck.hub_only(raw)
                event, reason = (None, reason) if reason else parse_pushed(raw)
                if event is None:
                    rid = raw.get("id") if isinstance(raw, dict) else None
                    self._reject(node, rid, raw, reason, rejected, own=False)
                    continue
                pushed.add(event.id)
                text = canonical(event)
                known = self._known.digest(event.id)
                if known is None and event.id in self.gate.held:
                    known = digest(canonical(self.gate.held[event.id]))
                if known is not None and known != digest(text):
                    conflicts.append(event.id)
                    continue
                if known is not None or self._known.of_closed_day(event.id):
                    continue  # already logged (or held): pushing it again changes nothing
                reason = self._push_refusal(ctx, node, event, text, raw)
                if reason is not None:
                    # A push made against an earlier epoch (the node has not yet seen a
                    # restore) may name what the restore lost, e.g. its lease: answered, but
                    # its seq is not used up, so the re-push the node makes once it sees the
                    # new epoch (carries first) is judged again and an honest ticket lands.
                    own = event.origin == node and not stale
                    self._reject(node, event.id, raw, reason, rejected, own=own)
                    if own:
                        self.gate.skip(event.origin, event.inc, event.seq)
                    continue
                fresh.append(event)
                batch[event.id] = event.to_dict()
                texts[event.id] = text
            if conflicts:
                log.error("ALARM push from %s: same id, different body: %s", node, conflicts)
                raise Refused(
                    "id_conflict",
                    "events with these ids are already logged with a different body",
                    409,
                    ids=conflicts,
                )
            self.gate.hold(fresh)
            ready = self.gate.releasable(lambda eid: eid in self._known, self._dep_gone)
            if ready:
                self._commit(ready, texts)
            held = sorted(
                eid for eid, e in self.gate.held.items() if eid in pushed or e.origin == node
            )
            return {
                "hub_epoch": self.epoch,
                "acked_through": self.gate.acked_through(node, inc),
                "held": held,
                "rejected": rejected,
            }

        answer = self._decide(decide)
        with self._lock:  # after the fsync: a failed push must not pass the barrier
            now = self.clock.wall_ms()
            self._touch(node, now, push_ms=now, inc=inc, hub_epoch_seen=hub_epoch_seen)
            if hub_epoch_seen == self.epoch:
                self._barrier.pushed(node)
        return answer

    def _push_refusal(
        self, ctx: pushcheck.Context, node: str, event: Event, text: str, raw: Any
    ) -> str | None:
        """Why ``node`` may not push this (unknown) event, or None (``hub.pushcheck``)."""
        reason = pushcheck.envelope(event, text)
        if reason is not None:
            return reason
        if event.origin == "hub" and event.inc == self.epoch:
            # This epoch's hub events are all in the log; an unknown one is forged.
            return "foreign_hub_event: not made by this hub in its current epoch"
        if receipts.verify(self._receipt_key, text, raw):
            return None  # logged by this hub before (a carry after a restore)
        return pushcheck.check(ctx, node, event)

    def _find(self, event_id: str, batch: dict[str, dict]) -> dict | None:
        """An event by id: earlier in this push, held at the gate, or logged."""
        if event_id in batch:
            return batch[event_id]
        if event_id in self.gate.held:
            return self.gate.held[event_id].to_dict()
        return self._event_dict(event_id)

    def _reject(
        self, node: str, eid: Any, raw: Any, reason: str, out: list[dict], *, own: bool
    ) -> None:
        """Answer the refusal, and keep it for the admin's device page (RAM, bounded).

        Only a node's *own* refused ids count as never coming (``_dep_gone``): a refused
        forgery under another node's id must not release what waits for the real event.
        """
        out.append({"id": eid, "reason": reason})
        if own and isinstance(eid, str):
            self._rejected_ids.add(eid)
            if len(self._rejected_ids) > 100_000:
                self._rejected_ids.clear()  # only a hint for releasing held events
        etype = raw.get("type") if isinstance(raw, dict) else None
        self.rejections.appendleft(
            {
                "node": node,
                "id": eid if isinstance(eid, str) else None,
                "type": etype if isinstance(etype, str) else None,
                "reason": reason,
                "at_ms": self.clock.wall_ms(),
            }
        )
        log.warning("push from %s: rejected %s: %s", node, eid, reason)

    # -- nodes and the recovery barrier ---------------------------------------------------------

    def touch(self, node_id: str) -> None:
        """Note that an authenticated node talked to us (cheap; persisted in batches)."""
        with self._lock:
            self._touch(node_id, self.clock.wall_ms())

    def _touch(self, node_id: str, now: int, **fields: Any) -> None:
        seen = self._seen.setdefault(node_id, {})
        seen["last_seen_ms"] = now
        seen.update({k: v for k, v in fields.items() if v is not None})
        if now - self._seen_flushed_ms >= SEEN_FLUSH_MS:
            self._seen_flushed_ms = now
            try:
                self.store.save_node_seen(
                    {k: {"last_seen_ms": v["last_seen_ms"]} for k, v in self._seen.items()}
                )
            except OSError:
                log.warning("could not persist node last-seen times", exc_info=True)

    def node_status(self) -> list[dict]:
        return self._decide(self._node_status)

    def _node_status(self) -> list[dict]:
        paired = {n["id"]: n for n in self.store.nodes()}
        kiosks = identity.kiosk_ids(self.state.catalogue)
        origins = {o for (o, _inc) in self.gate.acked if o != "hub"}
        out = []
        for node_id in sorted(set(paired) | kiosks | origins | set(self._seen)):
            doc, seen = paired.get(node_id, {}), self._seen.get(node_id, {})
            out.append(
                {
                    "id": node_id,
                    # An operator/API token is no device: pages must not show it "offline".
                    "kind": doc.get("kind")
                    or (
                        "device"
                        if identity.is_device(self.state.catalogue, node_id)
                        else "operator"
                    ),
                    "role": doc.get("role") or identity.device_role(self.state.catalogue, node_id),
                    "paired": node_id in paired,
                    "paired_ms": doc.get("paired_ms"),
                    "kiosk": node_id in kiosks,
                    "last_seen_ms": seen.get("last_seen_ms", doc.get("last_seen_ms")),
                    "last_push_ms": seen.get("push_ms"),
                    "hub_epoch_seen": seen.get("hub_epoch_seen"),
                    "acked_through": {
                        inc: n for (o, inc), n in self.gate.acked.items() if o == node_id
                    },
                    "held": sum(1 for e in self.gate.held.values() if e.origin == node_id),
                    "barrier_pending": self._barrier.holds(node_id),
                    "rejected": [r for r in self.rejections if r["node"] == node_id][:5],
                }
            )
        return out

    def barrier(self) -> list[str] | None:
        """Kiosks that must still push in this epoch before online numbers resume (or None)."""
        with self._lock:
            return self._barrier.waiting_for()

    def _dep_gone(self, dep: str) -> bool:
        """An event that will never be logged: refused at push, or a past epoch's hub event
        that no node holds any more (a ghost whose replies were all lost; hub.barrier). An
        event waiting for it is released (the fold answers it with a notice)."""
        return dep in self._rejected_ids or self._barrier.past_hub_event_gone(dep)

    def lift_barrier(self, by: str) -> None:
        """An admin ends the recovery barrier early (e.g. a kiosk is broken for good)."""
        with self._lock:
            self._barrier.lift(by)


__all__ = ["Authority"]
