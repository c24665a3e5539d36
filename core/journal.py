"""Append-only, fsync'd JSON-lines journal with torn-tail repair.

The hub's event log and each node's own log live here (DESIGN.md "Storage", docs/sync.md §5.5).
One record a line, ``f"{crc32:08x} {json}\\n"``, appended with a single ``write()`` and then
``fsync`` *before* the caller acknowledges, prints or lights anything. ``append`` does both;
a group-committing writer calls ``write`` per batch and ``sync`` once for all batches written
before it (only synced records are read back).

Recovery at open follows RocksDB's ``kTolerateCorruptedTailRecords``: bad records at the very
end of the newest segment are what a power cut leaves behind (a torn write, NUL padding from a
half-allocated block) and are cut away; a bad record followed by a good one, or anything bad in
an older segment, is corruption and raises :class:`JournalCorruptError` - we never skip silently.

The file operations go through a small injectable layer (``fs``) so a test can play the role of
a disk that loses everything not yet fsync'd (the FaultInjectionTestFS idea).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import zlib
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from core import journal_index
from core.errors import JournalCorruptError, JournalError

log = logging.getLogger(__name__)

MiB = 1024 * 1024
_SEGMENT_RE = r"^{prefix}-(\d{{10}})\.jsonl$"
READ_BLOCK_LINES = 1024  # iter_from reads this many lines at a time
OFFSETS_CACHED = 8  # sealed segments whose offsets stay loaded after a read


class FileLayer(Protocol):
    """The few write-side file operations the journal needs (reads use plain ``open``)."""

    def open_append(self, path: Path) -> int: ...
    def write(self, fd: int, data: bytes) -> int: ...
    def fsync(self, fd: int) -> None: ...
    def close(self, fd: int) -> None: ...
    def fsync_dir(self, directory: Path) -> None: ...
    def truncate(self, path: Path, size: int) -> None: ...
    def replace(self, src: Path, dst: Path) -> None: ...
    def open_trunc(self, path: Path) -> int: ...


class OsFiles:
    """The real file layer: thin wrappers over :mod:`os`."""

    def open_append(self, path: Path) -> int:
        # O_APPEND: every write lands at the end even if someone else moved the offset.
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def open_trunc(self, path: Path) -> int:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)

    def write(self, fd: int, data: bytes) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def fsync_dir(self, directory: Path) -> None:
        # A new or renamed file is only durable once its directory entry is.
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def truncate(self, path: Path, size: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)

    def replace(self, src: Path, dst: Path) -> None:
        os.replace(src, dst)


def encode_record(record: dict) -> bytes:
    """One journal line for ``record`` (compact, sorted keys, UTF-8, CRC32 prefix)."""
    if not isinstance(record, dict):
        raise TypeError(f"journal records are dicts, got {type(record).__name__}")
    payload = json.dumps(
        record, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def decode_line(line: bytes) -> dict | None:
    """The record in one line (without its newline), or None if the line is not valid."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    head, payload = line[:8], line[9:]
    try:
        crc = int(head.decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        return None
    if head != head.lower() or zlib.crc32(payload) != crc:
        return None
    try:
        record = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return record if isinstance(record, dict) else None


class _Segment:
    """One segment file: its first record index, how many valid records and bytes it holds,
    and where each record's line starts (8 bytes a record: reads need no copy in RAM).

    ``offsets`` is None for a sealed segment opened from its index (``core.journal_index``):
    they are loaded when a range of it is read.
    """

    __slots__ = ("path", "first", "count", "size", "offsets")

    def __init__(
        self, path: Path, first: int, count: int = 0, size: int = 0, offsets: array | None = None
    ):
        self.path = path
        self.first = first
        self.count = count
        self.size = size
        self.offsets = offsets if offsets is not None else array("Q")

    @classmethod
    def sealed(cls, path: Path, first: int, count: int, size: int) -> _Segment:
        seg = cls(path, first, count, size)
        seg.offsets = None  # type: ignore[assignment]
        return seg


def _scan(data: bytes, path: Path, is_last: bool) -> tuple[int, int, array]:
    """Validate a segment's bytes; return (records, valid byte length, line offsets).

    Raises JournalCorruptError unless everything after the first bad record is also bad and
    this is the last segment (then the caller cuts the tail).
    """
    count = 0
    pos = 0
    offsets = array("Q")
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl >= 0 and decode_line(data[pos:nl]) is not None:
            offsets.append(pos)
            count += 1
            pos = nl + 1
            continue
        bad_line = count + 1
        if not is_last:
            raise JournalCorruptError(str(path), bad_line, "bad record in an older segment")
        if nl >= 0:
            for later_no, later in enumerate(data[nl + 1 :].split(b"\n")[:-1], bad_line + 1):
                if decode_line(later) is not None:
                    raise JournalCorruptError(
                        str(path), bad_line, f"valid record follows at line {later_no}"
                    )
        return count, pos, offsets
    return count, pos, offsets


class Journal:
    """An append-only record log split into segment files ``<prefix>-<first_index>.jsonl``.

    >>> j = Journal(tmp_path)                       # doctest: +SKIP
    >>> j.append([{"hseq": 1, "event": {...}}])     # durable when this returns
    >>> j.write([...]); j.sync()                    # group commit: durable after sync()
    >>> list(j), j.count

    Not safe for two processes at once; within a process calls are serialised by a lock
    (an fsync in :meth:`sync` runs outside it, so writes continue while it waits).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str = "events",
        segment_bytes: int = 16 * MiB,
        *,
        fs: FileLayer | None = None,
    ):
        if not re.fullmatch(r"[A-Za-z0-9_.]+", prefix):
            raise ValueError(f"journal prefix must be [A-Za-z0-9_.]+, got {prefix!r}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.segment_bytes = segment_bytes
        self._fs: FileLayer = fs or OsFiles()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()  # one fsync at a time; taken before _lock
        self._fd: int | None = None
        self._retired: list[int] = []  # fds of finished segments, closed at the next sync
        self._broken: str | None = None
        self._closed = False
        self._loaded: dict[int, array] = {}  # first index -> offsets of a sealed segment read
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._segments = self._recover()
            self._written = self._synced = sum(seg.count for seg in self._segments)
        except OSError as exc:
            if isinstance(exc, JournalError):
                raise
            raise JournalError(f"cannot open journal in {self.directory}: {exc}") from exc

    # -- opening ---------------------------------------------------------------------------

    def _recover(self) -> list[_Segment]:
        pattern = re.compile(_SEGMENT_RE.format(prefix=re.escape(self.prefix)))
        found = sorted(
            (int(m.group(1)), self.directory / name)
            for name in os.listdir(self.directory)
            if (m := pattern.match(name))
        )
        segments: list[_Segment] = []
        total = 0
        for i, (first, path) in enumerate(found):
            if first != total:
                # A missing or extra file: the indices no longer add up.
                raise JournalCorruptError(
                    str(path), 0, f"segment starts at record {first}, expected {total}"
                )
            is_last = i == len(found) - 1
            head = None if is_last else journal_index.check(path)
            if head is not None:
                segments.append(_Segment.sealed(path, first, head["count"], head["size"]))
                total += head["count"]
                continue
            data = path.read_bytes()
            count, size, offsets = _scan(data, path, is_last)
            if size < len(data):
                log.warning(
                    "journal %s: cut torn tail at line %d (%d bytes dropped)",
                    path,
                    count + 1,
                    len(data) - size,
                )
                self._fs.truncate(path, size)
            segments.append(_Segment(path, first, count, size, offsets))
            total += count
            if not is_last:
                # Sealed before this code wrote indexes, or its index does not match.
                log.info("journal %s: sealed segment scanned, writing its index", path)
                self._seal(segments[-1], offsets)
        self._loaded.clear()
        return segments

    def _seal(self, seg: _Segment, offsets: array) -> None:
        """Write the index of a segment that will never change again, and let its offsets
        leave RAM (a cache: a failure only means they stay, and the next open scans it)."""
        try:
            data = journal_index.encode(seg.path, seg.count, seg.size, offsets)
            if data is None:
                log.warning("journal %s: not as held in memory, no index written", seg.path)
                return
            write_atomic(journal_index.index_path(seg.path), data, fs=self._fs)
        except (OSError, JournalError) as exc:
            log.warning("journal %s: index not written (%s)", seg.path, exc)
            return
        seg.offsets = None  # type: ignore[assignment]

    def _offsets(self, seg: _Segment) -> array:
        """Line offsets of ``seg``, loaded from its index if sealed (caller holds the lock)."""
        if seg.offsets is not None:
            return seg.offsets
        cached = self._loaded.get(seg.first)
        if cached is not None:
            return cached
        head = journal_index.check(seg.path)
        offsets = None if head is None else journal_index.offsets(seg.path, head)
        if offsets is None or len(offsets) != seg.count:
            log.warning("journal %s: index no longer matches, scanning the segment", seg.path)
            count, size, offsets = _scan(seg.path.read_bytes(), seg.path, False)
            if (count, size) != (seg.count, seg.size):
                raise JournalCorruptError(str(seg.path), count + 1, "segment changed since open")
            self._seal(seg, offsets)
        if len(self._loaded) >= OFFSETS_CACHED:
            del self._loaded[next(iter(self._loaded))]
        self._loaded[seg.first] = offsets
        return offsets

    # -- reading ---------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Number of durable records in the journal (written and fsync'd)."""
        return self._synced

    @property
    def loaded_offsets(self) -> list[int]:
        """Sealed segments (by first index) whose line offsets are in RAM now."""
        with self._lock:
            return list(self._loaded)

    @property
    def segments(self) -> list[Path]:
        """Segment files, oldest first."""
        return [s.path for s in self._segments]

    def __iter__(self) -> Iterator[dict]:
        return self.iter_from(0)

    def iter_from(self, index: int) -> Iterator[dict]:
        """Records from 0-based ``index`` on, oldest first (a snapshot taken at call time).

        Reads from the record's line on, a block of lines at a time: a reader that wants the
        newest few records (a node catching up after a pull) does not read the day's
        segment, and one that pages through it never holds the segment in memory.
        """
        with self._lock:
            synced = self._synced  # records written but not yet fsync'd are not returned
            snapshot = [
                (s, max(0, min(s.count, synced - s.first)))
                for s in self._segments
                if s.first < synced
            ]
        return self._read(snapshot, index)

    def _read(self, snapshot: list[tuple[_Segment, int]], index: int) -> Iterator[dict]:
        for seg, count in snapshot:
            path, first, size = seg.path, seg.first, seg.size
            if first + count <= index:
                continue
            with self._lock:
                offsets = self._offsets(seg)
            with open(path, "rb") as f:
                for lo in range(max(0, index - first), count, READ_BLOCK_LINES):
                    hi = min(lo + READ_BLOCK_LINES, count)
                    end = offsets[hi] if hi < len(offsets) else size
                    f.seek(offsets[lo])
                    lines = f.read(end - offsets[lo]).split(b"\n")
                    for line_no, line in enumerate(lines[: hi - lo], lo + 1):
                        record = decode_line(line)
                        if record is None:
                            # Was valid at open or when written: the medium changed under us.
                            raise JournalCorruptError(
                                str(path), line_no, "record changed since open"
                            )
                        yield record

    def read_texts(self, start: int, stop: int) -> list[bytes]:
        """The JSON texts of records ``start .. stop-1`` (0-based), read from the files.

        Also records written but not yet synced (the one writer may look at its own batch).
        A line whose CRC no longer matches raises JournalCorruptError.
        """
        with self._lock:
            stop = min(stop, self._written)
            parts = []
            for seg in self._segments:
                lo, hi = max(start, seg.first), min(stop, seg.first + seg.count)
                if lo >= hi:
                    continue
                offsets = self._offsets(seg)
                end = offsets[hi - seg.first] if hi - seg.first < seg.count else seg.size
                parts.append((seg.path, offsets[lo - seg.first], end, hi - lo, lo - seg.first))
        out: list[bytes] = []
        for path, begin, end, n, line0 in parts:
            try:
                with open(path, "rb") as f:
                    f.seek(begin)
                    data = f.read(end - begin)
            except OSError as exc:
                raise JournalError(f"cannot read {path}: {exc}") from exc
            lines = data.split(b"\n")
            if len(lines) <= n:
                raise JournalCorruptError(str(path), line0 + len(lines), "record cut short")
            for i, line in enumerate(lines[:n]):
                payload = line[9:]
                if line[8:9] != b" " or line[:8] != b"%08x" % zlib.crc32(payload):
                    raise JournalCorruptError(str(path), line0 + i + 1, "record changed since open")
                out.append(payload)
        return out

    # -- writing ---------------------------------------------------------------------------

    def append(self, records: Iterable[dict]) -> None:
        """Append ``records`` with one write and one fsync; durable when this returns.

        Raises JournalError if the disk refused; after that the journal refuses further
        appends (the page cache can no longer be trusted) until it is reopened.
        """
        if self.write(records):
            self.sync()

    def write(self, records: Iterable[dict]) -> int:
        """Write ``records`` with one ``write()`` but no fsync; returns how many were written.

        Not durable (and not returned by :meth:`iter_from`) until a :meth:`sync` that starts
        after this returns: the group commit of a writer that answers only after that sync.
        A failure makes the journal refuse further writes until it is reopened.
        """
        batch = [encode_record(r) for r in records]  # encode first: all or nothing
        if not batch:
            return 0
        data = b"".join(batch)
        with self._lock:
            self._check_writable()
            current = self._segments[-1] if self._segments else None
            if current is None or (current.size and current.size + len(data) > self.segment_bytes):
                self._start_segment()
            try:
                fd = self._open_current()
                view = memoryview(data)
                while view:
                    written = self._fs.write(fd, view)
                    view = view[written:]
            except OSError as exc:
                self._broken = f"append failed: {exc}"
                raise JournalError(f"cannot append to {self._segments[-1].path}: {exc}") from exc
            seg = self._segments[-1]
            pos = seg.size
            for line in batch:
                seg.offsets.append(pos)
                pos += len(line)
            seg.count += len(batch)
            seg.size += len(data)
            self._written += len(batch)
        return len(batch)

    def sync(self) -> int:
        """fsync everything written so far; returns the number of durable records.

        One fsync covers every :meth:`write` that returned before it started. The fsync runs
        without the write lock, so writers go on filling the next batch meanwhile; syncs
        themselves run one at a time. A failed fsync makes the journal unusable until reopened
        (what was written since the last good sync may or may not be on disk).
        """
        with self._sync_lock:
            with self._lock:
                self._check_writable()
                self._close_retired()
                target = self._written
                if target <= self._synced:
                    return self._synced
                fd = self._open_current()
            try:
                self._fs.fsync(fd)
            except OSError as exc:
                with self._lock:
                    self._broken = f"fsync failed: {exc}"
                raise JournalError(f"cannot sync {self.directory}: {exc}") from exc
            with self._lock:
                self._synced = max(self._synced, target)
                return self._synced

    @property
    def broken(self) -> str | None:
        """Why the journal refuses writes (a failed write or fsync), or None when it works."""
        return self._broken

    def reopen(self) -> None:
        """After a failed write or fsync: cut what was not durable and accept writes again.

        Records written after the last good fsync were never acknowledged (the writer answers
        only after a sync covering them), and after a failed fsync the page cache may show
        them although the disk lost them: they are cut, with any partial line after them, so
        the files hold exactly the durable prefix. Raises JournalError (and stays broken)
        while the medium still refuses: a probe write of one block, fsync'd, must succeed
        first (a full disk), and a read-only file system cannot even be cut.
        """
        with self._sync_lock, self._lock:
            if self._closed:
                raise JournalError(f"journal {self.directory} is closed")
            if self._broken is None:
                return
            self._close_retired()
            self._close_fd()
            synced = self._synced
            try:
                self._probe()
                for seg in reversed(self._segments):
                    keep = max(0, min(seg.count, synced - seg.first))
                    size = self._offsets(seg)[keep] if keep < seg.count else seg.size
                    if seg is self._segments[-1] or keep < seg.count:
                        self._fs.truncate(seg.path, size)
                    if seg.first <= synced:
                        break
                segments = self._recover()
            except OSError as exc:
                if isinstance(exc, JournalError):
                    raise
                raise JournalError(f"cannot reopen journal in {self.directory}: {exc}") from exc
            self._segments = segments
            self._written = self._synced = sum(seg.count for seg in segments)
            log.warning("journal %s reopened after: %s", self.directory, self._broken)
            self._broken = None

    def _probe(self) -> None:
        """Write and fsync one block beside the segments, then remove it (OSError if not)."""
        path = self.directory / f".probe-{os.getpid()}"
        fd = self._fs.open_trunc(path)
        try:
            view = memoryview(b"\0" * 4096)
            while view:
                view = view[self._fs.write(fd, view) :]
            self._fs.fsync(fd)
        finally:
            self._fs.close(fd)
            path.unlink(missing_ok=True)

    @property
    def pending(self) -> int:
        """Records written but not yet covered by a sync."""
        return self._written - self._synced

    def rotate(self) -> None:
        """Start a new segment now (the hub does it at the day change); no-op if empty."""
        with self._lock:
            self._check_writable()
            if self._segments and self._segments[-1].count == 0:
                return
            self._start_segment()

    def _start_segment(self) -> None:
        first = self._written
        path = self.directory / f"{self.prefix}-{first:010d}.jsonl"
        if self._fd is not None:
            if self._written > self._synced:
                # Unsynced records in the segment we leave: sync() only covers the newest one.
                try:
                    self._fs.fsync(self._fd)
                except OSError as exc:
                    self._broken = f"fsync failed: {exc}"
                    raise JournalError(f"cannot sync {self.directory}: {exc}") from exc
                self._synced = self._written
            # A sync() may be fsyncing this fd right now: close it later, never under it.
            self._retired.append(self._fd)
            self._fd = None
        try:
            self._fd = self._fs.open_append(path)
            self._fs.fsync_dir(self.directory)
        except OSError as exc:
            self._close_fd()
            self._broken = f"cannot create segment: {exc}"
            raise JournalError(f"cannot create segment {path}: {exc}") from exc
        self._segments.append(_Segment(path, first))
        if len(self._segments) > 1 and self._segments[-2].count:
            sealed = self._segments[-2]  # durable (synced above): it never changes again
            self._seal(sealed, sealed.offsets)

    def _close_retired(self) -> None:
        """Close the fds of segments left behind (caller holds both locks)."""
        while self._retired:
            fd = self._retired.pop()
            try:
                self._fs.close(fd)
            except OSError:
                log.warning("journal %s: close failed", self.directory, exc_info=True)

    def _open_current(self) -> int:
        if self._fd is None:
            self._fd = self._fs.open_append(self._segments[-1].path)
        return self._fd

    def _check_writable(self) -> None:
        if self._closed:
            raise JournalError(f"journal {self.directory} is closed")
        if self._broken:
            raise JournalError(f"journal {self.directory} unusable until reopened: {self._broken}")

    def _close_fd(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                self._fs.close(fd)
            except OSError:
                log.warning("journal %s: close failed", self.directory, exc_info=True)

    def close(self) -> None:
        """Sync what was written, close the open segment; further appends raise JournalError."""
        if not self._closed and not self._broken and self.pending:
            try:
                self.sync()
            except JournalError:
                log.warning("journal %s: sync at close failed", self.directory, exc_info=True)
        with self._sync_lock, self._lock:
            self._close_retired()
            self._close_fd()
            self._closed = True

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.directory)!r}, prefix={self.prefix!r}, count={self.count})"


