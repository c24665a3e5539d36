"""TinyDB 4.9 JSONStorage baseline: the same lifecycle records, one insert each.

DESIGN.md keeps the event log out of TinyDB because JSONStorage rewrites the
whole file on every insert; this measures that cost at 1k, 10k and 50k stored
events so it is printed beside Loket's own figure in the same run.

The table is pre-filled with one storage write (inserting 50k documents one
by one would rewrite the file 50k times: O(n^2), hours); the measured inserts
then go through the ordinary `Table.insert` path.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procfs import read_io
from bench.records import lifecycle


def _prefill(path: Path, n_events: int) -> None:
    from tinydb import TinyDB

    records: list[dict[str, Any]] = []
    i = 0
    while len(records) < n_events:
        records.extend(lifecycle(i))
        i += 1
    table = {str(k + 1): rec for k, rec in enumerate(records[:n_events])}
    # One write through the storage itself, so the file is in TinyDB's own format.
    db = TinyDB(path)
    db.storage.write({"_default": table})
    db.close()
    # Flush the prefill to disk first, so its dirty pages are not billed to the
    # measured inserts.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def measure(stored_events: int, lifecycles: int, tmp_root: str | None = None) -> dict[str, Any]:
    """Insert `lifecycles` x 3 records into a JSONStorage file that holds `stored_events`."""
    from tinydb import TinyDB

    with tempfile.TemporaryDirectory(prefix="bench-tinydb-", dir=tmp_root) as tmp:
        path = Path(tmp) / "events.json"
        _prefill(path, stored_events)
        db = TinyDB(path)
        table = db.table("_default")
        start_n = stored_events // 3 + 1
        io0, t0 = read_io(), time.perf_counter()
        for k in range(lifecycles):
            for rec in lifecycle(start_n + k, hseq0=stored_events):
                table.insert(rec)
        elapsed = time.perf_counter() - t0
        io = read_io() - io0
        db.close()
        file_bytes = path.stat().st_size
    inserts = 3 * lifecycles
    return {
        "stored_events": stored_events,
        "lifecycles": lifecycles,
        "file_bytes": file_bytes,
        "write_bytes_per_lifecycle": round(io.write_bytes / lifecycles),
        "wchar_per_lifecycle": round(io.wchar / lifecycles),
        "ms_per_insert": round(elapsed * 1000 / inserts, 3),
        # JSONStorage never fsyncs: these bytes are not even durable.
        "durable": False,
    }
