"""Ticket numbers: prefixes, labels, keys, the service day, and a kiosk's standby lease numbers.

The allocator itself is ``QueueState.next_number`` (one per day and service, shared by online
numbers and leases). This module formats and parses labels, holds the rules a service prefix
and a kiosk's offline mark must follow (small functions any validator can call: the hub
profile, a node profile, an admin edit of the catalogue), and tells a kiosk which leased
numbers it may still print, working from its durable log so a crash never reissues a printed
number.

Label shapes (docs/prefixes.md explains the choices):

- online and lease: ``<prefix>-<number>``, the number zero-padded to 3 digits: ``B-023``,
  ``SK-014``, ``A2-031``, ``B-1000``;
- prefix mode (a kiosk offline with its lease spent): ``<prefix>-<kiosk mark>-<n>``:
  ``B-K2-1``, ``SK-K1-12``.

A prefix is 1-3 capital letters or digits with a letter first, so a label never starts with a
digit (the ticket key ``2026-11-28/SK-014`` stays unambiguous) and never holds a dash of its
own: an online label has exactly one dash and a prefix-mode label two, so no online label can
equal a prefix-mode one, and unique prefixes give unique labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from core.events import Event

PREFIX_PATTERN = r"[A-Z][A-Z0-9]{0,2}"
PREFIX_EXPECTED = "1-3 capital letters or digits, a letter first (e.g. A, SK, A2)"
# The kiosk's id is printed in its prefix-mode labels, so it must read as one label part.
KIOSK_MARK_PATTERN = r"[A-Z0-9]{1,4}"
KIOSK_MARK_EXPECTED = "1-4 capital letters or digits, e.g. K1"

_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})/([A-Z][A-Za-z0-9-]*)$")
_ONLINE_LABEL = re.compile(rf"^({PREFIX_PATTERN})-(\d{{3,}})$")
_PREFIX_MODE_LABEL = re.compile(rf"^({PREFIX_PATTERN})-({KIOSK_MARK_PATTERN})-([1-9]\d*)$")


class Label(NamedTuple):
    """A parsed label: ``number`` for online/lease labels, ``kiosk`` and ``n`` in prefix mode."""

    prefix: str
    number: int | None = None
    kiosk: str | None = None
    n: int | None = None


def prefix_problem(prefix: object) -> str | None:
    """Why ``prefix`` cannot be a service prefix (None if it can), said for a person."""
    if not isinstance(prefix, str) or re.fullmatch(PREFIX_PATTERN, prefix) is None:
        return f"{prefix!r} is not valid; expected {PREFIX_EXPECTED}"
    return None


def kiosk_mark_problem(kiosk_id: object) -> str | None:
    """Why a kiosk with this id could not mark its prefix-mode labels (None if it can)."""
    if not isinstance(kiosk_id, str) or re.fullmatch(KIOSK_MARK_PATTERN, kiosk_id) is None:
        return (
            f"{kiosk_id!r} cannot mark this kiosk's offline tickets (they would read "
            f"'B-{kiosk_id}-1'); expected {KIOSK_MARK_EXPECTED}"
        )
    return None


def format_label(prefix: str, number: int) -> str:
    """``B-023``: three digits so the LED and the printout line up; 1000+ prints as is."""
    return f"{prefix}-{number:03d}"


def prefix_label(prefix: str, node_short: str, n: int) -> str:
    """``B-K2-1``: an offline number once the lease is spent; ugly on purpose so staff notice."""
    return f"{prefix}-{node_short}-{n}"


def parse_label(label: str) -> Label:
    """``"SK-014"`` -> ``Label("SK", 14)``; ``"SK-K1-3"`` -> ``Label("SK", None, "K1", 3)``.

    ValueError for anything that is neither shape.
    """
    m = _ONLINE_LABEL.match(label)
    if m:
        return Label(m.group(1), int(m.group(2)))
    m = _PREFIX_MODE_LABEL.match(label)
    if m:
        return Label(m.group(1), None, m.group(2), int(m.group(3)))
    raise ValueError(f"not a ticket label: {label!r}; expected e.g. 'SK-014' or 'SK-K1-3'")


def display_forms(label: str) -> list[str]:
    """The ways a narrow display may write ``label``, best first, each still unambiguous.

    ``SK-014`` -> ``SK-014``, ``SK014``, ``SK-14``, ``SK14``. The dash may go only after a
    prefix ending in a letter (``A2031`` could be A2-031 or A-2031); leading zeros may go
    because every number has at least three digits. A prefix-mode label may lose its first
    dash where a letter meets a digit (``A2-K1-1`` -> ``A2K1-1``; ``SKK1-1`` could be S-KK1-1).
    Other text has only its own form.
    """
    m = _PREFIX_MODE_LABEL.match(label)
    if m:
        prefix, mark, n = m.groups()
        if prefix[-1].isalpha() != mark[0].isalpha():
            return [label, f"{prefix}{mark}-{n}"]
        return [label]
    m = _ONLINE_LABEL.match(label)
    if not m:
        return [label]
    prefix, digits = m.groups()
    short = digits.lstrip("0") or "0"
    joins = ["-", ""] if prefix[-1].isalpha() else ["-"]
    forms = [prefix + j + digits for j in joins]
    if short != digits:
        forms += [prefix + j + short for j in joins]
    return forms


def fit_label(text: str, fits: Callable[[str], bool]) -> str:
    """The first of ``display_forms(text)`` that ``fits``; else the digits that fit.

    The last resort (a label too long for the display whatever its form; config checks
    make that rare) keeps the rightmost characters, dashes dropped first, because the digits
    are what a visitor compares with the ticket. An online label then shows its number
    alone: the tail of a prefix (``K114`` for SK-114) would name another service.
    """
    for form in display_forms(text):
        if fits(form):
            return form
    m = _ONLINE_LABEL.match(text)
    if m:
        text = m.group(2)
    if not fits(text):
        text = text.replace("-", "")
    while text and not fits(text):
        text = text[1:]
    return text


def min_label_width(prefix: str) -> int:
    """The fewest characters any three-digit label of ``prefix`` can be shown in."""
    return min(len(form) for form in display_forms(format_label(prefix, 999)))


def ticket_key(day: str, label: str) -> str:
    return f"{day}/{label}"


def parse_key(key: str) -> tuple[str, str]:
    """``"2026-11-28/B-023"`` -> ``("2026-11-28", "B-023")``; ValueError if malformed."""
    m = _KEY.match(key)
    if not m:
        raise ValueError(f"not a ticket key: {key!r}")
    return m.group(1), m.group(2)


def service_day(wall_ms: int, tz: ZoneInfo) -> str:
    """The MPP's calendar day at that instant (numbers restart at local midnight)."""
    return datetime.fromtimestamp(wall_ms / 1000, tz).date().isoformat()


