"""The sealed index of a finished journal segment: opening a year of journal without reading it.

A segment the journal has moved past never changes again (the hub also makes it read-only
after a daily close), so what scanning it at open would find - its record count, its valid
length and where each line starts - is written once, beside it, when it is sealed:
``<segment>.idx``. At open the journal reads the index's first line and checks it against the
segment cheaply (size, mtime and a CRC of its last :data:`TAIL_BYTES`); the offsets are read
only when a range of that segment is read. An index that is missing, torn, of another format
or that does not match its segment is never trusted: the segment is scanned as before (every
record's CRC checked) and the index rewritten.

What the cheap check cannot see - a byte changed in the middle of a sealed segment with its
size, mtime and tail intact - is still caught when that record is read (every read checks the
record's CRC, ``core.journal``), so nothing corrupt is ever returned; it is no longer caught at
open.

Format: one JSON line ``{"v", "count", "size", "mtime_ns", "tail_crc", "offsets_crc"}``, then
the offsets as little-endian unsigned 64-bit integers.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from array import array
from pathlib import Path
from typing import Any

VERSION = 1
SUFFIX = ".idx"
TAIL_BYTES = 4096


def index_path(segment: Path) -> Path:
    """``events-0000000042.jsonl`` -> ``events-0000000042.jsonl.idx``."""
    return segment.with_name(segment.name + SUFFIX)


def fingerprint(segment: Path) -> tuple[int, int, int]:
    """``(size, mtime_ns, crc32 of the last TAIL_BYTES)`` of a segment file (OSError if gone)."""
    with open(segment, "rb") as f:
        st = os.fstat(f.fileno())
        f.seek(max(0, st.st_size - TAIL_BYTES))
        tail = f.read(TAIL_BYTES)
    return st.st_size, st.st_mtime_ns, zlib.crc32(tail)


def encode(segment: Path, count: int, size: int, offsets: array) -> bytes | None:
    """The index file's bytes for a sealed segment, or None if the file is not what we hold
    (then writing an index would vouch for bytes nobody checked)."""
    real_size, mtime_ns, tail_crc = fingerprint(segment)
    if real_size != size or len(offsets) != count:
        return None
    body = _le(offsets).tobytes()
    head = {
        "v": VERSION,
        "count": count,
        "size": size,
        "mtime_ns": mtime_ns,
        "tail_crc": tail_crc,
        "offsets_crc": zlib.crc32(body),
    }
    return json.dumps(head, sort_keys=True).encode("ascii") + b"\n" + body


def check(segment: Path) -> dict[str, Any] | None:
    """The index header if it matches ``segment`` as it is now, else None (then: scan it)."""
    try:
        with open(index_path(segment), "rb") as f:
            line = f.readline(512)
        head = json.loads(line)
        if not isinstance(head, dict) or head.get("v") != VERSION:
            return None
        wanted = (head["size"], head["mtime_ns"], head["tail_crc"])
        if not isinstance(head["count"], int) or head["count"] < 0:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        return head if fingerprint(segment) == wanted else None
    except OSError:
        return None


def offsets(segment: Path, head: dict[str, Any]) -> array | None:
    """The line offsets a checked index holds, or None if they are damaged."""
    try:
        with open(index_path(segment), "rb") as f:
            f.readline(512)
            body = f.read()
    except OSError:
        return None
    if len(body) != 8 * head["count"] or zlib.crc32(body) != head["offsets_crc"]:
        return None
    out = array("Q")
    out.frombytes(body)
    return _le(out)


def _le(values: array) -> array:
    """``values`` in little-endian order (a no-op copy-free path on little-endian machines)."""
    if sys.byteorder == "little":
        return values
    swapped = array("Q", values)
    swapped.byteswap()
    return swapped
