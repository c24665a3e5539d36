"""Benchmark: a generated history of closed days (issue 11 item 4).

Generates ``days`` service days of ``visitors`` each into a hub data folder, in process:
an Authority on a fake clock issues, calls and finishes tickets through its real commands
(two services, four counters; the first ``backlog`` visitors of a day wait so some are left
at closing) and closes each day with ``hub.day_close`` (what the timer does). The generator
skips fsync (a FileLayer without it): durability is not what is measured here, and a year
of fsyncs would take hours.

Then, each in a fresh subprocess so RSS is the process's own:

- ``hub_startup``: open the store and build the Authority (checkpoint + replay of what
  follows) after one day and after all days; RSS after start-up;
- ``node_startup``: a node as it stands after the history: its replica was fed every hub
  record through ``node.replica.Replica`` (batches of 500, as the feed delivers them) and
  pruned after each close by ``node.sync.SyncClient.prune``; start-up is opening that
  replica and folding it (``node.view.LocalView.state``), with RSS, after one day and after
  all days. Also the records and bytes the replica holds, and the slowest prune;
- ``reports_month``: the date-range figures over the last 30 closed days (the summaries)
  and one day's PDF, in seconds.

Targets: start-up <= 2 s, RSS after all days no larger than after one day (+10 % for
allocator noise), a month's report <= 1 s.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.stats import target

SIZES = {
    "smoke": {"days": 3, "visitors": 20, "backlog": 3},
    "quick": {"days": 30, "visitors": 700, "backlog": 25},
    "full": {"days": 365, "visitors": 700, "backlog": 25},
}
DAY_MS = 86_400_000
T0 = 1_767_232_800_000  # 2026-01-01 09:00 Asia/Jakarta
OPEN_MS = 7 * 3_600_000  # visitors arrive over seven hours
RSS_SLACK = 1.10

PROFILE = {
    "mpp": {"name": "MPP Bench", "timezone": "Asia/Jakarta"},
    "agencies": [{"id": "dukcapil", "name": "Dukcapil"}, {"id": "bpjs", "name": "BPJS"}],
    "services": [
        {"id": "A", "name": "KTP", "agency": "dukcapil"},
        {"id": "B", "name": "BPJS Kesehatan", "agency": "bpjs"},
    ],
    "counters": [
        {"id": f"C{i}", "name": f"Loket {i}", "number": i, "services": ["A", "B"]}
        for i in range(1, 5)
    ],
    "kiosks": [{"id": "K1", "name": "Kiosk 1", "services": ["A", "B"]}],
}


def config_for(data_dir: Path) -> Any:
    from core.calendar import open_around_the_clock
    from core.config import hub_config_from_dict

    # The generated year walks through every public holiday: the figures are about a year
    # of records, not about the calendar, so every day is a working day.
    raw = dict(PROFILE, hub={"host": "127.0.0.1", "port": 8080, "data_dir": str(data_dir)})
    config = hub_config_from_dict(raw)
    return replace(config, catalogue=open_around_the_clock(config.catalogue))


def generate(data_dir: Path, days: int, visitors: int, backlog: int, after_day=None) -> None:
    """Write the history; ``after_day(n)`` is called after day ``n`` (1-based) is closed."""
    from core.clock import FakeClock
    from core.journal import OsFiles
    from hub import day_close
    from hub.authority import Authority
    from hub.store import Store

    class NoSync(OsFiles):
        def fsync(self, fd: int) -> None:
            pass

        def fsync_dir(self, directory: Path) -> None:
            pass

    clock = FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="bench")
    store = Store(data_dir, fs=NoSync())
    try:
        auth = Authority(config_for(data_dir), store, clock)
        gap = OPEN_MS // max(visitors, 1)
        n = 0
        for day in range(days):
            start = T0 + day * DAY_MS
            for i in range(visitors):
                n += 1
                clock.advance(start + i * gap - clock.wall_ms())
                auth.issue(f"K1:bench:{n}", "AB"[n % 2], "K1")
                if i >= backlog:
                    counter = f"C{1 + i % 4}"
                    auth.counter_command(counter, "next", f"{counter}:bench:n{n}")
                    auth.counter_command(counter, "done", f"{counter}:bench:d{n}")
            day_close.close_day(auth, auth.today(), by="bench")
            if after_day is not None:
                after_day(day + 1)
    finally:
        store.close()


PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bench.history import config_for, probe_rss_mb
data = Path(sys.argv[2])
if sys.argv[1] == "hub":
    from hub.authority import Authority
    from hub.store import Store
    t1 = time.perf_counter()
    store = Store(data)
    opened = time.perf_counter() - t1
    auth = Authority(config_for(data), store)
    took = time.perf_counter() - t0
    image = auth.replay_image()
    print(json.dumps({"startup_s": round(took, 3), "imports_s": round(t1 - t0, 3),
                      "store_open_s": round(opened, 3),
                      "rss_mb": probe_rss_mb(), "live_tickets": len(auth.state.tickets),
                      "ids_held": len(image["_known"]), "segments": len(store.journal.segments),
                      "offsets_loaded": len(store.journal.loaded_offsets)}))
    store.close()
else:
    from core.clock import FakeClock
    from node.outbox import Outbox
    from node.replica import Replica
    from node.view import LocalView
    t1 = time.perf_counter()  # start-up proper: open the replica, fold what it holds
    replica = Replica(data)
    outbox = Outbox(data, "K1", FakeClock(wall_ms=0, mono_ms=0, boot_id="probe"))
    state = LocalView(replica, outbox).state()
    took = time.perf_counter() - t1
    print(json.dumps({"startup_s": round(took, 3), "rss_mb": probe_rss_mb(),
                      "with_imports_s": round(time.perf_counter() - t0, 3),
                      "live_tickets": len(state.tickets), "base_hseq": replica.base_hseq,
                      "records_held": replica.last_hseq - replica.base_hseq,
                      "own_log_events": len(outbox.events())}))
"""


