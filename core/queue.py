"""The queue as a pure fold over the hub's log, and the queries displays and counters need.

Hub, counter nodes and hall displays all run this same code over the same records in ``hseq``
order, so they compute the same state; a counter's LED is ``counter_view()`` and nothing else
(docs/sync.md §8.4 bug 9). The rules themselves live in ``core.fold_rules``.

A node applies its own not-yet-acknowledged events on top of the hub log with ``hseq=None``:
they get a tentative placement after every hub-ordered event (see ``TENTATIVE_HSEQ``).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from core import fold_rules, priority
from core.catalogue import Catalogue
from core.catalogue_values import PriorityRule
from core.errors import EventError
from core.events import Event, parse_record
from core.fold_rules import TRANSITIONS, Step
from core.model import LIVE_STATES, Counter, CounterState, Ticket, TicketStatus

__all__ = [
    "TRANSITIONS",
    "CounterState",
    "QueueState",
    "choose_next",
    "fold",
    "residues",
]

# How many of a service's latest service times the capacity estimate averages.
RECENT_SERVICE_TIMES = 10

# Tentative (not yet hub-sequenced) events sort after every real hseq but stay JSON-able ints.
TENTATIVE_HSEQ = 10**15
# QueueState.dump()'s format: a node refuses a base (or a hub snapshot) of another version.
DUMP_VERSION = 1

_WAITING = TicketStatus.WAITING


class QueueState:
    """The folded queue. Mutable, owned by one thread; ``copy()`` to hand a view elsewhere.

    ``catalogue`` (``core.catalogue.Catalogue``, immutable) is folded from ``catalogue.*``
    events. A node may start from a cached one (``catalogue=``): log records at or below its
    ``hseq`` are then already in it. ``roster`` seeds counters' services the older way (a
    catalogue's counters seed them too); ``roster.updated`` and ``catalogue.set`` override.
    """

    def __init__(self, roster: Iterable[Counter] = (), catalogue: Catalogue | None = None) -> None:
        self.tickets: dict[str, Ticket] = {}
        self.catalogue: Catalogue = catalogue if catalogue is not None else Catalogue()
        self.counters: dict[str, CounterState] = {
            c.id: CounterState(id=c.id, services=tuple(c.services))
            for c in (*self.catalogue.counters.values(), *roster)
        }
        self.rejections: list[dict[str, Any]] = []
        self.recent_calls: list[dict[str, Any]] = []
        self.leases: dict[str, dict[str, Any]] = {}
        # node id -> device -> {status, detail, hseq, at_ms}: the last device.status of each
        self.devices: dict[str, dict[str, dict[str, Any]]] = {}
        # The hall's running text by zone ("*" = every screen), from hall.running_text.
        self.running_text: dict[str, str] = {}
        # code hash -> {service, date, session, ticket (the check-in's key or None)}
        self.bookings: dict[str, dict[str, Any]] = {}
        self.last_hseq = 0
        # counter -> (lane of its last call, calls in a row): the priority rule's memory.
        self.lanes: dict[str, priority.Run] = {}
        # service -> the latest service times (ms, newest last): capacity estimates.
        self.service_times: dict[str, list[int]] = {}
        # req -> ticket key of online (hub-issued) / printed (lease, prefix) tickets: ghosts.
        self.online_reqs: dict[str, str] = {}
        self.printed_reqs: dict[str, str] = {}
        # req -> id of the hub's online call; call id -> ticket key: ghost-call retraction.
        self.online_calls: dict[str, str] = {}
        self.call_tickets: dict[str, str] = {}
        self._max_number: dict[tuple[str, str], int] = {}
        self._tentative = 0
        # Indexes kept in step by put() (the fold's only way to store a ticket), so that no
        # query a command makes scans every ticket of the day:
        # (day, service) -> sorted [(order, key)] of its waiting tickets (queue order);
        # public id -> ticket key; status -> number of tickets.
        self._waiting: dict[tuple[str, str], list[tuple[tuple, str]]] = {}
        self._by_public: dict[str, str] = {}
        self._counts: dict[str, int] = {str(s): 0 for s in TicketStatus}
        # Service days ended by ``day.closed``: their tickets left this state for the archive.
        self.closed_days: set[str] = set()

    # -- applying ---------------------------------------------------------------------------

    def apply(
        self, record: Mapping[str, Any] | Event, hseq: int | None = None, est_ms: int | None = None
    ) -> list[Event]:
        """Apply one event in hub order; return the derived events it causes.

        ``record`` is a hub record dict, an event dict or an ``Event``; explicit ``hseq`` and
        ``est_ms`` override the record's. Derived events are notifications, never inputs:
        they return ``[]`` and change nothing (§8.4 bug 1). Malformed input raises
        ``EventError``; an illegal transition never raises.
        """
        if isinstance(record, Event):
            event = record
        elif isinstance(record, Mapping) and "event" in record:
            rec = parse_record(record)
            event = rec.event
            hseq = rec.hseq if hseq is None else hseq
            est_ms = rec.est_ms if est_ms is None else est_ms
        elif isinstance(record, Mapping):
            event = Event.from_dict(record)
        else:
            raise EventError(f"record: expected object or Event, got {type(record).__name__}")
        if hseq is not None:
            self.last_hseq = max(self.last_hseq, hseq)
        if event.is_derived:
            return []
        if hseq is None:
            self._tentative += 1
            hseq = TENTATIVE_HSEQ + self._tentative
        if event.ticket and event.ticket.split("/", 1)[0] in self.closed_days:
            # A late event of a closed day (a node offline past closing): logged, not folded.
            self.rejections.append({"event": event.id, "type": event.type, "reason": "day_closed"})
            return []
        if est_ms is None:
            # Without the hub's anchored estimate, the event's own wall clock is the best guess.
            est_ms = int(event.clock.get("wall_ms", 0))
        step = Step(event=event, hseq=hseq, est_ms=est_ms)
        fold_rules.HANDLERS[event.type](self, step)
        return step.out

    def copy(self) -> QueueState:
        other = QueueState()
        other.tickets = dict(self.tickets)
        other.catalogue = self.catalogue  # immutable: shared
        other.counters = dict(self.counters)
        other.rejections = list(self.rejections)
        other.recent_calls = list(self.recent_calls)
        other.leases = {k: dict(v) for k, v in self.leases.items()}
        other.devices = {k: dict(v) for k, v in self.devices.items()}
        other.running_text = dict(self.running_text)
        other.bookings = {k: dict(v) for k, v in self.bookings.items()}
        other.last_hseq = self.last_hseq
        other.lanes = dict(self.lanes)
        other.service_times = {k: list(v) for k, v in self.service_times.items()}
        other.online_reqs = dict(self.online_reqs)
        other.printed_reqs = dict(self.printed_reqs)
        other.online_calls = dict(self.online_calls)
        other.call_tickets = dict(self.call_tickets)
        other._max_number = dict(self._max_number)
        other._tentative = self._tentative
        other._waiting = {k: list(v) for k, v in self._waiting.items()}
        other._by_public = dict(self._by_public)
        other._counts = dict(self._counts)
        other.closed_days = set(self.closed_days)
        return other

    def dump(self) -> dict[str, Any]:
        """The hub-ordered state as JSON, what :meth:`load` rebuilds exactly: a node's base
        once it dropped the records before a daily close, and the hub's snapshot a new node
        starts from. Only a state without tentative (own, unsequenced) events is dumped."""
        if self._tentative:
            raise EventError("a state with tentative events is a view, not a base: not dumped")
        return {
            "v": DUMP_VERSION,
            "last_hseq": self.last_hseq,
            "catalogue": self.catalogue.image(),
            "tickets": [t.to_dict() for t in self.tickets.values()],
            "counters": [cs.to_dict() for cs in self.counters.values()],
            "rejections": [dict(r) for r in self.rejections],
            "recent_calls": [dict(r) for r in self.recent_calls],
            "leases": {k: dict(v) for k, v in self.leases.items()},
            "devices": {k: dict(v) for k, v in self.devices.items()},
            "running_text": dict(self.running_text),
            "bookings": {k: dict(v) for k, v in self.bookings.items()},
            "lanes": {k: list(v) for k, v in self.lanes.items()},
            "service_times": {k: list(v) for k, v in self.service_times.items()},
            "online_reqs": dict(self.online_reqs),
            "printed_reqs": dict(self.printed_reqs),
            "online_calls": dict(self.online_calls),
            "call_tickets": dict(self.call_tickets),
            "numbers": [[d, s, n] for (d, s), n in self._max_number.items()],
            "closed_days": sorted(self.closed_days),
        }

    @classmethod
    def load(cls, d: Mapping[str, Any]) -> QueueState:
        """The state :meth:`dump` wrote; EventError when it is not one (another version)."""
        if not isinstance(d, Mapping) or d.get("v") != DUMP_VERSION:
            raise EventError(f"not a queue state dump of version {DUMP_VERSION}")
        try:
            st = cls(catalogue=Catalogue.from_image(d["catalogue"]))
            st.counters = {
                c["id"]: CounterState(**{**c, "services": tuple(c["services"])})
                for c in d["counters"]
            }
            for t in d["tickets"]:
                st.put(_ticket(t))
            st.rejections = [dict(r) for r in d["rejections"]]
            st.recent_calls = [dict(r) for r in d["recent_calls"]]
            st.leases = {k: dict(v) for k, v in d["leases"].items()}
            st.devices = {k: dict(v) for k, v in d["devices"].items()}
            st.running_text = dict(d["running_text"])
            st.bookings = {k: dict(v) for k, v in d["bookings"].items()}
            st.lanes = {k: (str(v[0]), int(v[1])) for k, v in d["lanes"].items()}
            st.service_times = {k: [int(x) for x in v] for k, v in d["service_times"].items()}
            st.online_reqs = dict(d["online_reqs"])
            st.printed_reqs = dict(d["printed_reqs"])
            st.online_calls = dict(d["online_calls"])
            st.call_tickets = dict(d["call_tickets"])
            for day, service, n in d["numbers"]:
                st.note_number(day, service, int(n))
            st.closed_days = set(d["closed_days"])
            st.last_hseq = int(d["last_hseq"])
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise EventError(f"queue state dump: {exc!r}") from exc
        return st

    def drop_day(self, day: str) -> list[str]:
        """Forget every ticket of service day ``day`` (``day.closed``) and what points at
        them; returns the keys of those that were still live, in queue order."""
        prefix = f"{day}/"
        gone = {k: t for k, t in self.tickets.items() if t.day == day}
        live = sorted((t for t in gone.values() if t.status in LIVE_STATES), key=_queue_order)
        for key, t in gone.items():
            del self.tickets[key]
            self._counts[t.status] -= 1
            if t.public is not None and self._by_public.get(t.public) == key:
                del self._by_public[t.public]
        for where in [w for w in self._waiting if w[0] == day]:
            del self._waiting[where]
        for where in [w for w in self._max_number if w[0] == day]:
            del self._max_number[where]
        for index in (self.online_reqs, self.printed_reqs, self.call_tickets):
            for k in [k for k, v in index.items() if v.startswith(prefix)]:
                del index[k]
        calls = set(self.call_tickets)
        for k in [k for k, v in self.online_calls.items() if v not in calls]:
            del self.online_calls[k]
        for k in [k for k, v in self.leases.items() if v.get("day") == day]:
            del self.leases[k]
        self.recent_calls[:] = [r for r in self.recent_calls if r.get("ticket") not in gone]
        for cid, cs in self.counters.items():
            if cs.current in gone or cs.last_done in gone:
                self.counters[cid] = replace(
                    cs,
                    current=None if cs.current in gone else cs.current,
                    call_id=None if cs.current in gone else cs.call_id,
                    label=None if cs.current in gone else cs.label,
                    last_done=None if cs.last_done in gone else cs.last_done,
                )
        self.closed_days.add(day)
        return [t.key for t in live]

    def put(self, ticket: Ticket) -> Ticket:
        """Store ``ticket`` (new or a new version of one) and keep the indexes in step."""
        old = self.tickets.get(ticket.key)
        self.tickets[ticket.key] = ticket
        if old is None:
            if ticket.public is not None:
                self._by_public.setdefault(ticket.public, ticket.key)
        else:
            self._counts[old.status] -= 1
        self._counts[ticket.status] += 1
        if old is not None and old.status == _WAITING:
            if ticket.status == _WAITING and (old.order, old.day, old.service) == (
                ticket.order,
                ticket.day,
                ticket.service,
            ):
                return ticket
            where = (old.day, old.service)
            queue = self._waiting[where]
            del queue[bisect_left(queue, (old.order, old.key))]
            if not queue:
                del self._waiting[where]
        if ticket.status == _WAITING:
            insort(
                self._waiting.setdefault((ticket.day, ticket.service), []),
                (ticket.order, ticket.key),
            )
        return ticket

    # -- helpers the rules use --------------------------------------------------------------

    def counter(self, counter_id: str) -> CounterState:
        """The counter's state, created on first mention (a call before any roster event)."""
        cs = self.counters.get(counter_id)
        if cs is None:
            cs = self.counters[counter_id] = CounterState(id=counter_id)
        return cs

    def note_number(self, day: str, service: str, number: int) -> None:
        key = (day, service)
        self._max_number[key] = max(self._max_number.get(key, 0), number)

    def note_service_time(self, service: str, ms: int) -> None:
        times = self.service_times.setdefault(service, [])
        times.append(max(0, ms))
        del times[:-RECENT_SERVICE_TIMES]

    # -- queries ----------------------------------------------------------------------------

    def service_minutes(self, service: str) -> float | None:
        """Mean of the service's latest service times in minutes (None: none served yet)."""
        times = self.service_times.get(service)
        return sum(times) / len(times) / 60_000 if times else None

    def open_counters(self, service: str) -> int:
        """Open counters serving ``service`` now (the roster's view)."""
        return sum(1 for cs in self.counters.values() if cs.open and service in cs.services)

    def waiting(self, service: str | None = None, day: str | None = None) -> list[Ticket]:
        """Waiting tickets in queue order: ``(priority, est_ms, hseq)``, not by number.

        ``day`` keeps only that service day: the fold has no calendar, so a ticket left
        waiting at closing time stays waiting until someone cancels it.
        """
        services = None if service is None else (service,)
        return list(self.iter_waiting(services, day))

    def iter_waiting(
        self, services: Collection[str] | None = None, day: str | None = None
    ) -> Iterator[Ticket]:
        """Waiting tickets of ``services`` (all if None) in queue order, lazily (a merge of
        the per-(day, service) queues: the first few cost little however long the day)."""
        queues = [
            q
            for (d, s), q in self._waiting.items()
            if (services is None or s in services) and (day is None or d == day)
        ]
        tickets = self.tickets
        if len(queues) == 1:
            return (tickets[key] for _, key in queues[0])
        return (tickets[key] for _, key in heapq.merge(*queues))

    def last_waiting(
        self, services: Collection[str] | None = None, day: str | None = None
    ) -> Ticket | None:
        """The waiting ticket of ``services`` that comes last in queue order (the tail)."""
        tails = [
            q[-1]
            for (d, s), q in self._waiting.items()
            if q and (services is None or s in services) and (day is None or d == day)
        ]
        return self.tickets[max(tails)[1]] if tails else None

    def position(self, key: str) -> int:
        """People ahead of a waiting ticket in its service and day; 0 once it left the queue."""
        t = self.tickets[key]
        if t.status != _WAITING:
            return 0
        return bisect_left(self._waiting[(t.day, t.service)], (t.order, t.key))

    def next_number(self, day: str, service: str) -> int:
        """The one allocator: 1 + the highest number issued or leased that day (§8.4 bug 2)."""
        return self._max_number.get((day, service), 0) + 1

    def counter_view(self, counter_id: str) -> CounterState:
        """What the counter's LED must show."""
        cs = self.counters.get(counter_id)
        return cs if cs is not None else CounterState(id=counter_id, open=False)

    def ticket_by_public(self, public: str) -> Ticket | None:
        key = self._by_public.get(public)
        return None if key is None else self.tickets.get(key)

    def snapshot(self, day: str | None = None) -> dict[str, Any]:
        """JSON-able projection for ``GET /api/v1/state``, the hall board and displays.

        ``day`` lists only that service day's waiting tickets: yesterday's leftovers are not
        in anyone's queue today (they stay in the log and the reports).
        """
        waiting: dict[str, list[dict[str, Any]]] = {}
        for pos_by_service, t in _with_positions(self.waiting(day=day)):
            waiting.setdefault(t.service, []).append(
                {
                    "key": t.key,
                    "label": t.label,
                    "number": t.number,
                    "mode": t.mode,
                    "priority": t.priority,
                    "issued_ms": t.issued_ms,
                    "position": pos_by_service,
                    "public": t.public,
                }
            )
        counts = dict(self._counts)
        return {
            "last_hseq": self.last_hseq,
            "waiting": waiting,
            "counters": {cid: cs.to_dict() for cid, cs in sorted(self.counters.items())},
            "recent_calls": [dict(r) for r in self.recent_calls],
            "counts": counts,
            "running_text": dict(self.running_text),
            "next_number": {
                f"{day}/{service}": n + 1 for (day, service), n in sorted(self._max_number.items())
            },
        }


