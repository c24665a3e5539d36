"""Sync endpoints nodes use (notes/sync.md §5.3) and the small public read-only ones.

Writes (push, leases) and the node-facing feed (changes, nodes) need a node token; state,
time and healthz are public and read-only (the stream lives in ``hub.sse``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from hub.auth import require_node
from hub.errors import field, invalid, json_body

bp = Blueprint("loket_sync", __name__)


def _authority():
    return current_app.extensions["loket"]


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"an integer {lo}..{hi}") from None
    if not lo <= value <= hi:
        raise invalid(name, f"an integer {lo}..{hi}")
    return value


@bp.post("/api/v1/sync/push")
@require_node
def push() -> Response:
    body = json_body()
    node = field(body, "node", str)
    inc = field(body, "inc", str)
    seen = field(body, "hub_epoch_seen", str, required=False)
    events = field(body, "events", list)
    answer = _authority().push(node, inc, seen, events, auth_node=g.node_id)
    return jsonify(answer)


@bp.get("/api/v1/sync/changes")
@require_node
def changes() -> Response:
    authority = _authority()
    since = _int_arg("since", 0, 0, 2**62)
    limit = _int_arg("limit", 500, 1, 5000)
    max_wait = float(current_app.config["LOKET_LONGPOLL_MAX_S"])
    wait = min(_int_arg("wait", 0, 0, 3600), max_wait)
    results = authority.records_since(since, limit)
    if not results and wait > 0:
        # Long-poll: the Condition wakes us on the next commit; otherwise answer empty.
        authority.wait_for(since, wait)
        results = authority.records_since(since, limit)
    return jsonify(
        {"hub_epoch": authority.epoch, "results": results, "last_hseq": authority.last_hseq}
    )


@bp.post("/api/v1/leases")
@require_node
def lease() -> Response:
    body = json_body()
    req = field(body, "req", str)
    kiosk = field(body, "kiosk", str, required=False) or g.node_id
    service = field(body, "service", str)
    return jsonify(_authority().grant_lease(req, kiosk, service))


@bp.get("/api/v1/nodes")
@require_node
def nodes() -> Response:
    authority = _authority()
    return jsonify(
        {
            "hub_epoch": authority.epoch,
            "barrier": authority.barrier(),
            "nodes": authority.node_status(),
        }
    )


@bp.post("/api/v1/barrier/lift")
@require_node
def lift_barrier() -> Response:
    # For an admin tool holding a token; the admin UI calls Authority.lift_barrier directly.
    _authority().lift_barrier(by=g.node_id)
    return jsonify({"barrier": None})


@bp.get("/api/v1/state")
def state() -> Response:
    return jsonify(_authority().snapshot())


@bp.get("/api/v1/time")
def time() -> Response:
    return jsonify(_authority().hub_time())


@bp.get("/healthz")
def healthz() -> Response:
    authority = _authority()
    return jsonify({"ok": True, "hub_epoch": authority.epoch, "last_hseq": authority.last_hseq})
