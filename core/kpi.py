"""KPIs of a day or a date range, computed from hub records alone.

Pure and stdlib-only, so the numbers can be checked against a handcrafted list of records,
and the regional server computes each site's figures with this very code from the records
the site's hub pushed up (its dashboard equals the hub's reports by construction). Input
records are hub records ``{"hseq", "recv_ms", "est_ms", "event"}`` in hub order. Times come
from ``est_ms`` (the hub's best estimate of when the event really happened, corrected for
node clocks), never from a node's wall clock.

Rules (documented here because a manager will ask where a number came from):

* A ticket belongs to the service day in its ``ticket.issued`` body; the range
  filter uses that day. Events on tickets whose issue is not in the records are
  ignored. Tickets voided as ghosts (``ticket.void_ghost``) were never printed
  and are left out entirely.
* A call that lost (``call.superseded`` / ``call.retracted`` names it) is not a
  call. Waiting time = first surviving call - issue. Service time = done - the
  latest call made by the counter that pressed done (a recall does not restart it).
* Counts per service/agency use the service the ticket was issued for, so every
  row adds up; transfers are counted separately.
* No-show rate = no-shows / (served + no-shows): the share of called visitors who
  did not come, independent of tickets still waiting at closing time.
* Percentiles use the nearest-rank method (no interpolation), so p50/p90 are
  always durations that actually occurred.
* Quick rating: the counter's four buttons (``ticket.rated``, 1..4). It is NOT the
  IKM of PermenPANRB 14/2017 (nine survey elements and a minimum sample: core.skm,
  hub.skm_report), so it gets its own figures and never a grade: the mean score and
  the share of "puas"/"sangat puas", always with n. A rating named by
  ``rating.rejected`` does not count.
* SKM: a ticket's accepted ``survey.answered`` (its nine answers) is kept on its
  facts for hub.skm_report.
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

_LOST_CALL_TYPES = {"call.superseded", "call.retracted"}


@dataclass
class TicketFacts:
    """What the records say about one ticket, reduced to what KPIs need."""

    key: str
    day: str
    service: str
    label: str
    issued_ms: int
    hour: int
    status: str = "waiting"
    first_call_ms: int | None = None
    calls: dict[str, int] = field(default_factory=dict)  # counter -> latest call est_ms
    finished_ms: int | None = None
    counter: str | None = None
    score: int | None = None
    transfers: int = 0
    survey: list[int] | None = None  # the SKM answers U1..U9, when answered

    @property
    def wait_s(self) -> float | None:
        if self.first_call_ms is None:
            return None
        return max(0, self.first_call_ms - self.issued_ms) / 1000

    @property
    def service_s(self) -> float | None:
        if self.status != "served" or self.finished_ms is None or self.counter is None:
            return None
        start = self.calls.get(self.counter, self.first_call_ms)
        if start is None:
            return None
        return max(0, self.finished_ms - start) / 1000


@dataclass(frozen=True)
class Stats:
    """Mean/p50/p90 of a list of durations in seconds (None when empty)."""

    n: int
    mean: float | None
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class QuickRating:
    """The counter buttons' figures: n, mean score 1..4 and % satisfied (3 or 4); no grade."""

    n: int
    mean: Decimal | None
    satisfied_pct: Decimal | None
    counts: dict[int, int]


