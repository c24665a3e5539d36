"""Ticket numbers: labels, keys, the service day, and a kiosk's standby lease numbers.

The allocator itself is ``QueueState.next_number`` (one per day and service, shared by online
numbers and leases). This module only formats, and tells a kiosk which leased numbers it may
still print, working from its durable log so a crash never reissues a printed number
(notes/sync.md §3, §8.5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.events import Event

_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})/([A-Z][A-Za-z0-9-]*)$")
_PREFIX_LABEL = re.compile(r"^[A-Z]-([A-Za-z0-9]+)-(\d+)$")


def format_label(prefix: str, number: int) -> str:
    """``B-023``: three digits so the LED and the printout line up; 1000+ prints as is."""
    return f"{prefix}-{number:03d}"


def prefix_label(prefix: str, node_short: str, n: int) -> str:
    """``B-K2-1``: an offline number once the lease is spent; ugly on purpose so staff notice."""
    return f"{prefix}-{node_short}-{n}"


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
                m = _PREFIX_LABEL.match(b.get("label", ""))
                if m:
                    n = int(m.group(2))
                    self._prefix_max[key] = max(self._prefix_max.get(key, 0), n)

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
