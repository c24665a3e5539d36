"""POST /sync/push and GET /sync/changes: dedup, causal gating, rejections, epochs, barrier."""

from __future__ import annotations

import threading

import pytest

from core.events import make_event

DAY = "2026-11-28"
MIN = 60_000
T0 = 1_795_831_200_000  # the FakeClock start in conftest: 2026-11-28 09:00 WIB


def hlc(ms: int, node: str) -> str:
    return f"{ms:013d}.00000.{node}"


def issued(seq, n, *, node="K1", inc="k1a", service="B", mono=5_000, wall=T0, req=None, lease=None):
    """An offline ticket of kiosk ``node``: number ``n`` of ``lease`` (an event id), else
    prefix number ``n`` (``B-K1-7``)."""
    label = f"{service}-{n:03d}" if lease else f"{service}-{node}-{n}"
    return make_event(
        node, inc, seq, "ticket.issued",
        ticket=f"{DAY}/{label}", req=req or f"{node}:{inc}:r{seq}", hlc=hlc(wall, node),
        clock={"wall_ms": wall, "boot_id": f"{node}-boot", "mono_ms": mono},
        deps=[lease] if lease else [],
        body={"service": service, "number": n if lease else None, "label": label, "day": DAY,
              "mode": "lease" if lease else "prefix", "kiosk": node, "priority": 0,
              "lease": lease},
    ).to_dict()  # fmt: skip


def sealed(authority, event: dict) -> dict:
    """``event`` with this hub's receipt, as if the hub had logged it before a restore."""
    from hub import receipts
    from hub.pushgate import canonical

    key = receipts.key_from_hex(authority.store.setting("receipt_key"))
    return {**event, "receipt": receipts.receipt(key, canonical(event))}


def called(seq, ticket, deps, *, node="C1", inc="c1a", service="B"):
    return make_event(
        node, inc, seq, "ticket.called", ticket=ticket, req=f"{node}:{inc}:r{seq}", deps=deps,
        hlc=hlc(T0, node), clock={"wall_ms": T0, "boot_id": f"{node}-boot", "mono_ms": 9_000},
        body={"counter": node, "expect_service": service, "mode": "offline"},
    ).to_dict()  # fmt: skip


def hello(seq, *, node="K1", inc="k1a", mono=1_000, wall=0):
    return make_event(
        node, inc, seq, "node.hello", hlc=hlc(wall, node),
        clock={"wall_ms": wall, "boot_id": f"{node}-boot", "mono_ms": mono},
        body={"boot_id": f"{node}-boot", "mono_ms": mono, "wall_ms": wall},
    ).to_dict()  # fmt: skip


def push(client, auth, events, *, node="K1", inc="k1a", seen=None, as_node=None):
    body = {"node": node, "inc": inc, "hub_epoch_seen": seen, "events": events}
    return client.post("/api/v1/sync/push", json=body, headers=auth(as_node or node))


def is_seed(record: dict) -> bool:
    return record["event"]["type"].startswith("catalogue.")


def logged(authority) -> list[dict]:
    """The events after the catalogue seed every hub starts with."""
    return [r["event"] for r in authority.records_since(0, 10_000) if not is_seed(r)]


def test_push_appends_and_acks(client, auth, authority):
    e1, e2 = issued(1, 7), issued(2, 8)
    r = push(client, auth, [e1, e2])
    assert r.status_code == 200
    assert r.json == {"hub_epoch": authority.epoch, "acked_through": 2, "held": [], "rejected": [],
                      "hub_ms": authority.now_ms()}  # fmt: skip
    assert [e["id"] for e in logged(authority)] == [e1["id"], e2["id"]]
    state = client.get("/api/v1/state").json["state"]
    assert [t["label"] for t in state["waiting"]["B"]] == ["B-K1-7", "B-K1-8"]


def test_push_is_insert_if_absent(client, auth, authority):
    e1 = issued(1, 7)
    push(client, auth, [e1])
    lines = authority.store.journal.count
    again = push(client, auth, [e1])
    assert again.json["acked_through"] == 1
    assert authority.store.journal.count == lines