def _body(event: Event | Mapping[str, Any]) -> tuple[str, str | None, Mapping[str, Any]]:
    if isinstance(event, Event):
        return event.type, event.id, event.body
    return event.get("type", ""), event.get("id"), event.get("body") or {}


@dataclass
class _Lease:
    id: str
    lo: int
    hi: int
    released: bool = False


@dataclass
class LeaseBook:
    """Which standby numbers a kiosk may still print, derived from its own event log.

    Build it with ``from_events`` over the kiosk's durable log (its own events and the
    ``lease.granted`` events it logged from the hub), then ``observe`` each event after it is
    fsync'd. Never keep a counter in RAM only: that variant printed a duplicate number after a
    crash in the model.
    """

    kiosk: str
    _leases: dict[tuple[str, str], list[_Lease]] = field(default_factory=dict)
    _used: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    _prefix_max: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def from_events(cls, kiosk: str, events: Iterable[Event | Mapping[str, Any]]) -> LeaseBook:
        book = cls(kiosk)
        for event in events:
            book.observe(event)
        return book

    def observe(self, event: Event | Mapping[str, Any]) -> None:
        etype, eid, b = _body(event)
        if etype == "lease.granted" and b.get("kiosk") == self.kiosk:
            key = (b["day"], b["service"])
            leases = self._leases.setdefault(key, [])
            if all(lease.id != eid for lease in leases):
                leases.append(_Lease(eid or "", b["lo"], b["hi"]))
        elif etype == "lease.released" and b.get("kiosk") == self.kiosk:
            for lease in self._leases.get((b["day"], b["service"]), []):
                lease.released = True
        elif etype == "ticket.issued" and b.get("kiosk") == self.kiosk:
            key = (b["day"], b["service"])
            if b.get("mode") == "lease" and b.get("number") is not None:
                self._used.setdefault(key, set()).add(b["number"])
            elif b.get("mode") == "prefix":
                # Matched against this kiosk's own mark, not parse_label: a log written before
                # marks were checked may hold any kiosk id, and its n must still continue.
                head, _, n = str(b.get("label", "")).rpartition("-")
                if head.endswith(f"-{self.kiosk}") and n.isdigit():
                    self._prefix_max[key] = max(self._prefix_max.get(key, 0), int(n))

    def free(self, day: str, service: str) -> list[tuple[int, str]]:
        """Unused numbers of unreleased leases, lowest first, with the lease event id."""
        used = self._used.get((day, service), set())
        out = []
        for lease in self._leases.get((day, service), []):
            if not lease.released:
                out.extend((n, lease.id) for n in range(lease.lo, lease.hi + 1) if n not in used)
        return sorted(out)

    def next_free(self, day: str, service: str) -> tuple[int, str] | None:
        """(number, lease id) to print next, or None: fall back to a prefix number."""
        free = self.free(day, service)
        return free[0] if free else None

    def remaining(self, day: str, service: str) -> int:
        """Free numbers left; the kiosk asks for a top-up below half a block."""
        return len(self.free(day, service))

    def next_prefix_n(self, day: str, service: str) -> int:
        """The n of the next ``B-K2-<n>`` label, continuing this kiosk's logged ones."""
        return self._prefix_max.get((day, service), 0) + 1
