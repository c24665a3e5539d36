"""Network faults, measured: reconnect time and double services per outage minute.

``python -m bench.reconnect [--size smoke|quick|full]`` (root, ``ip``, ``iptables``) prints one
JSON document. The mall of ``bench.netmall`` (hub, kiosk K1, counters C1 and C2 of service A,
each a process in its own network namespace) goes through rounds of:

1. **counter cut** (``outage_s``): C1's cable is pulled while C2 keeps calling A online and
   C1 calls offline (its residue class, then the tail of the queue); the kiosk issues. The
   hub log's ``anomaly.double_service`` records, per minute of outage, are the figure.
2. **hub cut** (5 s): every node loses the hub; the kiosk prints from its lease, the
   counters call offline. Then the links come back and the clock runs from that moment to
   every node's status file saying online with an empty backlog (``reconnect_s``; target 3 s).

3. **slow links** (``delay``): C2's link 150 ms slower each way for a few presses, then
   C1's 800 ms slower (a round trip past the 0.8 s RPC timeout) for one; each time the
   clock runs from the heal to every node online with an empty backlog again
   (``reconnect_after_<ms>``). With the relay this includes the node noticing that the
   heal closed the connections the relay carried (netem would leave them open). The delay is
   ``tc netem`` or, without it, the relay of ``bench.slowlink`` (``by``; ``Lab.delay``); a
   machine with neither reports ``delay.skipped`` with the reason.

Also reported: how long a press on a dead link took to show its offline call
(``press_on_dead_link_s``; RPC timeout 0.8 s) and, to compare with the slow links, a press
of the online peer (``press_online``). Not part of ``python -m bench``: it needs root.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.netlab import DelayUnavailable, Lab, unavailable
from bench.netmall import MEMBERS, NODES, Mall
from bench.stats import summary_ms, target

SIZES = {"smoke": (1, 8.0), "quick": (3, 30.0), "full": (6, 60.0)}  # rounds, outage_s
HUB_CUT_S = 5.0


def _counts(mall: Mall) -> dict[str, int]:
    from core.journal import read_records

    out = {"double_service": 0, "superseded": 0, "offline_calls": 0}
    for r in read_records(mall.hub_data / "journal", "events"):
        ev = r["event"]
        if ev["type"] == "anomaly.double_service":
            out["double_service"] += 1
        elif ev["type"] == "call.superseded":
            out["superseded"] += 1
        elif ev["type"] == "ticket.called" and ev["body"].get("mode") == "offline":
            out["offline_calls"] += 1
    return out


def _round(mall: Mall, outage_s: float, fig: dict[str, list[float]]) -> None:
    lab = mall.lab
    mall.issue(4)
    lab.cut("C1")
    t0 = time.monotonic()
    first = True
    while time.monotonic() - t0 < outage_s:
        mall.issue(1)
        took, _ = mall.press("C1", "n", timeout=5)
        if first:
            fig["press_on_dead_link_s"].append(took)
            first = False
        took, _ = mall.press("C2", "n", timeout=5)
        fig["press_online_s"].append(took)
        mall.press("C1", "d", timeout=5)
        mall.press("C2", "d", timeout=5)
    fig["counter_cut_s"].append(time.monotonic() - t0)
    lab.heal()
    mall.wait_synced(60)
    for node in NODES:
        lab.cut(node)
    mall.issue(2)
    mall.press("C1", "n", timeout=5)
    mall.press("C2", "n", timeout=5)
    time.sleep(max(0.0, HUB_CUT_S - 2 * 1.2))
    lab.heal()
    fig["reconnect_s"].append(mall.wait_synced(60))
    mall.press("C1", "d", timeout=5)
    mall.press("C2", "d", timeout=5)


def _slow(mall: Mall, fig: dict[str, list[float]], how: dict[str, str]) -> None:
    """C2 150 ms slower each way for two calls, then C1 800 ms slower for one."""
    for counter, ms, calls in (("C2", 150, 2), ("C1", 800, 1)):
        try:
            how["by"] = mall.lab.delay(counter, ms)
        except DelayUnavailable as err:
            how["skipped"] = str(err)
            return
        mall.issue(calls)
        for _ in range(calls):
            took, _ = mall.press(counter, "n", timeout=8)
            fig[f"press_delay_{ms}ms_s"].append(took)
            mall.press(counter, "d", timeout=8)
        mall.lab.heal()
        fig[f"reconnect_after_{ms}ms_s"].append(mall.wait_synced(60))


def run(size: str = "quick") -> dict[str, Any]:
    why = unavailable()
    if why:
        return {"skipped": why, "targets": {}}
    rounds, outage_s = SIZES[size]
    fig: dict[str, list[float]] = {
        "press_on_dead_link_s": [],
        "counter_cut_s": [],
        "reconnect_s": [],
        "press_online_s": [],
        "press_delay_150ms_s": [],
        "press_delay_800ms_s": [],
        "reconnect_after_150ms_s": [],
        "reconnect_after_800ms_s": [],
    }
    how: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="tb-reconnect-") as tmp, Lab(MEMBERS) as lab:
        mall = Mall(lab, Path(tmp))
        try:
            mall.start()
            for _ in range(rounds):
                _round(mall, outage_s, fig)
                _slow(mall, fig, how)
            mall.wait_converged()
            found = _counts(mall)
        finally:
            mall.stop()
    minutes = sum(fig["counter_cut_s"]) / 60
    per_min = round(found["double_service"] / minutes, 3) if minutes else None
    reconnect = summary_ms(fig["reconnect_s"])
    worst = max(fig["reconnect_s"]) if fig["reconnect_s"] else None
    slow = fig["reconnect_after_150ms_s"] + fig["reconnect_after_800ms_s"]
    worst_slow = round(max(slow), 3) if slow else None
    return {
        "rounds": rounds,
        "outage_minutes": round(minutes, 3),
        "hub_log": found,
        "double_services_per_outage_minute": per_min,
        "reconnect": reconnect,
        "press_on_dead_link": summary_ms(fig["press_on_dead_link_s"]),
        "press_online": summary_ms(fig["press_online_s"]),
        "delay": {
            **how,
            "press_150ms": summary_ms(fig["press_delay_150ms_s"]),
            "press_800ms": summary_ms(fig["press_delay_800ms_s"]),
            "reconnect_after_150ms": summary_ms(fig["reconnect_after_150ms_s"]),
            "reconnect_after_800ms": summary_ms(fig["reconnect_after_800ms_s"]),
        },
        "targets": {
            "reconnect_max_s": target(None if worst is None else round(worst, 3), 3, unit="s"),
            "reconnect_after_delay_max_s": target(worst_slow, 3, unit="s"),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconnect", description=__doc__)
    parser.add_argument("--size", choices=tuple(SIZES), default="quick")
    args = parser.parse_args(argv)
    json.dump(run(args.size), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
