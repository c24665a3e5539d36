"""Closing a service day: leftover tickets end as not served, the day leaves the live state.

``close_day`` is the one way (the supervisor's ``POST /admin/day/close``, ``loket hub
close-day`` through the control route, and the hub's own timer after closing time). It
summarises the day from the journal with the reports' rules (``hub.kpi``), commits one hub
event ``day.closed {day, not_served, summary, by}`` - the fold then drops the day's tickets
on the hub and on every node that follows the log - and only after that event is durable
writes the archive (``hub.archive``: the summary file, the day's segments made read-only)
and the start-up checkpoint of the open state (``hub.checkpoint``). A crash between the
event and the files loses nothing: the event holds the same summary (``archive.rebuild``)
and a missing checkpoint means a full replay.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.model import LIVE_STATES
from hub import archive, checkpoint, kpi, nightly_backup
from hub.errors import Refused

log = logging.getLogger(__name__)

DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIMER_EVERY_S = 60.0
DAY_MS = 86_400_000


def open_days(authority: Any) -> list[str]:
    """Service days that still hold tickets in the live state, oldest first."""
    with authority.store.lock:
        return sorted({t.day for t in authority.state.tickets.values()})


def closed(authority: Any, day: str) -> bool:
    with authority.store.lock:
        return day in authority.state.closed_days


def check_day(authority: Any, day: str | None) -> str:
    """``day`` (default today) as a closable service day; Refused (422/409) says why not."""
    today = authority.today()
    day = (day or today).strip()
    try:
        if not DAY_RE.fullmatch(day):
            raise ValueError
        date.fromisoformat(day)
    except ValueError:
        message = f"'day' must be a date YYYY-MM-DD, got {day!r}"
        raise Refused("invalid_field", message, 422, field="day") from None
    if day > today:
        raise Refused("future_day", f"{day} has not begun yet (today is {today})", 422, field="day")
    if closed(authority, day):
        raise Refused("day_closed", f"{day} is already closed", 409)
    return day


def close_day(authority: Any, day: str | None, by: str) -> dict[str, Any]:
    """Close ``day`` (default today): returns the archive document of the day."""
    data_dir = Path(authority.store.data_dir)
    with authority.store.lock:
        # Under the writer's lock: no ticket changes between the summary and the event, and
        # the timer and a supervisor cannot both close one day.
        day = check_day(authority, day)
        summary, not_served = summarise(authority, day)
        body = {"day": day, "not_served": not_served, "summary": summary, "by": by}
        event = authority.commit_hub_event("day.closed", body=body)
    hseq = authority.logged_hseq(event["id"])
    doc = archive.day_doc(body, hseq, frozen_segments(authority, hseq))
    archive.write_day(data_dir, doc)
    checkpoint.save(authority)
    log.info("day %s closed by %s: %d not served", day, by, len(not_served))
    nightly_backup.after_close(authority, day)
    return doc


def summarise(authority: Any, day: str) -> tuple[dict[str, Any], list[str]]:
    """The day's summary (``archive.summary_of``) from the journal, and the keys of its
    tickets still live (queue order). Reads only from the day's first issue on."""
    agency_of = {sid: s.agency for sid, s in authority.catalogue().services.items()}
    with authority.store.lock:
        tickets = [t for t in authority.state.tickets.values() if t.day == day]
        # Every record about the day's tickets follows its issue (order[2] is the issue hseq).
        start = min((t.order[2] for t in tickets), default=authority.last_hseq + 1) - 1
        # ... and a day after its end nothing more is read: closing a year of open days
        # after an upgrade must not read the rest of the journal once per day.
        stop_ms = day_end_ms(day, authority.tz) + DAY_MS
        records = itertools.takewhile(
            lambda r: r["recv_ms"] <= stop_ms, authority.store.records(start)
        )
        rep = kpi.compute(records, day, day, agency_of=agency_of, tz=authority.tz)
    live = sorted(
        (t for t in tickets if t.status in LIVE_STATES), key=lambda t: (t.service, t.order, t.key)
    )
    return archive.summary_of(rep, agency_of), [t.key for t in live]


def day_end_ms(day: str, tz: Any) -> int:
    """Midnight after service day ``day`` in the mall's timezone, in epoch ms."""
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=tz)
    return int(end.timestamp() * 1000)


def frozen_segments(authority: Any, hseq: int) -> list[str]:
    """Retire the segment holding the close and make every segment it ends read-only."""
    authority.store.rotate()
    segments = authority.store.journal.segments
    done = [
        seg for seg, nxt in zip(segments, segments[1:], strict=False) if first_index(nxt) <= hseq
    ]
    return archive.freeze(done)


def first_index(segment: Path) -> int:
    """``events-0000000042.jsonl`` -> 42 (the journal names a segment by its first index)."""
    return int(segment.stem.rsplit("-", 1)[1])


def due(authority: Any, now_ms: int | None = None) -> list[str]:
    """Days the timer closes now: every open day before today, and today once the mall's
    last opening span of the day has ended (a closed weekday closes at midnight)."""
    now_ms = authority.now_ms() if now_ms is None else now_ms
    local = datetime.fromtimestamp(now_ms / 1000, authority.tz)
    today = local.date().isoformat()
    days = [d for d in open_days(authority) if d < today]
    mpp = authority.catalogue().mpp
    spans = mpp.hours.spans(local.weekday()) if mpp is not None else ()
    minute = local.hour * 60 + local.minute
    if spans and minute >= max(b for _, b in spans) and today in open_days(authority):
        days.append(today)
    return [d for d in days if not closed(authority, d)]


class Timer:
    """Closes due days once a minute in a daemon thread (started by ``loket hub serve``)."""

    def __init__(self, authority: Any, every_s: float = TIMER_EVERY_S):
        self.authority = authority
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loket-day-close", daemon=True)

    def start(self) -> Timer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> list[str]:
        done = []
        for day in due(self.authority):
            try:
                close_day(self.authority, day, by="timer")
                done.append(day)
            except Refused:
                continue  # closed meanwhile by a supervisor
        return done

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.tick()
            except Exception:  # a storage fault: the next tick tries again
                log.exception("closing the service day failed; retrying in %.0f s", self.every_s)
