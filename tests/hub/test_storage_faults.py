"""A full or read-only disk: 503 while it lasts, ``/healthz`` says so, and the hub resumes by
itself when the disk does, without a restart (issue 8, item 7).

The journal's file layer is injected (``core.journal`` supports one): real files, but writes
and fsyncs fail with ENOSPC or EROFS while the test says the disk is full or read-only.
"""

from __future__ import annotations

import errno
import time

import pytest

from core.journal import OsFiles


class Disk(OsFiles):
    """Real files; ``fail`` = the errno every write, fsync and truncate raises meanwhile."""

    def __init__(self) -> None:
        self.fail: int | None = None
        self.writes = 0

    def _check(self) -> None:
        if self.fail is not None:
            raise OSError(self.fail, errno.errorcode[self.fail])

    def write(self, fd: int, data: bytes) -> int:
        self._check()
        self.writes += 1
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self._check()
        super().fsync(fd)

    def truncate(self, path, size: int) -> None:
        if self.fail == errno.EROFS:  # a full disk can still cut a file; a read-only one not
            self._check()
        super().truncate(path, size)


@pytest.fixture
def disk() -> Disk:
    return Disk()


@pytest.fixture
def app(config, clock, disk):
    from hub import create_app
    from hub.store import Store

    store = Store(config.hub.data_dir, fs=disk)
    app = create_app(config, clock=clock, store=store)
    app.config["TESTING"] = True
    yield app
    store.close()


def issue(client, auth, req: str):
    return client.post("/api/v1/tickets", json={"req": req, "service": "B"}, headers=auth("K1"))


def wait_for_heal(client) -> dict:
    """``/healthz`` until it is green again (the hub retries at most once a second)."""
    deadline = time.monotonic() + 10
    while True:
        health = client.get("/healthz")
        if health.status_code == 200:
            return health.json
        assert time.monotonic() < deadline, health.json
        time.sleep(0.1)


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EROFS], ids=["ENOSPC", "EROFS"])
def test_a_storage_fault_is_503_and_heals_by_itself(client, auth, authority, disk, fault):
    assert issue(client, auth, "r1").json["ticket"]["label"] == "B-001"
    disk.fail = fault
    refused = issue(client, auth, "r2")
    assert refused.status_code == 503 and refused.json["error"] == "storage_error"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["ok"] is False and health.json["storage"]["ok"] is False
    assert errno.errorcode[fault] in health.json["storage"]["fault"]
    rebuilds = authority.rebuilds  # the failed commit rebuilt memory once
    writes = disk.writes
    for i in range(20):  # while it lasts: cheap refusals, no fold, no more rebuilds
        again = issue(client, auth, f"r-during-{i}")
        assert again.status_code == 503
    assert authority.rebuilds == rebuilds and disk.writes == writes
    assert client.get("/api/v1/state").status_code == 200  # reads go on

    disk.fail = None  # space returns / the card is writable again
    health = wait_for_heal(client)
    assert health["ok"] is True and health["storage"] == {"ok": True, "fault": None}
    resumed = issue(client, auth, "r2")
    assert resumed.status_code == 201
    assert resumed.json["ticket"]["label"] == "B-002"  # nothing of the failed write was kept
    assert authority.rebuilds == rebuilds  # healing did not replay the journal again


def test_nothing_acknowledged_is_lost_across_the_fault_and_a_restart(
    app, client, auth, authority, disk, config, clock, seed
):
    from hub import create_app

    first = issue(client, auth, "r1").json["event"]
    disk.fail = errno.ENOSPC
    assert issue(client, auth, "r2").status_code == 503
    disk.fail = None
    wait_for_heal(client)
    second = issue(client, auth, "r3").json["event"]
    authority.store.close()
    app2 = create_app(config, clock=clock)
    try:
        ids = [r["event"]["id"] for r in app2.extensions["loket"].records_since(seed, 100)]
        assert ids == [first["id"], second["id"]]
    finally:
        app2.extensions["loket"].store.close()
