"""Online commands: issue a ticket (kiosks, API clients) and counter buttons.

Thin: parse and type-check the JSON, hand over to the Authority, return its answer. Every
endpoint here writes, so every one needs a node token (401 otherwise).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify

from hub import identity
from hub.auth import require_node
from hub.errors import Refused, field, invalid, json_body

bp = Blueprint("loket_api", __name__, url_prefix="/api/v1")


def _authority():
    return current_app.extensions["loket"]


@bp.post("/tickets")
@require_node
def issue_ticket() -> tuple[Response, int]:
    body = json_body()
    req = field(body, "req", str)
    service = field(body, "service", str)
    kiosk = field(body, "kiosk", str, required=False) or g.node_id
    _only_itself(kiosk, "kiosks")
    priority = field(body, "priority", int, required=False) or 0
    if not -9 <= priority <= 9:
        # 0 normal; lower = called earlier (e.g. -1 for elderly and disabled visitors)
        raise invalid("priority", "an integer -9..9 (0 normal, lower = earlier)")
    public = field(body, "public", str, required=False)
    if public is not None and (
        len(public) < 12 or not public.replace("-", "").replace("_", "").isalnum()
    ):
        raise invalid("public", "a url-safe id of 12+ characters")
    status, answer = _authority().issue_status(req, service, kiosk, priority, public)
    return jsonify(answer), status


@bp.post("/counters/<counter_id>/<action>")
@require_node
def counter_action(counter_id: str, action: str) -> Response:
    _only_itself(counter_id, "counters")
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


def _only_itself(target: str, kind: str) -> None:
    """A device token acts only as that device (``kind`` "kiosks" or "counters"): a stolen
    counter token cannot call people at another counter. Tokens paired under other names
    (API clients, such as the demo's ``api``) are operator credentials and may act for any."""
    role = identity.device_role(_authority().catalogue(), g.node_id)
    if role is not None and g.node_id != target:
        raise Refused(
            "forbidden_node", f"node {g.node_id} may not act as {kind[:-1]} {target}", 403
        )
    if role is not None and role != kind[:-1]:
        raise Refused("forbidden_node", f"node {g.node_id} is not one of the {kind}", 403)
