"""Admin: the hall screens' running text line (``/admin/running-text``).

A supervisor types one line ("Loket Samsat tutup pukul 12.00 hari ini") for every hall
screen or one zone's. It is stored as a hub event (``hall.running_text``, hub-only), not as a
setting: the event stream brings it to every browser board at once, the changes feed to every
display node, and a display node that restarts still has it in its replica.

The text is checked before anything is written: at most :data:`MAX_CHARS` characters (one
line a visitor reads while it runs past), and no control or format characters (a newline
would break the line; a right-to-left override would make it read differently on the screen
than in the admin).
"""

from __future__ import annotations

import unicodedata

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core import zones
from hub import csrf, ui
from hub.auth import require_role
from hub.errors import Refused

bp = Blueprint("hall_admin", __name__, url_prefix="/admin", template_folder="templates")
csrf.protect(bp)

MAX_CHARS = 200
FIELD = "text"


@bp.get("/running-text")
@require_role("viewer")
def page() -> str:
    """What each screen shows now, and (for supervisors) the form to change it."""
    snap = ui.authority().snapshot()
    texts = ui.snapshot_state(snap).get("running_text") or {}
    fallback = ui.field(ui.catalogue().mpp, "running_text", "") or ""
    known = zones.zones(ui.catalogue())
    rows = [(None, zones.running_text(texts, fallback, None))] + [
        (z, zones.running_text(texts, fallback, z)) for z in known
    ]
    return render_template(
        "hall_admin.html",
        rows=rows,
        zones=known,
        max_chars=MAX_CHARS,
        words=ui.text(ui.page_lang()),
    )


@bp.post("/running-text")
@require_role("supervisor")
def set_running_text() -> Response:
    """Set (or, with an empty text, clear) the running text of every screen or one zone."""
    text = checked_text(request.form.get(FIELD))
    zone = (request.form.get("zone") or "").strip() or None
    if zone is not None and zone not in zones.zones(ui.catalogue()):
        known = ", ".join(zones.zones(ui.catalogue())) or "none"
        raise Refused("unknown_zone", f"no zone {zone!r}; known: {known}", 422, field="zone")
    ui.authority().commit_hub_event(
        "hall.running_text", body={"text": text, "zone": zone, "by": g.caller.id}
    )
    flash(ui.text(ui.page_lang())["running_text_saved"])
    return redirect(url_for("hall_admin.page"))


def checked_text(raw: str | None) -> str:
    """The text as stored (outer spaces trimmed), or a 422 saying what is wrong with it."""
    text = (raw or "").strip()
    if len(text) > MAX_CHARS:
        raise Refused(
            "invalid_running_text",
            f"the running text has {len(text)} characters; expected at most {MAX_CHARS}",
            422,
            field=FIELD,
        )
    for i, ch in enumerate(text):
        if unicodedata.category(ch)[0] == "C":
            raise Refused(
                "invalid_running_text",
                f"character {i + 1} is a control character (U+{ord(ch):04X}); expected one "
                "line of plain text",
                422,
                field=FIELD,
            )
    return text
