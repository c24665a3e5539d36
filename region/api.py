"""The hubs' side of the regional server: push events up, pull bookings down (JSON)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from region import bookings, ingest
from region.auth import public, refuse, require_site
from region.db import setting

bp = Blueprint("region_api", __name__, url_prefix="/region/api/v1")


def pool():
    return current_app.extensions["region_pool"]


@bp.post("/push")
@require_site
def push() -> Any:
    """``{site, events: [hub records], epoch?}`` -> ``{accepted, duplicates, conflicts,
    region_epoch, last_hseq}``. Idempotent: a retried batch is all duplicates. ``epoch`` is
    the region epoch the hub last saw; the answer's tells it when the region was restored."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return refuse("bad_json", "the body must be a JSON object", 400)
    if "events" not in body:
        return refuse("missing_field", "events: required (a list of hub records)", 422)
    epoch = body.get("epoch")
    if epoch is not None and not isinstance(epoch, str):
        return refuse("invalid_field", "epoch: must be a string (the region_epoch seen)", 422)
    with pool().connection() as conn:
        try:
            result = ingest.store(conn, g.site, body["events"])
        except ingest.BadBatch as exc:
            return refuse(exc.code, exc.message, 413 if exc.code == "too_large" else 422)
        region_epoch = setting(conn, "region_epoch")
    return jsonify(
        accepted=result.accepted,
        duplicates=result.duplicates,
        conflicts=result.conflicts,
        last_hseq=result.last_hseq,
        region_epoch=region_epoch,
    )


@bp.get("/bookings")
@require_site
def pull_bookings() -> Any:
    """``?site=&after=N`` -> ``{bookings: [{seq, code_hash, service, date, session}],
    region_epoch}``: the site's bookings after cursor ``N``, oldest first (500 at most)."""
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        return refuse("invalid_field", "after: must be an integer (the last seq received)", 422)
    with pool().connection() as conn:
        rows = bookings.after(conn, g.site, after)
        region_epoch = setting(conn, "region_epoch")
    return jsonify(bookings=rows, region_epoch=region_epoch)


@bp.get("/healthz")
@public
def healthz() -> Any:
    with pool().connection() as conn:
        epoch = setting(conn, "region_epoch")
    return jsonify(ok=True, region_epoch=epoch)
