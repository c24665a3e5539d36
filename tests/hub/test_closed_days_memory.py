"""Closed days leave the hub's RAM (issue 11 item 4) and dedup still holds (hub.known)."""

from __future__ import annotations

import pytest

from core.events import derived_id
from hub import checkpoint, create_app, day_close
from hub.known import Known
from tests.hub.test_day_close import DAY_MS
from tests.hub.test_sync_api import DAY, called, issued, push


def close_today(authority, clock) -> None:
    clock.advance(DAY_MS)
    assert day_close.Timer(authority).tick() == [DAY]


def held_ids(authority) -> dict:
    return authority.replay_image()["_known"].ids


def log_ids(authority) -> list[str]:
    return [r["event"]["id"] for r in authority.records_since(0, 100_000)]


def restarted(app, config, clock):
    app.extensions["loket"].store.close()
    return create_app(config, clock=clock)


def test_a_repush_after_close_and_restart_is_known_not_logged_twice(
    app, config, client, auth, authority, clock
):
    e1, e2 = issued(1, 7), issued(2, 8)
    call = called(1, e1["ticket"], [e1["id"]])
    assert push(client, auth, [e1, e2]).json["acked_through"] == 2
    assert push(client, auth, [call], node="C1", inc="c1a").json["rejected"] == []
    close_today(authority, clock)
    assert not {e1["id"], e2["id"], call["id"]} & set(held_ids(authority))
    before = log_ids(authority)

    again = push(client, auth, [e1, e2])
    assert again.status_code == 200
    assert again.json["acked_through"] == 2 and again.json["rejected"] == []
    assert log_ids(authority) == before

    app2 = restarted(app, config, clock)
    try:
        auth2 = app2.extensions["loket"]
        assert checkpoint.load(auth2) is not None  # started from the close's checkpoint
        c2 = app2.test_client()
        for node, inc, events in (("K1", "k1a", [e1, e2]), ("C1", "c1a", [call])):
            r = push(c2, auth, events, node=node, inc=inc)
            assert r.status_code == 200 and r.json["rejected"] == [] and r.json["held"] == []
        # the same id with another body: the digest left with the day, the log's copy stays
        changed = issued(2, 99)
        assert push(c2, auth, [changed]).status_code == 200
        assert log_ids(auth2) == before
        assert [r["event"]["body"]["label"] for r in auth2.records_since(0, 100_000)
                if r["event"]["id"] == e2["id"]] == ["B-K1-8"]  # fmt: skip
        # the node goes on where it was: its next event is logged
        e3 = {**issued(3, 9), "ticket": f"{auth2.today()}/B-K1-9"}
        e3["body"] = {**e3["body"], "day": auth2.today()}
        r = push(c2, auth, [e3])
        assert r.json["acked_through"] == 3 and log_ids(auth2)[-1] == e3["id"]
    finally:
        app2.extensions["loket"].store.close()


def issue_as(client, auth, node, req):
    return client.post("/api/v1/tickets", json={"req": req, "service": "B"}, headers=auth(node))


def test_a_node_request_repeated_after_close_is_answered_done_never_run_again(
    app, config, client, auth, authority, clock
):
    first = issue_as(client, auth, "K1", "K1:k1a:r5")
    assert first.status_code == 201
    assert issue_as(client, auth, "K1", "K1:k1a:r5").status_code == 200  # same day: the answer
    press = client.post("/api/v1/counters/C1/next", json={"req": "C1:c1a:r3"}, headers=auth("C1"))
    assert press.status_code == 200
    close_today(authority, clock)
    count = authority.store.journal.count

    for c in (client, restarted(app, config, clock).test_client()):
        late = issue_as(c, auth, "K1", "K1:k1a:r5")
        assert late.status_code == 409 and late.json["error"] == "req_closed_day"
        late = c.post("/api/v1/counters/C1/next", json={"req": "C1:c1a:r3"}, headers=auth("C1"))
        assert late.status_code == 409 and late.json["error"] == "req_closed_day"
        assert c.application.extensions["loket"].store.journal.count == count
    fresh = issue_as(c, auth, "K1", "K1:k1a:r6")
    assert fresh.status_code == 201 and fresh.json["ticket"]["day"] != DAY
    c.application.extensions["loket"].store.close()


def test_a_full_replay_of_a_closed_day_does_not_derive_its_events_again(
    app, config, client, auth, authority, clock
):
    e1 = issued(1, 7)
    push(client, auth, [e1])
    # Two counters called the same ticket offline: the hub derives a superseded call.
    push(client, auth, [called(1, e1["ticket"], [e1["id"]])], node="C1", inc="c1a")
    second = called(1, e1["ticket"], [e1["id"]], node="C2", inc="c2a")
    push(client, auth, [second], node="C2", inc="c2a")
    derived = [i for i in log_ids(authority) if i.startswith(derived_id("", "")[:9])]
    assert derived
    close_today(authority, clock)
    assert not set(derived) & set(held_ids(authority))
    before = log_ids(authority)
    checkpoint.path_of(authority.store.data_dir).unlink()
    app2 = restarted(app, config, clock)
    try:
        assert log_ids(app2.extensions["loket"]) == before
    finally:
        app2.extensions["loket"].store.close()


def acked(through: dict):
    return lambda origin, inc: through.get((origin, inc), 0)


def test_known_covers_a_closed_day_by_gapless_sequence_only():
    known = Known()
    for n in (1, 2, 4):  # a past epoch's hub events carried after a restore: 3 never came
        known.add(f"hub:old:{n}", "hub", "old", n, b"d%d" % n)
    for n in (1, 2):
        known.add(f"K1:k:{n}", "K1", "k", n, b"k%d" % n)
    for eid in ("hub:old:1", "hub:old:2", "hub:old:4", "K1:k:1", "K1:k:2"):
        known.forget(eid, None, acked({("K1", "k"): 2}))
    assert set(known.ids) == {"hub:old:4"}  # above the gap: held by id
    assert {"hub:old:1", "hub:old:2", "hub:old:4", "K1:k:1", "K1:k:2"} <= {
        e for e in ("hub:old:1", "hub:old:2", "hub:old:4", "K1:k:1", "K1:k:2") if e in known
    }
    assert "hub:old:3" not in known and "K1:k:3" not in known and "C1:k:1" not in known
    known.add("hub:old:3", "hub", "old", 3, b"d3")
    assert known.hub_through == {"old": 4} and known.hub_ahead == {}


@pytest.mark.parametrize(
    ("req", "done"),
    [("K1:k1a:r5", True), ("K1:k1a:r6", False), ("K2:k1a:r1", False), ("test:r1", False)],
)
def test_known_requests_of_closed_days(req, done):
    known = Known()
    known.add("hub:e:1", "hub", "e", 1, b"x")
    known.forget("hub:e:1", "K1:k1a:r5", acked({}))
    assert known.req_of_closed_day(req) is done
