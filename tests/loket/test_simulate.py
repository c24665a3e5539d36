"""``loket simulate-day``: a small Friday whose figures are computed by hand below (hours with
the prayer break, an agency closing at 09:00, a daily quota, the capacity stop, the priority
rule), the same arrivals on a holiday, and the shipped demo profile through the CLI."""

from __future__ import annotations

import io
import json
from datetime import date
from types import SimpleNamespace

import pytest

from core.config import hub_config_from_dict
from core.paths import demo_hub_profile
from loket import simulate
from loket.simulate import Arrival

FRIDAY = date(2026, 12, 4)


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def config(tmp_path):
    return hub_config_from_dict(
        {
            "mpp": {
                "name": "MPP Uji",
                "timezone": "Asia/Jakarta",
                "hours": {"fri": ["08:00-11:30", "13:30-16:00"]},
                "priority": {"rule": {"kind": "max_in_row", "n": 2}},
            },
            "hub": {"data_dir": str(tmp_path / "unused")},
            "calendar": {"shipped_holidays": False},
            "holidays": [{"date": date(2026, 12, 25), "name": "Natal"}],
            "agencies": [
                {"id": "dukcapil", "name": "Dukcapil"},
                {"id": "bpjs", "name": "BPJS", "hours": {"fri": ["08:00-09:00"]}},
            ],
            "services": [
                {"id": "U", "name": "Kuota", "agency": "dukcapil", "daily_quota": 5,
                 "avg_service_min": 5},
                {"id": "P", "name": "Penuh", "agency": "bpjs", "avg_service_min": 30},
                {"id": "R", "name": "Prioritas", "agency": "dukcapil", "avg_service_min": 10,
                 "capacity_stop": False},
            ],
            "counters": [
                {"id": "CU", "name": "Loket 1", "number": 1, "services": ["U"]},
                {"id": "CP", "name": "Loket 2", "number": 2, "services": ["P"]},
                {"id": "CR", "name": "Loket 3", "number": 3, "services": ["R"]},
            ],
        }
    )  # fmt: skip


def arrivals() -> list[Arrival]:
    q = [Arrival(m, "U") for m in range(hm("07:50"), hm("11:40") + 1, 10)]  # 24
    p = [Arrival(m, "P") for m in range(hm("08:00"), hm("08:55") + 1, 5)]  # 12
    r = [Arrival(hm("08:00"), "R") for _ in range(3)]
    r += [Arrival(hm("08:00"), "R", "lansia") for _ in range(4)]
    return q + p + r


@pytest.fixture(scope="module")
def friday(tmp_path_factory):
    return simulate.run_day(config(tmp_path_factory.mktemp("sim")), FRIDAY, arrivals=arrivals())


def test_quota_and_the_friday_break(friday):
    q = friday["services"]["U"]
    # 07:50 before opening, 11:30 and 11:40 in the prayer break: closed. 08:00..11:20 is 21
    # arrivals: the first 5 get numbers (each served at once, 5 min), 16 find the quota used.
    assert q["arrived"] == 24
    assert q["refused"] == {"closed": 3, "quota_reached": 16}
    assert (q["issued"], q["served"], q["last_number"], q["max_wait_min"]) == (5, 5, 5, 0)


def test_capacity_stops_before_the_wait_runs_past_closing(friday):
    p = friday["services"]["P"]
    # BPJS closes 09:00; 30 min a visit, one counter. 08:00 and 08:05 find nobody waiting,
    # 08:10 one (30 min < 50 left); from 08:15 two waiting (60 >= 45) or, from 08:35, one
    # with less than 30 min left: full. P-1 is served 08:00, P-2 08:30, P-3 09:00.
    assert p["refused"] == {"full_today": 9}
    assert (p["issued"], p["served"]) == (3, 3)
    assert (p["mean_wait_min"], p["max_wait_min"]) == (25.0, 50)


def test_priority_share_under_max_in_row_two(friday):
    r = friday["services"]["R"]
    # 08:00: R-001..003 normal, R-004..007 lansia. Calls every 10 min: 004, 005 (two
    # priority), 001, 006, 007, 002, 003 -> waits 0, 10, 20, 30, 40, 50, 60.
    assert (r["issued"], r["priority_issued"], r["served"]) == (7, 4, 7)
    assert (r["mean_wait_min"], r["max_wait_min"], r["priority_mean_wait_min"]) == (30.0, 60, 20.0)
    assert friday["counters"]["CR"] == {
        "calls": 7,
        "priority_calls": 4,
        "max_priority_in_row_while_normal_waited": 2,
        "max_normal_in_row_while_priority_waited": 1,
    }


def test_totals_and_checks(friday):
    assert friday["totals"] == {"arrived": 43, "issued": 15, "served": 15, "refused": 28}
    assert all(friday["checks"].values()), friday["checks"]


def test_a_holiday_issues_nothing(tmp_path):
    day = simulate.run_day(config(tmp_path), date(2026, 12, 25), arrivals=arrivals())
    assert day["holiday"] == "Natal"
    assert {s: v["refused"] for s, v in day["services"].items()} == {
        "U": {"holiday": 24},
        "P": {"holiday": 12},
        "R": {"holiday": 7},
    }


def test_the_cli_runs_the_shipped_demo_deterministically():
    args = SimpleNamespace(profile=demo_hub_profile(), date="2026-12-04", seed=7, json=True)
    first, second = io.StringIO(), io.StringIO()
    assert simulate.run(args, first) == 0
    simulate.run(args, second)
    assert first.getvalue() == second.getvalue()
    result = json.loads(first.getvalue())
    assert result["weekday"] == "Friday" and all(result["checks"].values())
    refused = {code for s in result["services"].values() for code in s["refused"]}
    assert {"closed", "full_today"} <= refused
    assert sum(s["priority_issued"] for s in result["services"].values()) > 0
