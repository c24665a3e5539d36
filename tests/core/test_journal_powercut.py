"""Power cuts and process kills against the journal (docs/sync.md §7.2 item 5).

The in-process test plays a disk that loses whatever was not fsync'd: at a random moment the
"power" goes, and each file keeps its fsync'd prefix, a random part of the rest and maybe some
NUL or garbage padding; a file whose directory entry was never fsync'd may vanish altogether.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.journal import Journal, OsFiles


class PowerCut(Exception):
    """Raised by the fault layer when the simulated power goes."""


class FaultFS(OsFiles):
    """Real files, simulated durability: fsync only records what would survive."""

    def __init__(self, ops_before_cut: int):
        self.budget = ops_before_cut
        self.durable: dict[Path, int] = {}  # bytes that survive a power cut
        self.linked: dict[Path, bool] = {}  # directory entry fsync'd?
        self.fds: dict[int, Path] = {}

    def _tick(self) -> None:
        if self.budget <= 0:
            raise PowerCut
        self.budget -= 1

    def open_append(self, path):
        self._tick()
        path = Path(path)
        if path not in self.linked and not path.exists():
            self.linked[path] = False
            self.durable[path] = 0
        fd = super().open_append(path)
        self.fds[fd] = path
        return fd

    def open_trunc(self, path):
        # write_atomic's temp file (a sealed segment's index): new, empty, not yet linked.
        self._tick()
        path = Path(path)
        fd = super().open_trunc(path)
        self.linked[path], self.durable[path] = False, 0
        self.fds[fd] = path
        return fd

    def replace(self, src, dst):
        # The rename is atomic; like a new file it survives only once its directory is fsync'd.
        self._tick()
        super().replace(src, dst)
        self.durable[Path(dst)] = self.durable.pop(Path(src))
        self.linked.pop(Path(src))
        self.linked[Path(dst)] = False

    def write(self, fd, data):
        self._tick()
        return super().write(fd, data)

    def fsync(self, fd):
        self._tick()
        self.durable[self.fds[fd]] = os.fstat(fd).st_size

    def close(self, fd):
        del self.fds[fd]
        super().close(fd)

    def fsync_dir(self, directory):
        self._tick()
        for path in self.linked:
            if path.parent == Path(directory):
                self.linked[path] = True

    def truncate(self, path, size):
        self._tick()
        os.truncate(path, size)
        self.durable[Path(path)] = size

    def cut_power(self, data: st.DataObject) -> None:
        for fd in list(self.fds):
            self.close(fd)
        for path, durable in self.durable.items():
            if not self.linked[path] and data.draw(st.booleans(), label=f"lose {path.name}"):
                path.unlink()
                continue
            content = path.read_bytes()
            if len(content) == durable:
                continue  # nothing pending: a real disk has no reason to touch this file
            kept = data.draw(st.integers(durable, len(content)), label="bytes kept")
            padding = data.draw(
                st.one_of(
                    st.just(b""),
                    st.integers(1, 600).map(lambda n: b"\0" * n),
                    st.binary(min_size=1, max_size=80),
                ),
                label="padding",
            )
            path.write_bytes(content[:kept] + padding)


record = st.fixed_dictionaries({"s": st.text(max_size=12)})
ops = st.lists(st.one_of(st.just("rotate"), st.lists(record, min_size=1, max_size=4)), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=ops,
    cut_after=st.integers(0, 60),
    segment_bytes=st.sampled_from([40, 200, 1 << 24]),
    data=st.data(),
)
def test_power_cut_never_loses_acked_never_invents_and_recovery_is_idempotent(
    ops, cut_after, segment_bytes, data
):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        fs = FaultFS(cut_after)
        attempted: list[dict] = []
        acked: list[dict] = []
        try:
            j = Journal(directory, segment_bytes=segment_bytes, fs=fs)
            for op in ops:
                if op == "rotate":
                    j.rotate()
                    continue
                batch = [{"i": len(attempted) + k, **r} for k, r in enumerate(op)]
                attempted.extend(batch)
                j.append(batch)
                acked.extend(batch)
        except PowerCut:
            pass
        fs.cut_power(data)

        first = Journal(directory, segment_bytes=segment_bytes)
        got = list(first)
        first.close()
        assert got[: len(acked)] == acked, "an fsync'd record was lost"
        assert got == attempted[: len(got)], "recovery invented or reordered a record"

        files = {p.name: p.read_bytes() for p in directory.iterdir()}
        again = Journal(directory, segment_bytes=segment_bytes)
        assert list(again) == got and again.count == len(got)
        assert {p.name: p.read_bytes() for p in directory.iterdir()} == files
        again.append([{"i": len(got), "s": "after"}])
        again.close()
        assert list(Journal(directory))[-1] == {"i": len(got), "s": "after"}


CHILD = """
import sys
from core.journal import Journal, OsFiles

class Split(OsFiles):
    # Two write() calls per append: gives kill -9 a window to tear a record.
    def write(self, fd, data):
        return super().write(fd, data[: max(1, len(data) // 2)])

fs = Split() if sys.argv[2] == "split" else None
j = Journal(sys.argv[1], segment_bytes=4096, fs=fs)
i = j.count
while True:
    j.append([{"i": i, "pad": "x" * (i % 50)}])
    print(i, flush=True)  # the acknowledgement: only after fsync returned
    i += 1
"""


def test_kill_9_loses_no_acknowledged_record(tmp_path, python, subprocess_env):
    acked = -1
    for round_no in range(6):
        mode = "split" if round_no % 2 else "whole"
        child = subprocess.Popen(
            [python, "-c", CHILD, str(tmp_path), mode],
            stdout=subprocess.PIPE,
            env=subprocess_env,
            text=True,
        )
        try:
            # Kill after a varying number of acknowledgements, while it keeps appending.
            for _ in range(20 + 17 * round_no):
                line = child.stdout.readline()
                assert line, "child died on its own"
                acked = int(line)
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        with Journal(tmp_path, segment_bytes=4096) as j:
            got = [r["i"] for r in j]
        assert got == list(range(len(got))), "records missing or out of order"
        assert len(got) > acked, "an acknowledged record was lost"
    assert len(list(tmp_path.glob("events-*.jsonl"))) > 1  # rotation happened under kills
    assert json.dumps(got)  # the final read went through every segment
