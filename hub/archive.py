"""Closed service days on disk: one JSON summary per day under ``<data_dir>/archive``.

Written by ``hub.day_close`` after the ``day.closed`` event is durable; the event carries the
same summary, so a lost or deleted file is rebuilt from the journal (``rebuild``). Reports over
a date range read these files, never the journal: a month is ~30 small files.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.journal import write_json_atomic
from hub import kpi

log = logging.getLogger(__name__)

ARCHIVE_DIR = "archive"


def folder(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / ARCHIVE_DIR


def summary_of(rep: kpi.Report, agency_of: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON a closed day keeps: totals, per service/agency/counter, per hour (the whole
    mall and each agency: arrivals, and sums + counts of waiting and service times)."""
    agency_of = agency_of or {}
    by_agency: dict[str, list[kpi.TicketFacts]] = {}
    for t in rep.tickets:
        by_agency.setdefault(agency_of.get(t.service, "?"), []).append(t)
    return {
        "total": row_of(rep.total),
        "services": {k: row_of(r) for k, r in rep.by_service.items()},
        "agencies": {k: row_of(r) for k, r in rep.by_agency.items()},
        "counters": {k: row_of(r) for k, r in rep.by_counter.items()},
        "hours": hours_of(rep.tickets),
        "agency_hours": {a: hours_of(ts) for a, ts in sorted(by_agency.items())},
        # the counter buttons' quick rating per score (not the SKM, which has its own report)
        "ratings": {str(s): n for s, n in rep.quick.counts.items()},
        "anomalies": rep.anomalies,
    }


def hours_of(tickets: Iterable[kpi.TicketFacts]) -> dict[str, dict[str, Any]]:
    """Per hour of arrival ("08"): arrivals, and sums + counts of the times that ended."""
    hours: dict[int, dict[str, list[float] | int]] = {}
    for t in tickets:
        h = hours.setdefault(t.hour, {"arrivals": 0, "waits": [], "services": []})
        h["arrivals"] += 1
        if t.wait_s is not None:
            h["waits"].append(t.wait_s)
        if t.service_s is not None:
            h["services"].append(t.service_s)
    return {
        f"{hour:02d}": {
            "arrivals": h["arrivals"],
            "wait_sum_s": round(sum(h["waits"]), 3),
            "waits": len(h["waits"]),
            "service_sum_s": round(sum(h["services"]), 3),
            "services": len(h["services"]),
        }
        for hour, h in sorted(hours.items())
    }


def row_of(row: kpi.Row) -> dict[str, Any]:
    """Counts plus sums (not means), so days add up exactly in a range report."""
    return {
        "issued": row.issued,
        "served": row.served,
        "no_show": row.no_show,
        "cancelled": row.cancelled,
        "not_served": row.waiting,
        "transferred": row.transferred,
        "waits": len(row.waits),
        "wait_sum_s": round(sum(row.waits), 3),
        "services": len(row.services),
        "service_sum_s": round(sum(row.services), 3),
    }


def write_day(data_dir: Path, doc: dict[str, Any]) -> Path:
    """``archive/<day>.json`` (atomic: tmp + fsync + rename + dir fsync)."""
    path = folder(data_dir) / f"{doc['day']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, doc)
    return path


def read_day(data_dir: Path, day: str) -> dict[str, Any] | None:
    try:
        return json.loads((folder(data_dir) / f"{day}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("archive/%s.json does not parse; the day.closed event still holds it", day)
        return None


def days(data_dir: Path, date_from: str = "", date_to: str = "9999") -> Iterator[dict]:
    """The archived days in ``date_from..date_to`` (inclusive), oldest first."""
    base = folder(data_dir)
    if not base.is_dir():
        return
    for path in sorted(base.glob("????-??-??.json")):
        if date_from <= path.stem <= date_to:
            doc = read_day(data_dir, path.stem)
            if doc is not None:
                yield doc


def freeze(segments: Iterable[Path]) -> list[str]:
    """Make closed segments read-only (the journal never writes a retired one again)."""
    names = []
    for seg in segments:
        mode = seg.stat().st_mode
        seg.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        names.append(seg.name)
    return names


def rebuild(data_dir: Path, records: Iterable[dict]) -> int:
    """Write the summary file of every ``day.closed`` in ``records`` that has none."""
    written = 0
    for rec in records:
        ev = rec["event"]
        if ev["type"] == "day.closed" and read_day(data_dir, ev["body"]["day"]) is None:
            write_day(data_dir, day_doc(ev["body"], rec["hseq"]))
            written += 1
    return written


def day_doc(body: dict[str, Any], hseq: int, segments: list[str] | None = None) -> dict:
    return {
        "day": body["day"],
        "closed_hseq": hseq,
        "by": body["by"],
        "not_served": list(body["not_served"]),
        "summary": body["summary"],
        "segments": segments or [],
    }
