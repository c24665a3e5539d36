"""The supervisor's list of out-of-order calls: who, when, why, counted per counter and day.

Every ``audit.out_of_order`` is a hub event committed with the action it records
(``hub.floor_ops``), so reading them back from the log is the whole list; nothing here can
drift from what happened. ``GET /api/v1/audit?day=YYYY-MM-DD`` serves it to operator tokens
of at least ``viewer``; ``/admin/audit`` (``hub.admin_floor``) shows the same to people.
The day is the MPP's service day of the hub's receipt of the record.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from core.numbering import parse_key
from hub.auth import require_device
from hub.errors import invalid
from hub.views import day_of

bp = Blueprint("loket_audit", __name__, url_prefix="/api/v1")

AUDIT_TYPE = "audit.out_of_order"
PAGE = 1000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _records(authority: Any) -> Iterator[dict]:
    since = 0
    while batch := authority.records_since(since, PAGE):
        yield from batch
        since = batch[-1]["hseq"]


def entries(authority: Any, day: str) -> list[dict]:
    """The out-of-order calls of service day ``day``, oldest first."""
    tz = authority.tz
    out = []
    for rec in _records(authority):
        ev = rec["event"]
        if ev.get("type") != AUDIT_TYPE or day_of(rec["recv_ms"], tz) != day:
            continue
        body = ev.get("body") or {}
        label = None
        if ev.get("ticket"):
            try:
                label = parse_key(ev["ticket"])[1]
            except ValueError:
                label = ev["ticket"]
        out.append(
            {
                "hseq": rec["hseq"],
                "at_ms": rec["recv_ms"],
                "kind": body.get("kind"),
                "ticket": ev.get("ticket"),
                "label": label,
                "counter": body.get("counter"),
                "by": body.get("by"),
                "reason": body.get("reason"),
                "action": (ev.get("deps") or [None])[0],
            }
        )
    return out


def summary(authority: Any, day: str) -> dict:
    """``{day, entries, by_counter: {counter: n}, by_kind: {kind: n}, total}``."""
    rows = entries(authority, day)
    return {
        "day": day,
        "entries": rows,
        "by_counter": dict(sorted(Counter(r["counter"] or "-" for r in rows).items())),
        "by_kind": dict(sorted(Counter(r["kind"] for r in rows).items())),
        "total": len(rows),
    }


def day_arg(authority: Any) -> str:
    """``?day=`` checked (422 otherwise), today's service day when absent."""
    day = request.args.get("day") or authority.today()
    if not _DAY.fullmatch(day):
        raise invalid("day", "a date YYYY-MM-DD")
    return day


@bp.get("/audit")
@require_device(operator="viewer")
def audit_list() -> Response:
    authority = current_app.extensions["loket"]
    return jsonify(summary(authority, day_arg(authority)))
