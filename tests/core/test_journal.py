"""The journal: round trips, reopening, torn-tail repair and corruption detection."""

from __future__ import annotations

import json
import logging
import math
import threading
import zlib

import pytest

from core.errors import JournalCorruptError, JournalError
from core.journal import (
    Journal,
    OsFiles,
    decode_line,
    encode_record,
    read_json_atomic,
    write_atomic,
    write_json_atomic,
)


def recs(lo: int, hi: int) -> list[dict]:
    return [
        {"hseq": i, "event": {"type": "ticket.issued", "label": f"B-{i:03d}"}}
        for i in range(lo, hi)
    ]


def only_segment(tmp_path):
    (path,) = sorted(tmp_path.glob("events-*.jsonl"))
    return path


def test_roundtrip_keeps_order_and_values(tmp_path):
    j = Journal(tmp_path)
    j.append(recs(0, 3))
    j.append([{"nama": "Dinas Kependudukan – Belitung", "n": None, "x": [1.5, True]}])
    assert list(j) == recs(0, 3) + [
        {"nama": "Dinas Kependudukan – Belitung", "n": None, "x": [1.5, True]}
    ]
    assert j.count == 4
    j.close()


def test_line_format_is_crc_space_compact_sorted_json(tmp_path):
    with Journal(tmp_path) as j:
        j.append([{"b": 1, "a": "é"}])
    data = only_segment(tmp_path).read_bytes()
    payload = '{"a":"é","b":1}'.encode()
    assert data == b"%08x %s\n" % (zlib.crc32(payload), payload)
    assert only_segment(tmp_path).name == "events-0000000000.jsonl"


def test_one_append_is_one_write_and_one_fsync(tmp_path):
    calls = []

    class Spy(OsFiles):
        def write(self, fd, data):
            calls.append(("write", bytes(data).count(b"\n")))
            return super().write(fd, data)

        def fsync(self, fd):
            calls.append(("fsync",))
            super().fsync(fd)

        def fsync_dir(self, directory):
            calls.append(("fsync_dir",))
            super().fsync_dir(directory)

    with Journal(tmp_path, fs=Spy()) as j:
        j.append(recs(0, 5))
        j.append(recs(5, 7))
    assert calls == [("fsync_dir",), ("write", 5), ("fsync",), ("write", 2), ("fsync",)]


def test_reopen_continues_where_it_stopped(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 2))
    with Journal(tmp_path) as j:
        assert j.count == 2
        j.append(recs(2, 4))
    with Journal(tmp_path) as j:
        assert list(j) == recs(0, 4)
        assert len(j.segments) == 1


def test_empty_append_creates_nothing(tmp_path):
    with Journal(tmp_path) as j:
        j.append([])
        assert j.count == 0
    assert list(tmp_path.iterdir()) == []


def test_unserialisable_batch_writes_nothing(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 1))
        with pytest.raises(ValueError):
            j.append([{"ok": 1}, {"bad": math.nan}])
        with pytest.raises(TypeError):
            j.append([["not", "a", "dict"]])
        assert list(j) == recs(0, 1)
    with Journal(tmp_path) as j:
        assert list(j) == recs(0, 1)


def test_segments_rotate_by_size_and_on_demand(tmp_path):
    line = len(encode_record(recs(0, 1)[0]))
    with Journal(tmp_path, segment_bytes=3 * line) as j:
        for i in range(7):
            j.append(recs(i, i + 1))
        j.rotate()
        j.rotate()  # empty current segment: nothing new
        j.append(recs(7, 8))
        names = [p.name for p in j.segments]
    assert names == [
        "events-0000000000.jsonl",
        "events-0000000003.jsonl",
        "events-0000000006.jsonl",
        "events-0000000007.jsonl",
    ]
    with Journal(tmp_path, segment_bytes=3 * line) as j:
        assert list(j) == recs(0, 8)
        assert list(j.iter_from(5)) == recs(5, 8)
        assert list(j.iter_from(8)) == []


