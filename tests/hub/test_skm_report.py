"""hub.skm_report.results over handcrafted hub records: groups, populations, the period."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from hub import skm_report

T0 = 1_795_831_200_000
AGENCY_OF = {"A": "dukcapil", "B": "bpjs"}
GOOD = [4] * 9
POOR = [2] * 9


class Records:
    def __init__(self) -> None:
        self.list: list[dict] = []

    def add(self, kind: str, ticket: str, body: dict) -> None:
        hseq = len(self.list) + 1
        event = {"id": f"hub:t:{hseq}", "origin": "hub", "type": kind, "ticket": ticket,
                 "body": body}  # fmt: skip
        ms = T0 + hseq * 60_000
        self.list.append({"hseq": hseq, "recv_ms": ms, "est_ms": ms, "event": event})

    def ticket(self, label: str, day: str = "2026-11-28", *, served=True, survey=None) -> None:
        key = f"{day}/{label}"
        service = label[0]
        self.add("ticket.issued", key, {"service": service, "label": label, "day": day})
        self.add("ticket.called", key, {"counter": "C1"})
        if served:
            self.add("ticket.done", key, {"counter": "C1"})
        if survey is not None:
            self.add("survey.answered", key, {"answers": survey})


def test_groups_populations_and_the_period() -> None:
    r = Records()
    r.ticket("A-001", survey=GOOD)
    r.ticket("A-002", survey=POOR)
    r.ticket("A-003")  # served, did not answer: counts in the population only
    r.ticket("A-004", served=False, survey=GOOD)  # never served: its answer does not count
    r.ticket("B-001", survey=GOOD)
    r.ticket("B-002", day="2026-10-31", survey=POOR)  # another period
    out = skm_report.results(r.list, "2026-11-01", "2026-11-30", agency_of=AGENCY_OF, tz=UTC)
    a, b = out["service"]["A"], out["service"]["B"]
    # A: 3 served, 2 answers (all 4s and all 2s): NRR 3.00 each, IKM 3 x 25 = 75.00;
    # population 3 < 10 -> minimum 3 > n = 2: no grade.
    assert (a.n, a.population, a.minimum, a.value, a.grade) == (2, 3, 3, Decimal("75.00"), None)
    # B: 1 served, 1 answer of 4s -> 100.00, minimum 1 -> A.
    assert (b.n, b.population, b.minimum, b.value, b.grade) == (1, 1, 1, Decimal("100.00"), "A")
    assert set(out["agency"]) == {"dukcapil", "bpjs"}
    assert out["agency"]["dukcapil"].n == 2
    # MPP: answers 4s, 2s, 4s -> NRR 10/3 each; IKM = 10/3 x 25 = 83.33; 3 of 4 served < 4
    total = out["total"][""]
    assert (total.n, total.population, total.value, total.grade) == (
        3, 4, Decimal("83.33"), None
    )  # fmt: skip


def test_an_empty_period_has_a_total_row() -> None:
    out = skm_report.results([], "2026-11-01", "2026-11-30", agency_of={}, tz=UTC)
    assert out["total"][""].n == 0 and out["service"] == {}


def test_csv_rows_leave_the_grade_empty_while_the_sample_is_short() -> None:
    r = Records()
    r.ticket("A-001", survey=GOOD)
    r.ticket("A-002")
    found = skm_report.results(r.list, "2026-11-28", "2026-11-28", agency_of=AGENCY_OF, tz=UTC)
    rows = [skm_report.Group("service", "A", "KTP", found["service"]["A"])]
    [head, row] = skm_report.csv_rows(rows, "en")
    assert head[:8] == ["level", "id", "name", "respondents", "population", "minimum_sample",
                        "ikm", "grade"]  # fmt: skip
    assert row[:8] == ["service", "A", "KTP", 1, 2, 2, "100.00", ""]
