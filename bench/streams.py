"""Commands while streams are held: p99 of issue / next / healthz with none vs N streams open.

A real hub with 16 command threads (issue 8: "16 anonymous SSE clients exhaust a 16-thread
hub for 24 s") and the shipped caps (``[hub] max_streams`` 32, 8 per address). Phase
``none``: commands one after another, nothing held. Phase ``held``: ``max_streams + 8`` SSE
clients from five loopback addresses (so the per-address cap does not stop them first) and a
changes long-poll for every paired node are opened and kept open, then the same commands
run. Reports each phase's latency summary, how many streams were held / refused (by status),
and the p99 ratio held/none. The command p99 under load has a target of 2x the idle p99 +
20 ms (a shared CPU makes anything tighter noise).
"""

from __future__ import annotations

import socket
import time
from typing import Any

from bench.harness import HOST, Hub
from bench.load import new_req
from bench.ops import counter, healthz, issue
from bench.profile import counter_ids
from bench.stats import summary_ms, target

SIZES = {"smoke": 10, "quick": 150, "full": 600}
COMMAND_THREADS = 16
MAX_STREAMS = 32  # the shipped default of [hub] max_streams
SOURCES = [f"127.0.0.{n}" for n in range(2, 7)]


def _commands(hub: Hub, n: int) -> tuple[list[float], dict[str, int]]:
    kiosk, clerk = hub.client("K1"), hub.client("C01")
    took: list[float] = []
    errors: dict[str, int] = {}
    try:
        for i in range(n):
            if i % 3 == 0:
                status, _, elapsed = issue(kiosk, service="B")
            elif i % 3 == 1:
                status, _, elapsed = counter(clerk, "C01", "next", new_req("next"))
            else:
                t0 = time.perf_counter()
                healthz(kiosk)
                status, elapsed = 200, time.perf_counter() - t0
            if status in (200, 201):
                took.append(elapsed)
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
    finally:
        kiosk.close()
        clerk.close()
    return took, errors


def _send(port: int, path: str, source: str, token: str | None = None) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=30, source_address=(source, 0))
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{auth}\r\n".encode())
    return sock


def _open(port: int, path: str, source: str) -> tuple[int, socket.socket]:
    """Send a GET and read its status line; the socket stays open (the stream is held)."""
    sock = _send(port, path, source)
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        line += chunk
    parts = line.split()
    return (int(parts[1]) if len(parts) > 1 else 0), sock


def run(size: str = "quick") -> dict[str, Any]:
    n = SIZES[size]
    nodes = ["K1", *counter_ids(), "D1"]
    with Hub(pair=nodes, threads=COMMAND_THREADS) as hub:
        idle, idle_errors = _commands(hub, n)
        probe = hub.client("K1")
        try:
            last = int(healthz(probe).get("last_hseq") or 0)
        finally:
            probe.close()
        held: list[socket.socket] = []
        statuses: dict[str, dict[str, int]] = {"sse": {}}
        try:
            for i in range(MAX_STREAMS + 8):
                status, sock = _open(hub.port, "/api/v1/stream", SOURCES[i % len(SOURCES)])
                held.append(sock)
                statuses["sse"][str(status)] = statuses["sse"].get(str(status), 0) + 1
            for node in nodes:
                # since = far ahead: the poll waits its whole 25 s, nothing wakes it early
                path = f"/api/v1/sync/changes?since={last + 10**6}&wait=25"
                # a held long-poll answers only when it ends: its status is not waited for
                held.append(_send(hub.port, path, "127.0.0.1", hub.tokens[node]))
            time.sleep(0.5)  # let the long-polls park on the hub
            loaded, loaded_errors = _commands(hub, n)
        finally:
            for sock in held:
                sock.close()
    none_s, held_s = summary_ms(idle), summary_ms(loaded)
    p99_idle, p99_held = none_s["p99_ms"], held_s["p99_ms"]
    ratio = round(p99_held / p99_idle, 2) if p99_idle and p99_held else None
    limit = round(2 * (p99_idle or 0) + 20, 1)
    return {
        "command_threads": COMMAND_THREADS,
        "max_streams": MAX_STREAMS,
        "commands_none_held": {**none_s, "errors": idle_errors},
        "commands_streams_held": {**held_s, "errors": loaded_errors},
        "streams_opened": statuses,
        "long_polls_held": len(nodes),
        "p99_ratio_held_over_none": ratio,
        "targets": {
            "commands_p99_with_streams_held_ms": target(p99_held, limit, unit="ms"),
            "commands_answered_with_streams_held": target(
                len(loaded), n, unit="answers", higher_is_better=True
            ),
        },
    }
