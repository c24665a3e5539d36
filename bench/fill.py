"""Put a hub's log at N events the way a day does: whole lifecycles from 8 counters."""

from __future__ import annotations

import time
from typing import Any

from bench.harness import Hub
from bench.load import run_phase
from bench.ops import healthz, lifecycle_op
from bench.profile import counter_ids

FILL_BUDGET_S = 300.0


def fill(hub: Hub, events: int, clients: int = 8) -> dict[str, Any]:
    """Run lifecycles until the hub's last_hseq >= events (bounded by FILL_BUDGET_S)."""
    counters = counter_ids(clients)
    probe = hub.client()
    t0 = time.perf_counter()
    rounds = 0
    last = int(healthz(probe).get("last_hseq") or 0)
    while last < events and time.perf_counter() - t0 < FILL_BUDGET_S and rounds < 100:
        rounds += 1
        # Three events per lifecycle; a little extra for the last round's rounding.
        lifecycles = max(clients, (events - last) // 3 + 1)
        kiosks = [hub.client("K1") for _ in range(clients)]
        clerks = [hub.client(c) for c in counters]
        res = run_phase(
            clerks,
            max(1, lifecycles // clients + 1),
            lifecycle_op(counters, kiosks),
            server_pid=None,
            budget_s=FILL_BUDGET_S - (time.perf_counter() - t0),
        )
        for cl in kiosks + clerks:
            cl.close()
        last = int(healthz(probe).get("last_hseq") or 0)
        if res.ok == 0:
            raise RuntimeError(f"fill made no progress: {res.errors}")
    probe.close()
    elapsed = time.perf_counter() - t0
    return {
        "events": last,
        "seconds": round(elapsed, 2),
        "events_per_s": round(last / elapsed, 1) if elapsed else None,
    }


def offline_logs(lifecycles: int) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    """The own logs of an offline kiosk K2 (prefix-mode tickets) and counter C08 (call, done).

    Returns (incarnation per node, events per node), valid per core.events, each
    node's events in seq order, calls depending on the issue, done on the call.
    """
    import secrets as _secrets
    from zoneinfo import ZoneInfo

    from core.events import make_event
    from core.numbering import prefix_label, service_day, ticket_key

    boot = _secrets.token_hex(8)
    wall = int(time.time() * 1000)
    day = service_day(wall, ZoneInfo("Asia/Jakarta"))
    incs = {"K2": _secrets.token_hex(4), "C08": _secrets.token_hex(4)}
    logs: dict[str, list[dict[str, Any]]] = {"K2": [], "C08": []}

    def ev(origin: str, etype: str, ticket: str, deps: list[str], body: dict) -> dict:
        seq = len(logs[origin]) + 1
        n = sum(len(v) for v in logs.values())
        e = make_event(
            origin,
            incs[origin],
            seq,
            etype,
            ticket=ticket,
            req=f"{origin}:{incs[origin]}:r{seq}",
            deps=deps,
            hlc=f"{wall:013d}.{n % 100000:05d}.{origin}",
            clock={"wall_ms": wall, "boot_id": boot, "mono_ms": 1000 + n},
            body=body,
        ).to_dict()
        logs[origin].append(e)
        return e

    for n in range(1, lifecycles + 1):
        label = prefix_label("B", "K2", n)
        key = ticket_key(day, label)
        issued = ev(
            "K2",
            "ticket.issued",
            key,
            [],
            {
                "service": "B",
                "number": None,
                "label": label,
                "day": day,
                "mode": "prefix",
                "kiosk": "K2",
                "priority": 0,
                "lease": None,
                "public": _secrets.token_urlsafe(12),
            },
        )
        call = ev(
            "C08",
            "ticket.called",
            key,
            [issued["id"]],
            {"counter": "C08", "expect_service": "B", "mode": "offline"},
        )
        ev("C08", "ticket.done", key, [call["id"]], {"counter": "C08"})
    return incs, logs


def fill_push(hub: Hub, events: int, batch: int = 500) -> dict[str, Any]:
    """Reach >= `events` fast: an offline kiosk's and an offline counter's logs, pushed.

    K2 logs prefix-mode tickets, C08 calls and closes each (deps = the ticket's issue,
    then the call), both pushed through POST /api/v1/sync/push in batches: whole
    lifecycles in the log, several times faster than over the online API, so quick
    mode can reach 10k/20k events within its minute. Full mode uses `fill` (online).
    """
    probe = hub.client()
    health = healthz(probe)
    epoch, start = health.get("hub_epoch"), int(health.get("last_hseq") or 0)
    t0 = time.perf_counter()
    incs, logs = offline_logs((events - start) // 3 + 1)
    problems: list[Any] = []
    for node in ("K2", "C08"):
        cl = hub.client(node)
        log = logs[node]
        for i in range(0, len(log), batch):
            status, body, _ = cl.request(
                "POST",
                "/api/v1/sync/push",
                {
                    "node": node,
                    "inc": incs[node],
                    "hub_epoch_seen": epoch,
                    "events": log[i : i + batch],
                },
            )
            if status != 200 or body.get("rejected") or body.get("held"):
                problems.append({"status": status, "body": str(body)[:300]})
            if time.perf_counter() - t0 > FILL_BUDGET_S or len(problems) > 5:
                break
        cl.close()
    last = int(healthz(probe).get("last_hseq") or 0)
    probe.close()
    elapsed = time.perf_counter() - t0
    return {
        "method": "push (offline kiosk K2 + offline counter C08)",
        "events": last,
        "seconds": round(elapsed, 2),
        "events_per_s": round((last - start) / elapsed, 1) if elapsed else None,
        "problems": problems[:5],
    }
