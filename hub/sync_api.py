"""Sync endpoints nodes use (docs/sync.md §5.3) and the small public read-only ones.

Push is for devices only (and each pushes only as itself; what it pushes is checked by
``hub.pushcheck``), leases for kiosks (for themselves), the changes feed for devices and
operators (viewer+), the node list for operators, lifting the barrier for supervisors (or the
admin page / the CLI on the hub). State, time and healthz are public and read-only (the stream
lives in ``hub.sse``); anonymous callers of ``/api/v1/state`` get no ticket's public status id
(it is the key to that visitor's status page).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from core.events import event_id
from hub import health
from hub.api import throttle
from hub.auth import optional_caller, public, require_device
from hub.errors import Refused, field, invalid, json_body
from hub.identity import DEVICE_ROLES
from hub.streams import refusal

bp = Blueprint("loket_sync", __name__)

MAX_PUSH_EVENTS = 1000


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
@require_device(*DEVICE_ROLES, own_field="node")
def push() -> Response:
    body = json_body()
    node = field(body, "node", str)
    inc = field(body, "inc", str)
    seen = field(body, "hub_epoch_seen", str, required=False)
    events = field(body, "events", list)
    if len(events) > MAX_PUSH_EVENTS:
        raise invalid("events", f"a list of at most {MAX_PUSH_EVENTS} events (push in batches)")
    authority = _authority()
    answer = authority.push(node, inc, seen, events, auth_node=g.node_id)
    return jsonify({**answer, "hub_ms": authority.now_ms()})


@bp.get("/api/v1/sync/changes")
@require_device(*DEVICE_ROLES, operator="viewer")
def changes() -> Response | tuple[Response, int]:
    authority = _authority()
    since = _int_arg("since", 0, 0, 2**62)
    limit = _int_arg("limit", 500, 1, 5000)
    max_wait = float(current_app.config["LOKET_LONGPOLL_MAX_S"])
    wait = min(_int_arg("wait", 0, 0, 3600), max_wait)
    results = authority.records_since(since, limit)
    if not results and wait > 0:
        # Long-poll: the Condition wakes us on the next commit; otherwise answer empty. Held
        # in the stream pool (hub.serving), and only as many at once as the gate allows.
        gate = current_app.extensions["loket_streams"]
        refused = gate.enter("longpoll", g.caller.id)
        if refused:
            return refusal("longpoll", refused, gate.caps)
        try:
            gate.wait(authority, since, wait)
        finally:
            gate.leave("longpoll", g.caller.id)
        results = authority.records_since(since, limit)
    return jsonify(
        {
            "hub_epoch": authority.epoch,
            "results": results,
            "last_hseq": authority.last_hseq,
            "hub_ms": authority.now_ms(),  # nodes carry the hub's time on (node.outbox)
        }
    )


@bp.get("/api/v1/sync/snapshot")
@require_device(*DEVICE_ROLES, operator="viewer")
def snapshot() -> Response:
    """The open state a node without a replica starts from, then pulls the feed after its
    ``hseq`` (a new device, a wiped card, a new epoch: not the whole history from record 1).
    The shape of ``node.replica_base``: ``{hub_epoch, hseq, state, issued, through}``."""
    return jsonify(node_snapshot(_authority()))


def node_snapshot(authority, tries: int = 50) -> dict:
    """The fold at a durable hseq: taken under the writer's lock when nothing folded is
    still waiting for its fsync (a snapshot must never show what a failed fsync takes
    back); otherwise wait for the group commit and look again."""
    for _ in range(tries):
        with authority.store.lock:
            state = authority.state
            if state.last_hseq == authority.last_hseq:
                return {
                    "hub_epoch": authority.epoch,
                    "hseq": state.last_hseq,
                    "state": state.dump(),
                    "issued": {
                        key: eid for key in state.tickets if (eid := authority.issue_id(key))
                    },
                    "through": logged_through(authority),
                }
            seen = authority.last_hseq
        authority.wait_for(seen, 0.1)
    raise Refused("busy", "the hub is committing without a pause; ask again", 503)


def logged_through(authority) -> dict[str, int]:
    """``"<origin>:<inc>"`` -> n such that events ``1..n`` of it are all in the log: a node
    then knows which of its own (and carried) events the snapshot covers. Node events are
    logged in seq order and this epoch's hub events are numbered as committed; hub events of
    an older epoch come back re-pushed, perhaps with a gap (one still held): count those up
    to the first gap. Caller holds the store lock."""
    out = {}
    for (origin, inc), n in authority.gate.acked.items():
        if origin == "hub" and inc != authority.epoch:
            k = 0
            while k < n and authority.logged_hseq(event_id(origin, inc, k + 1)) is not None:
                k += 1
            n = k
        out[f"{origin}:{inc}"] = n
    return out


@bp.post("/api/v1/leases")
@require_device("kiosk", own_field="kiosk")
def lease() -> Response:
    body = json_body()
    req = field(body, "req", str)
    field(body, "kiosk", str, required=False)  # if given, the decorator checked it is itself
    service = field(body, "service", str)
    if not _authority().has_req(req):
        throttle("lease")
    return jsonify(_authority().grant_lease(req, g.node_id, service))


@bp.get("/api/v1/nodes")
@require_device(operator="viewer")
def nodes() -> Response:
    authority = _authority()
    return jsonify(
        {
            "hub_epoch": authority.epoch,
            "barrier": authority.barrier(),
            "nodes": [
                {**n, **health.device_rows(n["id"])}
                for n in health.with_health(authority.node_status())
            ],
        }
    )


@bp.post("/api/v1/barrier/lift")
@require_device(operator="supervisor")
def lift_barrier() -> Response:
    # For a supervisor's tool holding an operator token; the admin page and the CLI on the
    # hub (hub.control) are the other two ways.
    _authority().lift_barrier(by=g.node_id)
    return jsonify({"barrier": None})


@bp.get("/api/v1/state")
@public
def state() -> Response:
    snap = _authority().snapshot()
    if optional_caller() is None:
        snap = without_public_ids(snap)
    return jsonify({**snap, "public_url": current_app.config.get("LOKET_PUBLIC_URL") or None})


def without_public_ids(snap: dict) -> dict:
    """The snapshot without any ticket's ``public`` id: each opens one visitor's status page,
    so only that visitor (from the QR code) and authenticated callers may have it."""
    state = dict(snap.get("state") or {})
    state["waiting"] = {
        service: [{k: v for k, v in t.items() if k != "public"} for t in tickets]
        for service, tickets in (state.get("waiting") or {}).items()
    }
    return {**snap, "state": state}


@bp.get("/api/v1/time")
@public
def time() -> Response:
    return jsonify(_authority().hub_time())


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """``ok`` false and 503 while the journal cannot be written (a full or read-only disk);
    the hub keeps trying by itself and answers 200 again once it can."""
    health = _authority().health()
    caller = optional_caller() if request.headers.get("Authorization") else None
    if caller is not None and caller.kind == "device":
        current_app.extensions["loket_presence"].probed(caller.id)  # a node's probe
    pusher = current_app.extensions.get("loket_upstream")
    health["upstream"] = pusher.status() if pusher is not None else None
    return jsonify(health), 200 if health["ok"] else 503
