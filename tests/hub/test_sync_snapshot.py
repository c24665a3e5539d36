"""``GET /api/v1/sync/snapshot``: the fold a node without a replica starts from (issue 11
item 4): devices and operators only, at a durable hseq, loaded by a node into the hub's
very state, and covering exactly the events logged."""

from __future__ import annotations

from core.queue import QueueState
from hub import day_close
from tests.hub.test_day_close import day_with_leftovers

PATH = "/api/v1/sync/snapshot"


def test_the_snapshot_is_the_hub_fold_at_its_hseq(client, auth, req, authority):
    day_with_leftovers(client, auth, req)
    day_close.close_day(authority, authority.today(), by="t")
    assert client.get(PATH).status_code == 401
    resp = client.get(PATH, headers=auth("C1"))
    assert resp.status_code == 200
    snap = resp.json
    assert snap["hub_epoch"] == authority.epoch and snap["hseq"] == authority.last_hseq
    loaded = QueueState.load(snap["state"])
    assert loaded.snapshot() == authority.state.snapshot()
    assert loaded.closed_days == {authority.today()} and loaded.tickets == {}
    # "through": every logged event of an origin up to n, and nothing after
    logged = [r["event"] for r in authority.store.records()]
    for key, n in snap["through"].items():
        seqs = sorted(e["seq"] for e in logged if f"{e['origin']}:{e['inc']}" == key)
        assert seqs[-1] == n and set(range(1, n + 1)) <= set(seqs)
    assert client.get(PATH, headers=auth("viewer")).status_code == 200
