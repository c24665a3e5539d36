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
