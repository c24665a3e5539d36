"""Loket's event store (core.journal) doing the TinyDB baseline's work, in this process.

Same records, same sizes (1k/10k/50k stored events), one durable append per
event as the hub does per command; bytes from /proc/self/io like the baseline.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

from bench.procfs import read_io
from bench.records import lifecycle


def measure(stored_events: int, lifecycles: int, tmp_root: str | None = None) -> dict[str, Any]:
    """Append `lifecycles` x 3 records, one fsync'd append each, to a journal of `stored_events`."""
    from core.journal import Journal

    with tempfile.TemporaryDirectory(prefix="bench-journal-", dir=tmp_root) as tmp:
        journal = Journal(tmp)
        # Prefill in batches (one fsync per 600 records): fast, and the same file
        # layout an all-day hub would have.
        batch: list[dict[str, Any]] = []
        i = 0
        written = 0
        while written < stored_events:
            need = stored_events - written
            recs = lifecycle(i)[:need]
            batch.extend(recs)
            written += len(recs)
            i += 1
            if len(batch) >= 600:
                journal.append(batch)
                batch = []
        if batch:
            journal.append(batch)
        start_n = stored_events // 3 + 1
        io0, t0 = read_io(), time.perf_counter()
        for k in range(lifecycles):
            for rec in lifecycle(start_n + k, hseq0=stored_events):
                journal.append([rec])
        elapsed = time.perf_counter() - t0
        io = read_io() - io0
        size = sum(p.stat().st_size for p in journal.segments)
        journal.close()
    return {
        "stored_events": stored_events,
        "lifecycles": lifecycles,
        "file_bytes": size,
        "write_bytes_per_lifecycle": round(io.write_bytes / lifecycles),
        "wchar_per_lifecycle": round(io.wchar / lifecycles),
        "ms_per_insert": round(elapsed * 1000 / (3 * lifecycles), 3),
        "durable": True,
    }
