"""Events: the immutable facts everything else is folded from, and the hub record around them.

An event that fails validation raises ``EventError`` whose message starts with the field path
(``"body.counter: required"``), so a push rejection tells the node exactly what is wrong.
Derived events (``hub:comp:<cause>:<kind>``) are notifications the hub appends next to their
cause; they are never fold inputs (docs/sync.md §4, §8.4 bug 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import EventError
from core.health import STATUSES as DEVICE_STATUSES

_NULL = type(None)


@dataclass(frozen=True)
class BodyField:
    """The schema of one body key: accepted JSON types, plus optional choices or bounds."""

    types: tuple[type, ...]
    optional: bool = False
    choices: tuple[Any, ...] | None = None
    lo: int | None = None
    hi: int | None = None
    items: type | None = None

    def problem(self, value: Any) -> str | None:
        # bool is an int subclass; a JSON true must never pass as a number.
        if isinstance(value, bool) and bool not in self.types:
            return f"expected {self._names()}, got bool"
        if not isinstance(value, self.types):
            return f"expected {self._names()}, got {type(value).__name__}"
        if self.choices is not None and value is not None and value not in self.choices:
            return f"expected one of {', '.join(map(str, self.choices))}, got {value!r}"
        if isinstance(value, int) and not isinstance(value, bool):
            if self.lo is not None and value < self.lo:
                return f"must be >= {self.lo}, got {value}"
            if self.hi is not None and value > self.hi:
                return f"must be <= {self.hi}, got {value}"
        if self.items is not None and isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, self.items) or isinstance(item, bool):
                    return f"[{i}] expected {self.items.__name__}"
        return None

    def _names(self) -> str:
        names = {str: "str", int: "int", bool: "bool", list: "list", dict: "object", _NULL: "null"}
        return "|".join(names.get(t, t.__name__) for t in self.types)


@dataclass(frozen=True)
class EventType:
    """Registry entry: the body schema and whether the event concerns one ticket."""

    name: str
    body: Mapping[str, BodyField]
    derived: bool = False
    needs_ticket: bool = True


def _f(*types: type, **kw: Any) -> BodyField:
    return BodyField(types=types, **kw)


_STR = _f(str)
_COUNTER_ONLY = {"counter": _STR}

# What core.catalogue holds (contract C1); listed here so events need not import it.
CATALOGUE_KINDS = ("mpp", "agency", "service", "counter", "kiosk", "display", "holiday", "closure")
_KIND = _f(str, choices=CATALOGUE_KINDS)
# What an audit.out_of_order records: a specific ticket called out of queue order, a no-show
# recalled after its grace window, a called ticket cancelled, a priority call beyond the rule.
AUDIT_KINDS = ("specific_call", "late_recall", "cancel_called", "priority_beyond_rule")

_PRIMARY: dict[str, dict[str, BodyField]] = {
    "ticket.issued": {
        "service": _STR,
        "number": _f(int, _NULL, lo=1),
        "label": _STR,
        "day": _STR,
        "mode": _f(str, choices=("online", "lease", "prefix")),
        "kiosk": _STR,
        "priority": _f(int),
        "lease": _f(str, _NULL),
        # The kiosk makes it, so the ticket's status page works before the hub sees the ticket.
        "public": _f(str, _NULL, optional=True),
        # The priority lane (C3): a catalogue category id; absent or null = normal.
        "category": _f(str, _NULL, optional=True),
        # A check-in of an online booking (core.booking): the code's hash, from booking.made.
        "booking": _f(str, _NULL, optional=True),
    },
    "ticket.called": {
        "counter": _STR,
        "expect_service": _STR,
        "mode": _f(str, choices=("online", "offline")),
    },
    "ticket.recalled": _COUNTER_ONLY,
    "ticket.skipped": _COUNTER_ONLY,
    "ticket.done": _COUNTER_ONLY,
    # first: put first in the target queue (else the visitor keeps their place)
    "ticket.transferred": {"counter": _STR, "to": _STR, "first": _f(bool, optional=True)},
    "ticket.cancelled": {"by": _STR, "reason": _STR},
    "ticket.rated": {"counter": _STR, "score": _f(int, lo=1, hi=4)},
    # The SKM questionnaire (core.skm) of a served ticket: nine answers 1..4 (U1..U9), the
    # optional respondent fields; ``via`` = "status" (the visitor's phone) or the device id.
    "survey.answered": {
        "answers": _f(list, items=int),
        "respondent": _f(dict, _NULL, optional=True),
        "via": _f(str, optional=True),
    },
    "lease.granted": {
        "kiosk": _STR,
        "service": _STR,
        "day": _STR,
        "lo": _f(int, lo=1),
        "hi": _f(int, lo=1),
    },
    "lease.released": {"kiosk": _STR, "service": _STR, "day": _STR},
    "roster.updated": {"counter": _STR, "services": _f(list, items=str), "open": _f(bool)},
    "node.hello": {"boot_id": _STR, "mono_ms": _f(int), "wall_ms": _f(int)},
    # value = the whole entity (never a patch), checked by core.catalogue before the hub
    # writes it; by = the user who changed it ("profile" for the seed).
    "catalogue.set": {"kind": _KIND, "id": _STR, "value": _f(dict), "by": _STR},
    "catalogue.retired": {"kind": _KIND, "id": _STR, "by": _STR},
    # A device's status changed (contract C4; core.health has the words). The hub writes it
    # from a heartbeat, only on a change, so a fault is audited and reaches every SSE page.
    "device.status": {
        "node": _STR,
        "device": _STR,
        "status": _f(str, choices=DEVICE_STATUSES),
        "detail": _STR,
    },
    # An offline counter paused or resumed itself (a button hold); online the hub writes a
    # roster.updated instead. The fold honours either for that counter.
    "counter.paused": _COUNTER_ONLY,
    "counter.resumed": _COUNTER_ONLY,
    # Every out-of-order call, with who and why (issue 9 item 6: anti-pungli transparency).
    # counter: where it happened (null: no counter, e.g. a cancel from the admin).
    "audit.out_of_order": {
        "kind": _f(str, choices=AUDIT_KINDS),
        "counter": _f(str, _NULL),
        "by": _STR,
        "reason": _STR,
    },
    # The hall screens' running text line, for every screen (zone null) or one zone's;
    # "" clears it. Set by a supervisor in the admin (hub.hall_admin).
    "hall.running_text": {"text": _STR, "zone": _f(str, _NULL), "by": _STR},
    # Staff asked this kiosk to print its last ticket again (the admin, hub.admin_floor); the
    # kiosk acts on one newer than its boot. No state: the fold passes it by.
    "kiosk.reprint": {"kiosk": _STR, "by": _STR},
    # An online booking pulled down from the regional server (hub.upstream); session null =
    # the whole day. Only the code's hash travels: the citizen holds the code.
    "booking.made": {
        "code_hash": _STR,
        "service": _STR,
        "date": _STR,
        "session": _f(str, _NULL),
        # released (no check-in any more) after this time: session start + grace, or closing
        "expires_ms": _f(int, optional=True),
    },
    # The service day is over (hub.day_close): its leftover live tickets end as not served
    # and the whole day leaves the live state (its records stay in the journal and archive).
    "day.closed": {
        "day": _STR,
        "not_served": _f(list, items=str),
        "summary": _f(dict),
        "by": _STR,
    },
}
_NO_TICKET = {
    "lease.granted",
    "lease.released",
    "roster.updated",
    "node.hello",
    "clock.skew",
    "catalogue.set",
    "catalogue.retired",
    "device.status",
    "counter.paused",
    "counter.resumed",
    "hall.running_text",
    "kiosk.reprint",
    "booking.made",
    "day.closed",
}
# Only the hub writes these (the catalogue and the live roster, contract C1): an event of
# another origin is malformed wherever it appears, and a push of one is refused (hub.pushcheck).
HUB_ONLY_TYPES = frozenset(
    {
        "catalogue.set",
        "catalogue.retired",
        "roster.updated",
        "device.status",
        "audit.out_of_order",
        "hall.running_text",
        "kiosk.reprint",
        "booking.made",
        "day.closed",
        "survey.answered",
    }
)

_DERIVED: dict[str, dict[str, BodyField]] = {
    "call.superseded": {
        "call": _STR,
        "counter": _STR,
        "winner": _f(str, _NULL),
        "ticket": _STR,
    },
    "call.retracted": {"call": _STR, "counter": _STR, "ticket": _STR},
    "transfer.rejected": {"event": _STR, "counter": _STR, "ticket": _STR},
    "ticket.void_ghost": {"ticket": _STR, "req": _f(str, _NULL)},
    "anomaly.double_service": {"ticket": _STR, "first": _STR, "second": _STR},
    "rating.rejected": {"event": _STR, "reason": _STR},
    "clock.skew": {"node": _STR, "skew_ms": _f(int)},
}

PRIMARY_TYPES: frozenset[str] = frozenset(_PRIMARY)
DERIVED_TYPES: frozenset[str] = frozenset(_DERIVED)
EVENT_TYPES: dict[str, EventType] = {
    **{
        name: EventType(name, body, derived=False, needs_ticket=name not in _NO_TICKET)
        for name, body in _PRIMARY.items()
    },
    **{
        # A derived event names its ticket in the body; the envelope may carry it too.
        name: EventType(name, body, derived=True, needs_ticket=False)
        for name, body in _DERIVED.items()
    },
}

DERIVED_ORIGIN = "hub"
DERIVED_INC = "comp"


def event_id(origin: str, inc: str, seq: int) -> str:
    """The id of a primary event: gapless per (origin, incarnation)."""
    return f"{origin}:{inc}:{seq}"


def derived_id(cause_id: str, kind: str) -> str:
    """Deterministic id of a compensation event, so re-deriving at start-up is idempotent."""
    return f"{DERIVED_ORIGIN}:{DERIVED_INC}:{cause_id}:{kind}"


def is_derived_id(eid: str) -> bool:
    return eid.startswith(f"{DERIVED_ORIGIN}:{DERIVED_INC}:")


@dataclass(frozen=True, kw_only=True)
class Event:
    """One immutable fact. ``body`` and ``clock`` are shared dicts: treat them as read-only."""

    v: int = 1
    id: str
    origin: str
    inc: str
    seq: int
    type: str
    ticket: str | None = None
    req: str | None = None
    deps: tuple[str, ...] = ()
    hlc: str = ""
    clock: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)

    @property
    def is_derived(self) -> bool:
        return self.type in DERIVED_TYPES

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "id": self.id,
            "origin": self.origin,
            "inc": self.inc,
            "seq": self.seq,
            "type": self.type,
            "ticket": self.ticket,
            "req": self.req,
            "deps": list(self.deps),
            "hlc": self.hlc,
            "clock": dict(self.clock),
            "body": dict(self.body),
        }

    @classmethod
    def from_dict(cls, d: Any) -> Event:
        """Parse and validate; raises ``EventError`` naming the first bad field."""
        if not isinstance(d, Mapping):
            raise EventError(f"event: expected object, got {type(d).__name__}")
        for key in ("id", "origin", "inc", "type"):
            _need(d, key, str)
        seq = _need(d, "seq", int)
        v = d.get("v", 1)
        if v != 1:
            raise EventError(f"v: unsupported version {v!r}")
        deps = d.get("deps", [])
        if not isinstance(deps, list | tuple) or not all(isinstance(x, str) for x in deps):
            raise EventError("deps: expected list of str")
        for key in ("ticket", "req"):
            if d.get(key) is not None and not isinstance(d[key], str):
                raise EventError(f"{key}: expected str|null")
        hlc = d.get("hlc", "")
        if not isinstance(hlc, str):
            raise EventError("hlc: expected str")
        clock = d.get("clock", {})
        if not isinstance(clock, Mapping):
            raise EventError("clock: expected object")
        body = d.get("body", {})
        if not isinstance(body, Mapping):
            raise EventError("body: expected object")
        event = cls(
            v=1,
            id=d["id"],
            origin=d["origin"],
            inc=d["inc"],
            seq=seq,
            type=d["type"],
            ticket=d.get("ticket"),
            req=d.get("req"),
            deps=tuple(deps),
            hlc=hlc,
            clock=dict(clock),
            body=dict(body),
        )
        validate(event)
        return event


def _need(d: Mapping, key: str, typ: type) -> Any:
    if key not in d or d[key] is None:
        raise EventError(f"{key}: required")
    value = d[key]
    if not isinstance(value, typ) or isinstance(value, bool):
        raise EventError(f"{key}: expected {typ.__name__}, got {type(value).__name__}")
    return value


def validate(event: Event) -> None:
    """Check an event against the registry; raises ``EventError`` with the field path."""
    etype = EVENT_TYPES.get(event.type)
    if etype is None:
        raise EventError(f"type: unknown event type {event.type!r}")
    if etype.derived:
        if not is_derived_id(event.id):
            raise EventError(f"id: a derived event id starts with 'hub:comp:', got {event.id!r}")
    else:
        if event.seq < 1:
            raise EventError(f"seq: must be >= 1, got {event.seq}")
        if event.id != event_id(event.origin, event.inc, event.seq):
            raise EventError(f"id: must be origin:inc:seq, got {event.id!r}")
    if etype.needs_ticket and not event.ticket:
        raise EventError("ticket: required")
    for key in ("wall_ms", "mono_ms"):
        if key in event.clock and (
            not isinstance(event.clock[key], int) or isinstance(event.clock[key], bool)
        ):
            raise EventError(f"clock.{key}: expected int")
    for key, spec in etype.body.items():
        if key not in event.body:
            if spec.optional:
                continue
            raise EventError(f"body.{key}: required")
        problem = spec.problem(event.body[key])
        if problem:
            raise EventError(f"body.{key}: {problem}")
    _check_consistency(event)


def _check_consistency(event: Event) -> None:
    body = event.body
    if event.type in HUB_ONLY_TYPES and event.origin != DERIVED_ORIGIN:
        raise EventError(f"origin: {event.type} is written by the hub only, got {event.origin!r}")
    if event.type == "ticket.issued":
        expected = f"{body['day']}/{body['label']}"
        if event.ticket != expected:
            raise EventError(f"ticket: must be body.day/body.label ({expected!r})")
        if (body["number"] is None) != (body["mode"] == "prefix"):
            raise EventError("body.number: null exactly when mode is 'prefix'")
        if body.get("category") is not None and body["priority"] >= 0:
            # The order key lists the priority lane first by this number (core.priority).
            raise EventError("body.priority: must be negative when body.category is set")
    elif event.type == "lease.granted" and body["lo"] > body["hi"]:
        raise EventError("body.hi: must be >= body.lo")


def make_event(
    origin: str,
    inc: str,
    seq: int,
    type: str,
    *,
    ticket: str | None = None,
    req: str | None = None,
    deps: tuple[str, ...] | list[str] = (),
    hlc: str = "",
    clock: Mapping[str, Any] | None = None,
    body: Mapping[str, Any],
) -> Event:
    """Build and validate a primary event (the id is derived from origin, inc and seq)."""
    event = Event(
        id=event_id(origin, inc, seq),
        origin=origin,
        inc=inc,
        seq=seq,
        type=type,
        ticket=ticket,
        req=req,
        deps=tuple(deps),
        hlc=hlc,
        clock=dict(clock or {}),
        body=dict(body),
    )
    validate(event)
    return event


def make_derived(cause: Event, kind: str, type: str, body: Mapping[str, Any]) -> Event:
    """A compensation event caused by ``cause``; ``kind`` is unique among that cause's."""
    event = Event(
        id=derived_id(cause.id, kind),
        origin=DERIVED_ORIGIN,
        inc=DERIVED_INC,
        seq=0,
        type=type,
        ticket=body.get("ticket"),
        deps=(cause.id,),
        hlc=cause.hlc,
        body=dict(body),
    )
    validate(event)
    return event


