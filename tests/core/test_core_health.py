"""core.health: the heartbeat body is checked field by field; staleness; one word per node."""

from __future__ import annotations

from core.health import (
    STALE_AFTER_MS,
    DeviceStatus,
    as_status,
    check_heartbeat,
    freshness,
    overall,
)


def beat(**over):
    body = {
        "version": "0.1.0",
        "uptime_s": 12,
        "address": "10.0.0.21",
        "role": "kiosk",
        "backlog": 0,
        "last_sync_ms": 1_795_831_200_000,
        "clock_offset_ms": -40,
        "disk_free_mb": 2048,
        "cpu_temp_c": 48.5,
        "undervoltage": None,
        "devices": {"printer": {"status": "out", "detail": "out of paper"}},
    }
    body.update(over)
    return body


def test_a_complete_heartbeat_passes_unchanged() -> None:
    clean, problems = check_heartbeat(beat())
    assert problems == []
    assert clean == beat()


def test_every_problem_is_named_with_its_field() -> None:
    body = beat(uptime_s=-1, role="printer", cpu_temp_c="hot", undervoltage=1, colour="red")
    body["devices"] = {"printer": {"status": "jammed"}, "toaster": {"status": "ok"}}
    del body["backlog"]
    _clean, problems = check_heartbeat(body)
    fields = [f for f, _ in problems]
    assert fields == [
        "colour",
        "backlog",
        "role",
        "uptime_s",
        "cpu_temp_c",
        "undervoltage",
        "devices.printer.status",
        "devices.toaster",
    ]
    assert dict(problems)["backlog"] == "required"
    assert "ok, low, out" in dict(problems)["devices.printer.status"]


def test_bools_are_not_numbers_and_text_is_bounded() -> None:
    _c, problems = check_heartbeat(beat(backlog=True, version="x" * 65))
    assert {f for f, _ in problems} == {"backlog", "version"}
    assert check_heartbeat([1, 2])[1] == [("body", "a JSON object")]


def test_staleness_after_ninety_seconds() -> None:
    assert freshness(None, 1000) == "never"
    assert freshness(0, STALE_AFTER_MS) == "fresh"
    assert freshness(0, STALE_AFTER_MS + 1) == "stale"


def test_overall_puts_silence_before_faults() -> None:
    out = {"printer": {"status": "out"}}
    assert overall(out, "fresh") == "fault"
    assert overall(out, "stale") == "stale"
    assert overall({"printer": {"status": "low"}}, "fresh") == "warning"
    assert overall({"display": {"status": "ok"}}, "fresh") == "ok"


def test_as_status_reads_strings_and_unknown_words() -> None:
    assert as_status("ok") == DeviceStatus("ok", "")
    assert as_status(("fault", "spi")).fault
    assert as_status("jammed") == DeviceStatus("unknown", "device said 'jammed'")
