"""Admin page for pairing by code and for the tokens: ``/admin/pairing`` (admins only).

An admin picks a live node of the catalogue and gets a one-time code (``hub.pairing``) to
type into ``loket provision`` on the Pi; the page lists the codes still valid (never the
codes themselves: only their hashes are kept) and every token with who it is, when it was
issued, when it was last seen and whether it is revoked, with a button to revoke it. A
revoked token is refused on its next request. Every POST carries the CSRF token
(``hub.csrf``); the writes go through ``hub.pairing``, never to storage directly.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub import csrf, identity, pairing, roles, ui
from hub.auth import require_role

bp = Blueprint("admin_pairing", __name__, url_prefix="/admin/pairing")
csrf.protect(bp)

NEEDED = roles.PERMISSIONS["pair"]


@bp.get("/")
@require_role(NEEDED)
def page() -> str:
    return _render()


@bp.post("/code")
@require_role(NEEDED)
def make_code() -> str | Response | tuple[str, int]:
    """Make a code for the chosen node and show it once."""
    words = ui.text(None)
    node_id = request.form.get("node", "").strip()[:64]
    minutes_text = request.form.get("minutes", "").strip()
    try:
        minutes = int(minutes_text) if minutes_text else pairing.DEFAULT_TTL_MIN
    except ValueError:
        minutes = -1  # refused below with the allowed range
    authority = ui.authority()
    try:
        made = pairing.new_code(
            authority.store,
            node_id,
            catalogue=authority.catalogue(),
            now_ms=authority.now_ms(),
            ttl_min=minutes,
            by=g.caller.id,
        )
    except pairing.PairingRefused as exc:
        flash(words["pairing_refused"].format(reason=exc.message))
        return redirect(url_for("admin_pairing.page"))
    return _render(made=made)


@bp.post("/revoke")
@require_role(NEEDED)
def revoke() -> Response:
    words = ui.text(None)
    target = request.form.get("target", "").strip()[:256]
    authority = ui.authority()
    try:
        done = pairing.revoke(authority.store, target, now_ms=authority.now_ms())
    except pairing.PairingRefused as exc:
        flash(words["token_not_revoked"].format(reason=exc.message))
    else:
        flash(words["token_revoked_flash"].format(id=done["id"]))
    return redirect(url_for("admin_pairing.page"))


def _render(made: dict | None = None) -> str:
    authority = ui.authority()
    catalogue = authority.catalogue()
    now = authority.now_ms()
    seen = {n["id"]: n.get("last_seen_ms") for n in authority.node_status()}
    return render_template(
        "admin_pairing.html",
        devices=device_choices(catalogue),
        made=made,
        hub_url=request.host_url.rstrip("/"),
        pending=pairing.pending(authority.store, now),
        tokens=pairing.token_rows(authority.store, catalogue, seen),
        default_minutes=pairing.DEFAULT_TTL_MIN,
        max_minutes=pairing.MAX_TTL_MIN,
    )


def device_choices(catalogue: Any) -> list[dict[str, str]]:
    """Live nodes of the catalogue, counters then kiosks then displays: what may be paired."""
    choices = []
    for node_id in identity.node_ids(catalogue):
        role = identity.role_of(catalogue, node_id) or ""
        value = catalogue.get(role, node_id)
        choices.append({"id": node_id, "role": role, "name": getattr(value, "name", node_id)})
    return choices