def read_records(directory: str | os.PathLike[str], prefix: str = "events") -> Iterator[dict]:
    """Every valid record of a journal, oldest first, **without repairing it**.

    For readers beside the one writer (``loket hub export-profile`` while the hub runs): a
    torn or half-written last line is skipped, never cut; corruption (a bad line followed by
    a good one, a bad older segment, a missing segment) raises JournalCorruptError as
    opening would. A folder without segments yields nothing.
    """
    directory = Path(directory)
    pattern = re.compile(_SEGMENT_RE.format(prefix=re.escape(prefix)))
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return
    found = sorted((int(m.group(1)), directory / n) for n in names if (m := pattern.match(n)))
    total = 0
    for i, (first, path) in enumerate(found):
        if first != total:
            raise JournalCorruptError(
                str(path), 0, f"segment starts at record {first}, expected {total}"
            )
        data = path.read_bytes()
        count, _size, offsets = _scan(data, path, i == len(found) - 1)
        for n in range(count):
            end = data.index(b"\n", offsets[n])
            record = decode_line(data[offsets[n] : end])
            if record is None:  # _scan checked it a moment ago
                raise JournalCorruptError(str(path), n + 1, "record changed while read")
            yield record
        total += count


def write_atomic(path: str | os.PathLike[str], data: bytes, *, fs: FileLayer | None = None) -> None:
    """Replace ``path`` with ``data`` atomically and durably (checkpoints, small state files).

    Temp file in the same directory, fsync, rename over the old file, fsync the directory: the
    rename alone is atomic but not durable (docs/sync.md §5.5).
    """
    fs = fs or OsFiles()
    path = Path(path)
    # pid + thread: two threads of one node may write the same status file at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = fs.open_trunc(tmp)
        try:
            view = memoryview(data)
            while view:
                view = view[fs.write(fd, view) :]
            fs.fsync(fd)
        finally:
            fs.close(fd)
        fs.replace(tmp, path)
        fs.fsync_dir(path.parent)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise JournalError(f"cannot write {path}: {exc}") from exc


def write_json_atomic(path: str | os.PathLike[str], value: Any, **kw: Any) -> None:
    """:func:`write_atomic` of ``value`` as JSON (sorted keys, UTF-8)."""
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_atomic(path, data.encode("utf-8"), **kw)


def read_json_atomic(path: str | os.PathLike[str], default: Any = None) -> Any:
    """The JSON value written by :func:`write_json_atomic`, or ``default`` if there is none.

    A file that does not parse cannot come from an atomic write: raise, never guess.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return default
    except OSError as exc:
        raise JournalError(f"cannot read {path}: {exc}") from exc
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise JournalError(f"{path} is not valid JSON: {exc}") from exc
