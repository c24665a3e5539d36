"""Zones: which calls and waiting tiles one hall screen shows (contract C7).

An MPP with thirty agencies on two floors puts a screen on each floor; a visitor upstairs
must neither see nor hear the calls of the ground floor's counters. A screen is narrowed by
selectors over the folded catalogue (C1): ``zone`` (the free-text id on agencies, services,
counters, kiosks and displays), ``services``, ``counters`` and ``agencies``, or a display's
own catalogue entry, which holds the same three. Several selectors narrow together (a
``zone`` and ``services`` shows that zone's share of those services).

What belongs to a zone:

- a service is in the zone it names, else in its agency's;
- a counter is in the zone it names, else in the one zone all its configured services share
  (a counter serving services of both floors names its zone, or is on no zone's screen);
- a zone screen shows the *calls of its counters* (a counter upstairs calling a ground-floor
  service is heard upstairs, where its visitor must go) and the *tiles of its services*; a
  zone with no counter in it falls back to the calls of its services.

The hub's board (``?zone=``...) and the hall display node use this one module, so a screen
and a TV side by side never disagree. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import CommandRejected

SELECTORS = ("zone", "services", "counters", "agencies")


class UnknownSelector(CommandRejected):
    """A screen selector names a zone, service, counter, agency or display nobody knows."""


@dataclass(frozen=True)
class Selection:
    """What one screen shows. ``None`` means "no narrowing" for that part."""

    tiles: frozenset[str] | None = None  # services whose waiting tiles show
    services: frozenset[str] | None = None  # calls of these services only
    counters: frozenset[str] | None = None  # calls at these counters only
    zone: str | None = None  # the zone asked for (its running text line), if any

    @property
    def everything(self) -> bool:
        return self.tiles is None and self.services is None and self.counters is None

    def shows_tile(self, service: str | None) -> bool:
        return self.tiles is None or service in self.tiles

    def shows_call(self, service: str | None, counter: str | None) -> bool:
        if self.services is not None and service not in self.services:
            return False
        return self.counters is None or counter in self.counters

    def narrow(self, other: Selection) -> Selection:
        """Both selections at once (each part the intersection of the two)."""
        return Selection(
            tiles=_both(self.tiles, other.tiles),
            services=_both(self.services, other.services),
            counters=_both(self.counters, other.counters),
            zone=self.zone or other.zone,
        )

    def to_dict(self) -> dict[str, list[str] | None]:
        """The JSON form (sorted lists; null = no narrowing), for pages and status."""
        return {
            "tiles": _sorted(self.tiles),
            "services": _sorted(self.services),
            "counters": _sorted(self.counters),
            "zone": self.zone,
        }


EVERYTHING = Selection()


def service_zone(catalogue: Any, service_id: str) -> str | None:
    service = catalogue.services.get(service_id)
    if service is None:
        return None
    if service.zone:
        return service.zone
    agency = catalogue.agencies.get(service.agency)
    return agency.zone if agency is not None else None


def counter_zone(catalogue: Any, counter_id: str) -> str | None:
    counter = catalogue.counters.get(counter_id)
    if counter is None:
        return None
    if counter.zone:
        return counter.zone
    zones = {service_zone(catalogue, s) for s in counter.services}
    return zones.pop() if len(zones) == 1 else None


def zones(catalogue: Any) -> list[str]:
    """Every zone the catalogue names, sorted."""
    found = set()
    for kind in ("agency", "service", "counter", "kiosk", "display"):
        found.update(e.zone for e in catalogue.entities(kind).values() if e.zone)
    return sorted(found)


def select(
    catalogue: Any,
    *,
    zone: str | None = None,
    services: Iterable[str] | None = None,
    counters: Iterable[str] | None = None,
    agencies: Iterable[str] | None = None,
    strict: bool = True,
) -> Selection:
    """The selection these selectors make (``None`` / empty: that selector is not used).

    ``strict``: a value the catalogue does not know raises :class:`UnknownSelector` naming
    every unknown value and the known ones (a URL typo must not make an empty board that
    looks like a quiet hall). Not strict (a display node's settings, which may be older than
    an edit): unknown values select nothing.
    """
    sel = EVERYTHING
    if zone:
        known = zones(catalogue)
        if strict and zone not in known:
            _unknown("zone", [zone], known)
        tiles = frozenset(s for s in catalogue.services if service_zone(catalogue, s) == zone)
        here = frozenset(c for c in catalogue.counters if counter_zone(catalogue, c) == zone)
        by = {"counters": here} if here else {"services": tiles}
        sel = sel.narrow(Selection(tiles=tiles, zone=zone, **by))
    if services:
        ids = _ids("service", services, catalogue.services, strict, _prefixes(catalogue))
        sel = sel.narrow(Selection(tiles=ids, services=ids))
    if counters:
        ids = _ids("counter", counters, catalogue.counters, strict, _numbers(catalogue))
        served = frozenset(s for c in ids for s in catalogue.counters[c].services)
        sel = sel.narrow(Selection(tiles=served, counters=ids))
    if agencies:
        ids = _ids("agency", agencies, catalogue.agencies, strict, {})
        own = frozenset(s for s, v in catalogue.services.items() if v.agency in ids)
        sel = sel.narrow(Selection(tiles=own, services=own))
    return sel


def running_text(texts: Mapping[str, str], fallback: str, zone: str | None) -> str:
    """The running text line a screen of ``zone`` shows: its zone's, else the one for every
    screen (``"*"``, both from ``hall.running_text``), else the catalogue's ``mpp.running_text``."""
    return (zone and texts.get(zone)) or texts.get("*") or fallback or ""


