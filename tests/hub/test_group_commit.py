"""Group commit: commands write under the lock, one fsync outside it covers them all.

No timing is asserted: a fake file layer holds the first fsync until the test has seen
the other commands written, then lets it go (or fail).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from core.errors import JournalError
from core.journal import OsFiles
from core.queue import QueueState

WAIT_S = 20.0  # an upper bound for a thread to get somewhere, never a measurement


class HeldFsync(OsFiles):
    """Real files; the first fsync after arming waits for ``release``, then fails if ``fail``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.fail = False
        self.fsyncs = 0

    def arm(self, *, fail: bool = False) -> None:
        self.fsyncs, self.fail = 0, fail

    def fsync(self, fd: int) -> None:
        self.fsyncs += 1
        if self.fsyncs == 1:
            self.entered.set()
            assert self.release.wait(WAIT_S)
            if self.fail:
                raise OSError(5, "Input/output error")
        super().fsync(fd)


def until(cond: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        assert time.monotonic() < deadline, "the other threads never got there"
        time.sleep(0.001)


class Call:
    """Runs ``fn`` on a thread; ``durable_then`` = the journal's fsync'd count at answer time."""

    def __init__(self, authority: Any, fn: Callable[[], Any]):
        self.result: Any = None
        self.error: BaseException | None = None
        self.durable_then = -1
        self.done = threading.Event()

        def run() -> None:
            try:
                self.result = fn()
                self.durable_then = authority.store.journal.count
            except BaseException as exc:  # noqa: BLE001
                self.error = exc
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait(self) -> Call:
        assert self.done.wait(WAIT_S)
        return self


@pytest.fixture
def held(authority):
    fs = HeldFsync()
    fs.arm()
    authority.store.journal._fs = fs
    return fs


def hseq_of(authority: Any, event_id: str) -> int:
    return next(r["hseq"] for r in authority.records_since(0) if r["event"]["id"] == event_id)


def test_commands_written_during_an_fsync_share_the_next_one(authority, held, seed):
    seen: list[tuple[list[int], int]] = []
    authority.add_listener(
        lambda recs: seen.append(([r["hseq"] for r in recs], authority.store.journal.count))
    )
    first = Call(authority, lambda: authority.issue("r1", "B", "K1"))
    assert held.entered.wait(WAIT_S)  # the leader is inside its fsync, outside the lock
    others = [Call(authority, lambda i=i: authority.issue(f"r{i}", "B", "K1")) for i in (2, 3, 4)]
    until(lambda: authority._written_hseq == seed + 4)  # they folded and wrote meanwhile
    reader = Call(authority, authority.snapshot)  # it would see B-002..B-004
    until(lambda: reader.thread.is_alive() and authority._written_hseq == seed + 4)
    # nothing answered, published or readable before the fsync covering it
    assert not any(c.done.is_set() for c in (first, *others))
    assert authority.last_hseq == seed and authority.records_since(seed) == [] and seen == []
    held.release.set()
    for c in (first, *others, reader):
        assert c.wait().error is None
    assert held.fsyncs == 2  # four commands, two fsyncs
    for c in (first, *others):
        assert c.durable_then >= hseq_of(authority, c.result["event"]["id"])
    assert reader.result["last_hseq"] == seed + 4 and reader.durable_then >= seed + 4
    assert [h - seed for hs, _ in seen for h in hs] == [1, 2, 3, 4]  # each once, in order
    assert all(max(hs) <= durable for hs, durable in seen)  # listeners only after the fsync
    labels = sorted(c.result["ticket"]["label"] for c in (first, *others))
    assert labels == ["B-001", "B-002", "B-003", "B-004"]


def test_a_failed_fsync_fails_everything_it_covered_and_rebuilds_from_the_journal(
    authority, held, seed
):
    held.fsyncs = 2  # not held
    authority.issue("r0", "B", "K1")  # durable before the trouble
    seen: list[list[int]] = []
    authority.add_listener(lambda recs: seen.append([r["hseq"] for r in recs]))
    held.arm(fail=True)
    first = Call(authority, lambda: authority.issue("r1", "B", "K1"))
    assert held.entered.wait(WAIT_S)
    second = Call(authority, lambda: authority.counter_command("C2", "next", "n1"))
    until(lambda: authority._written_hseq == seed + 3)
    # readers of the unsynced state: a repeated req, a snapshot, a refusal based on it
    repeat = Call(authority, lambda: authority.issue("r1", "B", "K1"))
    snap = Call(authority, authority.snapshot)
    refused = Call(authority, lambda: authority.counter_command("C2", "next", "n1x"))
    until(lambda: all(c.thread.is_alive() for c in (repeat, snap, refused)))
    held.release.set()
    for c in (first, second, repeat, refused):
        assert isinstance(c.wait().error, JournalError), c.error or c.result
    # The snapshot either read the unsynced state and fails with it, or (if its thread only
    # reached the lock after the rebuild) shows the durable state alone: never hseq 2 or 3.
    snap.wait()
    if snap.error is None:
        assert snap.result["last_hseq"] == seed + 1
        assert snap.result["state"]["last_hseq"] == seed + 1
    else:
        assert isinstance(snap.error, JournalError)
    assert seen == []  # never published
    assert authority.last_hseq == seed + 1 and len(authority.records_since(seed)) == 1
    assert list(authority.state.tickets) == [f"{authority.today()}/B-001"]
    assert authority.state.counter_view("C2").current is None
    # The next command reopens the journal at its durable prefix by itself (no restart):
    # what the failed fsync covered is gone, and numbering continues after the durable B-001.
    assert authority.issue("r2", "B", "K1")["ticket"]["label"] == "B-002"
    assert [r["event"]["req"] for r in authority.records_since(seed)] == ["r0", "r2"]


def test_a_failed_fold_keeps_the_others_written_before_it(authority, held, monkeypatch, seed):
    first = Call(authority, lambda: authority.issue("r1", "B", "K1"))
    assert held.entered.wait(WAIT_S)
    second = Call(authority, lambda: authority.issue("r2", "B", "K1"))
    until(lambda: authority._written_hseq == seed + 2)
    real_apply = QueueState.apply

    def apply(self, record, *a, **kw):
        if getattr(record, "req", None) == "boom":
            raise RuntimeError("fold bug")
        return real_apply(self, record, *a, **kw)

    monkeypatch.setattr(QueueState, "apply", apply)
    boom = Call(authority, lambda: authority.issue("boom", "B", "K1"))
    until(lambda: boom.thread.is_alive())
    held.release.set()
    assert isinstance(boom.wait().error, RuntimeError)
    assert first.wait().error is None and second.wait().error is None
    assert [c.result["ticket"]["label"] for c in (first, second)] == ["B-001", "B-002"]
    monkeypatch.setattr(QueueState, "apply", real_apply)
    third = authority.issue("r3", "B", "K1")
    assert third["ticket"]["label"] == "B-003"
    assert [r["hseq"] - seed for r in authority.store.records(seed)] == [1, 2, 3]
    assert authority.last_hseq == seed + 3
