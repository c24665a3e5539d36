"""``/admin/catalogue/changes``: who changed the catalogue, what and when (issue 11 item 1).

Read from the log itself - the ``catalogue.set``/``catalogue.retired`` events and their
``by`` (the admin user, ``profile`` for the seed, ``import-profile``) - so the page cannot
disagree with what the nodes applied. A set is compared with the entity's previous value to
name the fields that changed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from core.catalogue import CATALOGUE_TYPES
from hub import ui
from hub.auth import require_role

bp = Blueprint("admin_catalogue_log", __name__, url_prefix="/admin/catalogue")

SHOWN = 300  # newest changes on the page; the log keeps all of them


@bp.get("/changes")
@require_role("viewer")
def changes() -> str:
    return render_template("admin_catalogue_log.html", rows=change_rows()[:SHOWN])


def change_rows() -> list[dict[str, Any]]:
    """Every catalogue change, newest first: when, by whom, which entity, which fields."""
    last: dict[tuple[str, str], dict] = {}
    rows = []
    for record in ui.iter_records():
        ev = record["event"]
        if ev.get("type") not in CATALOGUE_TYPES or ev.get("origin") != "hub":
            continue
        body = ev.get("body") or {}
        key = (str(body.get("kind")), str(body.get("id")))
        if ev["type"] == "catalogue.retired":
            op, keys = "retired", []
            last.pop(key, None)
        else:
            value = body.get("value") if isinstance(body.get("value"), dict) else {}
            before = last.get(key)
            op = "created" if before is None else "changed"
            keys = sorted(
                k for k in set(value) | set(before or {}) if (before or {}).get(k) != value.get(k)
            )
            last[key] = value
        rows.append(
            {
                "when": ui.clock_text(record.get("recv_ms"), "%Y-%m-%d %H:%M:%S"),
                "by": body.get("by") or "—",
                "kind": key[0],
                "id": key[1],
                "op": op,
                "keys": keys if op == "changed" else [],
            }
        )
    rows.reverse()
    return rows
