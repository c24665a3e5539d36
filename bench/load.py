"""Closed-loop load generation: N threads, each with its own keep-alive connection.

Every loop is bounded twice: by a request count and by a wall-clock budget, so
a slow or hung hub ends the benchmark instead of the benchmark hanging.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.client import Client
from bench.procfs import cpu_seconds, read_io
from bench.stats import summary_ms

# One request: (client, worker index, request index) -> (status, body, seconds).
Op = Callable[[Client, int, int], tuple[int, Any, float]]


@dataclass
class PhaseResult:
    """What one load phase measured, client side and server side."""

    ops: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    server_write_bytes: int = 0
    server_wchar: int = 0
    client_cpu_s: float = 0.0
    timed_out: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ops": self.ops,
            "ok": self.ok,
            "errors": self.errors,
            "ops_per_s": round(self.ok / self.wall_s, 1) if self.wall_s else None,
            "latency": summary_ms(self.latencies),
            "wall_s": round(self.wall_s, 3),
            "server_cpu_ms_per_op": (
                round(self.server_cpu_s * 1000 / self.ok, 3) if self.ok else None
            ),
            "server_write_bytes_per_op": (
                round(self.server_write_bytes / self.ok) if self.ok else None
            ),
            "server_wchar_per_op": round(self.server_wchar / self.ok) if self.ok else None,
            # The load generator shares the machine's cores with the hub: its CPU is
            # CPU the hub could not use.
            "client_cpu_ms_per_op": (
                round(self.client_cpu_s * 1000 / self.ok, 3) if self.ok else None
            ),
            "hit_time_budget": self.timed_out,
        }


def new_req(tag: str) -> str:
    """A unique idempotency key; the hub dedups by it, so it must never repeat."""
    return f"bench:{tag}:{uuid.uuid4().hex[:16]}"


def run_phase(
    clients: list[Client],
    per_client: int,
    op: Op,
    *,
    server_pid: int | None,
    budget_s: float,
    ok_status: tuple[int, ...] = (200, 201),
) -> PhaseResult:
    """Run `per_client` ops on each client concurrently; server CPU/io deltas from /proc."""
    result = PhaseResult()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def worker(idx: int, client: Client) -> None:
        lat: list[float] = []
        errs: dict[str, int] = {}
        done = ok = 0
        start.wait()
        for i in range(per_client):
            if time.perf_counter() > deadline[0]:
                with lock:
                    result.timed_out = True
                break
            try:
                status, body, elapsed = op(client, idx, i)
            except OSError as exc:
                errs[type(exc).__name__] = errs.get(type(exc).__name__, 0) + 1
                done += 1
                continue
            done += 1
            if status in ok_status:
                ok += 1
                lat.append(elapsed)
            else:
                slug = body.get("error") if isinstance(body, dict) else None
                key = f"{status}:{slug or ''}"
                errs[key] = errs.get(key, 0) + 1
        with lock:
            result.ops += done
            result.ok += ok
            result.latencies.extend(lat)
            for k, v in errs.items():
                result.errors[k] = result.errors.get(k, 0) + v

    threads = [
        threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(clients)
    ]
    for t in threads:
        t.start()
    cpu0 = cpu_seconds(server_pid) if server_pid else 0.0
    io0 = read_io(server_pid) if server_pid else None
    own0 = cpu_seconds("self")
    t0 = time.perf_counter()
    deadline[0] = t0 + budget_s
    start.wait()
    for t in threads:
        # The workers stop themselves at the deadline; the extra time covers one
        # request in flight (client timeout).
        t.join(timeout=budget_s + 35)
    result.wall_s = time.perf_counter() - t0
    result.client_cpu_s = cpu_seconds("self") - own0
    if server_pid:
        result.server_cpu_s = cpu_seconds(server_pid) - cpu0
        io = read_io(server_pid) - io0  # type: ignore[operator]
        result.server_write_bytes = io.write_bytes
        result.server_wchar = io.wchar
    return result