def test_reading_from_an_index_crosses_read_blocks_and_segments(tmp_path, monkeypatch):
    import core.journal

    monkeypatch.setattr(core.journal, "READ_BLOCK_LINES", 4)  # blocks of 4 lines
    with Journal(tmp_path) as j:
        j.append(recs(0, 10))
        j.rotate()
        j.append(recs(10, 13))
        j.write(recs(13, 14))  # written, not yet fsync'd: not readable
        assert list(j.iter_from(0)) == recs(0, 13)
        for start in (3, 4, 5, 9, 10, 12):
            assert list(j.iter_from(start)) == recs(start, 13), start
        # A reader taking a few at a time (a page) stops without reading the rest.
        it = j.iter_from(2)
        assert [next(it) for _ in range(3)] == recs(2, 5)


def test_rotate_before_crash_leaves_empty_segment_that_reopen_uses(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 2))
        j.rotate()
    with Journal(tmp_path) as j:
        j.append(recs(2, 3))
        assert [p.name for p in j.segments] == [
            "events-0000000000.jsonl",
            "events-0000000002.jsonl",
        ]
        assert list(j) == recs(0, 3)


def test_prefix_separates_journals_in_one_folder(tmp_path):
    with Journal(tmp_path, prefix="outbox") as a, Journal(tmp_path) as b:
        a.append(recs(0, 1))
        b.append(recs(5, 7))
    assert list(Journal(tmp_path, prefix="outbox")) == recs(0, 1)
    assert Journal(tmp_path).count == 2


GOOD = encode_record({"hseq": 3})
TORN_TAILS = {
    "incomplete line": GOOD[:-7],
    "complete record without newline": GOOD[:-1],
    "nul padding": b"\0" * 4096,
    "nul padding after partial": GOOD[:10] + b"\0" * 100,
    "crc mismatch": b"00000000" + GOOD[8:],
    "garbage lines": b"\xff\xfe garbage\nmore garbage\n",
    "json not an object": b"%08x [1]\n" % zlib.crc32(b"[1]"),
    "uppercase crc": GOOD[:9].upper() + GOOD[9:],
}


@pytest.mark.parametrize("tail", TORN_TAILS.values(), ids=TORN_TAILS.keys())
def test_torn_tail_is_cut_and_logged(tmp_path, caplog, tail):
    with Journal(tmp_path) as j:
        j.append(recs(0, 3))
    seg = only_segment(tmp_path)
    good_size = seg.stat().st_size
    with seg.open("ab") as f:
        f.write(tail)
    with caplog.at_level(logging.WARNING, logger="core.journal"):
        j = Journal(tmp_path)
    assert list(j) == recs(0, 3)
    assert seg.stat().st_size == good_size
    assert "torn tail at line 4" in caplog.text
    j.append(recs(3, 4))
    j.close()
    assert list(Journal(tmp_path)) == recs(0, 4)


def test_clean_journal_logs_nothing(tmp_path, caplog):
    with Journal(tmp_path) as j:
        j.append(recs(0, 3))
    with caplog.at_level(logging.WARNING, logger="core.journal"):
        Journal(tmp_path).close()
    assert caplog.text == ""


def flip_line(path, line_no):
    lines = path.read_bytes().split(b"\n")
    bad = bytearray(lines[line_no - 1])
    bad[20] ^= 0x01
    lines[line_no - 1] = bytes(bad)
    path.write_bytes(b"\n".join(lines))


def test_bad_record_followed_by_good_is_corruption_with_line_number(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 5))
    seg = only_segment(tmp_path)
    flip_line(seg, 3)
    before = seg.read_bytes()
    with pytest.raises(JournalCorruptError) as info:
        Journal(tmp_path)
    assert info.value.path == str(seg)
    assert info.value.line_no == 3
    assert isinstance(info.value, OSError)
    assert seg.read_bytes() == before  # never "repaired" away


def test_bad_record_then_good_then_torn_tail_is_still_corruption(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 4))
    seg = only_segment(tmp_path)
    flip_line(seg, 2)
    with seg.open("ab") as f:
        f.write(GOOD[:5])
    with pytest.raises(JournalCorruptError) as info:
        Journal(tmp_path)
    assert info.value.line_no == 2


