"""The catalogue: agencies, services, counters, kiosks, displays and the calendar, as state.

Issue 9 / contract C1: the catalogue is seeded from the hub profile once and from then on
changes only through ``catalogue.set`` / ``catalogue.retired`` events in the log, folded like
every other event (``QueueState.catalogue``). So the hub, an offline kiosk and a report read
the same rules, and a change made in the admin reaches every node through the feed.

A :class:`Catalogue` is immutable: a change returns a new one that shares what did not change,
so ``QueueState.copy()`` (once per command on the hub, once per view on a node) copies a
reference, not a hundred entities. Retired entities are kept aside, so a report about last
month still names a service that no longer exists.

Editing is one function for every caller (the admin pages of #11, ``loket hub
import-profile``): :func:`change` builds the catalogue as it would be, validates it with the
very validator ``loket config check`` runs (:func:`validate`, ``core.config.check_catalogue``)
and answers with event bodies or a ``ConfigError`` listing every problem, at paths such as
``services.B.prefix``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from core.catalogue_values import CLASSES, from_value, to_value
from core.config import CATALOGUE_ARRAYS, check_catalogue
from core.config_schema import Problems
from core.errors import ConfigError, ConfigProblem
from core.events import CATALOGUE_KINDS

KINDS = CATALOGUE_KINDS
CATALOGUE_TYPES = ("catalogue.set", "catalogue.retired")
OPS = ("set", "retire")
NODE_KINDS = ("counter", "kiosk", "display")
# kind -> the profile's table; seeding and import apply kinds in this order (references
# point backwards: a counter names services, a service its agency).
TABLES = {
    "agency": "agencies",
    "service": "services",
    "counter": "counters",
    "kiosk": "kiosks",
    "display": "displays",
    "holiday": "holidays",
    "closure": "closures",
}
KIND_OF_TABLE = {table: kind for kind, table in TABLES.items()}
assert set(CATALOGUE_ARRAYS) | {"holidays"} == set(KIND_OF_TABLE)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Catalogue:
    """Every live entity by kind and id (insertion order), plus the retired ones.

    ``hseq`` is the hub sequence number of the latest catalogue event folded in (0 when
    empty): a node that starts from a cached catalogue skips log records it already holds.
    """

    __slots__ = ("_live", "_retired", "hseq", "_dict")

    def __init__(
        self,
        live: Mapping[str, Mapping[str, Any]] | None = None,
        retired: Mapping[str, Mapping[str, Any]] | None = None,
        hseq: int = 0,
    ) -> None:
        self._live = {k: MappingProxyType(dict((live or {}).get(k, {}))) for k in KINDS}
        self._retired = {k: MappingProxyType(dict((retired or {}).get(k, {}))) for k in KINDS}
        self.hseq = hseq
        self._dict: dict[str, Any] | None = None

    # -- read-only views ----------------------------------------------------------------------

    @property
    def mpp(self) -> Any:
        """The mall's value (``catalogue_values.Mpp``), or None before the seed."""
        return self._live["mpp"].get("mpp")

    @property
    def agencies(self) -> Mapping[str, Any]:
        return self._live["agency"]

    @property
    def services(self) -> Mapping[str, Any]:
        return self._live["service"]

    @property
    def counters(self) -> Mapping[str, Any]:
        return self._live["counter"]

    @property
    def kiosks(self) -> Mapping[str, Any]:
        return self._live["kiosk"]

    @property
    def displays(self) -> Mapping[str, Any]:
        return self._live["display"]

    @property
    def holidays(self) -> Mapping[str, Any]:
        return self._live["holiday"]

    @property
    def closures(self) -> Mapping[str, Any]:
        return self._live["closure"]

    def entities(self, kind: str) -> Mapping[str, Any]:
        return self._live.get(kind, _EMPTY)

    def retired(self, kind: str) -> Mapping[str, Any]:
        """Entities of ``kind`` retired so far (their last value), by id."""
        return self._retired.get(kind, _EMPTY)

    def get(self, kind: str, entity_id: str) -> Any:
        return self._live.get(kind, _EMPTY).get(entity_id)

    def last_known(self, kind: str, entity_id: str) -> Any:
        """The live value, else the last one before it was retired (reports), else None."""
        live = self.get(kind, entity_id)
        return live if live is not None else self._retired.get(kind, _EMPTY).get(entity_id)

    def _one(self, kind: str, entity_id: str) -> Any:
        value = self.get(kind, entity_id)
        if value is None:
            raise KeyError(f"unknown {kind} {entity_id!r}")
        return value

    def service(self, service_id: str) -> Any:
        return self._one("service", service_id)

    def agency(self, agency_id: str) -> Any:
        return self._one("agency", agency_id)

    def counter(self, counter_id: str) -> Any:
        return self._one("counter", counter_id)

    def kiosk(self, kiosk_id: str) -> Any:
        return self._one("kiosk", kiosk_id)

    def display(self, display_id: str) -> Any:
        return self._one("display", display_id)

    @property
    def node_ids(self) -> tuple[str, ...]:
        """Ids a node may pair and push as: counters, kiosks, hall displays."""
        return tuple(i for kind in NODE_KINDS for i in self._live[kind])

    def role_of(self, node_id: str) -> str | None:
        """``"counter"``, ``"kiosk"`` or ``"display"`` for a live node id, else None."""
        return next((k for k in NODE_KINDS if node_id in self._live[k]), None)

    @property
    def timezone(self) -> str | None:
        mpp = self.mpp
        return mpp.timezone if mpp is not None else None

    def __bool__(self) -> bool:
        return any(self._live[k] for k in KINDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalogue) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(self._live[k])}" for k in KINDS if self._live[k])
        return f"Catalogue({counts}, hseq={self.hseq})"

    # -- changing (a new Catalogue each time) ----------------------------------------------------

    def with_set(
        self, kind: str, entity_id: str, value: Mapping[str, Any], hseq: int = 0
    ) -> Catalogue:
        """This catalogue with one entity created or replaced (ValueError if malformed)."""
        entity = from_value(kind, entity_id, value)
        live = dict(self._live)
        live[kind] = MappingProxyType({**self._live[kind], entity_id: entity})
        retired = self._retired
        if entity_id in retired[kind]:
            retired = dict(retired)
            retired[kind] = MappingProxyType(
                {k: v for k, v in retired[kind].items() if k != entity_id}
            )
        return self._make(live, retired, max(self.hseq, hseq))

    def with_retired(self, kind: str, entity_id: str, hseq: int = 0) -> Catalogue:
        """This catalogue without one entity (kept among the retired ones)."""
        entity = self._live[kind].get(entity_id)
        if entity is None:
            return self._make(self._live, self._retired, max(self.hseq, hseq))
        live = dict(self._live)
        live[kind] = MappingProxyType({k: v for k, v in self._live[kind].items() if k != entity_id})
        retired = dict(self._retired)
        retired[kind] = MappingProxyType({**self._retired[kind], entity_id: entity})
        return self._make(live, retired, max(self.hseq, hseq))

    @classmethod
    def _make(cls, live: Mapping, retired: Mapping, hseq: int) -> Catalogue:
        new = cls.__new__(cls)
        new._live, new._retired, new.hseq = dict(live), dict(retired), hseq
        new._dict = None
        return new

    # -- JSON ------------------------------------------------------------------------------

    def values(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(kind, id, value)`` of every live entity, kinds in seeding order."""
        for kind in KINDS:
            for entity_id, entity in self._live[kind].items():
                yield kind, entity_id, to_value(entity)

    def to_dict(self) -> dict[str, Any]:
        """Profile-shaped: ``{mpp: {...}, agencies: [{id, ...}], ..., holidays: [...]}``.

        The form ``GET /api/v1/state`` carries, ``export-profile`` writes as TOML and
        :func:`validate` checks (holidays are named by their date, the mall has no id).
        Made once per catalogue (every snapshot carries it): treat it as read-only.
        """
        if self._dict is not None:
            return self._dict
        out: dict[str, Any] = {}
        if self.mpp is not None:
            out["mpp"] = to_value(self.mpp)
        for kind, table in TABLES.items():
            rows = []
            for entity_id, entity in self._live[kind].items():
                value = to_value(entity)
                rows.append(value if kind == "holiday" else {"id": entity_id, **value})
            out[table] = rows
        self._dict = out
        return out

    def image(self) -> dict[str, Any]:
        """Everything this catalogue holds, retired entities and ``hseq`` too, as JSON (a
        node's base state after a daily close, the hub's snapshot): :meth:`from_image`."""
        return {
            "hseq": self.hseq,
            "live": {k: {i: to_value(e) for i, e in self._live[k].items()} for k in KINDS},
            "retired": {k: {i: to_value(e) for i, e in self._retired[k].items()} for k in KINDS},
        }

    @classmethod
    def from_image(cls, d: Mapping[str, Any]) -> Catalogue:
        def entities(part: str) -> dict[str, dict[str, Any]]:
            got = d.get(part) or {}
            return {
                k: {i: from_value(k, i, v) for i, v in (got.get(k) or {}).items()} for k in KINDS
            }

        return cls(entities("live"), entities("retired"), hseq=int(d.get("hseq") or 0))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], hseq: int = 0) -> Catalogue:
        """The inverse of :meth:`to_dict` (a node's cache, a normalised profile seed)."""
        live: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
        if d.get("mpp") is not None:
            live["mpp"]["mpp"] = from_value("mpp", "mpp", d["mpp"])
        for table, kind in KIND_OF_TABLE.items():
            for row in d.get(table) or ():
                entity_id = row["date"] if kind == "holiday" else row["id"]
                live[kind][entity_id] = from_value(kind, entity_id, row)
        return cls(live, hseq=hseq)


def fold_catalogue(
    records: Iterable[Mapping[str, Any]], catalogue: Catalogue | None = None
) -> Catalogue:
    """The catalogue of hub records (continuing ``catalogue``), from its catalogue events
    alone: ``export-profile`` reads a year of records, a kiosk its day, without folding
    every ticket. Refuses what the fold refuses."""
    catalogue = catalogue if catalogue is not None else Catalogue()
    for record in records:
        ev = record.get("event") or {}
        if ev.get("type") not in CATALOGUE_TYPES or ev.get("origin") != "hub":
            continue
        b = ev.get("body") or {}
        try:
            if ev["type"] == "catalogue.set":
                catalogue = catalogue.with_set(b["kind"], b["id"], b["value"], record["hseq"])
            else:
                catalogue = catalogue.with_retired(b["kind"], b["id"], record["hseq"])
        except (KeyError, TypeError, ValueError):
            continue
    return catalogue


# -- validating and changing ------------------------------------------------------------------


def validate(d: Mapping[str, Any], *, source: str = "catalogue") -> list[ConfigProblem]:
    """Every problem of a profile-shaped catalogue (``Catalogue.to_dict()`` form), with the
    messages ``loket config check`` gives; ``[]`` when it is valid."""
    problems = Problems(source)
    check_catalogue(d, problems)
    return problems.items


def normalized(d: Mapping[str, Any], *, source: str = "catalogue") -> dict[str, Any]:
    """``d`` with every default filled in; raises ConfigError listing every problem."""
    problems = Problems(source)
    out = check_catalogue(d, problems)
    problems.raise_if_any()
    return out


def value_of(d: Mapping[str, Any], kind: str, entity_id: str) -> dict[str, Any] | None:
    """One entity's value in a normalised profile-shaped dict (None if absent)."""
    if kind == "mpp":
        return dict(d["mpp"]) if d.get("mpp") is not None else None
    key = "date" if kind == "holiday" else "id"
    for row in d.get(TABLES[kind]) or ():
        if row.get(key) == entity_id:
            return {k: v for k, v in row.items() if k != "id"}
    return None


def change(
    catalogue: Catalogue, op: str, kind: str, entity_id: str, value: Any = None
) -> list[dict[str, Any]]:
    """The bodies (without ``by``) of the events that make one edit; ``[]`` if it changes
    nothing. ``op`` is ``"set"`` (``value`` = the whole entity, defaults filled in) or
    ``"retire"``. Raises ConfigError with every problem the edit *causes* (problems the
    catalogue already had are not blamed on it), at paths like ``services.B.prefix``.
    """
    head = _check_request(catalogue, op, kind, entity_id, value)
    head.raise_if_any()
    current = catalogue.to_dict()
    target = _edited(current, op, kind, entity_id, value)
    before = {(p.path, p.message) for p in _by_id(current, validate(current))}
    after = _by_id(target, validate(target))
    fresh = [p for p in after if (p.path, p.message) not in before]
    if fresh:
        raise ConfigError(fresh)
    if op == "retire":
        return [{"kind": kind, "id": entity_id}]
    new_value = value_of(normalized(target), kind, entity_id)
    if new_value == value_of(normalized(current), kind, entity_id):
        return []
    return [{"kind": kind, "id": entity_id, "value": new_value}]


def changes_to(catalogue: Catalogue, target: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(event type, body without by)`` turning ``catalogue`` into the normalised profile
    catalogue ``target`` (the seed, ``import-profile``): sets in seeding order, then retires
    in the reverse order, so every reference points at something that exists."""
    target_cat = Catalogue.from_dict(target)
    out: list[tuple[str, dict[str, Any]]] = []
    for kind, entity_id, value in target_cat.values():
        current = catalogue.get(kind, entity_id)
        if current is None or to_value(current) != value:
            out.append(("catalogue.set", {"kind": kind, "id": entity_id, "value": value}))
    for kind in reversed(KINDS):
        for entity_id in catalogue.entities(kind):
            if target_cat.get(kind, entity_id) is None:
                out.append(("catalogue.retired", {"kind": kind, "id": entity_id}))
    return out


def _check_request(
    catalogue: Catalogue, op: Any, kind: Any, entity_id: Any, value: Any
) -> Problems:
    problems = Problems("catalogue")
    if op not in OPS:
        problems.add("op", f"{op!r} is not an operation; expected one of: {', '.join(OPS)}")
    if kind not in KINDS:
        problems.add("kind", f"{kind!r} is not a kind; expected one of: {', '.join(KINDS)}")
        return problems
    if not isinstance(entity_id, str) or not entity_id:
        problems.add("id", "missing; expected the id of the entity")
        return problems
    if kind == "mpp" and entity_id != "mpp":
        problems.add("id", f"the mall's id is 'mpp', got {entity_id!r}")
    if op == "retire":
        if kind == "mpp":
            problems.add("op", "the mall cannot be retired; expected set")
        elif catalogue.get(kind, entity_id) is None:
            problems.add(f"{TABLES[kind]}.{entity_id}", f"no {kind} {entity_id!r} to retire")
    elif op == "set":
        if not isinstance(value, Mapping):
            problems.add("value", "missing; expected the whole entity as an object")
        else:
            own = "date" if kind == "holiday" else "id"
            if own in value and value[own] != entity_id and kind != "mpp":
                problems.add(f"value.{own}", f"{value[own]!r} differs from the id {entity_id!r}")
    return problems


def _edited(current: dict[str, Any], op: str, kind: str, entity_id: str, value: Any) -> dict:
    target = {k: list(v) if isinstance(v, list) else v for k, v in current.items()}
    if kind == "mpp":
        target["mpp"] = dict(value)
        return target
    key = "date" if kind == "holiday" else "id"
    rows = [r for r in target.get(TABLES[kind], []) if r.get(key) != entity_id]
    if op == "set":
        row = {k: v for k, v in dict(value).items() if k != "id"}
        row[key] = entity_id
        if kind != "holiday":
            row = {"id": entity_id, **row}
        # Replace in place, so the order (boards list services in it) stays the same.
        old = [i for i, r in enumerate(target.get(TABLES[kind], [])) if r.get(key) == entity_id]
        rows.insert(old[0] if old else len(rows), row)
    target[TABLES[kind]] = rows
    return target


_INDEX = re.compile(
    r"(?<![\w.])(agencies|services|counters|kiosks|displays|holidays|closures)\[(\d+)\]"
)


def _by_id(d: Mapping[str, Any], problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """File paths (``services[3].prefix``) as edit paths (``services.B.prefix``)."""

    def name(m: re.Match) -> str:
        rows = d.get(m.group(1)) or []
        i = int(m.group(2))
        if i >= len(rows) or not isinstance(rows[i], Mapping):
            return m.group(0)
        ident = rows[i].get("date" if m.group(1) == "holidays" else "id")
        return f"{m.group(1)}.{ident}" if isinstance(ident, str) else m.group(0)

    return [
        ConfigProblem(p.file, _INDEX.sub(name, p.path), _INDEX.sub(name, p.message))
        for p in problems
    ]


__all__ = [
    "CLASSES",
    "KINDS",
    "NODE_KINDS",
    "OPS",
    "TABLES",
    "Catalogue",
    "change",
    "changes_to",
    "fold_catalogue",
    "normalized",
    "validate",
    "value_of",
]
