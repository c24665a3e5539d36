"""Reports page and CSV downloads over a real hub day (FakeClock, real Authority)."""

from __future__ import annotations

import csv
import io

import pytest

MIN = 60_000


@pytest.fixture
def day(authority, clock) -> str:
    """A-001 waits 10 min, served 6 min, rated 4; B-001 waits 14 min, then no-show."""
    a1 = authority.issue("r1", "A", "K1")
    clock.advance(2 * MIN)
    authority.issue("r2", "B", "K1")
    clock.advance(8 * MIN)
    assert authority.counter_command("C1", "next", "r3")["ticket"]["label"] == "A-001"
    clock.advance(6 * MIN)
    authority.counter_command("C1", "done", "r4")
    authority.counter_command("C1", "rate", "r5", score=4)
    assert authority.counter_command("C2", "next", "r6")["ticket"]["label"] == "B-001"
    clock.advance(1 * MIN)
    authority.counter_command("C2", "skip", "r7")
    return a1["ticket"]["day"]


def rows(admin, day: str, table: str) -> list[list[str]]:
    resp = admin.get(f"/admin/reports.csv?from={day}&to={day}&table={table}&lang=en")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert f'filename="loket-{table}-{day}_{day}.csv"' in resp.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_summary_csv_exact(admin, day) -> None:
    assert rows(admin, day, "summary") == [
        ["metric", "value"],
        ["from", day],
        ["to", day],
        ["issued", "2"],
        ["served", "1"],
        ["no_show", "1"],
        ["cancelled", "0"],
        ["not_finished", "0"],
        ["transferred", "0"],
        ["no_show_rate_pct", "50.0"],
        ["wait_mean_min", "12.00"],
        ["wait_p50_min", "10.00"],
        ["wait_p90_min", "14.00"],
        ["service_mean_min", "6.00"],
        ["service_p50_min", "6.00"],
        ["service_p90_min", "6.00"],
        ["quick_ratings", "1"],
        ["quick_rating_mean", "4.00"],
        ["quick_rating_satisfied_pct", "100.0"],
        ["anomalies", "0"],
    ]


def test_services_counters_hours_tickets_csv_exact(admin, day) -> None:
    services = rows(admin, day, "services")
    assert services[0][:8] == [
        "service",
        "name",
        "issued",
        "served",
        "no_show",
        "cancelled",
        "not_finished",
        "transferred",
    ]
    assert services[1] == [
        "A",
        "Dukcapil KTP",
        "1",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0.0",
        "10.00",
        "10.00",
        "10.00",
        "6.00",
        "6.00",
        "6.00",
    ]
    assert services[2] == [
        "B",
        "BPJS",
        "1",
        "0",
        "1",
        "0",
        "0",
        "0",
        "100.0",
        "14.00",
        "14.00",
        "14.00",
        "",
        "",
        "",
    ]
    assert [r[:2] for r in rows(admin, day, "agencies")[1:]] == [
        ["bpjs", "BPJS Kesehatan"],
        ["dukcapil", "Dukcapil"],
    ]
    assert rows(admin, day, "counters") == [
        [
            "counter",
            "number",
            "name",
            "served",
            "no_show",
            "service_mean_min",
            "service_p50_min",
            "service_p90_min",
        ],
        ["C1", "1", "Loket 1", "1", "0", "6.00", "6.00", "6.00"],
        ["C2", "2", "Loket 2", "0", "1", "", "", ""],
    ]
    assert rows(admin, day, "hours") == [["hour", "arrivals"], ["09", "2"]]
    assert rows(admin, day, "quick_rating") == [
        ["score", "label", "count"],
        ["4", "Sangat puas", "1"],
        ["3", "Puas", "0"],
        ["2", "Kurang puas", "0"],
        ["1", "Tidak puas", "0"],
    ]
    assert rows(admin, day, "tickets") == [
        [
            "day",
            "ticket",
            "service",
            "status",
            "issued_at",
            "wait_min",
            "service_min",
            "counter",
            "score",
        ],
        [day, "A-001", "A", "served", "09:00:00", "10.00", "6.00", "C1", "4"],
        [day, "B-001", "B", "no_show", "09:02:00", "14.00", "", "C2", ""],
    ]


def test_report_page_has_kpis_and_inline_svg_charts(admin, day) -> None:
    html = admin.get(f"/admin/reports?from={day}").get_data(as_text=True)
    assert "<svg" in html and "Kedatangan per jam" in html
    # One button press: a quick rating with its n, never an IKM grade ("Mutu").
    assert "Penilaian cepat di loket" in html and "n = 1" in html
    assert "Mutu" not in html and "IKM (SKM)" not in html
    assert "12.00" in html  # mean waiting time in minutes
    assert "<td>BPJS Kesehatan</td>" in html  # agencies by name
    assert "http://" not in html and "https://" not in html


def test_other_days_and_bad_input(admin, day) -> None:
    assert rows(admin, "2000-01-01", "summary")[3] == ["issued", "0"]
    assert admin.get("/admin/reports?from=28-11-2025").status_code == 400
    assert admin.get("/admin/reports.csv?table=nope").status_code == 404
    assert admin.get("/admin/reports?from=2024-01-01&to=2026-01-01").status_code == 400