def test_same_id_with_another_body_is_an_alarm(client, auth, authority):
    push(client, auth, [issued(1, 7)])
    forged = issued(1, 9)
    r = push(client, auth, [forged])
    assert r.status_code == 409
    assert r.json["error"] == "id_conflict" and r.json["ids"] == [forged["id"]]
    assert [e["body"]["label"] for e in logged(authority)] == ["B-K1-7"]


def test_events_wait_for_their_predecessor(client, auth, authority):
    e1, e2, e3 = issued(1, 7), issued(2, 8), issued(3, 9)
    r = push(client, auth, [e3, e2])
    assert r.json["acked_through"] == 0
    assert r.json["held"] == sorted([e2["id"], e3["id"]])
    assert logged(authority) == []
    r = push(client, auth, [e1])
    assert r.json["acked_through"] == 3 and r.json["held"] == []
    assert [e["id"] for e in logged(authority)] == [e1["id"], e2["id"], e3["id"]]


def test_events_wait_for_their_deps(client, auth, authority):
    ticket = issued(1, 7)
    call = called(1, ticket["ticket"], [ticket["id"]])
    r = push(client, auth, [call], node="C1", inc="c1a")
    assert r.json == {"hub_epoch": authority.epoch, "acked_through": 0,
                      "held": [call["id"]], "rejected": [],
                      "hub_ms": authority.now_ms()}  # fmt: skip
    r = push(client, auth, [ticket])
    assert r.json["acked_through"] == 1
    assert [e["id"] for e in logged(authority)] == [ticket["id"], call["id"]]
    state = client.get("/api/v1/state").json["state"]
    assert state["counters"]["C1"]["label"] == "B-K1-7"
    status = client.get("/api/v1/nodes", headers=auth()).json["nodes"]
    c1 = next(n for n in status if n["id"] == "C1")
    assert c1["acked_through"] == {"c1a": 1} and c1["held"] == 0


def test_invalid_and_derived_events_are_rejected_with_a_reason(client, auth, authority):
    bad = issued(1, 7)
    del bad["body"]["label"]
    derived = {**issued(1, 7), "id": "hub:comp:x:call.superseded", "type": "call.superseded",
               "body": {"call": "x", "counter": "C1", "winner": None, "ticket": "t"}}  # fmt: skip
    r = push(client, auth, [bad, derived, "nonsense"])
    assert r.status_code == 200
    reasons = {x["id"]: x["reason"] for x in r.json["rejected"]}
    assert "body.label" in reasons[bad["id"]]
    assert reasons[derived["id"]].startswith("derived")
    assert reasons[None].startswith("invalid")
    assert logged(authority) == []


def test_a_token_pushes_only_for_its_own_node(client, auth, authority):
    r = push(client, auth, [issued(1, 7)], node="K1", as_node="K2")
    assert r.status_code == 403 and r.json["error"] == "forbidden_node"
    assert logged(authority) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"inc": "a", "events": []}, 422, "node"),
        ({"node": "K1", "events": []}, 422, "inc"),
        ({"node": "K1", "inc": "a"}, 422, "events"),
        ({"node": "K1", "inc": "a", "events": {}}, 422, "events"),
    ],
)
def test_push_field_errors(client, auth, body, status, field):
    r = client.post("/api/v1/sync/push", json=body, headers=auth("K1"))
    assert r.status_code == status and r.json["field"] == field


def test_a_lease_number_is_accepted_inside_the_kiosks_lease(client, auth, authority):
    lease = client.post("/api/v1/leases", json={"req": "L", "service": "B"}, headers=auth("K1"))
    assert (lease.json["event"]["body"]["lo"], lease.json["event"]["body"]["hi"]) == (1, 8)
    r = push(client, auth, [issued(1, 7, lease=lease.json["event"]["id"])])
    assert r.json["rejected"] == [] and r.json["acked_through"] == 1
    online = client.post("/api/v1/tickets", json={"req": "x", "service": "B"}, headers=auth("K2"))
    assert online.json["ticket"]["label"] == "B-009"  # after the whole lease