def test_bad_tail_in_an_older_segment_is_corruption(tmp_path):
    with Journal(tmp_path) as j:
        j.append(recs(0, 2))
        j.rotate()
        j.append(recs(2, 3))
    first = sorted(tmp_path.glob("events-*.jsonl"))[0]
    with first.open("ab") as f:
        f.write(GOOD[:-4])
    with pytest.raises(JournalCorruptError) as info:
        Journal(tmp_path)
    assert (info.value.path, info.value.line_no) == (str(first), 3)


def test_missing_segment_is_corruption(tmp_path):
    with Journal(tmp_path) as j:
        for i in range(3):
            j.append(recs(i, i + 1))
            j.rotate()
    (tmp_path / "events-0000000001.jsonl").unlink()
    with pytest.raises(JournalCorruptError) as info:
        Journal(tmp_path)
    assert info.value.path.endswith("events-0000000002.jsonl")


def test_record_damaged_after_open_is_reported_when_read(tmp_path):
    j = Journal(tmp_path)
    j.append(recs(0, 3))
    flip_line(only_segment(tmp_path), 2)
    with pytest.raises(JournalCorruptError) as info:
        list(j)
    assert info.value.line_no == 2
    j.close()


def test_failed_write_blocks_further_appends_until_reopened(tmp_path):
    class DiskFull(OsFiles):
        fail = False

        def write(self, fd, data):
            if self.fail:
                raise OSError(28, "No space left on device")
            return super().write(fd, data)

    fs = DiskFull()
    j = Journal(tmp_path, fs=fs)
    j.append(recs(0, 1))
    fs.fail = True
    with pytest.raises(JournalError, match="No space"):
        j.append(recs(1, 2))
    fs.fail = False
    with pytest.raises(JournalError, match="unusable until reopened"):
        j.append(recs(1, 2))
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.append(recs(1, 2))
    with Journal(tmp_path) as j:
        j.append(recs(1, 2))
        assert list(j) == recs(0, 2)


def test_decode_line_rejects_what_encode_never_makes():
    line = encode_record({"a": 1})[:-1]
    assert decode_line(line) == {"a": 1}
    assert decode_line(b"") is None
    assert decode_line(b"zzzzzzzz {}") is None
    assert decode_line(line[:8] + b"_" + line[9:]) is None


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "checkpoint.json"
    write_json_atomic(target, {"hseq": 1})
    write_json_atomic(target, {"hseq": 2, "epoch": "é"})
    assert read_json_atomic(target) == {"hseq": 2, "epoch": "é"}
    assert json.loads(target.read_text("utf-8")) == {"epoch": "é", "hseq": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]  # no temp left behind
    write_atomic(target, b"raw")
    assert target.read_bytes() == b"raw"


def test_write_atomic_failure_keeps_old_file_and_no_temp(tmp_path):
    class NoFsync(OsFiles):
        def fsync(self, fd):
            raise OSError(5, "Input/output error")

    target = tmp_path / "checkpoint.json"
    write_json_atomic(target, {"hseq": 1})
    with pytest.raises(JournalError, match="Input/output"):
        write_json_atomic(target, {"hseq": 2}, fs=NoFsync())
    assert read_json_atomic(target) == {"hseq": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]


def test_read_json_atomic_default_and_garbage(tmp_path):
    assert read_json_atomic(tmp_path / "none.json", default={"hseq": 0}) == {"hseq": 0}
    (tmp_path / "bad.json").write_bytes(b'{"hs')
    with pytest.raises(JournalError, match="not valid JSON"):
        read_json_atomic(tmp_path / "bad.json")


def test_concurrent_appends_keep_every_line_whole(tmp_path):
    line = len(encode_record({"t": 0, "i": 0}))
    j = Journal(tmp_path, segment_bytes=40 * line)

    def writer(t):
        for i in range(50):
            j.append([{"t": t, "i": i}])

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    j.close()
    got = list(Journal(tmp_path, segment_bytes=40 * line))
    assert len(got) == 200
    for t in range(4):
        assert [r["i"] for r in got if r["t"] == t] == list(range(50))


