"""How long the SKM report's arithmetic takes over a busy month (not part of ``python -m bench``).

``.venv/bin/python -m bench.skm_report [--tickets N] [--share S]`` generates a month of hub
records in memory (N served tickets over 22 service days and 20 services, a share S of them
with a survey) and times ``hub.skm_report.results`` (kpi facts + IKM per service, agency,
MPP). Prints one JSON document; the figure is the median of 5 runs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC


def month_records(tickets: int, share: float, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    out: list[dict] = []
    t0 = 1_793_500_000_000

    def add(kind: str, key: str, body: dict) -> None:
        hseq = len(out) + 1
        ms = t0 + hseq * 1_000
        event = {"id": f"hub:b:{hseq}", "type": kind, "ticket": key, "body": body}
        out.append({"hseq": hseq, "recv_ms": ms, "est_ms": ms, "event": event})

    for i in range(tickets):
        day = f"2026-11-{1 + i % 22:02d}"
        service = f"S{i % 20:02d}"
        key = f"{day}/{service}-{i:05d}"
        add("ticket.issued", key, {"service": service, "label": key[11:], "day": day})
        add("ticket.called", key, {"counter": "C1"})
        add("ticket.done", key, {"counter": "C1"})
        if rng.random() < share:
            add("survey.answered", key, {"answers": [rng.choice((2, 3, 3, 4)) for _ in range(9)]})
    return out


def main(argv: list[str] | None = None) -> None:
    from hub.skm_report import results

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--share", type=float, default=0.3)
    args = parser.parse_args(argv)
    records = month_records(args.tickets, args.share)
    agency_of = {f"S{i:02d}": f"G{i % 5}" for i in range(20)}
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        found = results(records, "2026-11-01", "2026-11-30", agency_of=agency_of, tz=UTC)
        runs.append(time.perf_counter() - start)
    total = found["total"][""]
    print(json.dumps({
        "benchmark": "skm_report",
        "tickets": args.tickets,
        "records": len(records),
        "surveys": total.n,
        "ikm": str(total.value),
        "results_s_median": round(statistics.median(runs), 3),
        "results_s_max": round(max(runs), 3),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
