"""The supervisor's floor page and the audit list (issue 9 items 5-6).

``/admin/floor`` shows every counter (open or paused, who it serves) and what waits; a
supervisor may call a specific waiting ticket to a counter - only with a reason, which the
hub records as ``audit.out_of_order`` - pause or resume a counter, recall a skipped visitor
(after the grace window only with a reason: a late recall, audited) and ask a kiosk to
reprint its last ticket (``kiosk.reprint``, heard by the kiosk through its feed).
``/admin/audit`` lists the day's out-of-order calls with who, when and why, counted per
counter (viewers read it: the transparency the MPP exists for). Both go through the same
Authority commands the counters' API uses (``hub.floor_ops``), so a page and a button can
never disagree.
Words come from ``hub.ui.TEXT`` in the page's language (``?lang=en``, default Indonesian).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub import audit, csrf, ui
from hub.auth import require_role
from hub.errors import Refused

bp = Blueprint("admin_floor", __name__, url_prefix="/admin", template_folder="templates")
csrf.protect(bp)

# Refusal codes the pages explain in their own words (the API's message is for technicians).
_WORDS_FOR = {
    "missing_field": "floor_reason_required",
    "invalid_field": "floor_reason_too_long",
    "unknown_ticket": "floor_unknown_ticket",
    "not_waiting": "floor_not_waiting",
    "not_served_here": "floor_not_served_here",
    "counter_closed": "floor_counter_paused",
    "unknown_counter": "floor_unknown_counter",
    "not_recallable": "recall_not_recallable",
    "grace_over": "recall_grace_over",
}


def _lang() -> str:
    # A form says its page's language; otherwise the admin's one rule (hub.ui.page_lang).
    asked = request.form.get("lang")
    return asked if asked in ui.TEXT else ui.page_lang()


def _words() -> dict[str, str]:
    return ui.text(_lang())


# Pages a form may come back to (``back`` field): a fixed list, so no open redirect.
_BACK_TO = {"floor": "admin_floor.floor", "supervisor": "admin_supervisor.page"}


def _back(endpoint: str) -> Response:
    endpoint = _BACK_TO.get(request.form.get("back", ""), endpoint)
    lang = request.args.get("lang") or request.form.get("lang")
    return redirect(url_for(endpoint, **({"lang": lang} if lang else {})))


@bp.get("/floor")
@require_role("viewer")
def floor() -> str:
    snap = ui.authority().snapshot()
    counters = []
    for cid, cs in ui.snapshot_counters(snap).items():
        entity = ui.counters().get(cid)
        if entity is None:
            continue
        counters.append(
            {
                "id": cid,
                "number": entity.number,
                "open": cs.get("open", True),
                "label": cs.get("label"),
                "services": ", ".join(cs.get("services") or ()),
            }
        )
    waiting = {sid: [w["label"] for w in rows] for sid, rows in ui.snapshot_waiting(snap).items()}
    return render_template(
        "admin_floor.html",
        words=_words(),
        lang=_lang(),
        counters=counters,
        waiting=waiting,
        kiosks=sorted(ui.catalogue().kiosks),
    )


@bp.post("/floor/call")
@require_role("supervisor")
def call_ticket() -> Response:
    """Call one waiting ticket to a counter out of order; a reason is required (audited)."""
    return _ticket_command("call_ticket", "floor_called")


def _ticket_command(command: str, done: str) -> Response:
    """The form's counter ``command`` on its ticket, with its reason; flashes the outcome
    (``done``: the words of a success) and goes back to the floor page."""
    words = _words()
    counter = request.form.get("counter", "").strip()
    ticket = request.form.get("ticket", "").strip()[:80]
    try:
        ui.authority().counter_command(
            counter, command, f"admin:{secrets.token_hex(8)}",
            ticket=ticket, reason=request.form.get("reason", ""), by=g.caller.id,
        )  # fmt: skip
    except Refused as exc:
        flash(words[_WORDS_FOR.get(exc.code, "floor_refused")].format(ticket=ticket.upper()))
    else:
        flash(words[done].format(ticket=ticket.upper(), counter=counter))
    return _back("admin_floor.floor")


@bp.post("/floor/pause")
@require_role("supervisor")
def pause() -> Response:
    """Pause (``open=0``) or resume (``open=1``) a counter: the hub's roster.updated."""
    words = _words()
    counter = request.form.get("counter", "").strip()
    resume = request.form.get("open") == "1"
    try:
        ui.authority().counter_command(
            counter, "resume" if resume else "pause", f"admin:{secrets.token_hex(8)}",
            by=g.caller.id,
        )  # fmt: skip
    except Refused as exc:
        flash(words[_WORDS_FOR.get(exc.code, "floor_refused")].format(ticket=""))
    else:
        flash(words["floor_resumed" if resume else "floor_paused"].format(counter=counter))
    return _back("admin_floor.floor")


@bp.post("/floor/recall")
@require_role("supervisor")
def recall() -> Response:
    """A skipped visitor came back: recall them to the counter that skipped them; after the
    grace window only with a reason, audited as a late recall (``hub.floor_ops``)."""
    return _ticket_command("recall", "recall_done")


@bp.post("/floor/reprint")
@require_role("supervisor")
def reprint() -> Response:
    """Ask a kiosk to print its last ticket again (a visitor lost it, the paper jammed): a
    hub-only ``kiosk.reprint`` the kiosk hears through the feed (node.roles.kiosk)."""
    words = _words()
    kiosk = request.form.get("kiosk", "").strip()
    if kiosk not in ui.catalogue().kiosks:
        flash(words["reprint_unknown_kiosk"])
    else:
        ui.authority().commit_hub_event("kiosk.reprint", body={"kiosk": kiosk, "by": g.caller.id})
        flash(words["reprint_sent"].format(kiosk=kiosk))
    return _back("admin_floor.floor")


@bp.get("/audit")
@require_role("viewer")
def audit_page() -> str:
    authority = ui.authority()
    day = audit.day_arg(authority)
    return render_template(
        "admin_audit.html",
        words=_words(),
        lang=_lang(),
        rep=audit.summary(authority, day),
        when=lambda ms: ui.clock_text(ms, "%H:%M:%S"),
    )
