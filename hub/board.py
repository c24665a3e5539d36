"""GET /board: the hall TV board (public, read-only), and the voice clips it plays.

The server renders the current state into the page so the board is right
before any script runs (and after a reload while the hub is busy). board.js then
follows /api/v1/stream; the browser's EventSource resumes with Last-Event-ID by
itself, so there is no polling loop. /board/view.json is the same view as JSON,
fetched by the script only after a change or a reconnect, to recount the queues.

The board speaks with the same clips as the display node. Which words a call is made of
is decided here, by ``core.announce.call_clips`` (one composer, no second grammar in
JavaScript): the view's ``speak`` list carries every accepted call the fold still
remembers, with its clip names, and the page fetches ``/sounds/<lang>/<name>.wav`` (served
from the hub's own ``sounds/`` folder, cacheable) to play them. What is said when (collapse,
re-queue, too old) follows ``core.announce_queue``, with the hub's
``[hub] announce_max_age_s`` handed to the page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, send_from_directory

from core import zones
from core.announce import LANGS, all_clip_names, call_clips
from core.announce_queue import DEFAULT_MAX_AGE_S
from core.paths import sounds_dir
from hub import ui
from hub.auth import public
from hub.errors import Refused, unknown

log = logging.getLogger(__name__)

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
CLIP_MAX_AGE_S = 3600  # clips change only when a technician replaces a recording


@bp.get("/board")
@public
def board() -> str | tuple[str, int]:
    """The hall board page: ?lang=en for English, ?sound=0 for a silent screen (a second TV
    in the same hall), and the zone selectors of ``core.zones.from_query`` (``?zone=lantai-2``,
    ``services=``, ``counters=``, ``agencies=``, ``display=D2``) for one floor's TV."""
    lang = _lang()
    try:
        only = zones.from_query(ui.catalogue(), request.args)
    except zones.UnknownSelector as exc:
        # A typo in a TV's URL must not look like a quiet hall: say what is wrong.
        t = ui.text(lang)
        return render_template("board_error.html", t=t, lang=lang, message=exc.message), 400
    view = board_view(only, lang, sound=request.args.get("sound") != "0")
    return render_template("board.html", view=view, t=ui.text(lang), lang=lang)


@bp.get("/board/view.json")
@public
def view_json() -> Response:
    """The board's view as JSON, for board.js to resynchronise after a change."""
    try:
        only = zones.from_query(ui.catalogue(), request.args)
    except zones.UnknownSelector as exc:
        raise Refused(exc.code, exc.message, 400) from exc
    return jsonify(board_view(only, _lang(), sound=request.args.get("sound") != "0"))


@bp.get("/sounds/<lang>/<name>.wav")
@public
def clip(lang: str, name: str) -> Response:
    """One voice clip, exactly the file the display node plays (``sounds/<lang>/<name>.wav``).

    Only names the composer can ask for are served: the URL is never a path into the disk.
    """
    if lang not in LANGS:
        raise unknown("language", lang)
    if name not in all_clip_names(lang):
        raise unknown("clip", name)
    folder = sounds_dir(lang)
    if not (folder / f"{name}.wav").is_file():
        raise Refused("missing_clip", f"{folder}/{name}.wav is missing on the hub", 404)
    return send_from_directory(folder, f"{name}.wav", mimetype="audio/wav", max_age=CLIP_MAX_AGE_S)


def board_view(
    only: zones.Selection | set[str] | None = None, lang: str = "id", *, sound: bool = True
) -> dict[str, Any]:
    """What the board shows: the last calls, waiting counts per service, counters, the hub's
    clock, and what the voice may say (``speak``, ``sound``).

    `only` (a ``core.zones.Selection``, or a set of service ids) narrows tiles, calls and
    voice alike: an MPP with 30 agencies puts one TV per zone.
    """
    only = _selection(only)
    auth = ui.authority()
    snap = auth.snapshot()
    hub_ms = snap.get("hub_ms")
    today = service_day(hub_ms)
    waiting = ui.snapshot_waiting(snap)
    services = [
        {
            "id": sid,
            "prefix": ui.field(s, "prefix", sid),
            "name": ui.field(s, "name", sid),
            "waiting": sum(1 for t in waiting.get(sid, ()) if not _other_day(t.get("key"), today)),
        }
        for sid, s in ui.services().items()
        if only.shows_tile(sid)
    ]
    counters = {
        cid: {"number": ui.field(c, "number"), "name": ui.field(c, "name", cid)}
        for cid, c in ui.counters(retired=True).items()  # a call may be by one retired since
    }
    calls = ui.snapshot_calls(snap)
    return {
        "mpp": ui.mpp_name(),
        "hub_epoch": snap.get("hub_epoch", ""),
        "last_hseq": int(snap.get("last_hseq") or 0),
        "day": today,
        "lang": lang,
        "clock": hub_clock(hub_ms),
        "services": services,
        "counters": counters,
        "calls": recent_calls(calls, counters, today, only),
        "speak": speak_list(calls, counters, today, only, lang) if sound else [],
        "sound": {
            "enabled": sound,
            "clips": f"/sounds/{lang}/",
            "max_age_ms": int(_max_age_s() * 1000),
        },
        "only": only.to_dict(),
        "running_text": running_text(snap, only),
    }


