"""Benchmark 1: tickets issued and call-next per second over HTTP, at 1 and 8 clients.

A real `loket hub serve` on loopback; each client thread keeps one connection.
Latency is client-side (send to whole answer read); server CPU per operation is
the hub process's utime+stime delta over the phase divided by the answered ops.
"""

from __future__ import annotations

from typing import Any

from bench import durability
from bench.harness import Hub
from bench.load import run_phase
from bench.ops import counter, issue
from bench.profile import counter_ids
from bench.stats import target

SIZES = {
    # ops per phase (split over the clients), time budget per phase in seconds
    "smoke": (16, 10.0),
    "quick": (800, 20.0),
    "full": (8000, 90.0),
}
CONCURRENCY = (1, 8)


def run(size: str = "quick") -> dict[str, Any]:
    total, budget = SIZES[size]
    counters = counter_ids()
    with Hub(pair=["K1", *counters]) as hub:
        out: dict[str, Any] = {"hub_startup_s": round(hub.startup_s or 0, 3)}
        issue_res: dict[str, Any] = {}
        for c in CONCURRENCY:
            clients = [hub.client("K1") for _ in range(c)]
            per = max(1, total // c) if c > 1 else max(1, total // 4)
            res = run_phase(
                clients, per, lambda cl, i, k: issue(cl), server_pid=hub.pid, budget_s=budget
            )
            issue_res[f"c{c}"] = res.to_json()
            for cl in clients:
                cl.close()
        next_res: dict[str, Any] = {}
        for c in CONCURRENCY:
            clients = [hub.client(counters[i]) for i in range(c)]
            per = max(1, total // c) if c > 1 else max(1, total // 4)
            res = run_phase(
                clients,
                per,
                lambda cl, i, k: counter(cl, counters[i], "next"),
                server_pid=hub.pid,
                budget_s=budget,
            )
            next_res[f"c{c}"] = res.to_json()
            for cl in clients:
                cl.close()
        check = hub.client("K1")
        durable = durability.fsyncs_per_ack(hub.pid, check, n=10 if size == "smoke" else 30)
        check.close()
    i8 = issue_res["c8"]
    out.update(
        {
            "issue": issue_res,
            "call_next": next_res,
            "durability": durable,
            "targets": {
                "issue_per_s_c8": target(
                    i8["ops_per_s"], 500, unit="tickets/s", higher_is_better=True
                ),
                "issue_p99_ms_c8": target(i8["latency"]["p99_ms"], 50, unit="ms"),
                "durable": {
                    "value": durable.get("durable"),
                    "target": "every ack fsync'd",
                    "pass": durable.get("durable"),
                },
            },
        }
    )
    return out
