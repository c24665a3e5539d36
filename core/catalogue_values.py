"""The frozen values of the catalogue, one class per kind, and their JSON form.

A ``catalogue.set`` event carries an entity's *value*: the same keys as the hub profile's
table for that kind (contract C1), without ``id`` (the event names it). ``from_value`` turns
that JSON into the frozen class the fold keeps; ``to_value`` is its inverse, so a catalogue
read back from the log exports to the profile it came from. Agencies, services and counters
extend the ``core.model`` classes, so code written against those keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from core import model
from core.hours import ALWAYS_OPEN, Hours


@dataclass(frozen=True)
class PriorityCategory:
    """A group served first (UU 25/2009 pasal 29), named in both languages."""

    id: str
    name: Mapping[str, str]

    def label(self, lang: str = "id") -> str:
        return self.name.get(lang) or self.name.get("id") or self.id


@dataclass(frozen=True)
class PriorityRule:
    """``max_in_row``: at most ``n`` priority calls in a row while others wait;
    ``one_per``: one priority call per ``n`` normal calls."""

    kind: str = "max_in_row"
    n: int = 2


@dataclass(frozen=True)
class Priority:
    categories: tuple[PriorityCategory, ...] = ()
    rule: PriorityRule = PriorityRule()

    def category(self, category_id: str) -> PriorityCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)


# An mpp value without hours (an older cache, a hand-made catalogue) means always open, as
# a profile without [mpp.hours] does (C1), never "closed every day".
_ALWAYS = Hours.from_json(ALWAYS_OPEN)


@dataclass(frozen=True)
class Mpp:
    """The mall: its name, timezone (the service day), default hours and page language."""

    name: str
    timezone: str = "Asia/Jakarta"
    hours: Hours = _ALWAYS
    running_text: str = ""
    priority: Priority = Priority()
    lang: str = "id"
    # A skipped visitor may still be recalled this long after SKIP; after it the no-show is
    # final (a later recall is an audited out-of-order call at the hub).
    no_show_grace_s: int = 600

    id = "mpp"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Agency(model.Agency):
    zone: str | None = None
    hours: Hours | None = None  # None: the mall's


@dataclass(frozen=True)
class Session:
    """A part of the day with its own quota (``pagi`` 08:00-12:00, 40 numbers)."""

    id: str
    start: str
    end: str
    quota: int


@dataclass(frozen=True)
class Service(model.Service):
    hours: Hours | None = None  # None: the agency's
    sessions: tuple[Session, ...] | None = None
    cutoff_min: int = 0  # stop issuing this many minutes before closing
    capacity_stop: bool = True  # stop issuing when the wait would run past closing
    transfer_to: tuple[str, ...] = ()
    zone: str | None = None
    sla_wait_min: int | None = None  # longest wait before the supervisor is alerted


@dataclass(frozen=True)
class Counter(model.Counter):
    """A configured counter; its *live* services and open flag are the fold's roster."""

    display: str = "7seg"
    zone: str | None = None
    transfer_to: tuple[str, ...] = ()
    transfer_first: bool = False  # put a transferred visitor first (else: keep their place)


@dataclass(frozen=True)
class Kiosk:
    id: str
    name: str
    services: tuple[str, ...] = ()
    lease_size: int = 10
    zone: str | None = None


@dataclass(frozen=True)
class Display:
    """A hall display node; ``services``/``counters`` (None: all) narrow its board."""

    id: str
    name: str
    zone: str | None = None
    services: tuple[str, ...] | None = None
    counters: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Holiday:
    """The mall is closed all day (``kind``: national, cuti_bersama or local)."""

    date: str
    name: str
    kind: str = "local"

    @property
    def id(self) -> str:
        return self.date


@dataclass(frozen=True)
class Closure:
    """An ad-hoc closure of the mall, an agency or a service, all day or ``start``-``end``."""

    id: str
    date: str
    agency: str | None = None
    service: str | None = None
    start: str | None = None
    end: str | None = None
    reason: str = ""


