"""Check that acknowledged commands are fsync'd: count fsync calls with strace.

/proc shows bytes, not fsyncs, so a separate short sub-run attaches strace to
the hub (it slows the hub; no timing is taken during it) and compares the number
of fsync/fdatasync calls with the number of acknowledged tickets.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.ops import issue


def fsyncs_per_ack(pid: int, client: Client, n: int = 30) -> dict[str, Any]:
    """Issue n tickets one at a time under `strace -c -f`; fsyncs counted per 2xx answer."""
    strace = shutil.which("strace")
    if strace is None:
        return {"checked": False, "reason": "strace not installed"}
    with tempfile.TemporaryDirectory(prefix="bench-strace-") as tmp:
        out = Path(tmp) / "strace.txt"
        proc = subprocess.Popen(
            [
                strace,
                "-f",
                "-c",
                "-e",
                "trace=fsync,fdatasync,sync_file_range",
                "-o",
                str(out),
                "-p",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)  # strace needs a moment to attach to every thread
            if proc.poll() is not None:
                return {"checked": False, "reason": f"strace exited {proc.returncode}"}
            acked = sum(1 for _ in range(n) if issue(client)[0] in (200, 201))
            time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        calls = _parse_counts(out.read_text(errors="replace") if out.exists() else "")
    total = sum(calls.values())
    return {
        "checked": True,
        "acked": acked,
        "sync_calls": calls,
        "sync_calls_per_ack": round(total / acked, 2) if acked else None,
        # One or more syncs per acknowledged ticket issued one at a time = durable.
        "durable": bool(acked) and total >= acked,
    }


def _parse_counts(text: str) -> dict[str, int]:
    """Calls per syscall from `strace -c` output (columns: %time secs usecs calls [errors] name)."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in ("fsync", "fdatasync", "sync_file_range"):
            try:
                counts[parts[-1]] = int(parts[3])
            except ValueError:
                continue
    return counts
