"""Benchmark: the regional server on PostgreSQL (issue 12, item 4).

A simulated region: ``sites`` malls, a busy day each (``events`` per site: whole ticket
lifecycles, issued -> called -> done -> rated), ingested with the server's own code
(``region.ingest.store``, validation included) by two pushers at once, in the hubs' batch
size (500). Then the store is topped up with synthetic rows (SQL, not timed) to ``stored``
events, and the dashboard's queries are timed at that size: one site's day
(``region.dashboard.site_report``), every bench site's day (the dashboard page), one site's
month. Last, one site's catch-up after a day offline: its day of events pushed through the
HTTP push route (Flask app, JSON, validation, one transaction per batch) in batches of 500.

    .venv/bin/python -m bench.region              # quick: 30 sites, 500k stored
    LOKET_BENCH_REGION=full .venv/bin/python -m bench.region   # 300 sites, 10 M stored
    LOKET_BENCH_REGION_SITES=300 LOKET_BENCH_REGION_EVENTS=600 ...  # any one size changed

Prints JSON; never asserted on in tests (tests/region/test_bench_region.py checks the shape).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.pgcluster import PgCluster

SIZES = {
    "smoke": {"sites": 3, "events": 400, "stored": 20_000},
    "quick": {"sites": 30, "events": 6_000, "stored": 500_000},
    "full": {"sites": 300, "events": 6_000, "stored": 10_000_000},
}
BATCH = 500


def site_day(site_index: int, n_events: int, day: str, t0_ms: int) -> list[dict]:
    """Hub records of one busy day: ticket lifecycles spread over 8 hours."""
    from core.events import make_event, make_record

    records: list[dict] = []
    seqs: dict[str, int] = {}
    hseq = 0

    def add(origin: str, type_: str, ticket: str, body: dict, deps=(), at_ms: int = 0) -> dict:
        nonlocal hseq
        seqs[origin] = seqs.get(origin, 0) + 1
        hseq += 1
        ev = make_event(
            origin,
            f"i{site_index}",
            seqs[origin],
            type_,
            ticket=ticket,
            req=f"{origin}:r{seqs[origin]}",
            deps=deps,
            body=body,
        )
        records.append(make_record(hseq, at_ms, at_ms, ev))
        return ev.to_dict()

    tickets = max(1, n_events // 4)
    span_ms = 8 * 3600_000
    for i in range(tickets):
        service = "AB"[i % 2]
        label = f"{service}-{i // 2 + 1:03d}"
        key = f"{day}/{label}"
        at = t0_ms + span_ms * i // tickets
        counter = f"C{i % 8 + 1}"
        add("K1", "ticket.issued", key, {"service": service, "number": i // 2 + 1,
            "label": label, "day": day, "mode": "lease", "kiosk": "K1", "priority": 1,
            "lease": None}, at_ms=at)  # fmt: skip
        call = add(counter, "ticket.called", key, {"counter": counter, "expect_service": service,
                   "mode": "offline"}, at_ms=at + 600_000)  # fmt: skip
        add(
            counter,
            "ticket.done",
            key,
            {"counter": counter},
            deps=(call["id"],),
            at_ms=at + 900_000,
        )
        add(
            counter,
            "ticket.rated",
            key,
            {"counter": counter, "score": 3 + i % 2},
            at_ms=at + 910_000,
        )
    return records


def _fill(conn, stored: int, have: int) -> int:
    """Top the store up to ``stored`` rows with synthetic ticket records (not timed)."""
    missing = max(0, stored - have)
    per_site = 100_000
    sites = (missing + per_site - 1) // per_site
    for s in range(sites):
        n = min(per_site, missing - s * per_site)
        site = f"fill-{s}"
        with conn.transaction():
            conn.execute(
                "INSERT INTO sites (id, name, token_hash) VALUES (%s, %s, %s)",
                (site, site, f"fill-token-{s}"),
            )
            conn.execute("INSERT INTO site_state (site) VALUES (%s)", (site,))
            conn.execute(
                "INSERT INTO event_keys (site, event_id, digest)"
                " SELECT %s, 'F:x:' || g, 'd' FROM generate_series(1, %s) g",
                (site, n),
            )
            conn.execute(
                "INSERT INTO events (site, event_id, hseq, recv_at, day, type, ticket, record)"
                " SELECT %s, 'F:x:' || g, g, now() - (g %% 28) * interval '1 day',"
                " (now() - (g %% 28) * interval '1 day')::date, 'ticket.issued',"
                " 'x/A-' || g, jsonb_build_object('hseq', g, 'event', jsonb_build_object("
                "'type', 'ticket.issued', 'id', 'F:x:' || g))"
                " FROM generate_series(1, %s) g",
                (site, n),
            )
    conn.execute("ANALYZE events")
    return missing


def _timed(fn, repeat: int = 3) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"best_s": round(min(times), 6), "median_s": round(sorted(times)[len(times) // 2], 6)}


def run(size: str = "quick") -> dict[str, Any]:
    from core.config_region import region_config_from_dict
    from region import create_app, dashboard, ingest
    from region.db import open_pool, prepare
    from region.sites import add_site

    sizes = dict(SIZES[size])
    for key in sizes:  # e.g. LOKET_BENCH_REGION_STORED=10000000 on a busy machine
        if os.environ.get(f"LOKET_BENCH_REGION_{key.upper()}"):
            sizes[key] = int(os.environ[f"LOKET_BENCH_REGION_{key.upper()}"])
    now = datetime.now(UTC)
    day = now.date().isoformat()
    t0_ms = int(datetime(now.year, now.month, now.day, 1, tzinfo=UTC).timestamp() * 1000)
    with PgCluster("region-bench") as pg:
        config = region_config_from_dict(
            {"region": {"name": "bench", "dsn": pg.dsn, "pool_max": 6}}
        )
        pool = open_pool(config)
        prepare(pool, config)
        names = [f"mpp-{i:03d}" for i in range(sizes["sites"])]
        tokens = {}
        with pool.connection() as conn:
            for name in names:
                tokens[name] = add_site(conn, name, name.upper())
            # the catalogue each hub seeds, so the dashboard finds agencies and a timezone
        t_gen = time.perf_counter()
        days = {name: site_day(i, sizes["events"], day, t0_ms) for i, name in enumerate(names)}
        gen_s = time.perf_counter() - t_gen
        work = [
            (name, recs[i : i + BATCH])
            for name, recs in days.items()
            for i in range(0, len(recs), BATCH)
        ]
        total = sum(len(b) for _, b in work)
        lock = threading.Lock()

        def pusher() -> None:
            with pool.connection() as conn:
                while True:
                    with lock:
                        if not work:
                            return
                        site, batch = work.pop()
                    ingest.store(conn, site, batch)

        t = time.perf_counter()
        threads = [threading.Thread(target=pusher) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        ingest_s = time.perf_counter() - t
        progress = {"ingested": total, "seconds": round(ingest_s, 2)}
        print(f"region bench: {json.dumps(progress)}", file=sys.stderr, flush=True)

        with pool.connection() as conn:
            filled = _fill(conn, sizes["stored"], total)
            print(f"region bench: filled {filled} rows", file=sys.stderr, flush=True)
            stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            listed = [{"id": n, "name": n} for n in names]
            one = _timed(lambda: dashboard.site_report(conn, names[0], "x", day, day))
            every = _timed(lambda: dashboard.region_reports(conn, listed, day, day), repeat=1)
            cache = dashboard.ReportCache()
            with_events = [{**s, "events": 1} for s in listed]
            dashboard.region_reports(conn, with_events, day, day, cache)
            cached = _timed(lambda: dashboard.region_reports(conn, with_events, day, day, cache))
            month_from = (now.date() - timedelta(days=30)).isoformat()
            month = _timed(lambda: dashboard.site_report(conn, names[0], "x", month_from, day))
            check = dashboard.site_report(conn, names[0], "x", day, day).report.total

        # catch-up: one more site, a day offline, pushed through the HTTP route
        app = create_app(config, pool)
        client = app.test_client()
        with pool.connection() as conn:
            late = add_site(conn, "mpp-late", "MPP LATE")
        # a busy day whatever the env changed: the catch-up issue 12 asks about
        records = site_day(999, SIZES[size]["events"], day, t0_ms)
        t = time.perf_counter()
        for i in range(0, len(records), BATCH):
            answer = client.post("/region/api/v1/push", json={"site": "mpp-late",
                                 "events": records[i:i + BATCH]},
                                 headers={"Authorization": f"Bearer {late}"})  # fmt: skip
            assert answer.status_code == 200, answer.get_json()
        catch_s = time.perf_counter() - t
        with pool.connection() as conn:
            busy = _timed(lambda: dashboard.site_report(conn, "mpp-late", "x", day, day))
        again = client.post("/region/api/v1/push", json={"site": "mpp-late",
                            "events": records[:BATCH]},
                            headers={"Authorization": f"Bearer {late}"}).get_json()  # fmt: skip
        pool.close()
    return {
        "size": size if sizes == SIZES[size] else f"{size} (changed by env)",
        "sites": sizes["sites"],
        "events_per_site": sizes["events"],
        "ingest": {
            "events": total,
            "seconds": round(ingest_s, 2),
            "events_per_s": round(total / ingest_s, 1),
            "pushers": 2,
            "batch": BATCH,
            "generate_s": round(gen_s, 2),
        },
        "dashboard": {
            "stored_events": stored,
            "synthetic_rows": filled,
            "one_site_day": one,
            "all_bench_sites_day": every,
            "all_bench_sites_day_cached": cached,
            "one_site_month": month,
            "tickets_per_site_day": check.issued,
            "busy_site_day_after_catch_up": busy,
        },
        "catch_up": {
            "events": len(records),
            "seconds": round(catch_s, 2),
            "events_per_s": round(len(records) / catch_s, 1),
            "via": "POST /region/api/v1/push (Flask app, in process), batches of 500",
            "repeat_batch": {"accepted": again["accepted"], "duplicates": again["duplicates"]},
        },
    }


def main() -> int:
    # a stopped run (SIGTERM, timeout) still stops its PostgreSQL and removes its folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    size = os.environ.get("LOKET_BENCH_REGION", "quick")
    if len(sys.argv) > 1:
        size = sys.argv[1]
    print(json.dumps(run(size), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
