"""Admin pages of closed days: ``GET /admin/archive`` lists them, ``POST /admin/day/close``
closes one now (a supervisor; the hub's timer does it after closing time otherwise)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from hub import archive, csrf, day_close, nightly_backup, ui
from hub.auth import require_role
from hub.errors import Refused

bp = Blueprint("archive_admin", __name__, url_prefix="/admin", template_folder="templates")
csrf.protect(bp)

CLOSE_ROLE = "supervisor"


@bp.get("/archive")
@require_role("viewer")
def page() -> str:
    authority = ui.authority()
    days = list(archive.days(Path(authority.store.data_dir)))
    days.reverse()  # newest first
    backup = nightly_backup.last_status(authority.store.data_dir)
    return render_template(
        "admin_archive.html",
        days=days,
        open_days=day_close.open_days(authority),
        today=authority.today(),
        today_closed=day_close.closed(authority, authority.today()),
        backup_dir=authority.config.hub.backup_dir,
        backup=backup,
        backup_at=ui.clock_text((backup or {}).get("at_ms"), "%Y-%m-%d %H:%M"),
    )


@bp.post("/day/close")
@require_role(CLOSE_ROLE)
def close() -> Response:
    words = ui.text(ui.page_lang())
    day = request.form.get("day", "").strip()[:10] or None
    try:
        doc = day_close.close_day(ui.authority(), day, by=g.caller.id)
    except Refused as exc:
        # The refusal's own message is English (it is the CLI's too): the page says it in
        # its language by the refusal's code.
        reason = words.get(f"day_refused_{exc.code}", exc.code)
        flash(words["day_not_closed"].format(reason=reason))
    else:
        flash(words["day_closed_flash"].format(day=doc["day"], n=len(doc["not_served"])))
    return redirect(url_for("archive_admin.page"))
