"""Online commands: issue a ticket (kiosks, front-desk operators) and counter buttons.

Thin: parse and type-check the JSON, hand over to the Authority, return its answer. Every
endpoint here writes, so each is guarded (``hub.auth``, table in ``hub.roles``): a kiosk token
issues only as that kiosk, a counter token presses only its own counter's buttons, an
operator token needs role supervisor. Issuing is rate-limited per kiosk and per operator
token (``hub.ratelimit``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify

from hub.auth import require_device
from hub.errors import Refused, field, invalid, json_body

bp = Blueprint("loket_api", __name__, url_prefix="/api/v1")


def _authority():
    return current_app.extensions["loket"]


def throttle(kind: str) -> None:
    """429 ``too_many_tickets`` once this caller took its share (``[hub] issue_per_min``)."""
    wait = current_app.extensions["loket_limits"].take(kind, g.caller.id)
    if wait:
        raise Refused(
            "too_many_tickets",
            f"{g.caller.id} asked for numbers faster than the hub allows; retry in {wait:g} s",
            429,
            retry_after_s=wait,
        )


@bp.post("/tickets")
@require_device("kiosk", operator="supervisor", own_field="kiosk")
def issue_ticket() -> tuple[Response, int]:
    body = json_body()
    req = field(body, "req", str)
    service = field(body, "service", str)
    kiosk = field(body, "kiosk", str, required=False) or g.node_id
    priority = field(body, "priority", int, required=False) or 0
    if not -9 <= priority <= 9:
        # 0 normal; lower = called earlier (e.g. -1 for elderly and disabled visitors)
        raise invalid("priority", "an integer -9..9 (0 normal, lower = earlier)")
    public = field(body, "public", str, required=False)
    if public is not None and (
        not 12 <= len(public) <= 64 or not public.replace("-", "").replace("_", "").isalnum()
    ):
        raise invalid("public", "a url-safe id of 12-64 characters")
    if not _authority().has_req(req):  # a retry of a lost answer takes no new number
        throttle("issue")
    status, answer = _authority().issue_status(req, service, kiosk, priority, public)
    base = current_app.config.get("LOKET_PUBLIC_URL") or None
    if isinstance(answer, dict) and "event" in answer:
        # The kiosk prints the QR only with a public_url: its own hub address (127.0.0.1,
        # a LAN name) is rarely one a visitor's phone can reach.
        answer = {**answer, "public_url": base}
        if base and str(answer.get("status_url", "")).startswith("/"):
            answer["status_url"] = base.rstrip("/") + answer["status_url"]
    if status == 200:
        current_app.extensions["loket_limits"].give_back("issue", g.caller.id)
    return jsonify(answer), status


@bp.post("/counters/<counter_id>/<action>")
@require_device("counter", operator="supervisor", own_arg="counter_id")
def counter_action(counter_id: str, action: str) -> Response:
    body = json_body()
    req = field(body, "req", str)
    kw = {}
    if action == "transfer":
        kw["to"] = field(body, "to", str)
    elif action == "recall":
        # optional: recall a no-show this counter skipped (instead of its current ticket)
        kw["ticket"] = field(body, "ticket", str, required=False)
    elif action == "rate":
        kw["score"] = field(body, "score", int)
    return jsonify(_authority().counter_command(counter_id, action, req, **kw))