def for_display(catalogue: Any, display_id: str, *, strict: bool = True) -> Selection:
    """The selection of a hall display's catalogue entry (its zone, services, counters).

    An unknown display raises :class:`UnknownSelector` when ``strict``; otherwise (a node
    whose catalogue has no entry for it yet) it shows everything. The entry's own values
    are read leniently: a service retired since must not blank a floor's screen.
    """
    entry = catalogue.displays.get(display_id)
    if entry is None:
        if strict:
            _unknown("display", [display_id], list(catalogue.displays))
        return EVERYTHING
    return select(
        catalogue,
        zone=entry.zone,
        services=entry.services,
        counters=entry.counters,
        strict=False,
    )


def from_query(catalogue: Any, args: Mapping[str, str]) -> Selection:
    """A board URL's selectors: ``zone=``, ``services=A,B``, ``counters=C1,C2`` (ids or
    loket numbers), ``agencies=``, ``display=D2`` (that display's catalogue entry); all
    strict. Service values may be ids or prefixes."""
    sel = EVERYTHING
    display = (args.get("display") or "").strip()
    if display:
        sel = for_display(catalogue, display)
    lists = {k: _split(args.get(k)) for k in ("services", "counters", "agencies")}
    return sel.narrow(select(catalogue, zone=(args.get("zone") or "").strip() or None, **lists))


def _ids(
    kind: str,
    values: Iterable[str],
    live: Mapping[str, Any],
    strict: bool,
    aliases: Mapping[str, str],
) -> frozenset[str]:
    ids, missing = set(), []
    for value in values:
        found = value if value in live else aliases.get(value)
        if found is None:
            missing.append(value)
        else:
            ids.add(found)
    if missing and strict:
        _unknown(kind, missing, list(live))
    return frozenset(ids)


def _prefixes(catalogue: Any) -> dict[str, str]:
    return {v.prefix: s for s, v in catalogue.services.items()}


def _numbers(catalogue: Any) -> dict[str, str]:
    return {str(v.number): c for c, v in catalogue.counters.items()}


def _unknown(kind: str, values: list[str], known: Iterable[str]) -> None:
    names = ", ".join(sorted(known)) or "none"
    plural = "s" if len(values) > 1 else ""
    raise UnknownSelector(
        f"unknown_{kind}",
        f"unknown {kind}{plural} {', '.join(map(repr, values))}; known: {names}",
    )


def _split(raw: str | None) -> list[str]:
    return [s.strip() for s in (raw or "").split(",") if s.strip()]


def _both(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    return a if b is None else a & b


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)
