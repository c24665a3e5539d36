"""``/api/v1/catalogue``: read the catalogue, and change it (admins only).

``POST {op: "set"|"retire", kind, id, value?}`` is the one command every catalogue editor
sends (the admin pages of #11 are forms over it): the Authority validates it with the
validator ``loket config check`` runs and commits the events, or answers 422 with every
problem at its path (``services.B.prefix``) - nothing is written then.

Who may (``hub.auth.require_role("admin", api=True)``, contract C5): a logged-in admin (the
session cookie *and* the page's CSRF token in the ``X-CSRF-Token`` header, since a JSON body
has no form field), or an operator token of role admin. A device token never may, whatever
its document says: a kiosk configures nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify

from hub import roles
from hub.auth import public, require_role
from hub.errors import field, json_body

bp = Blueprint("loket_catalogue", __name__, url_prefix="/api/v1")


def _authority():
    return current_app.extensions["loket"]


@bp.get("/catalogue")
@public
def read() -> Response:
    """The live catalogue (public, like ``/api/v1/state`` which carries it too)."""
    catalogue = _authority().catalogue()
    return jsonify({"catalogue": catalogue.to_dict(), "hseq": catalogue.hseq})


@bp.post("/catalogue")
@require_role(roles.PERMISSIONS["catalogue"], api=True)
def change() -> Response:
    body = json_body()
    op = field(body, "op", str)
    kind = field(body, "kind", str)
    entity_id = field(body, "id", str)
    value = body.get("value")
    events = _authority().change_catalogue(op, kind, entity_id, value, by=g.caller.id)
    return jsonify({"events": events, "changed": bool(events)})
