"""Benchmark 4: sync catch-up and outbox push, with the node's own sync code.

Catch-up: a node syncs, goes offline while the hub logs N more events (whole
lifecycles from eight counters), then comes back; we time `SyncClient.step()`
(pull in pages of 500, append + fsync to the replica, checkpoint) plus the local
fold (`LocalView.state()`), and check the folded snapshot equals the hub's
`GET /api/v1/state`.

Push: an offline kiosk logs K prefix-mode tickets in its outbox; we time the
pushes (`SyncClient.push_once()` in its batches) until the hub acknowledged all.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.fill import fill, fill_push
from bench.harness import Hub
from bench.ops import healthz
from bench.stats import target

SIZES = {"smoke": (30, 20), "quick": (10_000, 1000), "full": (10_000, 1000)}
# How the hub's log is filled while the node is away: quick pushes offline logs (fast),
# full drives the online API with eight counters (see bench/fill.py).
FILL = {"smoke": fill_push, "quick": fill_push, "full": fill}
BOUND_S = 120.0  # no loop below may run longer than this


class TimingTransport:
    """Wraps the node's HttpTransport to add up the time spent in HTTP (the rest of a
    pull is the node's own work: replica append + fsync, checkpoint)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def request(self, method: str, path: str, json: Any = None, timeout: Any = None) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.request(method, path, json=json, timeout=timeout)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1


def _node(hub: Hub, node_id: str, data_dir: Path) -> tuple[Any, Any, Any, Any]:
    from core.clock import SystemClock
    from node.outbox import Outbox
    from node.replica import Replica
    from node.sync import SyncClient
    from node.transport import HttpTransport

    clock = SystemClock()
    outbox = Outbox(data_dir, node_id, clock)
    replica = Replica(data_dir)
    transport = TimingTransport(HttpTransport(hub.url, hub.tokens[node_id], timeout=10.0))
    return SyncClient(transport, outbox, replica, clock, wait=0), outbox, replica, clock


def _hub_state(hub: Hub) -> dict[str, Any]:
    cl = hub.client()
    status, body, _ = cl.request("GET", "/api/v1/state")
    cl.close()
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"/api/v1/state answered {status}")
    return body


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot through JSON (tuples == lists), without what only the profile gives.

    Why: the hub seeds its fold with the profile's counters (their `services`, and an
    entry for every counter even if it never called anyone); a node's LocalView starts
    from an empty QueueState and takes the roster from `GET /api/v1/state` `config`.
    That is configuration, not something the event feed replicates, so counters'
    `services` and never-used counter entries are left out on both sides.
    """
    data = json.loads(json.dumps(snapshot))
    counters = data.get("counters") or {}
    for cid in list(counters):
        cs = counters[cid]
        if not isinstance(cs, dict):
            continue
        cs.pop("services", None)
        if not any(cs.get(k) for k in ("current", "call_id", "label", "last_done")) and cs.get(
            "open", True
        ):
            del counters[cid]
    return data


def catch_up(hub: Hub, events: int, node_id: str, tmp: Path, filler: Any = fill) -> dict[str, Any]:
    from node.view import LocalView

    sync, outbox, replica, _ = _node(hub, node_id, tmp / node_id)
    sync.step()  # online once: adopts the epoch, holds the little there is
    before = replica.since
    filled = filler(hub, before + events)
    probe = hub.client()
    target_hseq = int(healthz(probe).get("last_hseq") or 0)
    probe.close()
    view = LocalView(replica, outbox)
    sync.transport.seconds, sync.transport.calls = 0.0, 0
    t0 = time.perf_counter()
    pulls = 0
    while replica.since < target_hseq and time.perf_counter() - t0 < BOUND_S and pulls < 10_000:
        pulls += 1
        if not sync.pull_once(0):
            break
    t_pulled = time.perf_counter()
    snap = view.state().snapshot()
    t_folded = time.perf_counter()
    hub_snap = _hub_state(hub)
    mine, theirs = _comparable(snap), _comparable(hub_snap.get("state") or {})
    equal = mine == theirs
    differs = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    replica.close()
    outbox.close()
    return {
        "events_missed": target_hseq - before,
        "fill": filled,
        "pulls": pulls,
        "pull_s": round(t_pulled - t0, 3),
        "pull_http_s": round(sync.transport.seconds, 3),
        "pull_node_work_s": round(t_pulled - t0 - sync.transport.seconds, 3),
        "fold_s": round(t_folded - t_pulled, 3),
        "catch_up_s": round(t_folded - t0, 3),
        "records_per_s": round((target_hseq - before) / (t_pulled - t0), 1)
        if t_pulled > t0
        else None,
        "replica_equals_hub": equal,
        "differing_keys": differs,
        "replica_last_hseq": replica.since,
        "hub_last_hseq": hub_snap.get("last_hseq"),
    }


def push_outbox(hub: Hub, events: int, node_id: str, tmp: Path) -> dict[str, Any]:
    from core.numbering import prefix_label, service_day, ticket_key

    sync, outbox, replica, clock = _node(hub, node_id, tmp / node_id)
    day = service_day(clock.wall_ms(), ZoneInfo("Asia/Jakarta"))
    t0 = time.perf_counter()
    for n in range(1, events + 1):
        label = prefix_label("B", node_id, n)
        outbox.append_own(
            "ticket.issued",
            {
                "service": "B",
                "number": None,
                "label": label,
                "day": day,
                "mode": "prefix",
                "kiosk": node_id,
                "priority": 0,
                "lease": None,
                "public": secrets.token_urlsafe(12),
            },
            ticket=ticket_key(day, label),
            req=outbox.new_req(),
        )
    logged_s = time.perf_counter() - t0
    sync.transport.seconds, sync.transport.calls = 0.0, 0
    t0 = time.perf_counter()
    batches = 0
    while time.perf_counter() - t0 < BOUND_S and batches < 10_000:
        batches += 1
        if sync.push_once():
            break
    push_s = time.perf_counter() - t0
    acked = replica.acked_through
    replica.close()
    outbox.close()
    return {
        "events": events,
        "log_offline_s": round(logged_s, 3),
        "push_s": round(push_s, 3),
        "batches": batches,
        "batch_size": sync.batch,
        "push_http_s": round(sync.transport.seconds, 3),
        "acked_through": acked,
        "events_per_s": round(acked / push_s, 1) if push_s else None,
        "last_error": sync.last_error,
    }


def run(size: str = "quick") -> dict[str, Any]:
    events, outbox_events = SIZES[size]
    with (
        tempfile.TemporaryDirectory(prefix="bench-nodes-") as tmp,
        Hub(pair=["K1", "K2", "C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "D1"]) as hub,
    ):
        cu = catch_up(hub, events, "D1", Path(tmp), FILL[size])
        push = push_outbox(hub, outbox_events, "K2", Path(tmp))
    return {
        "catch_up": cu,
        "push": push,
        "targets": {
            "catch_up_10k_s": {
                **target(
                    cu["catch_up_s"]
                    if cu["replica_equals_hub"] and cu["events_missed"] >= 10_000
                    else None,
                    2.0,
                    unit="s",
                ),
                "events": cu["events_missed"],
            },
        },
    }
