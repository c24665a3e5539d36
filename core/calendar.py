"""Can this service issue a number now? The operating calendar, quotas and capacity (C2).

One function, ``availability``, answers for the hub (``POST /api/v1/tickets``, leases) and for
a kiosk that is offline, from the same catalogue folded from the same log, so both refuse the
same ticket for the same reason. It reads only the catalogue and a few counts the caller
takes from its fold (numbers used, people waiting, counters open, recent service time), so it
stays a pure function a test can drive with any instant.

The rules, in the order they are checked (the first that refuses names the code):
``holiday`` (the mall is closed all day), ``closure`` (an ad-hoc closure of the mall, the
agency or the service), ``closed`` (outside the hours: the service's, else its agency's, else
the mall's; a gap is a break such as the Friday prayer), ``cutoff`` (the last ``cutoff_min``
minutes before the day's closing), ``counters_paused`` (counters are configured for it and
none is open), ``quota_reached`` (the day's or the session's numbers are used up, see
``core.quota``), ``full_today`` (capacity: the next visitor's estimated wait runs past closing).
Capacity counts open minutes only (a break serves nobody) and is skipped on a day that runs to
24:00 (the always-open default has no closing time to run past).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import quota
from core.hours import ALWAYS_OPEN, DAY_MINUTES, Hours, parse_hhmm

CODES = (
    "closed",
    "holiday",
    "closure",
    "cutoff",
    "quota_reached",
    "full_today",
    "counters_paused",
    "unknown_service",
    "offline_quota",  # an offline kiosk has no lease number left for a quota service
)
# How far ahead a reopening is looked for (a closure or holidays can close for weeks).
LOOKAHEAD_DAYS = 62


@dataclass(frozen=True)
class Availability:
    """``ok``, or the refusal ``code`` (one of ``CODES``), when it ``reopens_ms`` (None:
    unknown or not within ``LOOKAHEAD_DAYS``) and a ``detail`` for logs (English, for staff)."""

    ok: bool
    code: str | None = None
    reopens_ms: int | None = None
    detail: str = ""
    # The number range the current session may issue (core.quota): the hub's allocator and
    # an offline kiosk's lease numbers both stay inside it.
    numbers: quota.Range | None = None


OK = Availability(True)


def hours_of(catalogue: Any, service: Any) -> Hours:
    """The service's own hours, else its agency's, else the mall's (always open if none)."""
    if service.hours is not None:
        return service.hours
    agency = catalogue.agencies.get(service.agency)
    if agency is not None and agency.hours is not None:
        return agency.hours
    mpp = catalogue.mpp
    return mpp.hours if mpp is not None else Hours.from_json(ALWAYS_OPEN)


def tz_of(catalogue: Any) -> ZoneInfo:
    return ZoneInfo(catalogue.timezone or "Asia/Jakarta")


def local_minute(catalogue: Any, now_ms: int) -> tuple[date, int]:
    """The mall's local date and minute of the day at ``now_ms``."""
    now = datetime.fromtimestamp(now_ms / 1000, tz_of(catalogue))
    return now.date(), now.hour * 60 + now.minute


def _closures(catalogue: Any, service: Any, day: str) -> list[tuple[int, int]]:
    """The spans of ``day`` an ad-hoc closure takes away from this service."""
    out = []
    for c in catalogue.closures.values():
        if str(c.date) != day:
            continue
        if c.service is not None and c.service != service.id:
            continue
        if c.agency is not None and c.agency != service.agency:
            continue
        start = parse_hhmm(c.start) if c.start else 0
        end = parse_hhmm(c.end, end=True) if c.end else DAY_MINUTES
        out.append((start, end))
    return out


def _subtract(spans: tuple[tuple[int, int], ...], cuts: list[tuple[int, int]]):
    out = list(spans)
    for a, b in cuts:
        nxt = []
        for s, e in out:
            if b <= s or a >= e:
                nxt.append((s, e))
                continue
            if s < a:
                nxt.append((s, a))
            if b < e:
                nxt.append((b, e))
        out = nxt
    return out


