"""`python -m bench [--quick|--full] [--only NAME]`: run the benchmarks, print one JSON.

The result also goes to bench/results/latest-<mode>.json (or
latest-<mode>-<name>.json with --only, so a partial run never overwrites a whole
one), with the machine description, so runs can be compared over time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.machine import describe, loadavg

# name -> module with run(size) -> dict; order = the order of issue 4.
BENCHMARKS = (
    "throughput",
    "latency",
    "write_amp",
    "catchup",
    "footprint",
    "hall",
    "kiosk",
    "streams",
    "history",
)
RESULTS = Path(__file__).resolve().parent / "results"


def run_one(name: str, size: str) -> dict[str, Any]:
    """Run one benchmark; an exception becomes an `error` entry so the others still run."""
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        result = module.run(size)
    except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the rest
        result = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=6).splitlines()[-12:],
        }
    result["bench_seconds"] = round(time.perf_counter() - t0, 2)
    return result


def collect_targets(benchmarks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every figure that has a target, flattened as `<bench>.<figure>`, plus a tally."""
    flat: dict[str, Any] = {}
    for name, res in benchmarks.items():
        for key, val in (res.get("targets") or {}).items():
            flat[f"{name}.{key}"] = val
    flags = [v.get("pass") for v in flat.values()]
    flat["_tally"] = {
        "pass": flags.count(True),
        "fail": flags.count(False),
        "not_measured": flags.count(None),
    }
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick", dest="mode", action="store_const", const="quick", help="about a minute (default)"
    )
    mode.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="the sizes of issue 4 and more samples",
    )
    mode.add_argument(
        "--smoke",
        dest="mode",
        action="store_const",
        const="smoke",
        help="smallest sizes: checks the benchmarks run, figures meaningless",
    )
    parser.add_argument(
        "--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here instead of bench/results")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    size = args.mode or "quick"
    names = args.only or list(BENCHMARKS)
    machine = describe()
    t0 = time.perf_counter()
    results = {}
    for name in names:
        print(f"bench: running {name} ({size})...", file=sys.stderr, flush=True)
        results[name] = run_one(name, size)
    machine["loadavg_at_end"] = loadavg()
    doc = {
        "mode": size,
        "machine": machine,
        "total_seconds": round(time.perf_counter() - t0, 1),
        "targets": collect_targets(results),
        "benchmarks": results,
    }
    text = json.dumps(doc, indent=2, sort_keys=False)
    print(text)
    if not args.no_save and (args.out or size != "smoke"):
        if args.out:
            path = args.out
        else:
            suffix = "" if args.only is None else "-" + "-".join(args.only)
            path = RESULTS / f"latest-{size}{suffix}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
        print(f"bench: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