@dataclass
class Row:
    """Counts for one group (a service, an agency, or everything)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    waiting: int = 0  # still waiting or called at the end of the records
    transferred: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)

    @property
    def no_show_rate(self) -> float | None:
        called = self.served + self.no_show
        return self.no_show / called if called else None

    @property
    def wait(self) -> Stats:
        return stats(self.waits)

    @property
    def service(self) -> Stats:
        return stats(self.services)


@dataclass
class Report:
    """Everything the reports page and the CSV files show."""

    date_from: str
    date_to: str
    total: Row
    by_service: dict[str, Row]
    by_agency: dict[str, Row]
    by_counter: dict[str, Row]
    arrivals_by_hour: dict[int, int]
    quick: QuickRating
    anomalies: int
    tickets: list[TicketFacts]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stats(values: list[float]) -> Stats:
    """Mean, p50 and p90 of durations."""
    if not values:
        return Stats(0, None, None, None)
    return Stats(
        len(values), sum(values) / len(values), percentile(values, 50), percentile(values, 90)
    )


def quick_rating(scores: Iterable[int]) -> QuickRating:
    """The quick rating of button scores 1..4 (half-up rounding, as by hand)."""
    kept = [s for s in scores if 1 <= s <= 4]
    counts = {s: 0 for s in (4, 3, 2, 1)}
    for s in kept:
        counts[s] += 1
    if not kept:
        return QuickRating(0, None, None, counts)
    n = Decimal(len(kept))
    mean = (Decimal(sum(kept)) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    pct = (Decimal(counts[4] + counts[3]) * 100 / n).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return QuickRating(len(kept), mean, pct, counts)


def collect(records: Iterable[Mapping], tz: tzinfo = UTC) -> dict[str, TicketFacts]:
    """Reduce hub records to per-ticket facts (all days)."""
    events = [(when(r), r["event"]) for r in records]
    # Derived notices can come after the event they judge, so find the losers first.
    lost_calls: set[str] = set()
    rejected: set[str] = set()
    ghosts: set[str] = set()
    for _, ev in events:
        body = ev.get("body") or {}
        if ev["type"] in _LOST_CALL_TYPES:
            lost_calls.add(body.get("call", ""))
        elif ev["type"] == "rating.rejected":
            rejected.add(body.get("event", ""))
        elif ev["type"] == "ticket.void_ghost":
            ghosts.add(body.get("ticket") or ev.get("ticket") or "")

    tickets: dict[str, TicketFacts] = {}
    for ms, ev in events:
        kind, key, body = ev["type"], ev.get("ticket"), ev.get("body") or {}
        if kind == "day.closed":
            # Still live at the close: ended as not served (hub.day_close); counted as waiting.
            for left in body.get("not_served", ()):
                if left in tickets and tickets[left].status in ("waiting", "called"):
                    tickets[left].status = "not_served"
            continue
        if kind == "ticket.issued":
            if key in tickets or key in ghosts:
                continue
            hour = datetime.fromtimestamp(ms / 1000, tz).hour
            tickets[key] = TicketFacts(key, body["day"], body["service"], body["label"], ms, hour)
            continue
        t = tickets.get(key)
        if t is None:
            continue
        if kind == "ticket.called" and ev["id"] not in lost_calls:
            if t.first_call_ms is None:
                t.first_call_ms = ms
            t.calls[body["counter"]] = ms
            if t.status == "waiting":
                t.status = "called"
        elif kind == "ticket.done" and t.status not in ("served", "cancelled"):
            # Done is evidence: it wins over a no-show and over who held the call.
            t.status, t.finished_ms, t.counter = "served", ms, body["counter"]
        elif kind == "ticket.skipped" and t.status == "called":
            t.status, t.finished_ms, t.counter = "no_show", ms, body["counter"]
        elif kind == "ticket.cancelled" and t.status in ("waiting", "called"):
            t.status, t.finished_ms = "cancelled", ms
        elif kind == "ticket.transferred":
            t.transfers += 1
            t.status = "waiting"
        elif kind == "ticket.rated" and ev["id"] not in rejected:
            t.score = int(body["score"])
        elif kind == "survey.answered" and t.survey is None and t.status == "served":
            t.survey = list(body["answers"])
    return tickets


def compute(
    records: Iterable[Mapping],
    date_from: str,
    date_to: str | None = None,
    *,
    agency_of: Mapping[str, str] | None = None,
    tz: tzinfo = UTC,
) -> Report:
    """KPIs for service days date_from..date_to (inclusive, 'YYYY-MM-DD')."""
    date_to = date_to or date_from
    records = list(records)
    facts = collect(records, tz)
    chosen = [t for t in facts.values() if date_from <= t.day <= date_to]
    chosen.sort(key=lambda t: (t.issued_ms, t.key))
    agency_of = agency_of or {}
    total, by_service, by_agency, by_counter = Row(), {}, {}, {}
    hours: Tally[int] = Tally()
    for t in chosen:
        hours[t.hour] += 1
        agency = agency_of.get(t.service, "?")
        groups = [total, by_service.setdefault(t.service, Row())]
        groups.append(by_agency.setdefault(agency, Row()))
        for row in groups:
            _add(row, t)
        if t.counter is not None and t.status in ("served", "no_show"):
            row = by_counter.setdefault(t.counter, Row())
            row.served += t.status == "served"
            row.no_show += t.status == "no_show"
            if t.service_s is not None:
                row.services.append(t.service_s)
    keys = {t.key for t in chosen}
    anomalies = sum(
        1
        for r in records
        if r["event"]["type"] == "anomaly.double_service"
        and (r["event"].get("body") or {}).get("ticket", r["event"].get("ticket")) in keys
    )
    return Report(
        date_from,
        date_to,
        total,
        dict(sorted(by_service.items())),
        dict(sorted(by_agency.items())),
        dict(sorted(by_counter.items())),
        {h: hours[h] for h in sorted(hours)},
        quick_rating(t.score for t in chosen if t.score is not None),
        anomalies,
        chosen,
    )


def _add(row: Row, t: TicketFacts) -> None:
    row.issued += 1
    row.transferred += t.transfers > 0
    if t.status == "served":
        row.served += 1
    elif t.status == "no_show":
        row.no_show += 1
    elif t.status == "cancelled":
        row.cancelled += 1
    else:
        row.waiting += 1
    if t.wait_s is not None:
        row.waits.append(t.wait_s)
    if t.service_s is not None:
        row.services.append(t.service_s)


MAX_BACKDATE_MS = 31 * 86_400_000


def minutes_text(seconds: float | None) -> str:
    """A duration as minutes with two decimals (``"6.50"``), ``""`` when unknown."""
    return "" if seconds is None else f"{seconds / 60:.2f}"


def row_values(row: Row) -> dict[str, int | str]:
    """One group's figures as the reports' CSV columns (durations in minutes): the hub's
    reports and the regional server's write the same columns."""
    w, s, rate = row.wait, row.service, row.no_show_rate
    return {
        "issued": row.issued,
        "served": row.served,
        "no_show": row.no_show,
        "cancelled": row.cancelled,
        "not_finished": row.waiting,
        "transferred": row.transferred,
        "no_show_rate_pct": "" if rate is None else f"{rate * 100:.1f}",
        "wait_mean_min": minutes_text(w.mean),
        "wait_p50_min": minutes_text(w.p50),
        "wait_p90_min": minutes_text(w.p90),
        "service_mean_min": minutes_text(s.mean),
        "service_p50_min": minutes_text(s.p50),
        "service_p90_min": minutes_text(s.p90),
    }


def when(record: dict) -> int:
    """A record's time for reports: ``est_ms`` when plausible, else ``recv_ms``.

    Records written before estimates were bounded may hold a wild ``est_ms`` (a node's
    poisoned boot clock); a report must neither place a ticket in the year -3 million nor
    fail on it (the hub now clamps new estimates into their service day, hub.derive).
    """
    recv = record.get("recv_ms") or 0
    est = record.get("est_ms")
    if (
        not isinstance(est, int)
        or isinstance(est, bool)
        or not recv - MAX_BACKDATE_MS <= est <= recv
    ):
        return recv
    return est
