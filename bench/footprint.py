"""Benchmark 5: memory and start-up.

- hub: start-up to /healthz on an empty data dir, RSS idle, RSS after N events
  (whole lifecycles), then a restart on that log (start-up includes replaying it)
  and RSS again;
- a counter node and a kiosk node (`loket node run`, fake hardware): time from
  spawn to ready, where ready = the node wrote status.json with online=true (it
  has reached the hub), and RSS once ready.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.fill import fill, fill_push
from bench.harness import Hub, child_env, loket_argv
from bench.load import run_phase
from bench.ops import healthz, issue
from bench.procfs import peak_rss_bytes, rss_bytes
from bench.profile import counter_ids, node_profile
from bench.stats import target

SIZES = {"smoke": 30, "quick": 20_000, "full": 20_000}
FILL = {"smoke": fill, "quick": fill_push, "full": fill}  # see bench/fill.py
NODE_READY_S = 30.0
MB = 1024 * 1024


def _mb(n: int | None) -> float | None:
    return None if n is None else round(n / MB, 1)


def start_node(hub: Hub, node_id: str, role: str, counter: str = "C01") -> dict[str, Any]:
    """`loket node run`; if that cannot start, `--simulate` (fake devices, keyboard on a
    pipe nobody writes to), reported as such so the figure is never mistaken."""
    plain = _start_node(hub, node_id, role, counter, simulate=False)
    if "error" not in plain:
        return {"mode": "run", **plain}
    sim = _start_node(hub, node_id, role, counter, simulate=True)
    return {"mode": "run --simulate (plain run failed)", "plain_run_error": plain["error"], **sim}


def _start_node(
    hub: Hub, node_id: str, role: str, counter: str, *, simulate: bool
) -> dict[str, Any]:
    """Spawn one node, wait until it is online, read its RSS, stop it."""
    tag = f"{node_id}-sim" if simulate else node_id
    data = hub.tmp / f"node-{tag}"
    cfg = hub.tmp / f"node-{tag}.toml"
    cfg.write_text(node_profile(node_id, role, hub.url, hub.tokens[node_id], data, counter=counter))
    log_path = hub.tmp / f"node-{tag}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed below
    extra = ["--simulate"] if simulate else []
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        loket_argv("node", "run", "--config", str(cfg), *extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=child_env(),
        cwd=hub.tmp,
        # --simulate reads keys from stdin and stops at EOF: give it a pipe kept open.
        stdin=subprocess.PIPE if simulate else subprocess.DEVNULL,
    )
    log.close()
    probe = hub.client()
    hub_last = int(healthz(probe).get("last_hseq") or 0)
    probe.close()
    ready_s = None
    try:
        while time.perf_counter() - t0 < NODE_READY_S and proc.poll() is None:
            if _online(data):
                ready_s = time.perf_counter() - t0
                break
            time.sleep(0.01)
        if ready_s is None:
            tail = log_path.read_text(errors="replace")[-600:]
            return {"error": f"not ready in {NODE_READY_S} s (exit {proc.poll()}): {tail}"}
        rss_ready = rss_bytes(proc.pid)
        # Then until its replica holds the hub's whole log (status.json `since`): a node's
        # memory depends on how much of the day it holds, so measure it with all of it.
        caught_s = None
        while time.perf_counter() - t0 < NODE_READY_S + 60 and proc.poll() is None:
            if _status(data).get("since", -1) >= hub_last:
                caught_s = time.perf_counter() - t0
                break
            time.sleep(0.02)
        time.sleep(0.5)  # the fold after the last page
        rss, peak = rss_bytes(proc.pid), peak_rss_bytes(proc.pid)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    return {
        "startup_to_ready_s": round(ready_s, 3),
        "rss_at_ready_mb": _mb(rss_ready),
        "caught_up_s": None if caught_s is None else round(caught_s, 3),
        "hub_events": hub_last,
        "rss_mb": _mb(rss),
        "peak_rss_mb": _mb(peak),
        "exit_code": proc.returncode,
    }


def _status(data_dir: Path) -> dict[str, Any]:
    # The status file may sit in the data dir itself or in a subfolder of it.
    for path in (data_dir / "status.json", *data_dir.glob("*/status.json")):
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return {}


def _online(data_dir: Path) -> bool:
    return _status(data_dir).get("online") is True


def run(size: str = "quick") -> dict[str, Any]:
    events = SIZES[size]
    counters = counter_ids()
    out: dict[str, Any] = {}
    with Hub(pair=["K1", "K2", *counters]) as hub:
        out["hub_startup_empty_s"] = round(hub.startup_s or 0, 3)
        out["hub_rss_idle_mb"] = _mb(rss_bytes(hub.pid))
        out["fill"] = FILL[size](hub, events)
        out["hub_events"] = out["fill"]["events"]
        out["hub_rss_after_events_mb"] = _mb(rss_bytes(hub.pid))
        out["hub_peak_rss_mb"] = _mb(peak_rss_bytes(hub.pid))
        # The same issue load as benchmark 1, on a hub that already holds the day's log:
        # shows whether the cost per command grows with the log (it should not).
        clients = [hub.client("K1") for _ in range(8)]
        late = run_phase(
            clients,
            10 if size == "smoke" else 50,
            lambda cl, i, k: issue(cl),
            server_pid=hub.pid,
            budget_s=30.0,
        )
        for cl in clients:
            cl.close()
        out["issue_c8_after_events"] = late.to_json()
        hub.stop()
        hub.start()
        out["hub_startup_with_log_s"] = round(hub.startup_s or 0, 3)
        out["hub_rss_after_restart_mb"] = _mb(rss_bytes(hub.pid))
        nodes: dict[str, Any] = {}
        for node_id, role in (("C08", "counter"), ("K2", "kiosk")):
            try:
                nodes[role] = start_node(hub, node_id, role, counter=node_id)
            except Exception as exc:  # noqa: BLE001 - the hub figures still stand
                nodes[role] = {"error": f"{type(exc).__name__}: {exc}"[:600]}
        out["nodes"] = nodes
    counter_rss = nodes.get("counter", {}).get("rss_mb")
    out["targets"] = {
        "hub_rss_after_20k_mb": {
            **target(out["hub_rss_after_events_mb"] if events >= 20_000 else None, 60, unit="MB"),
            "events": out["hub_events"],
        },
        "counter_node_rss_mb": target(counter_rss, 40, unit="MB"),
    }
    return out
