"""Sealed segment indexes: the journal opens without reading its finished segments."""

from __future__ import annotations

import json
import logging
import os

import pytest

import core.journal
from core import journal_index
from core.errors import JournalCorruptError
from core.journal import Journal


def recs(lo: int, hi: int) -> list[dict]:
    return [
        {"hseq": i, "pad": "x" * 100, "event": {"type": "ticket.issued", "n": i}}
        for i in range(lo, hi)
    ]


def three_days(path) -> list:
    """Three segments, the first two sealed (as after two day changes)."""
    with Journal(path) as j:
        j.append(recs(0, 40))
        j.rotate()
        j.append(recs(40, 70))
        j.rotate()
        j.append(recs(70, 75))
        return j.segments


@pytest.fixture
def scans(monkeypatch):
    """The segments the journal scans (reads whole and CRC-checks record by record)."""
    seen: list[str] = []
    real = core.journal._scan

    def counting(data, path, is_last):
        seen.append(path.name)
        return real(data, path, is_last)

    monkeypatch.setattr(core.journal, "_scan", counting)
    return seen


def test_rotation_writes_the_index_and_open_scans_only_the_open_segment(tmp_path, scans):
    segments = three_days(tmp_path)
    assert [journal_index.index_path(s).exists() for s in segments] == [True, True, False]
    scans.clear()
    with Journal(tmp_path) as j:
        assert scans == [segments[2].name]
        assert j.count == 75
        assert list(j) == recs(0, 75)
        assert list(j.iter_from(39)) == recs(39, 75)
        assert [json.loads(t) for t in j.read_texts(38, 42)] == recs(38, 42)
        j.append(recs(75, 76))
    assert scans == [segments[2].name]  # reading used the indexes, never a scan
    assert list(Journal(tmp_path)) == recs(0, 76)


def test_a_missing_index_means_one_scan_logged_and_rewritten(tmp_path, scans, caplog):
    segments = three_days(tmp_path)
    journal_index.index_path(segments[0]).unlink()
    scans.clear()
    with caplog.at_level(logging.INFO, logger="core.journal"):
        assert list(Journal(tmp_path)) == recs(0, 75)
    assert scans == [segments[0].name, segments[2].name]
    assert "sealed segment scanned, writing its index" in caplog.text
    assert journal_index.index_path(segments[0]).exists()
    scans.clear()
    assert list(Journal(tmp_path)) == recs(0, 75)
    assert scans == [segments[2].name]


@pytest.mark.parametrize("damage", ["torn", "other version", "garbage"])
def test_a_damaged_index_is_never_trusted(tmp_path, scans, damage):
    segments = three_days(tmp_path)
    idx = journal_index.index_path(segments[1])
    data = idx.read_bytes()
    idx.write_bytes(
        {"torn": data[:20], "other version": data.replace(b'"v": 1', b'"v": 9'), "garbage": b"x"}[
            damage
        ]
    )
    scans.clear()
    assert list(Journal(tmp_path)) == recs(0, 75)
    assert scans == [segments[1].name, segments[2].name]


def test_damaged_offsets_are_found_at_read_and_the_segment_scanned(tmp_path, scans, caplog):
    segments = three_days(tmp_path)
    idx = journal_index.index_path(segments[0])
    data = bytearray(idx.read_bytes())
    data[-3] ^= 0xFF  # inside the offsets, behind the header the open checks
    idx.write_bytes(bytes(data))
    j = Journal(tmp_path)
    scans.clear()
    with caplog.at_level(logging.WARNING, logger="core.journal"):
        assert list(j.iter_from(10)) == recs(10, 75)
    assert scans == [segments[0].name]
    assert "index no longer matches" in caplog.text
    j.close()


def test_a_sealed_segment_that_grew_is_scanned_and_found_corrupt(tmp_path):
    segments = three_days(tmp_path)
    with segments[0].open("ab") as f:
        f.write(b"garbage\n")
    with pytest.raises(JournalCorruptError) as info:
        Journal(tmp_path)
    assert info.value.path == str(segments[0])


def test_a_record_changed_behind_an_intact_index_fails_when_read(tmp_path):
    """Same size, same mtime, same tail: the open trusts the index; the read's CRC does not."""
    segments = three_days(tmp_path)
    seg = segments[0]
    st = seg.stat()
    data = bytearray(seg.read_bytes())
    data[30] ^= 0x01  # in the first record, far from the last 4 KiB
    assert len(data) > journal_index.TAIL_BYTES + 30
    seg.write_bytes(bytes(data))
    os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns))
    j = Journal(tmp_path)
    assert j.count == 75
    with pytest.raises(JournalCorruptError) as info:
        list(j)
    assert info.value.line_no == 1
    with pytest.raises(JournalCorruptError):
        j.read_texts(0, 1)
    assert list(j.iter_from(40)) == recs(40, 75)  # the other segments still read
    j.close()


def test_few_sealed_offsets_stay_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(core.journal, "OFFSETS_CACHED", 2)
    with Journal(tmp_path) as j:
        for day in range(6):
            j.append(recs(day * 10, day * 10 + 10))
            j.rotate()
    j = Journal(tmp_path)
    assert list(j) == recs(0, 60)
    assert len(j.loaded_offsets) == 2
    j.close()