CLASSES: dict[str, type] = {
    "mpp": Mpp,
    "agency": Agency,
    "service": Service,
    "counter": Counter,
    "kiosk": Kiosk,
    "display": Display,
    "holiday": Holiday,
    "closure": Closure,
}


def _tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _opt_tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _tuple(value)


def _hours(value: Any) -> Hours | None:
    return None if value is None else Hours.from_json(value)


def _priority(value: Any) -> Priority:
    value = value or {}
    cats = tuple(
        PriorityCategory(c["id"], MappingProxyType(_by_lang(c["name"])))
        for c in value.get("categories") or ()
    )
    rule = value.get("rule") or {}
    return Priority(cats, PriorityRule(str(rule.get("kind", "max_in_row")), int(rule.get("n", 2))))


def _by_lang(names: Mapping[str, str]) -> dict[str, str]:
    # Indonesian first, whatever order the log's JSON (sorted keys) gave them in.
    first = {lang: names[lang] for lang in ("id", "en") if lang in names}
    return {**first, **{k: v for k, v in names.items() if k not in first}}


def _sessions(value: Any) -> tuple[Session, ...] | None:
    if value is None:
        return None
    return tuple(Session(s["id"], s["start"], s["end"], int(s["quota"])) for s in value)


# Per kind and key: JSON -> frozen field (keys not listed are taken as they are).
_DECODE: dict[str, dict[str, Callable[[Any], Any]]] = {
    "mpp": {"hours": lambda v: Hours.from_json(v or ALWAYS_OPEN), "priority": _priority},
    "agency": {"hours": _hours},
    "service": {
        "hours": _hours,
        "sessions": _sessions,
        "transfer_to": lambda v: _tuple(v or []),
        "avg_service_min": float,
    },
    "counter": {"services": _tuple, "transfer_to": lambda v: _tuple(v or [])},
    "kiosk": {"services": _tuple},
    "display": {"services": _opt_tuple, "counters": _opt_tuple},
}


def from_value(kind: str, entity_id: str, value: Mapping[str, Any]) -> Any:
    """The frozen entity for one ``catalogue.set`` value; ValueError/TypeError if malformed.

    Keys the class does not know are ignored (a newer hub may add some); missing keys take
    the class defaults.
    """
    cls = CLASSES[kind]
    if not isinstance(value, Mapping):
        raise TypeError(f"{kind} {entity_id}: value must be an object")
    decode = _DECODE.get(kind, {})
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name == "id":
            kwargs["id"] = entity_id
        elif f.name == "date" and kind == "holiday":
            kwargs["date"] = entity_id
        elif f.name in value:
            raw = value[f.name]
            kwargs[f.name] = decode[f.name](raw) if f.name in decode else raw
    for name in ("name",):
        if name in {f.name for f in fields(cls)} and not isinstance(kwargs.get(name), str):
            raise ValueError(f"{kind} {entity_id}: name must be a string")
    return cls(**kwargs)


def to_value(entity: Any) -> dict[str, Any]:
    """The JSON value of an entity (no ``id``): what ``catalogue.set`` carries."""
    out: dict[str, Any] = {}
    for f in fields(entity):
        if f.name == "id":
            continue
        out[f.name] = _encode(getattr(entity, f.name))
    return out


def _encode(value: Any) -> Any:
    if isinstance(value, Hours):
        return value.to_json()
    if isinstance(value, Priority):
        return {
            "categories": [{"id": c.id, "name": dict(c.name)} for c in value.categories],
            "rule": {"kind": value.rule.kind, "n": value.rule.n},
        }
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Session):
        return {"id": value.id, "start": value.start, "end": value.end, "quota": value.quota}
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    return value


__all__ = [
    "CLASSES",
    "Agency",
    "Closure",
    "Counter",
    "Display",
    "Holiday",
    "Kiosk",
    "Mpp",
    "Priority",
    "PriorityCategory",
    "PriorityRule",
    "Service",
    "Session",
    "from_value",
    "to_value",
]
