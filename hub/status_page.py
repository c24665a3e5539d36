"""GET /t/<public>: one ticket's live status page, the QR code on the ticket points here.

Public and read-only; the unguessable `public` id is the only key, and the page
shows nothing beyond what is printed on the ticket plus where it stands now.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template

from core.skm import RESPONDENT_CHOICES
from hub import skm_survey, skm_text, ui
from hub.auth import public

bp = Blueprint("status_page", __name__, template_folder="templates")

# A public id is made by token_urlsafe-like generators; anything else is not worth a lookup.
_PUBLIC_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@bp.get("/t/<public>")
@public
def status(public: str) -> str:
    lang = ui.page_lang()
    info = ticket_status(public)
    survey = {"sk": skm_text.words(lang), "questions": skm_text.questions(lang)}
    return render_template(
        "status.html", info=info, t=ui.text(lang), lang=lang, choices=RESPONDENT_CHOICES, **survey
    )


@bp.get("/t/<public>.json")
@public
def status_json(public: str) -> Response:
    """The same facts as JSON, refetched by status.js after a relevant stream event."""
    return jsonify(ticket_status(public))


def ticket_status(public: str) -> dict[str, Any]:
    """Facts about the ticket with this public id; 404 when there is none."""
    if not public or len(public) > 64 or not set(public) <= _PUBLIC_CHARS:
        abort(404)
    snap = ui.authority().snapshot()
    mine = find_ticket(public, snap)
    if mine is None:
        abort(404)
    service_id = mine.get("service")
    service = ui.services(retired=True).get(service_id)
    status = mine.get("status")
    ahead = mine.get("position") if status == "waiting" else None
    holder = mine.get("holder") if status == "called" else None
    counter = ui.counters(retired=True).get(holder) if holder else None
    return {
        "public": public,
        "key": mine.get("key"),
        "label": mine.get("label") or ui.label_of(mine.get("key")),
        "service": service_id,
        "prefix": ui.field(service, "prefix", service_id),
        "service_name": ui.field(service, "name", service_id),
        "status": status,
        "people_ahead": ahead,
        "est_wait_min": None if ahead is None else estimate_wait(ahead, service_id, snap),
        "counter_number": ui.field(counter, "number", holder) if holder else None,
        "last_hseq": snap.get("last_hseq", 0),
        "survey": skm_survey.offer_state(mine, ui.authority().now_ms()),
    }


def find_ticket(public: str, snap: Mapping) -> dict[str, Any] | None:
    """The ticket as a dict: from the snapshot's queues while waiting, else from the fold.

    The snapshot lists only waiting tickets (with their position); a called or
    finished ticket is looked up through the Authority, under its lock.
    """
    for service_id, tickets in ui.snapshot_waiting(snap).items():
        for t in tickets:
            if t.get("public") == public:
                return {**t, "service": service_id, "status": "waiting"}
    return ui.authority().ticket_by_public(public)


def estimate_wait(ahead: int, service_id: str, snap: Mapping) -> int:
    """Minutes: people ahead x the service's average time / counters open for it.

    A rough, explainable figure (the same one a visitor would compute); it is
    never promised, and the page says "perkiraan".
    """
    service = ui.services(retired=True).get(service_id)
    avg = float(ui.field(service, "avg_service_min", 10.0) or 10.0)
    states = ui.snapshot_counters(snap)
    serving = 0
    for cid, c in ui.counters().items():
        live = states.get(cid, {})
        services = live.get("services") or ui.field(c, "services", ()) or ()
        if service_id in services and live.get("open", True):
            serving += 1
    return math.ceil(ahead * avg / max(1, serving))