def feed_node(hub_dir: Path, node_dir: Path, days: int, copies: dict[str, Path]) -> dict:
    """Feed a kiosk node every hub record as the pull does (and its own log the hub's
    answers to its presses) and prune both as the sync client does after each close.
    ``copies`` gets the node's folder as it stood on the first and the last day, before the
    close ("open": the day's records held) and after it (``*_closed``; the last one is
    ``node_dir`` itself)."""
    from core.clock import FakeClock
    from core.journal import read_records
    from node.outbox import Outbox
    from node.replica import Replica
    from node.sync import SyncClient

    clock = FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="bench-node")
    # The kiosk K1: the hub's answer to each of its presses is logged in its own log before
    # it prints (node.outbox), then the same event comes back through the feed.
    replica, outbox = Replica(node_dir), Outbox(node_dir, "K1", clock)
    replica.adopt_epoch("bench")
    client = SyncClient(None, outbox, replica, clock)  # no transport: prune needs none
    worst, batch, closes = 0.0, [], 0

    def apply() -> None:
        nonlocal worst, closes
        closing = any(r["event"]["type"] == "day.closed" for r in batch)
        if closing and closes in (0, days - 1):
            shutil.copytree(node_dir, copies["first_open" if closes == 0 else "last_open"])
        replica.apply(batch)
        batch.clear()
        if closing:
            t0 = time.perf_counter()
            client.prune()
            worst = max(worst, time.perf_counter() - t0)
            closes += 1
            if closes == 1:
                shutil.copytree(node_dir, copies["first_closed"])

    for record in read_records(hub_dir / "journal"):
        ev = record["event"]
        if ev["type"] == "ticket.issued" and (ev.get("body") or {}).get("kiosk") == "K1":
            outbox.store_foreign(ev)
        batch.append(record)
        # the feed's pages; a page ends at a close here, so the copies hold whole days
        if len(batch) == 500 or record["event"]["type"] == "day.closed":
            if record["event"]["type"] == "day.closed" and len(batch) > 1:
                batch.pop()
                apply()
                batch.append(record)
            apply()
    if batch:
        apply()
    outbox.close()
    replica.close()
    return {"prune_max_s": round(worst, 3)}


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 3)