def running_text(snap: Mapping, only: zones.Selection) -> str:
    """The running text line under the tiles (``core.zones.running_text``)."""
    texts = ui.snapshot_state(snap).get("running_text") or {}
    return zones.running_text(texts, ui.field(ui.catalogue().mpp, "running_text", ""), only.zone)


def speak_list(
    calls: list[Mapping],
    counters: dict[str, dict],
    day: str | None,
    only: zones.Selection | set[str] | None,
    lang: str,
) -> list[dict[str, Any]]:
    """Every accepted call the fold remembers (recalls too), oldest first, with its clips.

    The page offers the ones newer than what it has already heard to its speaker; the
    announcement rule (collapse, re-queue, too old) runs there, with ``max_age_ms``.
    """
    only = _selection(only)
    out: list[dict[str, Any]] = []
    for c in reversed(calls):
        key = c.get("ticket")
        if _other_day(key, day) or not only.shows_call(c.get("service"), c.get("counter")):
            continue
        label = c.get("label") or ui.label_of(key)
        number = counters.get(c.get("counter"), {}).get("number")
        try:
            clips = call_clips(label, number, lang)
        except (TypeError, ValueError) as exc:
            # A counter the profile does not number, a label the composer cannot say:
            # the board still shows it; the hall cannot hear it (and the log says why).
            _cannot_announce(label, str(c.get("counter")), str(exc))
            continue
        out.append(
            {
                "hseq": c.get("hseq"),
                "label": label,
                "number": number,
                "kind": c.get("kind"),
                "at_ms": c.get("est_ms"),
                "clips": clips,
            }
        )
    return out


@functools.lru_cache(maxsize=256)
def _cannot_announce(label: str, counter: str, why: str) -> None:
    # Cached: once per call in the log, not once per board refresh.
    log.warning("board cannot announce %s at %s: %s", label, counter, why)


def hub_clock(hub_ms: int | None) -> dict[str, Any]:
    """The hub's time and the MPP's UTC offset: the page's clock runs on these, never on
    the browser's own clock or timezone (a TV set to UTC, or an hour wrong, is common)."""
    if not hub_ms:
        return {"hub_ms": None, "utc_offset_min": 0, "text": ""}
    local = datetime.fromtimestamp(hub_ms / 1000, ui.timezone())
    offset = local.utcoffset()
    return {
        "hub_ms": hub_ms,
        "utc_offset_min": int(offset.total_seconds() // 60) if offset else 0,
        "text": local.strftime("%H:%M"),
    }


def recent_calls(
    calls: list[Mapping],
    counters: dict[str, dict],
    day: str | None = None,
    only: zones.Selection | set[str] | None = None,
) -> list[dict[str, Any]]:
    """The fold's recent calls for the board: today only, one per ticket, newest first."""
    only = _selection(only)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in calls:
        key = c.get("ticket")
        if key in seen or _other_day(key, day):
            continue
        seen.add(key)  # a ticket's newest call decides, even if another zone's screen shows it
        if not only.shows_call(c.get("service"), c.get("counter")):
            continue
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
    return ui.clock_text(hub_ms, "%Y-%m-%d", "") or None


def _lang() -> str:
    # ?lang=, else the one the browser chose before, else the mall's mpp.lang (hub.ui).
    return ui.page_lang()


def _max_age_s() -> float:
    hub = ui.field(ui.authority().config, "hub")
    return float(ui.field(hub, "announce_max_age_s", None) or DEFAULT_MAX_AGE_S)


def _selection(only: zones.Selection | set[str] | None) -> zones.Selection:
    if isinstance(only, zones.Selection):
        return only
    ids = frozenset(only or ())
    return zones.Selection(tiles=ids, services=ids) if ids else zones.EVERYTHING


def _other_day(key: str | None, day: str | None) -> bool:
    # Yesterday's tickets must not light up this morning's board.
    return bool(day and key and "/" in key and not key.startswith(day + "/"))
