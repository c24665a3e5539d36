"""Admin page "device health" (contract C4): every device's last heartbeat, faults and
stale nodes first, so a technician sees the dead LED or the empty printer before a visitor.

Read-only (role viewer). The rows come from ``hub.health`` (the heartbeats in RAM, the log's
last ``device.status`` after a restart); operator/API tokens are listed apart, since they
send no heartbeat and are never "offline".
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from hub import csrf, health, ui
from hub.auth import require_role

bp = Blueprint("admin_devices", __name__, url_prefix="/admin", template_folder="templates")
csrf.protect(bp)

# Rows needing a person first; within a rank by id.
RANK = {"fault": 0, "stale": 1, "never": 2, "warning": 3, "ok": 4}


@bp.get("/devices")
@require_role("viewer")
def devices() -> str:
    nodes = health.with_health(ui.authority().node_status())
    rows = [device_row(n) for n in nodes if n.get("kind") != "operator"]
    rows.sort(key=lambda r: (RANK.get(r["state"], 5), r["id"]))
    operators = [n for n in nodes if n.get("kind") == "operator"]
    return render_template("admin_devices.html", rows=rows, operators=operators)


def alerts() -> list[dict[str, Any]]:
    """The rows a supervisor must see on the dashboard: faults and silent devices."""
    nodes = health.with_health(ui.authority().node_status())
    rows = [device_row(n) for n in nodes if n.get("kind") != "operator"]
    rows = [r for r in rows if r["state"] in ("fault", "stale")]
    return sorted(rows, key=lambda r: (RANK[r["state"]], r["id"]))


@bp.app_context_processor
def _alerts() -> dict[str, Any]:
    # The dashboard (hub.admin) includes admin_device_alerts.html, which calls this.
    return {"device_alerts": alerts}


def device_row(node: dict) -> dict[str, Any]:
    """What the table shows for one device node (words already chosen: C6)."""
    words = ui.text(None)
    h = node.get("health") or {}
    beat = h.get("beat") or {}
    state = h.get("state") or "never"
    return {
        "id": node["id"],
        "role": node.get("role") or beat.get("role") or "",
        "state": state,
        "state_text": words[f"health_{state}"],
        "age": "—" if h.get("age_s") is None else words["health_ago"].format(s=h["age_s"]),
        "devices": [
            {
                "name": words.get(f"device_{name}", name),
                "status": d["status"],
                "status_text": words.get(f"device_status_{d['status']}", d["status"]),
                "detail": d.get("detail") or "",
            }
            for name, d in (h.get("devices") or {}).items()
        ],
        "beat": beat,
        "cpu": "—" if beat.get("cpu_temp_c") is None else f"{beat['cpu_temp_c']:.0f} °C",
        "disk": "—" if beat.get("disk_free_mb") is None else f"{beat['disk_free_mb']} MB",
        "offset": "—"
        if beat.get("clock_offset_ms") is None
        else f"{beat['clock_offset_ms'] / 1000:+.1f} s",
        "undervoltage": beat.get("undervoltage"),
    }
