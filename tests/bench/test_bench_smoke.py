"""Smoke test: every benchmark runs at its smallest size and its JSON has the expected keys.

Never asserts a timing (figures on a CI machine mean nothing); only shapes and that the
benchmark got real answers from a real hub.
"""

from __future__ import annotations

import json

import pytest

from bench import __main__ as bench_main
from bench import stats


def _has_target_shape(result: dict) -> None:
    assert result["targets"], "every benchmark reports at least one target"
    for name, fig in result["targets"].items():
        assert {"value", "target", "pass"} <= set(fig), name


def test_percentile_interpolates_and_handles_empty() -> None:
    assert stats.percentile([], 50) is None
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert stats.percentile([5.0], 99) == 5.0
    assert stats.target(None, 1, unit="s")["pass"] is None


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("throughput", {"issue", "call_next", "durability"}),
        ("latency", {"calls", "to_sse", "to_long_poll", "lost"}),
        ("write_amp", {"hub", "journal", "tinydb_baseline", "side_by_side"}),
        ("catchup", {"catch_up", "push"}),
        ("footprint", {"hub_rss_after_events_mb", "hub_startup_empty_s", "nodes"}),
        ("hall", {"first_sample", "burst", "max_age_s"}),
        ("kiosk", {"online", "offline", "presses"}),
        ("streams", {"commands_none_held", "commands_streams_held", "streams_opened"}),
        ("history", {"hub_startup", "node_startup", "reports_month"}),
    ],
)
def test_benchmark_smoke(name: str, keys: set[str]) -> None:
    result = bench_main.run_one(name, "smoke")
    assert "error" not in result, result.get("error")
    assert keys <= set(result)
    _has_target_shape(result)
    json.dumps(result)  # the whole result must be JSON-able


def test_cli_prints_json_with_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main.main(["--smoke", "--only", "write_amp", "--no-save"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["mode"] == "smoke"
    assert {"cpu_model", "cpu_cores", "mem_total_bytes", "python", "kernel", "git_commit"} <= set(
        doc["machine"]
    )
    assert "write_amp" in doc["benchmarks"] and "_tally" in doc["targets"]


def test_hall_burst_simulation_follows_the_rule() -> None:
    from bench.hall import simulate

    calls = [(0.0, ["a"]), (0.1, ["b"]), (0.2, ["c"]), (20.0, ["a"])]
    durations = {"a": 5.0, "b": 5.0, "c": 5.0}
    limited = simulate(calls, durations, 6)
    # a at 0; b at 5 (4.9 s old); c's turn at 10 (9.8 s old): dropped; a again at 20.
    assert (limited["said"], limited["dropped"], limited["max_lag_s"]) == (3, 1, 4.9)
    assert limited["drained_s"] == 25.0
    free = simulate(calls, durations, None)
    assert [free[k] for k in ("said", "dropped", "max_lag_s", "drained_s")] == [4, 0, 9.8, 25.0]