def test_offline_events_are_placed_by_anchored_boot_time(client, auth, authority, clock, seed):
    # The kiosk says hello at boot-mono 1 s (its wall clock thinks it is 1970)...
    push(client, auth, [hello(1, mono=1_000, wall=0)])
    hub_at_hello = clock.wall_ms()
    clock.advance(10 * MIN)
    # ...then an offline ticket made 2 min after boot, pushed 10 min later.
    push(client, auth, [issued(2, 7, mono=1_000 + 2 * MIN, wall=0)])
    rec = authority.records_since(seed + 1, 1)[0]
    assert rec["est_ms"] == hub_at_hello + 2 * MIN
    assert rec["recv_ms"] == hub_at_hello + 10 * MIN


def test_far_future_clock_gets_a_skew_notice(client, auth, authority, clock):
    ahead = clock.wall_ms() + 30 * MIN
    push(client, auth, [issued(1, 7, wall=ahead), issued(2, 8, wall=ahead + 1)])
    notices = [e for e in logged(authority) if e["type"] == "clock.skew"]
    assert len(notices) == 1
    assert notices[0]["body"] == {"node": "K1", "skew_ms": 30 * MIN}  # one per node boot
    # the hub's own clock did not jump forward
    assert int(client.get("/api/v1/time").json["hub_hlc"][:13]) < ahead


def test_conflicting_offline_call_gets_superseded_in_the_same_commit(client, auth, authority):
    ticket = issued(1, 7)
    push(client, auth, [ticket])
    online = client.post("/api/v1/counters/C2/next", json={"req": "c2"}, headers=auth("C2"))
    assert online.json["ticket"]["label"] == "B-K1-7"
    call = called(1, ticket["ticket"], [ticket["id"]])
    push(client, auth, [call], node="C1", inc="c1a")
    last = authority.records_since(0, 100)[-2:]
    assert [r["event"]["id"] for r in last] == [
        call["id"], f"hub:comp:{call['id']}:call.superseded"
    ]  # fmt: skip
    assert last[0]["hseq"] + 1 == last[1]["hseq"]


# -- changes feed ------------------------------------------------------------------------------


def test_changes_pages_through_the_log(client, auth, seed):
    push(client, auth, [issued(1, 7), issued(2, 8), issued(3, 9)])
    page = client.get(f"/api/v1/sync/changes?since={seed}&limit=2", headers=auth()).json
    assert [r["hseq"] for r in page["results"]] == [seed + 1, seed + 2]
    assert page["last_hseq"] == seed + 3
    rest = client.get(f"/api/v1/sync/changes?since={seed + 2}", headers=auth()).json
    assert [r["event"]["body"]["label"] for r in rest["results"]] == ["B-K1-9"]
    assert (
        client.get(f"/api/v1/sync/changes?since={seed + 3}", headers=auth()).json["results"] == []
    )


@pytest.mark.parametrize("query", ["since=-1", "since=x", "limit=0", "wait=-2"])
def test_changes_bad_parameters(client, auth, query):
    r = client.get(f"/api/v1/sync/changes?{query}", headers=auth())
    assert r.status_code == 422 and r.json["error"] == "invalid_field"


def test_long_poll_returns_when_an_event_arrives(app, auth, seed):
    answers: list[dict] = []
    waiting = threading.Event()

    def poll() -> None:
        waiting.set()
        url = f"/api/v1/sync/changes?since={seed}&wait=25"
        r = app.test_client().get(url, headers=auth("C1"))
        answers.append(r.json)

    poller = threading.Thread(target=poll)
    poller.start()
    waiting.wait(10)
    r = app.test_client().post(
        "/api/v1/tickets", json={"req": "lp", "service": "B"}, headers=auth("K1")
    )
    assert r.status_code == 201
    poller.join(30)
    assert not poller.is_alive()
    assert [rec["event"]["ticket"] for rec in answers[0]["results"]] == [f"{DAY}/B-001"]


def test_long_poll_without_events_answers_empty(client, auth, app, seed):
    app.config["LOKET_LONGPOLL_MAX_S"] = 0.05
    r = client.get(f"/api/v1/sync/changes?since={seed}&wait=25", headers=auth())
    assert r.status_code == 200 and r.json["results"] == []


