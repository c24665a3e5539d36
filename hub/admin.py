"""Admin UI: login/logout, the supervisor's dashboard and node health.

Users and password checks come from hub.auth (scrypt hashes in the store); the login is a
server-side session (hub.sessions: the cookie holds only its id, logout ends it on the hub,
it expires) and failed logins are throttled. Every route says the least role it needs
(``hub.auth.require_role``, table in ``hub.roles``): viewers read, supervisors act on the
floor (cancel, lift the barrier), admins pair devices. Every POST goes through hub.csrf.
Write actions call the Authority (or hub.auth) and never touch storage here.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from hub import auth, board, csrf, kpi, reports, roles, sessions, ui
from hub.auth import require_role
from hub.errors import Refused
from hub.health import device_rows

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
csrf.protect(bp)

# Derived notices a supervisor must see (docs/sync.md §4): none of them is silent.
NOTICE_TYPES = (
    "anomaly.double_service",
    "call.superseded",
    "call.retracted",
    "transfer.rejected",
    "ticket.void_ghost",
    "rating.rejected",
    "clock.skew",
)
NOTICE_WINDOW = 2000  # records scanned for recent notices on the dashboard
ONLINE_MS = 90_000


@bp.app_context_processor
def _user() -> dict[str, Any]:
    # Templates show the user, and only the forms that user's role may send.
    def can(role: str) -> bool:
        user = sessions.current_user()
        return user is not None and roles.at_least(user.role, role)

    return {
        "current_user": sessions.current_user,
        "can": can,
        "words": ui.text(None),
        "clock": lambda ms: ui.clock_text(ms, "%Y-%m-%d %H:%M:%S"),
    }


@bp.route("/login", methods=["GET", "POST"])
@auth.login_route
def login() -> str | Response | tuple[str, int]:
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("admin_login.html", next=next_url, error=None)
    words = ui.text(None)
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    throttle = current_app.extensions["loket_logins"]
    addr = request.remote_addr or "?"
    wait = throttle.wait_s(addr, username)
    if wait:
        error = words["login_throttled"].format(seconds=wait)
        return render_template("admin_login.html", next=next_url, error=error), 429
    user = auth.verify_user(ui.authority().store, username, password) if username else None
    if user is None:
        throttle.failed(addr, username)
        return render_template("admin_login.html", next=next_url, error=words["login_failed"]), 401
    throttle.succeeded(addr, username)
    sessions.start(username)  # a fresh session: nothing set before it (fixation) survives
    csrf.rotate()
    return redirect(next_url)


@bp.post("/logout")
@require_role("viewer")
def logout() -> Response:
    sessions.end()
    return redirect(url_for("admin.login"))


@bp.get("/")
@require_role("viewer")
def dashboard() -> str:
    snap = ui.authority().snapshot()
    return render_template(
        "admin_dashboard.html",
        queues=queue_rows(snap),
        counters=counter_rows(snap),
        nodes=node_rows(),
        notices=recent_notices(),
        barrier=barrier_pending(),
        profile_differences=list(getattr(ui.authority(), "profile_differences", ())),
        snap=snap,
    )


@bp.post("/barrier/lift")
@require_role(roles.PERMISSIONS["lift_barrier"])
def lift_barrier() -> Response:
    """End the recovery barrier early (Authority.lift_barrier), e.g. for a dead kiosk."""
    ui.authority().lift_barrier(by=g.caller.id)
    flash("Penghalang pemulihan dicabut: nomor online diterbitkan lagi.")
    return redirect(url_for("admin.dashboard"))


@bp.post("/tickets/cancel")
@require_role(roles.PERMISSIONS["cancel"])
def cancel_ticket() -> Response:
    """Cancel a waiting or called ticket (the visitor left): it leaves every queue and board."""
    label = request.form.get("ticket", "").strip()[:80]
    reason = request.form.get("reason", "").strip()[:64] or "left"
    try:
        ui.authority().cancel_ticket(label, by=g.caller.id, reason=reason)
    except Refused as exc:
        flash(f"Tidak dibatalkan: {exc.message}")
    else:
        flash(f"Tiket {label.upper()} dibatalkan.")
    return redirect(url_for("admin.dashboard"))


@bp.get("/nodes")
@require_role("viewer")
def nodes() -> str:
    return render_template(
        "admin_nodes.html",
        nodes=node_rows(),
        token=None,
        paired=None,
        rejections=list(ui.authority().rejections)[:20],
    )


@bp.post("/nodes/pair")
@require_role(roles.PERMISSIONS["pair"])
def pair() -> str | Response:
    """Issue a node's bearer token (hub.auth.pair_node, a node of the catalogue) or, with a
    role, an operator token (hub.auth.issue_operator_token); shown once, stored hashed."""
    node_id = request.form.get("node", "").strip()[:64]
    role = request.form.get("role", "").strip() or None
    authority = ui.authority()
    try:
        token = auth.issue_token(authority.store, node_id, role, catalogue=authority.catalogue())
    except ValueError as exc:
        flash(str(exc))
        return redirect(url_for("admin.nodes"))
    return render_template(
        "admin_nodes.html",
        nodes=node_rows(),
        token=token,
        paired=node_id,
        rejections=list(authority.rejections)[:20],
    )


def queue_rows(snap: dict) -> list[dict[str, Any]]:
    """Per service: waiting and being served now, and today's served/no-show/cancelled."""
    waiting = ui.snapshot_waiting(snap)
    by_prefix = {ui.field(s, "prefix", sid): sid for sid, s in ui.services().items()}
    serving: dict[str, int] = {}
    for c in ui.snapshot_counters(snap).values():
        if c.get("current"):
            sid = by_prefix.get(ui.label_of(c["current"]).split("-")[0])
            serving[sid] = serving.get(sid, 0) + 1
    today = reports.day_report(board.service_day(snap.get("hub_ms")))
    rows = []
    for sid, s in ui.services().items():
        done = today.by_service.get(sid, kpi.Row()) if today else kpi.Row()
        rows.append(
            {
                "id": sid,
                "name": ui.field(s, "name", sid),
                "agency": ui.field(ui.agencies().get(ui.field(s, "agency")), "name", ""),
                "waiting": len(waiting.get(sid, ())),
                "called": serving.get(sid, 0),
                "issued": done.issued,
                "served": done.served,
                "no_show": done.no_show,
                "cancelled": done.cancelled,
            }
        )
    return rows