def _ticket(d: Mapping[str, Any]) -> Ticket:
    return Ticket(
        **{
            **d,
            "status": TicketStatus(d["status"]),
            "order": tuple(d["order"]),
            "callers": frozenset(d["callers"]),
            "transfers": tuple(d["transfers"]),
        }
    )


def _with_positions(tickets: list[Ticket]) -> Iterable[tuple[int, Ticket]]:
    seen: dict[str, int] = {}
    for t in tickets:
        n = seen.get(t.service, 0)
        seen[t.service] = n + 1
        yield n, t


def fold(
    records: Iterable[Mapping[str, Any] | Event], roster: Iterable[Counter] = ()
) -> QueueState:
    """A fresh fold of hub records (the reference the incremental state must equal)."""
    state = QueueState(roster)
    for record in records:
        state.apply(record)
    return state


def choose_away_from_peers(
    state: QueueState, counter_id: str, *, day: str | None = None
) -> Ticket | None:
    """An offline counter's pick when its own residue class has nothing waiting.

    Every other waiting ticket belongs to a peer's class, and a peer calls its class from the
    head, so the ticket a peer reaches last is the tail of the queue: taking it makes a double
    service (both calling one visitor during the outage) as unlikely as it can be. Only for
    offline calling; online the hub calls from the head.
    """
    cs = state.counter_view(counter_id)
    if not cs.open:
        return None
    return state.last_waiting(cs.services, day)