def test_an_operator_token_cannot_push(client, auth, authority):
    r = push(client, auth, [issued(1, 7, node="api")], node="api", inc="x")
    assert r.status_code == 403 and r.json["error"] == "devices_only"
    assert logged(authority) == []


def test_hub_events_of_this_epoch_are_deduplicated_or_rejected(client, auth, authority):
    issued_online = client.post(
        "/api/v1/tickets", json={"req": "r", "service": "B"}, headers=auth("K1")
    ).json["event"]
    forged = {**issued_online, "id": f"hub:{authority.epoch}:99", "seq": 99}
    r = push(client, auth, [issued_online, forged])
    assert r.status_code == 200
    [rejection] = r.json["rejected"]
    assert rejection["id"] == forged["id"]
    assert rejection["reason"].startswith("foreign_hub_event")
    assert [e["id"] for e in logged(authority)] == [issued_online["id"]]


def test_listeners_see_each_commit_and_one_failure_does_not_stop_the_others(
    client, auth, authority, seed
):
    seen: list[list[int]] = []

    def broken(records):
        raise RuntimeError("listener bug")

    authority.add_listener(broken)
    authority.add_listener(lambda records: seen.append([r["hseq"] for r in records]))
    push(client, auth, [issued(1, 7), issued(2, 8)])
    r = client.post("/api/v1/tickets", json={"req": "x", "service": "B"}, headers=auth("K1"))
    assert r.status_code == 201
    assert seen == [[seed + 1, seed + 2], [seed + 3]]
    authority.remove_listener(broken)


def test_old_epoch_hub_events_wait_for_their_deps_but_not_for_gaps(client, auth, authority):
    """A restored hub gets the old epoch's hub events back from the nodes, with gaps where an
    event nobody kept was (a ghost issue whose replies were all lost): they are gated on their
    deps (docs/sync.md §8.4 bug 4), never on gapless seqs, or they would wait forever."""
    # hub:old:1 (the ghost) is gone for good; K1 holds the issue 2, C1 the online call 3 of it.
    ticket = {**issued(2, 8, node="hub", inc="old", lease="x"), "req": "K1:k1a:r2", "deps": []}
    ticket["body"] = {**ticket["body"], "mode": "online", "kiosk": "K1", "lease": None}
    ticket = sealed(authority, ticket)
    call = called(3, ticket["ticket"], [ticket["id"]], node="hub", inc="old")
    call["body"] = {**call["body"], "counter": "C1", "mode": "online"}
    call["req"] = "C1:c1a:r1"
    call = sealed(authority, call)
    r = push(client, auth, [call], node="C1", inc="c1a", seen=authority.epoch)
    assert r.status_code == 200 and r.json["held"] == [call["id"]]
    assert logged(authority) == []
    r = push(client, auth, [ticket], node="K1", inc="k1a", seen=authority.epoch)
    assert r.status_code == 200 and r.json["held"] == [] and r.json["rejected"] == []
    assert [e["id"] for e in logged(authority)] == [ticket["id"], call["id"]]
    state = client.get("/api/v1/state").json["state"]
    assert state["counters"]["C1"]["label"] == "B-008"
    forged = {**issued(4, 9, node="hub", inc="old", lease="x"), "deps": []}
    r = push(client, auth, [forged], node="K1", inc="k1a", seen=authority.epoch)
    assert r.json["rejected"][0]["reason"].startswith("foreign_event")


def test_gate_releases_an_event_whose_dep_is_gone_for_good():
    """A past epoch's hub call whose issue no node kept (a ghost) can only be released once
    the caller knows that dep is gone for good; until then deps gating holds it (bug 4)."""
    from core.events import Event
    from hub.pushgate import PushGate

    gate = PushGate()
    call = Event.from_dict(called(6, f"{DAY}/B-007", ["hub:old:5"], node="hub", inc="old"))
    gate.hold([call])
    assert gate.releasable(lambda eid: False) == []
    assert gate.releasable(lambda eid: False, gone=lambda dep: dep == "hub:old:4") == []
    assert gate.releasable(lambda eid: False, gone=lambda dep: dep.startswith("hub:old:")) == [call]