def open_spans(catalogue: Any, service: Any, day: date) -> list[tuple[int, int]]:
    """The minutes of ``day`` the service is open: its hours minus holidays and closures."""
    iso = day.isoformat()
    if iso in catalogue.holidays:
        return []
    spans = hours_of(catalogue, service).spans(day.weekday())
    return _subtract(spans, _closures(catalogue, service, iso))


def _ms(day: date, minute: int, tz: ZoneInfo) -> int:
    moment = datetime.combine(day, time(0), tz) + timedelta(minutes=minute)
    return int(moment.timestamp() * 1000)


def _issuing_spans(catalogue: Any, service: Any, day: date) -> list[tuple[int, int]]:
    """Open spans with the cut-off taken off the day's end: when a number may be taken."""
    spans = open_spans(catalogue, service, day)
    if spans and service.cutoff_min:
        stop = spans[-1][1] - service.cutoff_min
        spans = [(a, min(b, stop)) for a, b in spans if a < stop]
    return spans


def next_opening(catalogue: Any, service: Any, from_ms: int, *, after_today: bool = False):
    """The first minute at or after ``from_ms`` at which the service takes numbers, in ms
    (None if not within ``LOOKAHEAD_DAYS``); ``after_today`` starts at tomorrow."""
    tz = tz_of(catalogue)
    start = datetime.fromtimestamp(from_ms / 1000, tz)
    minute = start.hour * 60 + start.minute
    for ahead in range(1 if after_today else 0, LOOKAHEAD_DAYS):
        day = start.date() + timedelta(days=ahead)
        for a, b in _issuing_spans(catalogue, service, day):
            if ahead > 0:
                return _ms(day, a, tz)
            if b > minute:
                return _ms(day, max(a, minute), tz) if a > minute else from_ms
    return None


def availability(
    catalogue: Any,
    service_id: str,
    now_ms: int,
    *,
    issued: int = 0,
    waiting: int = 0,
    open_counters: int | None = None,
    service_min: float | None = None,
    work_min: float | None = None,
) -> Availability:
    """May ``service_id`` issue one more number at ``now_ms``?

    ``issued``: the highest number issued or leased today (the allocator's ``next_number``
    minus one); ``waiting``: people waiting in the service now; ``open_counters``: open
    counters serving it (None: unknown, the counter and capacity rules are skipped);
    ``service_min``: the recent mean service time (None: the service's ``avg_service_min``);
    ``work_min``: the minutes of service waiting at the counters that serve it, other
    services they also serve included (None: ``waiting`` x ``service_min``).
    """
    service = catalogue.services.get(service_id)
    if service is None:
        return Availability(False, "unknown_service", None, f"no service {service_id!r}")
    tz = tz_of(catalogue)
    today, minute = local_minute(catalogue, now_ms)
    iso = today.isoformat()

    def refuse(code: str, detail: str, *, after_today: bool = False) -> Availability:
        reopens = next_opening(catalogue, service, now_ms, after_today=after_today)
        return Availability(False, code, reopens, detail)

    if iso in catalogue.holidays:
        return refuse("holiday", f"{iso} is a holiday: {catalogue.holidays[iso].name}")
    cuts = _closures(catalogue, service, iso)
    if any(a <= minute < b for a, b in cuts):
        return refuse("closure", f"closed on {iso} ({_closure_reason(catalogue, service, iso)})")
    spans = open_spans(catalogue, service, today)
    if not any(a <= minute < b for a, b in spans):
        return refuse("closed", f"service {service.id} is outside its hours")
    closing = spans[-1][1]
    if service.cutoff_min and minute >= closing - service.cutoff_min:
        return refuse(
            "cutoff", f"no numbers in the last {service.cutoff_min} min", after_today=True
        )
    configured = any(service.id in c.services for c in catalogue.counters.values())
    if open_counters == 0 and configured:
        # Nobody knows when a paused counter resumes: no reopening is promised.
        return Availability(
            False, "counters_paused", None, f"every counter of {service.id} is paused"
        )
    numbers = quota.current_range(service, minute)
    if numbers is not None and numbers.next_after(issued) is None:
        later = quota.later_range(service, minute)
        reopens = (
            next_opening(catalogue, service, _ms(today, later.start_min, tz))
            if later is not None
            else next_opening(catalogue, service, now_ms, after_today=True)
        )
        return Availability(False, "quota_reached", reopens, f"{numbers.describe()} used up")
    if service.capacity_stop and open_counters and closing < DAY_MINUTES:
        per_visit = service_min if service_min else service.avg_service_min
        work = work_min if work_min is not None else waiting * per_visit
        wait = work / open_counters
        left = sum(max(0, b - max(a, minute)) for a, b in spans)
        if wait >= left:
            return refuse(
                "full_today",
                f"{work:.0f} min of service waiting / {open_counters} counters = "
                f"{wait:.0f} min, {left} open min left",
                after_today=True,
            )
    return Availability(True, numbers=numbers)