def probe_rss_mb() -> float:
    from bench.procfs import rss_bytes

    return round(rss_bytes() / 2**20, 1)


def probe(kind: str, data_dir: Path) -> dict[str, Any]:
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", PROBE, kind, str(data_dir)],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} probe failed: {out.stderr[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def reports_month(data_dir: Path) -> dict[str, Any]:
    """The range figures over the last 30 archived days, and one day's PDF."""
    from hub import archive, reports_day, reports_pdf, ui

    t0 = time.perf_counter()
    docs = list(archive.days(data_dir))[-30:]
    rows = [d["summary"]["total"] for d in docs]
    total = reports_day.row_figures(reports_day.add_rows(rows))
    range_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    names = {s["id"]: (s["name"], s["agency"]) for s in PROFILE["services"]}
    fig = reports_day.day_figures(docs[-1]["summary"], None, names)
    ctx = {"w": ui.text(None), "fig": fig, "day": docs[-1]["day"], "agency": None,
           "agency_name": "", "mpp_name": "MPP Bench", "closed": True}  # fmt: skip
    pdf = reports_pdf.day_pdf(ctx)
    return {
        "days": len(docs),
        "issued": total["issued"],
        "range_s": round(range_s, 4),
        "day_pdf_s": round(time.perf_counter() - t1, 4),
        "pdf_bytes": len(pdf),
    }


def run(size: str) -> dict[str, Any]:
    spec = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="loket-archive-history-") as tmp:
        data, first = Path(tmp) / "hub", Path(tmp) / "after-one-day"

        def keep_first(n: int) -> None:
            if n == 1:
                shutil.copytree(data, first)

        t0 = time.perf_counter()
        generate(data, spec["days"], spec["visitors"], spec["backlog"], keep_first)
        generate_s = time.perf_counter() - t0
        hub_one, hub_all = probe("hub", first), probe("hub", data)
        node = Path(tmp) / "node"
        copies = {k: Path(tmp) / f"node-{k}" for k in ("first_open", "first_closed", "last_open")}
        fed = feed_node(data, node, spec["days"], copies)
        nodes = {}
        for name, folder in (*copies.items(), ("last_closed", node)):
            nodes[name] = {
                **probe("node", folder),
                "replica_mb": folder_mb(folder / "replica"),
                "own_log_mb": round(folder_mb(folder) - folder_mb(folder / "replica"), 3),
            }
        node_one, node_all = nodes["first_open"], nodes["last_open"]
        month = reports_month(data)
        journal_mb = sum(p.stat().st_size for p in (data / "journal").glob("*")) / 2**20
    report_s = month["range_s"] + month["day_pdf_s"]
    return {
        "size": spec,
        "generate_s": round(generate_s, 1),
        "journal_mb": round(journal_mb, 1),
        "hub_startup": {"after_one_day": hub_one, "after_all_days": hub_all},
        "node_startup": {**nodes, **fed},
        "reports_month": month,
        "targets": {
            "hub_startup_s": target(hub_all["startup_s"], 2.0, unit="s"),
            "hub_rss_growth": target(
                round(hub_all["rss_mb"] / hub_one["rss_mb"], 3), RSS_SLACK, unit="x"
            ),
            "node_rss_growth": target(
                round(node_all["rss_mb"] / node_one["rss_mb"], 3), RSS_SLACK, unit="x"
            ),
            "reports_month_s": target(round(report_s, 4), 1.0, unit="s"),
        },
    }
