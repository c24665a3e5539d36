"""Benchmark 3: bytes written to disk per ticket lifecycle (issue, call, done).

Three views, one run:
- the real hub over HTTP (its /proc/<pid>/io during N lifecycles), one clerk at a
  time (every event its own fsync: the usual day) and eight at once (commits may share
  a page);
- Loket's journal in this process at 1k/10k/50k stored events;
- the TinyDB 4.9 JSONStorage baseline doing the same inserts at the same sizes.
write_bytes = pages dirtied (what the SD card sees, 4 KiB granularity);
wchar = bytes passed to write() (the logical size).
"""

from __future__ import annotations

from typing import Any

from bench import journal_store, tinydb_baseline
from bench.harness import Hub
from bench.load import run_phase
from bench.ops import lifecycle_op
from bench.profile import counter_ids
from bench.stats import target

SIZES: dict[str, dict[str, Any]] = {
    "smoke": {"stored": (1000,), "journal": 5, "tinydb": (1,), "hub_seq": 5, "hub_c8": 16},
    "quick": {
        "stored": (1000, 10000, 50000),
        "journal": 50,
        "tinydb": (5, 2, 1),
        "hub_seq": 100,
        "hub_c8": 400,
    },
    "full": {
        "stored": (1000, 10000, 50000),
        "journal": 300,
        "tinydb": (20, 5, 3),
        "hub_seq": 500,
        "hub_c8": 2000,
    },
}


def hub_figures(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    counters = counter_ids()
    out: dict[str, Any] = {}
    with Hub(pair=["K1", *counters]) as hub:
        for name, c, n in (("sequential", 1, cfg["hub_seq"]), ("c8", 8, cfg["hub_c8"])):
            kiosks = [hub.client("K1") for _ in range(c)]
            clerks = [hub.client(counters[i]) for i in range(c)]
            res = run_phase(
                clerks,
                max(1, n // c),
                lifecycle_op(counters, kiosks),
                server_pid=hub.pid,
                budget_s=60.0,
            )
            ok = res.ok
            out[name] = {
                "clients": c,
                "lifecycles": ok,
                "errors": res.errors,
                "write_bytes_per_lifecycle": round(res.server_write_bytes / ok) if ok else None,
                "wchar_per_lifecycle": round(res.server_wchar / ok) if ok else None,
                "server_cpu_ms_per_lifecycle": (
                    round(res.server_cpu_s * 1000 / ok, 3) if ok else None
                ),
            }
            for cl in kiosks + clerks:
                cl.close()
    return out


def run(size: str = "quick") -> dict[str, Any]:
    cfg = SIZES[size]
    try:
        hub = hub_figures(size)
    except Exception as exc:  # noqa: BLE001 - the in-process figures still mean something
        hub = {"error": f"{type(exc).__name__}: {exc}"[:600]}
    journal = [journal_store.measure(n, cfg["journal"]) for n in cfg["stored"]]
    tinydb = [
        tinydb_baseline.measure(n, lc) for n, lc in zip(cfg["stored"], cfg["tinydb"], strict=True)
    ]
    seq_fig = hub.get("sequential") or {}
    seq = seq_fig.get("write_bytes_per_lifecycle")
    return {
        "hub": hub,
        "journal": journal,
        "tinydb_baseline": tinydb,
        "side_by_side": [
            {
                "stored_events": j["stored_events"],
                "loket_journal_write_bytes": j["write_bytes_per_lifecycle"],
                "tinydb_write_bytes": t["write_bytes_per_lifecycle"],
                "tinydb_over_loket": (
                    round(t["write_bytes_per_lifecycle"] / j["write_bytes_per_lifecycle"], 1)
                    if j["write_bytes_per_lifecycle"]
                    else None
                ),
            }
            for j, t in zip(journal, tinydb, strict=True)
        ],
        "targets": {
            "hub_write_bytes_per_lifecycle": {
                **target(seq, 1024, unit="bytes"),
                "logical_wchar": seq_fig.get("wchar_per_lifecycle"),
                "tinydb_baseline_at_1k": tinydb[0]["write_bytes_per_lifecycle"],
            },
        },
    }