def counter_rows(snap: dict) -> list[dict[str, Any]]:
    """Per configured counter: number, services, open/closed and the ticket it serves."""
    live = ui.snapshot_counters(snap)
    rows = []
    for cid, c in ui.counters().items():
        state = live.get(cid, {})
        rows.append(
            {
                "id": cid,
                "name": ui.field(c, "name", cid),
                "number": ui.field(c, "number"),
                "services": list(state.get("services") or ui.field(c, "services", ()) or ()),
                "open": state.get("open", True),
                "label": state.get("label") or ui.label_of(state.get("current")) or None,
            }
        )
    return rows


def barrier_pending() -> list[str] | None:
    """Kiosks the recovery barrier still waits for, or None when there is no barrier."""
    barrier = getattr(ui.authority(), "barrier", None)
    return barrier() if callable(barrier) else None


def node_rows() -> list[dict[str, Any]]:
    """Authority.node_status() plus what a technician reads first: online, when, epoch ok."""
    auth = ui.authority()
    now = auth.now_ms() if hasattr(auth, "now_ms") else None
    rows = []
    for n in auth.node_status():
        seen = n.get("last_seen_ms")
        rows.append(
            {
                **n,
                **device_rows(n["id"]),
                # Nodes long-poll every 25 s, so silence for longer than ONLINE_MS means trouble.
                "online": None
                if n.get("kind") == "operator"
                else bool(seen and now is not None and now - seen <= ONLINE_MS),
                "last_seen": _clock(seen),
                "last_push": _clock(n.get("last_push_ms")),
                "epoch_ok": n.get("hub_epoch_seen") in (None, auth.epoch),
            }
        )
    return rows


def _clock(ms: int | None) -> str:
    return ui.clock_text(ms, "%Y-%m-%d %H:%M:%S")


def recent_notices(limit: int = 50) -> list[dict[str, Any]]:
    """The newest derived notices (anomalies, superseded calls, clock skew...), newest first."""
    notices = []
    for r in reversed(ui.recent_records(NOTICE_WINDOW)):
        ev = r["event"]
        if r.get("est_clamped"):
            # a node's clock placed this event outside its service day (hub.derive)
            notices.append(
                {
                    "hseq": r["hseq"],
                    "type": "clock.clamped",
                    "ticket": ui.label_of(ev.get("ticket")),
                    "body": {"node": ev.get("origin"), "event": ev.get("type")},
                    "est_ms": r.get("est_ms"),
                }
            )
        elif ev["type"] in NOTICE_TYPES:
            body = ev.get("body") or {}
            notices.append(
                {
                    "hseq": r["hseq"],
                    "type": ev["type"],
                    "ticket": ui.label_of(ev.get("ticket") or body.get("ticket")),
                    "body": body,
                    "est_ms": r.get("est_ms"),
                }
            )
        if len(notices) >= limit:
            break
    return notices


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect after login would hand phishers a trusted link.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("admin.dashboard")