class CountingFiles(OsFiles):
    def __init__(self, fail_fsync: bool = False):
        self.calls: list[tuple] = []
        self.fail_fsync = fail_fsync

    def write(self, fd, data):
        self.calls.append(("write", bytes(data).count(b"\n")))
        return super().write(fd, data)

    def fsync(self, fd):
        self.calls.append(("fsync",))
        if self.fail_fsync:
            raise OSError(5, "Input/output error")
        super().fsync(fd)


def test_write_then_one_sync_covers_every_batch_written_before_it(tmp_path):
    fs = CountingFiles()
    with Journal(tmp_path, fs=fs) as j:
        assert j.write(recs(0, 2)) == 2 and j.write(recs(2, 3)) == 1 and j.write([]) == 0
        assert j.count == 0 and list(j) == [] and j.pending == 3  # not durable: not read back
        assert j.sync() == 3
        assert j.sync() == 3  # nothing new: no fsync
        assert list(j) == recs(0, 3) and j.pending == 0
    assert [c for c in fs.calls if c[0] != "fsync_dir"] == [("write", 2), ("write", 1), ("fsync",)]
    with Journal(tmp_path) as j:
        assert list(j) == recs(0, 3)


def test_a_failed_sync_returns_nothing_unsynced_and_blocks_writes(tmp_path):
    fs = CountingFiles()
    j = Journal(tmp_path, fs=fs)
    j.append(recs(0, 1))
    j.write(recs(1, 3))
    fs.fail_fsync = True
    with pytest.raises(JournalError, match="Input/output"):
        j.sync()
    assert list(j) == recs(0, 1) and j.count == 1
    with pytest.raises(JournalError, match="unusable until reopened"):
        j.write(recs(3, 4))
    with pytest.raises(JournalError, match="unusable until reopened"):
        j.sync()
    j.close()


def test_rotation_syncs_what_the_old_segment_still_owes(tmp_path):
    line = len(encode_record(recs(0, 1)[0]))
    fs = CountingFiles()
    with Journal(tmp_path, segment_bytes=2 * line, fs=fs) as j:
        j.write(recs(0, 2))
        j.write(recs(2, 3))  # a new segment: the first one is fsync'd on the way
        assert list(j) == recs(0, 2) and j.pending == 1
        j.rotate()
        assert list(j) == recs(0, 3) and j.pending == 0
        j.write(recs(3, 4))
    assert len(j.segments) == 3
    with Journal(tmp_path, segment_bytes=2 * line) as j:  # close synced the rest
        assert list(j) == recs(0, 4)


def text_of(record: dict) -> bytes:
    return encode_record(record)[9:-1]


def test_read_texts_by_index_across_segments_and_after_reopen(tmp_path):
    line = len(encode_record(recs(0, 1)[0]))
    with Journal(tmp_path, segment_bytes=3 * line) as j:
        j.append(recs(0, 4))  # one batch may overflow a segment; the next starts a new one
        j.append(recs(4, 6))
        j.write(recs(6, 7))  # written, not synced: the writer may still read it
        assert j.read_texts(0, 7) == [text_of(r) for r in recs(0, 7)]
        assert j.read_texts(3, 5) == [text_of(r) for r in recs(3, 5)]
        assert j.read_texts(5, 99) == [text_of(r) for r in recs(5, 7)]
        assert j.read_texts(4, 4) == []
        assert len(j.segments) == 2
    with Journal(tmp_path, segment_bytes=3 * line) as j:
        assert [json.loads(t) for t in j.read_texts(2, 7)] == recs(2, 7)
        path = j.segments[-1]
        data = path.read_bytes()
        path.write_bytes(data.replace(b"B-005", b"B-00X"))
        with pytest.raises(JournalCorruptError):
            j.read_texts(4, 7)
