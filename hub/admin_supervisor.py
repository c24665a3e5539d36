"""``/admin/supervisor``: the floor as it is now, updating itself (issue 11 item 3).

The page shows a fragment rendered here (``/admin/supervisor/live``); a small local script
listens to the hub's event stream (``GET /api/v1/stream``, hub.sse) and fetches the fragment
again after each record, so what a supervisor sees is never older than the last event and
the figures are computed in one place, on the hub. Viewers may watch; cancelling needs a
supervisor (``POST /admin/tickets/cancel``, with a confirmation box).

Supervisors act from each counter row: pause/resume and a specific call with a reason, posted
to ``hub.admin_floor``'s routes (``back=supervisor`` brings them back here with the answer),
so the floor page and this one run the same commands. Device faults are the dashboard's
device alerts (``hub.admin_devices``: heartbeats and ``device.status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, render_template

from hub import ui
from hub.auth import require_role

bp = Blueprint("admin_supervisor", __name__, url_prefix="/admin/supervisor")

WINDOW = 2000  # recent records scanned for counter changes and out-of-order calls
MIN = 60_000
CALLABLE = 50  # waiting labels offered per counter row (typing any other still works)


@bp.get("/")
@require_role("viewer")
def page() -> str:
    return render_template("admin_supervisor.html", live=floor())


@bp.get("/live")
@require_role("viewer")
def live() -> str:
    return render_template("admin_supervisor_live.html", live=floor())


def floor() -> dict[str, Any]:
    """Everything the live view shows, computed from one snapshot and the recent records."""
    auth = ui.authority()
    now = auth.now_ms()
    snap = auth.snapshot()
    recent = ui.recent_records(WINDOW)
    queues = queue_rows(snap, now)
    return {
        "hseq": snap.get("last_hseq"),
        "updated": ui.clock_text(now),
        "queues": queues,
        "alerts": [q for q in queues if q["alert"]],
        "counters": counter_rows(snap, recent, now),
        "faults": device_faults(),
        "out_of_order": out_of_order(recent),
    }


def queue_rows(snap: Mapping, now: int) -> list[dict[str, Any]]:
    waiting = ui.snapshot_waiting(snap)
    rows = []
    for sid, s in ui.services().items():
        tickets = waiting.get(sid, [])
        issued = [t["issued_ms"] for t in tickets if isinstance(t.get("issued_ms"), int)]
        longest = max(0, (now - min(issued)) // MIN) if issued else 0
        limit = ui.field(s, "sla_wait_min")
        rows.append(
            {
                "id": sid,
                "name": ui.field(s, "name", sid),
                "waiting": len(tickets),
                "longest_min": longest,
                "limit": limit,
                "alert": bool(limit and issued and longest > limit),
            }
        )
    return rows


def counter_rows(snap: Mapping, recent: list[dict], now: int) -> list[dict[str, Any]]:
    """Per counter: serving / idle / paused, and since when (its latest event in the
    window; before it, the time is not known and shows as a dash)."""
    since: dict[str, int] = {}
    for r in recent:
        ev = r["event"]
        body = ev.get("body") if isinstance(ev.get("body"), Mapping) else {}
        cid = body.get("counter") or ev.get("origin")
        if isinstance(cid, str):
            since[cid] = r.get("est_ms") or r.get("recv_ms") or since.get(cid, 0)
    live = ui.snapshot_counters(snap)
    waiting = ui.snapshot_waiting(snap)
    rows = []
    for cid, c in ui.counters().items():
        state = live.get(cid, {})
        if not state.get("open", True):
            status = "paused"
        elif state.get("current"):
            status = "serving"
        else:
            status = "idle"
        at = since.get(cid)
        rows.append(
            {
                "id": cid,
                "number": ui.field(c, "number"),
                "name": ui.field(c, "name") or cid,
                "status": status,
                "ticket": state.get("label") or ui.label_of(state.get("current")) or "",
                "since": ui.clock_text(at, "%H:%M"),
                "for_min": (now - at) // MIN if at else None,
                # what a supervisor may call here: the call form offers these labels
                "callable": [
                    w["label"] for sid in state.get("services") or () for w in waiting.get(sid, [])
                ][:CALLABLE],
            }
        )
    return rows


def device_faults() -> list[dict[str, Any]]:
    """Devices with a fault or gone silent (``hub.admin_devices.alerts``, from heartbeats and
    ``device.status`` events), each with its faulty parts in the page's words."""
    from hub import admin_devices

    rows = []
    for r in admin_devices.alerts():
        parts = [f"{d['name']} {d['status_text']}" for d in r["devices"] if d["status"] != "ok"]
        rows.append({"node": r["id"], "state": r["state_text"], "faults": parts})
    return rows


def out_of_order(recent: list[dict], limit: int = 20) -> list[dict[str, Any]]:
    rows = []
    for r in reversed(recent):
        ev = r["event"]
        if ev.get("type") != "audit.out_of_order":
            continue
        body = ev.get("body") if isinstance(ev.get("body"), Mapping) else {}
        rows.append(
            {
                "when": ui.clock_text(r.get("recv_ms"), "%H:%M"),
                "ticket": ui.label_of(ev.get("ticket") or body.get("ticket")),
                "counter": body.get("counter") or "",
                "by": body.get("by") or "",
                "reason": body.get("reason") or "",
            }
        )
        if len(rows) >= limit:
            break
    return rows