@dataclass(frozen=True)
class Record:
    """An event as the hub logged it: ``hseq`` is the fold order everywhere."""

    hseq: int
    recv_ms: int
    est_ms: int
    event: Event

    def to_dict(self) -> dict[str, Any]:
        return make_record(self.hseq, self.recv_ms, self.est_ms, self.event)


def make_record(hseq: int, recv_ms: int, est_ms: int, event: Event) -> dict[str, Any]:
    """The journal / changes-feed form of one hub-logged event."""
    return {"hseq": hseq, "recv_ms": recv_ms, "est_ms": est_ms, "event": event.to_dict()}


def parse_record(d: Any) -> Record:
    """Validate a hub record dict; ``EventError`` paths are prefixed with ``event.``."""
    if not isinstance(d, Mapping):
        raise EventError(f"record: expected object, got {type(d).__name__}")
    for key in ("hseq", "recv_ms", "est_ms"):
        _need(d, key, int)
    if d["hseq"] < 1:
        raise EventError(f"hseq: must be >= 1, got {d['hseq']}")
    if d.get("event") is None:
        raise EventError("event: required")
    try:
        event = Event.from_dict(d["event"])
    except EventError as exc:
        raise EventError(f"event.{exc}") from None
    return Record(d["hseq"], d["recv_ms"], d["est_ms"], event)