def check(state: Any, service_id: str, now_ms: int, *, count_numbers: bool = True) -> Availability:
    """``availability`` with the counts read from a folded ``QueueState``: how the hub and an
    offline kiosk (over its local view) both ask, so they count the same way.
    ``count_numbers=False`` leaves the quota to the caller (an offline kiosk prints from its
    leases, which the allocator already counted). Counted, the places unexpired online
    bookings of the day still hold are added to the numbers issued (``core.quota``)."""
    catalogue = state.catalogue
    day = datetime.fromtimestamp(now_ms / 1000, tz_of(catalogue)).date().isoformat()
    # Counters serving this service may serve others too: the work queued for all of them
    # is what the next visitor waits behind (an estimate that errs toward "full").
    shared = {
        s
        for cs in state.counters.values()
        if cs.open and service_id in cs.services
        for s in cs.services
    }
    work = 0.0
    for sid in shared | {service_id}:
        n = sum(1 for _ in state.iter_waiting((sid,), day))
        if n:
            svc = catalogue.services.get(sid)
            recent = state.service_minutes(sid)
            work += n * (recent or (svc.avg_service_min if svc is not None else 10.0))
    issued = 0
    if count_numbers:
        issued = state.next_number(day, service_id) - 1
        service = catalogue.services.get(service_id)
        if service is not None:  # places online bookings hold (core.quota.held_by_bookings)
            numbers = quota.current_range(service, local_minute(catalogue, now_ms)[1])
            issued += quota.held_by_bookings(state.bookings, service_id, day, numbers, now_ms)
    return availability(
        catalogue,
        service_id,
        now_ms,
        issued=issued,
        waiting=sum(1 for _ in state.iter_waiting((service_id,), day)),
        open_counters=state.open_counters(service_id),
        service_min=state.service_minutes(service_id),
        work_min=work,
    )


def _closure_reason(catalogue: Any, service: Any, day: str) -> str:
    for c in catalogue.closures.values():
        if (
            str(c.date) == day
            and c.service in (None, service.id)
            and c.agency
            in (
                None,
                service.agency,
            )
        ):
            return c.reason or c.id
    return ""


def open_around_the_clock(catalogue: Mapping[str, Any]) -> dict[str, Any]:
    """A catalogue dict (``Catalogue.to_dict`` / ``HubConfig.catalogue`` shape) without its
    calendar: open every day around the clock, no holidays, closures or cut-off (quotas and
    the priority lane stay). For ``loket demo --open-all-day`` and for tests that run a
    shipped profile on the real clock, so they pass at 03:00 on a public holiday too."""
    out = dict(catalogue)
    if out.get("mpp") is not None:
        out["mpp"] = {**out["mpp"], "hours": dict(ALWAYS_OPEN)}
    out["agencies"] = [{**a, "hours": None} for a in out.get("agencies") or ()]
    out["services"] = [{**s, "hours": None, "cutoff_min": 0} for s in out.get("services") or ()]
    out["holidays"], out["closures"] = [], []
    return out


