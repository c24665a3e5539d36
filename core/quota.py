"""Daily and per-session quotas as ranges of ticket numbers.

A service's numbers are one sequence a day (``QueueState.next_number``), shared by the hub's
online numbers and the kiosks' leases. A quota is a range of that sequence: ``1..daily_quota``,
or with sessions one range each, in order (``pagi`` 1..35, ``siang`` 36..60). So a quota is
never counted, only compared: the next number of the current session is ``max(issued + 1,
lo)``, and none is left when it passes ``hi``. A morning's unused numbers are not carried
into the afternoon (the afternoon starts at its own ``lo``): each session keeps the share the
manager gave it.

An online booking (issue 12, ``booking.made``) holds a place of its session's range until it
is checked in or expires: ``held_by_bookings`` is added to the issued count when the hub asks
whether a walk-in may have a number, so the last places of a session wait for the citizens
who booked them. The check-in itself takes an ordinary number of the range (from a lease),
and from then on counts as issued instead of held: the sum stays the same.

Offline, the same range bounds what a kiosk prints: a quota service prints only numbers of
a lease the hub granted inside the current session's range, never prefix numbers. Leases
come from the one allocator and never reach past ``hi``, so however many kiosks are offline
at once, together they cannot print past the quota (the rule is "quota split by leases").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.hours import parse_hhmm


@dataclass(frozen=True)
class Range:
    """Numbers ``lo..hi`` (``hi`` None: no quota) of one session (None: the whole day)."""

    lo: int = 1
    hi: int | None = None
    session: str | None = None
    start_min: int = 0

    def next_after(self, issued: int) -> int | None:
        """The number to give when ``issued`` is the highest used today; None: used up."""
        n = max(issued + 1, self.lo)
        return n if self.hi is None or n <= self.hi else None

    def left(self, issued: int) -> int | None:
        """How many numbers are left (None: no quota)."""
        if self.hi is None:
            return None
        return max(0, self.hi - max(issued, self.lo - 1))

    def __contains__(self, number: object) -> bool:
        return (
            isinstance(number, int) and self.lo <= number and (self.hi is None or number <= self.hi)
        )

    def describe(self) -> str:
        where = f"session {self.session} " if self.session else ""
        return f"{where}numbers {self.lo}..{self.hi if self.hi is not None else ''}"


def ranges(service: Any) -> list[Range]:
    """One range per session in order, or one for the day (``[]``: no quota at all)."""
    sessions = getattr(service, "sessions", None)
    if sessions:
        out, lo = [], 1
        for s in sessions:
            out.append(Range(lo, lo + s.quota - 1, s.id, parse_hhmm(s.start)))
            lo += s.quota
        return out
    if service.daily_quota is not None:
        return [Range(1, service.daily_quota)]
    return []


def current_range(service: Any, minute: int) -> Range | None:
    """The range numbers are taken from at ``minute`` of the day: the session it falls in,
    else the next one (before opening, in the break between two), else the last; None: the
    service has no quota."""
    rs = ranges(service)
    if not rs:
        return None
    if rs[0].session is None:
        return rs[0]
    sessions = service.sessions
    for r, s in zip(rs, sessions, strict=True):
        if minute < parse_hhmm(s.end, end=True):
            return r
    return rs[-1]


def later_range(service: Any, minute: int) -> Range | None:
    """The session after the current one (where a used-up morning points the visitor)."""
    current = current_range(service, minute)
    rs = ranges(service)
    if current is None or current.session is None:
        return None
    i = rs.index(current)
    return rs[i + 1] if i + 1 < len(rs) else None


def held_by_bookings(
    bookings: Mapping[str, Mapping[str, Any]],
    service_id: str,
    day: str,
    numbers: Range | None,
    now_ms: int,
) -> int:
    """Places of ``numbers`` (the current range) that bookings of ``service_id`` on ``day``
    still hold: not checked in (``ticket`` None), not expired at ``now_ms``, and of that
    range's session (a booking without a session holds a place of whichever range is
    current: the day's, or the session it is checked in during)."""
    if numbers is None or numbers.hi is None:
        return 0
    held = 0
    for b in bookings.values():
        if b.get("service") != service_id or b.get("date") != day or b.get("ticket"):
            continue
        expires = b.get("expires_ms")
        if expires is not None and now_ms > expires:
            continue
        session = b.get("session")
        if session is None or session == numbers.session:
            held += 1
    return held


__all__ = ["Range", "current_range", "held_by_bookings", "later_range", "ranges"]
