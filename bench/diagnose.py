"""Where the hub's time and memory go: `python -m bench.diagnose` (not part of the main run).

The benchmarks say *how fast*; this says *which function*, so a missed target comes
with a precise place to work on. It runs the hub in this process (create_app + Flask's
test client, no waitress, no sockets) so cProfile and tracemalloc see every frame:
- issue path: cProfile of N `POST /api/v1/tickets`, top functions by own time;
- memory: tracemalloc growth while 20k events are pushed, by source line;
- restart: cProfile of create_app on that 20k-event data dir (journal replay);
- node fold: QueueState.apply over the same records, per event.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.fill import offline_logs
from bench.machine import REPO, describe
from bench.profile import counter_ids, hub_profile

RESULTS = Path(__file__).resolve().parent / "results"


def _app(data_dir: Path) -> tuple[Any, dict[str, str]]:
    from core.config import load_hub_config
    from hub import create_app
    from hub.auth import pair_node
    from hub.store import Store

    cfg_path = data_dir.parent / "hub.toml"
    cfg_path.write_text(hub_profile(data_dir, 8080))
    config = load_hub_config(cfg_path)
    store = Store(config.hub.data_dir)
    tokens = {n: pair_node(store, n) for n in ("K1", "K2", *counter_ids())}
    return create_app(config, store=store), tokens


def _top(prof: cProfile.Profile, n: int = 15) -> list[dict[str, Any]]:
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        where = file.replace(str(REPO) + "/", "") if file.startswith(str(REPO)) else file
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        rows.append(
            {
                "function": f"{where}:{line}({func})",
                "calls": ncalls,
                "own_ms": round(tottime * 1000, 1),
                "cum_ms": round(cumtime * 1000, 1),
            }
        )
    rows.sort(key=lambda r: r["own_ms"], reverse=True)
    return rows[:n]


def issue_profile(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-diag-") as tmp:
        app, tokens = _app(Path(tmp) / "data")
        client = app.test_client()
        hdr = {"Authorization": f"Bearer {tokens['K1']}"}
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for i in range(n):
            client.post(
                "/api/v1/tickets",
                json={"req": f"diag:{i}", "service": "B", "kiosk": "K1"},
                headers=hdr,
            )
        prof.disable()
        wall = time.perf_counter() - t0
    return {
        "requests": n,
        "ms_per_request_profiled": round(wall * 1000 / n, 3),
        "top_own_time": _top(prof),
    }


def growth(steps: tuple[int, ...]) -> dict[str, Any]:
    """CPU per issue and per call-next (this process: app + test client) as the queue grows.

    Flat is the goal; a rise with the number of waiting tickets means a scan or a copy
    per command. The top functions at the largest size say which.
    """
    rows = []
    prof_out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-diag-") as tmp:
        app, tokens = _app(Path(tmp) / "data")
        client = app.test_client()
        kiosk = {"Authorization": f"Bearer {tokens['K1']}"}
        clerk = {"Authorization": f"Bearer {tokens['C01']}"}
        waiting, i = 0, 0

        def issue_n(n: int) -> None:
            nonlocal i
            for _ in range(n):
                i += 1
                client.post(
                    "/api/v1/tickets",
                    headers=kiosk,
                    json={"req": f"g:{i}", "service": "B", "kiosk": "K1"},
                )

        for target_waiting in steps:
            issue_n(max(0, target_waiting - waiting))
            waiting = target_waiting
            last = target_waiting == steps[-1]
            prof = cProfile.Profile() if last else None
            c0 = time.process_time()
            if prof:
                prof.enable()
            issue_n(50)
            if prof:
                prof.disable()
            c1 = time.process_time()
            for k in range(50):
                client.post("/api/v1/counters/C01/next", headers=clerk, json={"req": f"n:{i}:{k}"})
            c2 = time.process_time()
            rows.append(
                {
                    "waiting": target_waiting,
                    "issue_cpu_ms": round((c1 - c0) * 20, 2),
                    "next_cpu_ms": round((c2 - c1) * 20, 2),
                }
            )
            if prof:
                prof_out = _top(prof, 10)
    return {"per_size": rows, "top_own_time_at_largest_issue_profiled": prof_out}


def memory_and_restart(events: int) -> dict[str, Any]:
    from core.queue import QueueState

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-diag-") as tmp:
        data = Path(tmp) / "data"
        tracemalloc.start(1)
        app, tokens = _app(data)
        client = app.test_client()
        epoch = client.get("/healthz").get_json()["hub_epoch"]
        incs, logs = offline_logs(events // 3 + 1)
        before = tracemalloc.take_snapshot()
        for node in ("K2", "C08"):
            hdr = {"Authorization": f"Bearer {tokens[node]}"}
            for i in range(0, len(logs[node]), 500):
                client.post(
                    "/api/v1/sync/push",
                    headers=hdr,
                    json={
                        "node": node,
                        "inc": incs[node],
                        "hub_epoch_seen": epoch,
                        "events": logs[node][i : i + 500],
                    },
                )
        del logs
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        out["events"] = client.get("/healthz").get_json()["last_hseq"]
        diff = after.compare_to(before, "lineno")
        out["memory_growth_mb"] = round(sum(d.size_diff for d in diff) / 2**20, 1)
        out["memory_top_lines"] = [
            {
                "where": str(d.traceback).replace(str(REPO) + "/", ""),
                "mb": round(d.size_diff / 2**20, 2),
                "blocks": d.count_diff,
            }
            for d in diff[:12]
        ]
        # The first hub lets go of the data folder (its lock) before the second opens it.
        app.extensions["loket"].store.close()
        del app, client
        # Restart: a fresh app on the same data dir replays the journal.
        from core.config import load_hub_config
        from hub import create_app

        config = load_hub_config(Path(tmp) / "hub.toml")
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        app2 = create_app(config)
        prof.disable()
        out["restart_s"] = round(time.perf_counter() - t0, 3)
        out["restart_top_own_time"] = _top(prof, 12)
        records = list(app2.extensions["loket"].store.records())
        t0 = time.perf_counter()
        state = QueueState()
        for rec in records:
            state.apply(rec["event"], hseq=rec["hseq"], est_ms=rec.get("est_ms"))
        fold = time.perf_counter() - t0
        t0 = time.perf_counter()
        state.snapshot()
        out["fold_us_per_event"] = round(fold * 1e6 / max(1, len(records)), 1)
        out["snapshot_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        app2.extensions["loket"].store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    quick = "--full" not in (argv if argv is not None else sys.argv[1:])
    doc = {
        "machine": describe(),
        "issue": issue_profile(300 if quick else 2000),
        "growth": growth((0, 1000, 4000) if quick else (0, 2000, 8000)),
        "hub_20k": memory_and_restart(20_000),
    }
    text = json.dumps(doc, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "diagnose-latest.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