# -- words for visitors ------------------------------------------------------------------------

WORDS = {
    "id": {
        "closed": "Layanan sedang tutup.",
        "holiday": "Hari ini hari libur, layanan tutup.",
        "closure": "Layanan ditutup sementara.",
        "cutoff": "Pengambilan nomor antrian hari ini sudah ditutup.",
        "quota_reached": "Kuota nomor antrian sudah habis.",
        "full_today": "Antrian hari ini sudah penuh.",
        "counters_paused": "Semua loket layanan ini sedang istirahat.",
        "unknown_service": "Layanan tidak tersedia.",
        "offline_quota": "Nomor antrian layanan ini sementara hanya dapat diambil di kios lain "
        "atau setelah kios tersambung kembali.",
        "reopens": "Layanan dibuka kembali {when}.",
        "today": "hari ini",
        "tomorrow": "besok",
        "days": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "months": (
            "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
            "September", "Oktober", "November", "Desember",
        ),
        "time_sep": ".",
    },
    "en": {
        "closed": "The service is closed.",
        "holiday": "Today is a holiday; the service is closed.",
        "closure": "The service is closed for now.",
        "cutoff": "No more numbers are issued today.",
        "quota_reached": "Today's numbers for this service are all taken.",
        "full_today": "The queue is full for today.",
        "counters_paused": "Every counter of this service is on a break.",
        "unknown_service": "This service is not available.",
        "offline_quota": "Numbers for this service can be taken at another kiosk for now, or "
        "here once this kiosk is connected again.",
        "reopens": "Service reopens {when}.",
        "today": "today",
        "tomorrow": "tomorrow",
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": (
            "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December",
        ),
        "time_sep": ":",
    },
}  # fmt: skip


def describe_reopening(reopens_ms: int, tz: ZoneInfo, lang: str = "id", now_ms=None) -> str:
    """``"Senin 08.00"`` / ``"Monday 08:00"``; ``"hari ini 13.30"`` the same day, ``"besok"``
    the next, and the date added when it is a week or more away."""
    words = WORDS.get(lang, WORDS["id"])
    when = datetime.fromtimestamp(reopens_ms / 1000, tz)
    clock = f"{when.hour:02d}{words['time_sep']}{when.minute:02d}"
    if now_ms is None:
        return f"{words['days'][when.weekday()]} {clock}"
    today = datetime.fromtimestamp(now_ms / 1000, tz).date()
    delta = (when.date() - today).days
    if delta == 0:
        return f"{words['today']} {clock}"
    if delta == 1:
        return f"{words['tomorrow']} {clock}"
    name = words["days"][when.weekday()]
    if delta >= 7:
        name = f"{name} {when.day} {words['months'][when.month - 1]}"
    return f"{name} {clock}"


def describe(
    code: str | None, reopens_ms: int | None, tz: ZoneInfo, lang: str = "id", now_ms=None
) -> str:
    """The sentence a visitor reads: why not, and when the service reopens if known, e.g.
    ``"Layanan sedang tutup. Layanan dibuka kembali Senin 08.00."``."""
    words = WORDS.get(lang, WORDS["id"])
    text = words.get(code or "", words["unknown_service"])
    if reopens_ms is not None:
        when = describe_reopening(reopens_ms, tz, lang, now_ms)
        text = f"{text} {words['reopens'].format(when=when)}"
    return text


__all__ = [
    "CODES",
    "OK",
    "Availability",
    "availability",
    "check",
    "describe",
    "describe_reopening",
    "hours_of",
    "local_minute",
    "next_opening",
    "open_around_the_clock",
    "open_spans",
    "tz_of",
]
