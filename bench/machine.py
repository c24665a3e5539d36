"""A description of the machine a result was measured on, stored with every result."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _fs_type(path: str) -> str | None:
    # Why: bytes-written figures mean nothing on tmpfs (no block accounting), so
    # record where the temp data directories lived.
    best, fstype = "", None
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mnt = parts[1]
                if path.startswith(mnt) and len(mnt) > len(best):
                    best, fstype = mnt, parts[2]
    except OSError:
        return None
    return fstype


def loadavg() -> list[float] | None:
    """1/5/15-minute load averages: a busy machine (tests running beside) skews every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe(tmp_dir: str | None = None) -> dict[str, object]:
    """CPU model, cores, memory, Python, kernel, git commit (and whether the tree is dirty)."""
    import tempfile

    tmp = tmp_dir or tempfile.gettempdir()
    status = _git("status", "--porcelain")
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "mem_total_bytes": _mem_total_bytes(),
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "tmp_dir": tmp,
        "tmp_fs": _fs_type(os.path.realpath(tmp)),
        "loadavg_at_start": loadavg(),
    }
