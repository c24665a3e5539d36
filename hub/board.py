"""GET /board: the hall TV board (public, read-only).

The server renders the current state into the page so the board is right
before any script runs (and after a reload while the hub is busy). board.js then
follows /api/v1/stream; the browser's EventSource resumes with Last-Event-ID by
itself, so there is no polling loop. /board/view.json is the same view as JSON,
fetched by the script only after a change or a reconnect, to recount the queues.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from hub import ui

# The UI's own static folder and templates, so the pages work whatever folders
# create_app gives the Flask app itself.
bp = Blueprint(
    "board",
    __name__,
    static_folder="static",
    static_url_path="/ui/static",
    template_folder="templates",
)

RECENT_CALLS = 6


@bp.get("/board")
def board() -> str:
    """The hall board page, ?lang=en for English, ?services=A,B for one zone's TV."""
    lang = "en" if request.args.get("lang") == "en" else "id"
    view = board_view(_wanted())
    return render_template("board.html", view=view, t=ui.text(lang), lang=lang)


@bp.get("/board/view.json")
def view_json() -> Response:
    """The board's view as JSON, for board.js to resynchronise after a change."""
    return jsonify(board_view(_wanted()))


def board_view(only: set[str] | None = None) -> dict[str, Any]:
    """What the board shows: the last calls, waiting counts per service, counters.

    `only` limits it to some services: an MPP with 30 agencies puts one TV per zone.
    """
    auth = ui.authority()
    snap = auth.snapshot()
    today = service_day(snap.get("hub_ms"))
    waiting = ui.snapshot_waiting(snap)
    services = [
        {
            "id": sid,
            "prefix": ui.field(s, "prefix", sid),
            "name": ui.field(s, "name", sid),
            "waiting": sum(1 for t in waiting.get(sid, ()) if not _other_day(t.get("key"), today)),
        }
        for sid, s in ui.services().items()
        if not only or sid in only
    ]
    counters = {
        cid: {"number": ui.field(c, "number"), "name": ui.field(c, "name", cid)}
        for cid, c in ui.counters(retired=True).items()  # a call may be by one retired since
    }
    return {
        "mpp": ui.mpp_name(),
        "hub_epoch": snap.get("hub_epoch", ""),
        "last_hseq": int(snap.get("last_hseq") or 0),
        "day": today,
        "services": services,
        "counters": counters,
        "calls": recent_calls(ui.snapshot_calls(snap), counters, today, only),
        "only": sorted(only or ()),
    }


def recent_calls(
    calls: list[Mapping],
    counters: dict[str, dict],
    day: str | None = None,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The fold's recent calls for the board: today only, one per ticket, newest first."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in calls:
        key = c.get("ticket")
        if key in seen or _other_day(key, day) or (only and c.get("service") not in only):
            continue
        seen.add(key)
        counter = c.get("counter")
        out.append(
            {
                "hseq": c.get("hseq"),
                "ticket": key,
                "label": c.get("label") or ui.label_of(key),
                "service": c.get("service"),
                "counter": counter,
                "number": counters.get(counter, {}).get("number", counter),
            }
        )
        if len(out) == RECENT_CALLS:
            break
    return out


def service_day(hub_ms: int | None) -> str | None:
    """Today's service day in the MPP's timezone (None if the hub gave no time)."""
    if not hub_ms:
        return None
    return datetime.fromtimestamp(hub_ms / 1000, ui.timezone()).strftime("%Y-%m-%d")


def _wanted() -> set[str] | None:
    raw = request.args.get("services", "")
    return {s.strip() for s in raw.split(",") if s.strip()} or None


def _other_day(key: str | None, day: str | None) -> bool:
    # Yesterday's tickets must not light up this morning's board.
    return bool(day and key and "/" in key and not key.startswith(day + "/"))
