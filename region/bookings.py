"""Online bookings: quota-aware slots from a site's catalogue, the codes, the pull for hubs.

The site's catalogue (services, sessions with their quotas, hours, holidays) comes up with
its events, so the region offers exactly what the mall offers. A booking takes one place of
its session's quota (the day's quota without sessions) until it is checked in (a
``ticket.issued`` carrying ``booking`` = its code hash, pushed up by the hub) or released:
not checked in ``booking_grace_min`` after its session starts (a booking for the whole day:
by closing time). The kiosk applies the same limit offline (``expires_ms`` in the event).
A booking is not a priority lane: at the kiosk it becomes an ordinary ticket that joins the
queue at check-in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from core.booking import code_hash, new_code
from core.catalogue import Catalogue
from region.dashboard import catalogue_of

PULL_LIMIT = 500


class BookingRefused(ValueError):
    """A booking that cannot be made (``code`` says why; nothing was stored)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Slot:
    service: str
    day: str
    session: str | None
    start: str  # "HH:MM"
    quota: int | None
    taken: int

    @property
    def free(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.taken)


def _hours_of(cat: Catalogue, service) -> object:
    if service.hours is not None:
        return service.hours
    agency = cat.agencies.get(service.agency)
    if agency is not None and agency.hours is not None:
        return agency.hours
    return cat.mpp.hours if cat.mpp is not None else None


def sessions_of(
    cat: Catalogue, service_id: str, day: date
) -> list[tuple[str | None, str, int | None]]:
    """``[(session id, start "HH:MM", quota)]`` of a service on a day ([] = closed)."""
    service = cat.services.get(service_id)
    if service is None or day.isoformat() in cat.holidays:
        return []
    hours = _hours_of(cat, service)
    spans = hours.spans(day.weekday()) if hours is not None else ((0, 24 * 60),)
    if not spans:
        return []
    if service.sessions:
        return [(s.id, s.start, s.quota, None) for s in service.sessions]
    first, last = spans[0][0], min(spans[-1][1], 24 * 60 - 1)
    return [(None, _hhmm(first), service.daily_quota, _hhmm(last))]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def taken(conn: psycopg.Connection, site: str, service: str, day: str, session):
    """Bookings holding a place: checked in, or not yet past their grace time."""
    return conn.execute(
        "SELECT count(*) FROM bookings b WHERE b.site = %s AND b.service = %s AND b.day = %s"
        " AND b.session IS NOT DISTINCT FROM %s"
        " AND (now() <= b.expires_at"
        " OR EXISTS (SELECT 1 FROM events e WHERE e.site = b.site AND e.type = 'ticket.issued'"
        " AND e.day = b.day AND e.record->'event'->'body'->>'booking' = b.code_hash))",
        (site, service, day, session),
    ).fetchone()[0]


def slots(conn, site: str, service: str, day: date) -> list[Slot]:
    cat = catalogue_of(conn, site)
    iso = day.isoformat()
    return [
        Slot(service, iso, sid, start, quota, taken(conn, site, service, iso, sid))
        for sid, start, quota, _ in sessions_of(cat, service, day)
    ]


def book(
    conn,
    site: str,
    service: str,
    day: date,
    session: str | None,
    grace_min: int,
    *,
    now: datetime | None = None,
) -> str:
    """Make a booking; returns its code (shown once). BookingRefused with a reason."""
    cat = catalogue_of(conn, site)
    if service not in cat.services:
        raise BookingRefused("unknown_service", f"site {site!r} offers no service {service!r}")
    offered = {sid: rest for sid, *rest in sessions_of(cat, service, day)}
    if not offered:
        raise BookingRefused("closed", f"service {service!r} is closed on {day.isoformat()}")
    if session not in offered:
        raise BookingRefused("unknown_session", f"no session {session!r} on {day.isoformat()}")
    start, quota, end = offered[session]
    tz = ZoneInfo(cat.timezone or "UTC")
    if end is None:  # a session: released grace_min after it starts
        expires = datetime.combine(day, time.fromisoformat(start), tz)
        expires += timedelta(minutes=grace_min)
    else:  # the whole day: until closing time
        expires = datetime.combine(day, time.fromisoformat(end), tz)
    now = now or datetime.now(tz)
    if expires < now:
        raise BookingRefused("too_late", "that session has already begun")
    code = new_code()
    with conn.transaction():
        # one booking at a time per slot, so two citizens never take the last place both
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{site}/{service}/{day}/{session}",)
        )
        if quota is not None and taken(conn, site, service, day.isoformat(), session) >= quota:
            raise BookingRefused("quota_reached", "that session is fully booked")
        conn.execute(
            "INSERT INTO bookings (site, code_hash, service, day, session, expires_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (site, code_hash(code), service, day, session, expires),
        )
    return code


def after(conn: psycopg.Connection, site: str, seq: int) -> list[dict]:
    """The site's bookings after cursor ``seq`` (what its hub pulls)."""
    rows = conn.execute(
        "SELECT seq, code_hash, service, day::text, session,"
        " (extract(epoch FROM expires_at) * 1000)::bigint FROM bookings"
        " WHERE site = %s AND seq > %s ORDER BY seq LIMIT %s",
        (site, seq, PULL_LIMIT),
    ).fetchall()
    keys = ("seq", "code_hash", "service", "date", "session", "expires_ms")
    return [dict(zip(keys, row, strict=True)) for row in rows]
