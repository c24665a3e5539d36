"""KPIs from a handcrafted day of records: exact numbers, hand-checked."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from ui_records import DAY, Log

from hub import kpi

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture()
def day() -> Log:
    log = Log()
    a1 = log.issue("A-001", 0)
    b1 = log.issue("B-001", 1)
    a2 = log.issue("A-002", 2)
    b2 = log.issue("B-002", 3)
    log.call(b1, "C2", 4)
    a3 = log.issue("A-003", 5)
    lost = log.call(a3, "C2", 8, eid="C2:x:9")
    log.add(
        "call.superseded", a3, 8.1, {"call": lost, "counter": "C2", "winner": "?", "ticket": a3}
    )
    log.add("ticket.cancelled", b2, 9, {"by": "admin", "reason": "pulang"})
    log.call(a1, "C1", 10)
    log.simple("ticket.done", b1, "C2", 14)
    log.simple("ticket.rated", b1, "C2", 14.5, score=2)
    rejected = log.simple("ticket.rated", b1, "C2", 14.6, score=1)
    log.add("rating.rejected", None, 14.7, {"event": rejected, "reason": "already_rated"})
    log.simple("ticket.done", a1, "C1", 16)
    log.simple("ticket.rated", a1, "C1", 16.5, score=4)
    log.call(a2, "C1", 20)
    log.simple("ticket.skipped", a2, "C1", 22)
    log.call(a3, "C1", 25)
    log.simple("ticket.recalled", a3, "C1", 26)
    log.simple("ticket.done", a3, "C1", 33)
    log.simple("ticket.rated", a3, "C1", 34, score=3)
    log.issue("B-003", 61)
    ghost = log.issue("A-004", 62)
    log.add("ticket.void_ghost", ghost, 62.5, {"ticket": ghost, "req": "K1:x:r1"})
    other = log.issue("A-001", 0, day="2026-11-27")
    log.call(other, "C1", 1)
    return log


def test_day_totals_waiting_service_and_no_show(day: Log) -> None:
    rep = kpi.compute(day.records, DAY, agency_of={"A": "dukcapil", "B": "bpjs"}, tz=WIB)
    t = rep.total
    assert (t.issued, t.served, t.no_show, t.cancelled, t.waiting) == (6, 3, 1, 1, 1)
    # waits: B-001 3 min, A-001 10, A-002 18, A-003 20 (the superseded call at 8 does not count)
    assert t.wait == kpi.Stats(4, 765.0, 600.0, 1200.0)
    # service: A-001 6 min, A-003 8 (from its surviving call, not the recall), B-001 10
    assert t.service == kpi.Stats(3, 480.0, 480.0, 600.0)
    assert t.no_show_rate == 0.25


def test_groups_hours_and_counters(day: Log) -> None:
    rep = kpi.compute(day.records, DAY, agency_of={"A": "dukcapil", "B": "bpjs"}, tz=WIB)
    assert list(rep.by_service) == ["A", "B"]
    a, b = rep.by_service["A"], rep.by_service["B"]
    assert (a.issued, a.served, a.no_show, a.cancelled) == (3, 2, 1, 0)
    assert (b.issued, b.served, b.no_show, b.cancelled, b.waiting) == (3, 1, 0, 1, 1)
    assert rep.by_agency["dukcapil"].issued == 3 and rep.by_agency["bpjs"].issued == 3
    assert rep.arrivals_by_hour == {8: 5, 9: 1}
    c1, c2 = rep.by_counter["C1"], rep.by_counter["C2"]
    assert (c1.served, c1.no_show, c1.services) == (2, 1, [360.0, 480.0])
    assert (c2.served, c2.no_show, c2.services) == (1, 0, [600.0])


def test_quick_rating_from_accepted_ratings(day: Log) -> None:
    rep = kpi.compute(day.records, DAY, tz=WIB)
    # scores 4, 3, 2 (the rejected 1 is ignored): mean 9 / 3 = 3.00; 2 of 3 satisfied = 66.7%
    assert rep.quick.n == 3
    assert rep.quick.mean == Decimal("3.00")
    assert rep.quick.satisfied_pct == Decimal("66.7")
    assert rep.quick.counts == {4: 1, 3: 1, 2: 1, 1: 0}
    # one button is not the nine-element SKM: no IKM value, no grade, whatever n is
    assert not hasattr(rep.quick, "grade") and not hasattr(rep, "ikm")


def test_range_includes_both_days(day: Log) -> None:
    rep = kpi.compute(day.records, "2026-11-27", DAY, tz=WIB)
    assert rep.total.issued == 7
    assert kpi.compute(day.records, "2026-11-27", tz=WIB).total.issued == 1


def test_quick_rating_values() -> None:
    assert kpi.quick_rating([4, 4, 4, 3]).mean == Decimal("3.75")
    assert kpi.quick_rating([4, 1]).satisfied_pct == Decimal("50.0")
    assert kpi.quick_rating([]).mean is None


def test_percentile_nearest_rank() -> None:
    assert kpi.percentile([5, 1, 4, 2, 3], 50) == 3
    assert kpi.percentile([1.0] * 9 + [100.0], 90) == 1.0
    assert kpi.percentile([], 50) is None
