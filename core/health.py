"""Device health (contract C4): the words a heartbeat uses and the rule for a silent node.

Stdlib only, so the node that sends a heartbeat, the hub that checks it and the admin page
that shows it agree on one list of statuses and one staleness limit. A node beats every
``HEARTBEAT_EVERY_S`` and at once when a device's status changes; three missed beats
(``STALE_AFTER_MS``) make it ``stale``: long enough that one lost request or a hub restart
does not light the page red, short enough that a dead kiosk shows before the queue notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_MS = 90_000

STATUSES = ("ok", "low", "out", "cover_open", "offline", "fault", "unknown")
# What a technician must go and fix now. "low" (paper near end) is a warning; "unknown" is
# normal for printers that never answer a status query.
FAULTS = frozenset({"out", "cover_open", "offline", "fault"})
WARNINGS = frozenset({"low"})
DEVICES = ("printer", "display", "speaker", "screen", "buttons")
ROLES = ("kiosk", "counter", "display")
MAX_TEXT = 200


class DeviceStatus(NamedTuple):
    """What a device says about itself: one of ``STATUSES`` and a line for the technician."""

    status: str
    detail: str = ""

    @property
    def fault(self) -> bool:
        return self.status in FAULTS


def as_status(value: Any) -> DeviceStatus:
    """A device's ``status()`` answer as a ``DeviceStatus`` (a bare status string is read as
    one without detail; anything outside ``STATUSES`` is ``unknown`` with what it said)."""
    if isinstance(value, tuple) and len(value) == 2:
        status, detail = str(value[0]), str(value[1] or "")
    else:
        status, detail = str(value), ""
    if status not in STATUSES:
        return DeviceStatus("unknown", f"device said {status!r}")
    return DeviceStatus(status, detail[:MAX_TEXT])


def freshness(last_ms: int | None, now_ms: int) -> str:
    """``fresh`` | ``stale`` (silent for more than ``STALE_AFTER_MS``) | ``never``."""
    if last_ms is None:
        return "never"
    return "stale" if now_ms - last_ms > STALE_AFTER_MS else "fresh"


def overall(devices: Mapping[str, Mapping[str, Any]], fresh: str) -> str:
    """One word for a node's row: ``stale``/``never`` first (its devices are old news),
    then ``fault``, ``warning``, ``ok``."""
    if fresh != "fresh":
        return fresh
    found = {d.get("status") for d in devices.values()}
    if found & FAULTS:
        return "fault"
    if found & WARNINGS:
        return "warning"
    return "ok"


# -- the heartbeat body, checked field by field ------------------------------------------


class _Num(NamedTuple):
    kinds: tuple[type, ...]
    nullable: bool
    lo: float | None = None
    hi: float | None = None


_NUMBERS: dict[str, _Num] = {
    "uptime_s": _Num((int,), False, 0),
    "backlog": _Num((int,), False, 0),
    "last_sync_ms": _Num((int,), True, 0),
    "clock_offset_ms": _Num((int,), True, -(2**53), 2**53),
    "disk_free_mb": _Num((int, float), True, 0),
    "cpu_temp_c": _Num((int, float), True, -60, 200),
}
FIELDS = ("version", "address", "role", *_NUMBERS, "undervoltage", "devices")


def check_heartbeat(body: Any) -> tuple[dict, list[tuple[str, str]]]:
    """``(clean body, problems)``; each problem is ``(field path, what is expected)``.

    Every key of C4 is required (a node with no sensor sends null where null is allowed);
    unknown keys are refused so a typo in a node's code shows at once instead of a column
    that stays empty.
    """
    if not isinstance(body, Mapping):
        return {}, [("body", "a JSON object")]
    problems: list[tuple[str, str]] = []
    clean: dict[str, Any] = {}
    for key in sorted(set(body) - set(FIELDS)):
        problems.append((str(key), f"not a heartbeat field (expected: {', '.join(FIELDS)})"))
    for key in FIELDS:
        if key not in body:
            problems.append((key, "required"))
    for key in ("version", "address"):
        if key in body:
            value = body[key]
            nullable = key == "address"
            if (value is None and nullable) or (isinstance(value, str) and len(value) <= 64):
                clean[key] = value
            else:
                problems.append((key, "a text of at most 64 characters" + (" or null" * nullable)))
    if "role" in body:
        if body["role"] in ROLES:
            clean["role"] = body["role"]
        else:
            problems.append(("role", f"one of {', '.join(ROLES)}"))
    for key, spec in _NUMBERS.items():
        if key in body:
            problem = _number_problem(body[key], spec)
            if problem:
                problems.append((key, problem))
            else:
                clean[key] = body[key]
    if "undervoltage" in body:
        if body["undervoltage"] is None or isinstance(body["undervoltage"], bool):
            clean["undervoltage"] = body["undervoltage"]
        else:
            problems.append(("undervoltage", "true, false or null"))
    if "devices" in body:
        clean["devices"] = _check_devices(body["devices"], problems)
    return clean, problems


def _number_problem(value: Any, spec: _Num) -> str | None:
    expected = ("an integer" if spec.kinds == (int,) else "a number") + (
        " or null" if spec.nullable else ""
    )
    if value is None:
        return None if spec.nullable else expected
    if isinstance(value, bool) or not isinstance(value, spec.kinds):
        return expected
    if value != value:  # NaN
        return expected
    if spec.lo is not None and value < spec.lo:
        return f"{expected} >= {spec.lo:g}"
    if spec.hi is not None and value > spec.hi:
        return f"{expected} <= {spec.hi:g}"
    return None


def _check_devices(devices: Any, problems: list[tuple[str, str]]) -> dict:
    if not isinstance(devices, Mapping):
        problems.append(("devices", "an object of device name -> {status, detail}"))
        return {}
    clean = {}
    for name, entry in devices.items():
        path = f"devices.{name}"
        if name not in DEVICES:
            problems.append((path, f"not a device (expected one of {', '.join(DEVICES)})"))
            continue
        if not isinstance(entry, Mapping) or set(entry) - {"status", "detail"}:
            problems.append((path, "an object {status, detail}"))
            continue
        status, detail = entry.get("status"), entry.get("detail", "")
        if status not in STATUSES:
            problems.append((f"{path}.status", f"one of {', '.join(STATUSES)}"))
            continue
        if not isinstance(detail, str) or len(detail) > MAX_TEXT:
            problems.append((f"{path}.detail", f"a text of at most {MAX_TEXT} characters"))
            continue
        clean[name] = {"status": status, "detail": detail}
    return clean
