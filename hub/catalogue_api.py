"""``/api/v1/catalogue``: read the catalogue, and change it (admins only).

``POST {op: "set"|"retire", kind, id, value?}`` is the one command every catalogue editor
sends (the admin pages of #11 are forms over it): the Authority validates it with the
validator ``loket config check`` runs and commits the events, or answers 422 with every
problem at its path (``services.B.prefix``) - nothing is written then.

Who may: a logged-in admin (the session cookie *and* the page's CSRF token in the
``X-CSRF-Token`` header, since a JSON body has no form field), or an operator token whose
document carries ``role = "admin"`` (contract C5 gives tokens roles). A device token never
may, whatever its document says: a kiosk configures nothing.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request, session

from core.errors import ConfigError
from hub import csrf, identity
from hub.auth import bearer_token, token_hash
from hub.errors import Refused, error_body, field, json_body

bp = Blueprint("loket_catalogue", __name__, url_prefix="/api/v1")

CSRF_HEADER = "X-CSRF-Token"
ADMIN = "admin"


def _authority():
    return current_app.extensions["loket"]


@bp.get("/catalogue")
def read() -> Response:
    """The live catalogue (public, like ``/api/v1/state`` which carries it too)."""
    catalogue = _authority().catalogue()
    return jsonify({"catalogue": catalogue.to_dict(), "hseq": catalogue.hseq})


@bp.post("/catalogue")
def change() -> Response:
    by = admin_caller()
    body = json_body()
    op = field(body, "op", str)
    kind = field(body, "kind", str)
    entity_id = field(body, "id", str)
    value = body.get("value")
    events = _authority().change_catalogue(op, kind, entity_id, value, by=by)
    return jsonify({"events": events, "changed": bool(events)})


def admin_caller() -> str:
    """Who is changing the catalogue; refuses anyone but an admin (401/403/400)."""
    token = bearer_token()
    if token is not None:
        authority = _authority()
        doc = authority.store.node_by_token_hash(token_hash(token))
        if doc is None:
            raise Refused("unauthorized", "a valid 'Authorization: Bearer' token", 401)
        device = identity.is_device(authority.catalogue(), doc["id"]) or doc.get("kind") == "device"
        if device or doc.get("role") != ADMIN:
            raise Refused("forbidden_role", "changing the catalogue needs an admin", 403)
        return str(doc["id"])
    user = session.get("user")
    if not user:
        raise Refused("unauthorized", "log in as an admin or send an admin token", 401)
    if session.get("role", ADMIN) != ADMIN:
        raise Refused("forbidden_role", "changing the catalogue needs an admin", 403)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf.token()):
        raise Refused("csrf", f"missing or wrong {CSRF_HEADER} header; reload the page", 400)
    return str(user)


@bp.errorhandler(ConfigError)
def _invalid(exc: ConfigError) -> tuple[Response, int]:
    problems = [{"path": p.path, "message": p.message} for p in exc.problems]
    message = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
    return jsonify(error_body("invalid_catalogue", message, problems=problems)), 422