def residues(state: QueueState, counter_id: str) -> dict[str, tuple[int, int]]:
    """Per service of the counter: (my index, n) among the open counters serving it.

    Offline counters call only their residue class, which made offline calls disjoint in the
    simulated outage (docs/sync.md §8.3). The roster comes from ``roster.updated`` events, so
    all counters compute the same classes while their rosters agree.
    """
    me = state.counter_view(counter_id)
    out = {}
    for service in me.services:
        peers = sorted(
            cid for cid, cs in state.counters.items() if cs.open and service in cs.services
        )
        if counter_id in peers:
            out[service] = (peers.index(counter_id), len(peers))
    return out


def _in_class(t: Ticket, residue: tuple[int, int]) -> bool:
    index, n = residue
    # Prefix-mode tickets have no number; their hseq (order[-1]) is just as shared between
    # counters, because a counter only sees another kiosk's tickets through the hub log.
    value = t.number if t.number is not None else t.order[-1]
    return value % n == index


def choose_next(
    state: QueueState,
    counter_id: str,
    residue: tuple[int, int] | Mapping[str, tuple[int, int]] | None = None,
    *,
    day: str | None = None,
    rule: Any = None,
) -> Ticket | None:
    """The ticket this counter should call next, or None (closed counter or nothing waiting).

    Across the counter's services the earliest order key wins within each lane; between the
    priority lane and the normal one the priority ``rule`` decides (``core.priority``; None:
    the catalogue's ``mpp.priority.rule``, else the default), from the calls this counter
    made. ``residue`` restricts the choice to one residue class: a ``(index, n)`` for every
    service, or a mapping per service as ``residues()`` returns; a service missing from the
    mapping is not restricted. ``day`` (the current service day) keeps yesterday's leftovers
    from being called.
    """
    cs = state.counter_view(counter_id)
    if not cs.open:
        return None
    first_priority = None
    for t in state.iter_waiting(cs.services, day):
        r = residue.get(t.service) if isinstance(residue, Mapping) else residue
        if r is not None and not _in_class(t, r):
            continue
        if not priority.is_priority(t):
            # Order keys list the priority lane first: the first normal ticket ends the scan.
            return priority.pick(_rule(state, rule), state.lanes.get(counter_id), first_priority, t)
        if first_priority is None:
            first_priority = t
    return first_priority


def _rule(state: QueueState, rule: Any) -> Any:
    if rule is not None:
        return rule
    mpp = state.catalogue.mpp
    return mpp.priority.rule if mpp is not None else PriorityRule()


def _queue_order(t: Ticket) -> tuple:
    return (t.service, t.order, t.key)
