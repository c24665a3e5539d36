"""Readers for /proc/<pid>/io, /proc/<pid>/stat and /proc/<pid>/status.

Why /proc and not psutil: psutil is not in the venv, and these three files are
all we need (Linux only; the hub and the nodes run on Raspberry Pi OS).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Clock ticks per second for utime/stime in /proc/<pid>/stat.
_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class IoCounters:
    """The counters of /proc/<pid>/io (bytes and syscall counts)."""

    rchar: int
    wchar: int
    syscr: int
    syscw: int
    read_bytes: int
    write_bytes: int
    cancelled_write_bytes: int

    def __sub__(self, other: IoCounters) -> IoCounters:
        return IoCounters(
            **{k: getattr(self, k) - getattr(other, k) for k in self.__dataclass_fields__}
        )


def read_io(pid: int | str = "self") -> IoCounters:
    """Read /proc/<pid>/io.

    write_bytes counts pages *dirtied* (4 KiB each) on a block-backed file system,
    so an append that is fsync'd before the next one costs a whole page even when
    it is 200 bytes long; wchar counts the bytes handed to write().
    """
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            key, _, val = line.partition(":")
            values[key.strip()] = int(val)
    return IoCounters(**{k: values.get(k, 0) for k in IoCounters.__dataclass_fields__})


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    # The command name (field 2) may contain spaces and parentheses: split after
    # the last ')' so the field numbers stay right.
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the name, field index 0 is "state" (field 3); utime is field 14, stime 15.
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLK_TCK


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size (VmRSS) in bytes."""
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int | str = "self") -> int:
    """Peak resident set size (VmHWM) in bytes."""
    return _status_kib(pid, "VmHWM") * 1024


def _status_kib(pid: int | str, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")
