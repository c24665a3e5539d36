"""Admin pages that edit the catalogue: agencies, services, counters, kiosks, displays, the
mall's hours, holidays and closures (issue 11 item 1).

Each form is one catalogue command - ``Authority.change_catalogue``, the path
``POST /api/v1/catalogue`` takes - so it is validated by the validator ``loket config
check`` runs, committed as ``catalogue.set``/``catalogue.retired`` events with the admin as
``by``, and reaches every node through the feed. A refused edit comes back on the form with
every problem at its key path, in words, and with what the user typed.

"Pause" of an agency or a service is a closure of it for the rest of today (a catalogue
entity like any other, so nodes see it); "resume" retires that closure.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core.errors import ConfigError
from hub import admin_catalogue_forms as forms
from hub import csrf, roles, ui
from hub.auth import require_role
from hub.errors import Refused

bp = Blueprint("admin_catalogue", __name__, url_prefix="/admin/catalogue")
csrf.protect(bp)

LISTED = ("agency", "service", "counter", "kiosk", "display", "holiday", "closure")
PAUSABLE = ("agency", "service")
EDIT = roles.PERMISSIONS["catalogue"]


@bp.get("/")
@require_role("viewer")
def index() -> str:
    cat = ui.catalogue()
    sections = []
    for kind in LISTED:
        rows = [
            {"id": eid, "name": ui.field(e, "name", "") or ui.field(e, "reason", ""), "live": True}
            for eid, e in cat.entities(kind).items()
        ]
        rows += [
            {"id": eid, "name": ui.field(e, "name", "") or ui.field(e, "reason", ""), "live": False}
            for eid, e in cat.retired(kind).items()
            if eid not in cat.entities(kind)
        ]
        sections.append({"kind": kind, "rows": rows})
    return render_template(
        "admin_catalogue_index.html",
        sections=sections,
        paused=paused_ids(),
        pausable=PAUSABLE,
    )


@bp.get("/<kind>/new")
@require_role(EDIT)
def new(kind: str) -> str:
    _known(kind)
    return _form(kind, None, forms.form_text(kind, {}))


@bp.get("/<kind>/<entity_id>")
@require_role("viewer")
def edit(kind: str, entity_id: str) -> str:
    _known(kind)
    entity = ui.catalogue().get(kind, entity_id)
    if entity is None:
        abort(404)
    return _form(kind, entity_id, forms.form_text(kind, forms.live_value(entity)))


@bp.post("/<kind>")
@require_role(EDIT)
def save(kind: str) -> str | Response | tuple[str, int]:
    """Create or replace one entity from its form (the whole entity, as C1 wants)."""
    _known(kind)
    entity_id = "mpp" if kind == "mpp" else request.form.get("entity_id", "").strip()[:64]
    existing = ui.catalogue().get(kind, entity_id) if entity_id else None
    creating = request.form.get("creating") == "1"
    text = forms.typed(kind, request.form)
    words = ui.text(ui.page_lang())
    if creating and existing is not None:
        problems = [{"where": words["f_id"], "message": words["cat_exists"].format(id=entity_id)}]
        return _form(kind, None, text, entity_id=entity_id, problems=problems), 422
    if not creating and existing is None and kind != "mpp":
        abort(404)
    value = forms.value_from(kind, text, forms.live_value(existing))
    try:
        events = ui.authority().change_catalogue("set", kind, entity_id, value, by=g.caller.id)
    except ConfigError as exc:
        problems = [
            {
                "where": forms.path_words(p.path, words),
                "kind": forms.problem_kind(p.message, words),
                "path": p.path,
                "message": p.message,
            }
            for p in exc.problems
        ]
        form_id = None if creating else entity_id
        return _form(kind, form_id, text, entity_id=entity_id, problems=problems), 422
    flash(words["cat_saved" if events else "cat_unchanged"].format(id=entity_id))
    return redirect(url_for(".index"))


@bp.post("/<kind>/<entity_id>/retire")
@require_role(EDIT)
def retire(kind: str, entity_id: str) -> Response:
    _known(kind)
    _command("retire", kind, entity_id, None, "cat_retired")
    return redirect(url_for(".index"))


@bp.post("/<kind>/<entity_id>/pause")
@require_role(EDIT)
def pause(kind: str, entity_id: str) -> Response:
    if kind not in PAUSABLE:
        abort(404)
    auth = ui.authority()
    now = ui.clock_text(auth.now_ms(), "%H:%M")
    value = {
        "date": auth.today(),
        kind: entity_id,
        "start": now,
        "end": "24:00",
        "reason": ui.text(ui.page_lang())["cat_pause_reason"],
    }
    _command("set", "closure", pause_id(kind, entity_id), value, "cat_paused", shown=entity_id)
    return redirect(url_for(".index"))


@bp.post("/<kind>/<entity_id>/resume")
@require_role(EDIT)
def resume(kind: str, entity_id: str) -> Response:
    if kind not in PAUSABLE:
        abort(404)
    _command("retire", "closure", pause_id(kind, entity_id), None, "cat_resumed", shown=entity_id)
    return redirect(url_for(".index"))


def pause_id(kind: str, entity_id: str) -> str:
    return f"pause-{kind}-{entity_id}"[:32]


def paused_ids() -> set[str]:
    """Ids of the agencies and services paused today (their closure exists)."""
    closures = ui.catalogue().entities("closure")
    today = ui.authority().today()
    return {
        ui.field(c, "agency") or ui.field(c, "service")
        for cid, c in closures.items()
        if cid.startswith("pause-") and ui.field(c, "date") == today
    }


def _command(op: str, kind: str, entity_id: str, value: Any, done: str, shown: str = "") -> None:
    words = ui.text(ui.page_lang())
    try:
        ui.authority().change_catalogue(op, kind, entity_id, value, by=g.caller.id)
    except ConfigError as exc:
        reasons = "; ".join(f"{forms.path_words(p.path, words)}: {p.message}" for p in exc.problems)
        flash(words["cat_refused"].format(reason=reasons))
    except Refused as exc:
        flash(words["cat_refused"].format(reason=ui.error_words(exc.code, words)))
    else:
        flash(words[done].format(id=shown or entity_id))


def _known(kind: str) -> None:
    if kind not in forms.EDITABLE:
        abort(404)


def _form(
    kind: str,
    editing: str | None,
    text: dict[str, str],
    *,
    entity_id: str = "",
    problems: list[dict] | None = None,
) -> str:
    """The form of one entity: ``editing`` its id, or None for a new one (then ``entity_id``
    is what was typed as its id)."""
    fields = [
        {"key": key, "widget": widget, "choices": choices, "options": _options(widget)}
        for key, widget, choices in forms.FIELDS[kind]
    ]
    return render_template(
        "admin_catalogue_form.html",
        kind=kind,
        editing=editing if kind != "mpp" else "mpp",
        entity_id=entity_id,
        fields=fields,
        text=text,
        problems=problems or [],
        live=editing is not None and kind != "mpp",
    )


def _options(widget: str) -> list[tuple[str, str]]:
    if not widget.startswith("ref:"):
        return []
    kind = widget.partition(":")[2]
    return [(eid, ui.field(e, "name", eid)) for eid, e in ui.catalogue().entities(kind).items()]
