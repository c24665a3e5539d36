"""Device heartbeats (contract C4), the part a kiosk needs: a device's status on the hub's
device list the moment it changes (a kiosk out of paper is seen before a visitor complains).

``POST /api/v1/nodes/<own id>/heartbeat {role?, devices: {printer?, display?, speaker?,
screen?, buttons?: {status, detail}}, ...}`` (device token, only as itself). The hub keeps
the latest report per node in RAM (a restart forgets it; the next heartbeat brings it back)
and ``device_rows`` gives it to ``GET /api/v1/nodes`` and the admin device page. Other C4
fields (version, uptime...) are #14's to check and keep; here they are ignored.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from hub.auth import require_device
from hub.errors import field, invalid, json_body
from hub.identity import DEVICE_ROLES

bp = Blueprint("loket_device_health", __name__)

DEVICES = ("printer", "display", "speaker", "screen", "buttons")
STATUSES = ("ok", "low", "out", "cover_open", "offline", "fault", "unknown")
FAULTS = frozenset({"out", "cover_open", "offline", "fault"})
MAX_DETAIL = 200
EXTENSION = "loket_device_health"


class HealthBook:
    """The latest device reports per node (thread-safe: waitress serves many threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_node: dict[str, dict[str, Any]] = {}

    def record(self, node_id: str, devices: dict[str, dict], at_ms: int) -> None:
        with self._lock:
            entry = self._by_node.setdefault(node_id, {"devices": {}})
            entry["devices"].update(devices)
            entry["at_ms"] = at_ms

    def of(self, node_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._by_node.get(node_id)
            return None if entry is None else {**entry, "devices": dict(entry["devices"])}


def book(app: Any = None) -> HealthBook:
    app = app or current_app
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = HealthBook()
    return app.extensions[EXTENSION]


def device_rows(node_id: str) -> dict[str, Any]:
    """What the device list shows of a node's health: ``devices`` and the ``faults`` among
    them (``"printer: out (paper out)"``), empty when it never reported."""
    entry = book().of(node_id)
    if entry is None:
        return {"devices": {}, "faults": []}
    faults = [
        f"{name}: {d['status']}" + (f" ({d['detail']})" if d.get("detail") else "")
        for name, d in sorted(entry["devices"].items())
        if d.get("status") in FAULTS
    ]
    return {"devices": entry["devices"], "faults": faults, "health_ms": entry.get("at_ms")}


def _devices(body: dict) -> dict[str, dict]:
    raw = field(body, "devices", dict)
    out = {}
    for name, report in raw.items():
        where = f"devices.{name}"
        if name not in DEVICES:
            raise invalid(where, f"one of {', '.join(DEVICES)}")
        if not isinstance(report, dict):
            raise invalid(where, "an object {status, detail}")
        status = report.get("status")
        if status not in STATUSES:
            raise invalid(f"{where}.status", f"one of {', '.join(STATUSES)}")
        detail = report.get("detail", "")
        if not isinstance(detail, str) or len(detail) > MAX_DETAIL:
            raise invalid(f"{where}.detail", f"a string of at most {MAX_DETAIL} characters")
        out[name] = {"status": status, "detail": detail}
    return out


@bp.post("/api/v1/nodes/<node_id>/heartbeat")
@require_device(*DEVICE_ROLES, own_arg="node_id")
def heartbeat(node_id: str) -> Response:
    body = json_body()
    devices = _devices(body)
    role = field(body, "role", str, required=False)
    if role is not None and role not in DEVICE_ROLES:
        raise invalid("role", f"one of {', '.join(DEVICE_ROLES)}")
    authority = current_app.extensions["loket"]
    now = authority.now_ms() if hasattr(authority, "now_ms") else authority.clock.wall_ms()
    book().record(node_id, devices, now)
    return jsonify({"ok": True, "at_ms": now})
