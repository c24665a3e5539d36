"""Online commands over HTTP: tickets, counter buttons, leases; every refusal has its status."""

from __future__ import annotations

import pytest

DAY = "2026-11-28"


def journal_lines(authority) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in authority.store.journal.segments)


def issue(client, auth, req, service="B", node="K1", **extra):
    return client.post(
        "/api/v1/tickets", json={"req": req, "service": service, **extra}, headers=auth(node)
    )


def press(client, auth, counter, action, req, **extra):
    return client.post(
        f"/api/v1/counters/{counter}/{action}", json={"req": req, **extra}, headers=auth(counter)
    )


# -- tickets -----------------------------------------------------------------------------------


def test_issue_allocates_sequential_numbers_and_estimates_the_wait(client, auth, req):
    first = issue(client, auth, req())
    second = issue(client, auth, req())
    assert first.status_code == 201 and second.status_code == 201
    assert first.json["ticket"]["label"] == "B-001"
    assert first.json["ticket"]["key"] == f"{DAY}/B-001"
    assert second.json["ticket"]["label"] == "B-002"
    assert second.json["people_ahead"] == 1
    # B: avg 10 min, one person ahead, two open counters (C1, C2) -> 5 min
    assert second.json["est_wait_min"] == 5
    ev = second.json["event"]
    assert ev["type"] == "ticket.issued" and ev["origin"] == "hub"
    assert ev["body"]["kiosk"] == "K1" and ev["body"]["mode"] == "online"
    assert second.json["status_url"] == "/t/" + ev["body"]["public"]
    assert len(ev["body"]["public"]) >= 12


def test_issue_numbers_per_service(client, auth, req):
    issue(client, auth, req(), "B")
    assert issue(client, auth, req(), "A").json["ticket"]["label"] == "A-001"


def test_issue_takes_kiosk_priority_and_public_id(client, auth, req):
    issue(client, auth, req())
    body = issue(
        client, auth, req(), kiosk="K2", node="api", priority=-1, public="abcdefghijkl"
    ).json
    assert body["event"]["body"]["kiosk"] == "K2"
    assert body["event"]["body"]["priority"] == -1
    assert body["status_url"] == "/t/abcdefghijkl"
    assert body["people_ahead"] == 0  # priority visitors go first


def test_a_device_token_acts_only_as_that_device(client, auth, req, authority):
    before = authority.last_hseq
    as_other_kiosk = issue(client, auth, req(), kiosk="K2", node="K1")
    other_counter = client.post("/api/v1/counters/C2/next", json={"req": req()}, headers=auth("C1"))
    for answer in (as_other_kiosk, other_counter):
        assert answer.status_code == 403
        assert answer.json["error"] == "forbidden_node"
    counter_issuing = issue(client, auth, req(), node="C1")
    assert counter_issuing.status_code == 403 and counter_issuing.json["error"] == "forbidden_role"
    assert authority.last_hseq == before  # nothing was written
    assert issue(client, auth, req(), kiosk="K2", node="K2").status_code == 201


def test_a_kiosk_issues_only_services_it_offers(client, auth, req, authority, seed):
    r = issue(client, auth, req(), "A", node="K2")  # K2 offers B only
    assert r.status_code == 409 and r.json["error"] == "service_not_at_kiosk"
    assert authority.last_hseq == seed  # only the catalogue's seed


def test_repeated_req_returns_the_same_ticket_and_appends_nothing(client, auth, authority):
    first = issue(client, auth, "K1:i:r1")
    lines = journal_lines(authority)
    again = issue(client, auth, "K1:i:r1")
    assert again.status_code == 200
    assert again.json == first.json
    assert journal_lines(authority) == lines


def test_daily_quota(client, auth, req):
    for _ in range(5):
        assert issue(client, auth, req(), "A").status_code == 201
    r = issue(client, auth, req(), "A")
    assert r.status_code == 409
    assert r.json["error"] == "quota_reached"


def test_numbering_restarts_on_a_new_service_day_with_a_new_segment(
    client, auth, req, authority, clock
):
    issue(client, auth, req())
    issue(client, auth, req())
    clock.advance(24 * 3600 * 1000)
    r = issue(client, auth, req())
    assert r.json["ticket"]["key"] == "2026-11-29/B-001"
    assert len(authority.store.journal.segments) == 2


@pytest.mark.parametrize(
    ("body", "status", "error", "field"),
    [
        ({"req": "r", "service": "Z"}, 404, "unknown_service", None),
        ({"service": "B"}, 422, "missing_field", "req"),
        ({"req": "r"}, 422, "missing_field", "service"),
        ({"req": 5, "service": "B"}, 422, "invalid_field", "req"),
        ({"req": "r", "service": "B", "priority": "high"}, 422, "invalid_field", "priority"),
        ({"req": "r", "service": "B", "priority": 99}, 422, "invalid_field", "priority"),
        ({"req": "r", "service": "B", "public": "short"}, 422, "invalid_field", "public"),
    ],
)
def test_issue_refusals(client, auth, body, status, error, field):
    r = client.post("/api/v1/tickets", json=body, headers=auth())
    assert r.status_code == status
    assert r.json["error"] == error
    assert r.json["message"]
    if field:
        assert r.json["field"] == field


@pytest.mark.parametrize("data", [b"", b"{not json", b"[1, 2]"])
def test_bad_json_is_400(client, auth, data):
    r = client.post(
        "/api/v1/tickets", data=data, headers={**auth(), "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json["error"] == "bad_json"


# -- counters ----------------------------------------------------------------------------------


def test_next_on_empty_queue(client, auth, req):
    r = press(client, auth, "C1", "next", req())
    assert r.status_code == 200
    assert r.json == {"ticket": None, "event": None, "reason": "queue_empty", "events": []}


def test_next_calls_the_head_of_the_queue(client, auth, req):
    issued = issue(client, auth, req()).json
    r = press(client, auth, "C2", "next", req())
    assert r.status_code == 200
    assert r.json["ticket"]["label"] == "B-001"
    assert r.json["ticket"]["status"] == "called"
    ev = r.json["event"]
    assert ev["type"] == "ticket.called"
    assert ev["body"] == {"counter": "C2", "expect_service": "B", "mode": "online"}
    assert ev["deps"] == [issued["event"]["id"]]


def test_next_is_idempotent_by_req(client, auth, req, authority):
    issue(client, auth, req())
    issue(client, auth, req())
    first = press(client, auth, "C1", "next", "C1:i:r9")
    lines = journal_lines(authority)
    again = press(client, auth, "C1", "next", "C1:i:r9")
    assert again.json["event"] == first.json["event"]
    assert journal_lines(authority) == lines


def test_full_service_cycle_with_rating(client, auth, req):
    issue(client, auth, req())
    call = press(client, auth, "C1", "next", req()).json["event"]
    recall = press(client, auth, "C1", "recall", req())
    assert recall.status_code == 200 and recall.json["event"]["deps"] == [call["id"]]
    assert recall.json["ticket"]["recalls"] == 1
    done = press(client, auth, "C1", "done", req())
    assert done.json["ticket"]["status"] == "served"
    assert done.json["event"]["deps"] == [call["id"]]
    rated = press(client, auth, "C1", "rate", req(), score=4)
    assert rated.status_code == 200
    assert rated.json["ticket"]["rating"] == 4
    again = press(client, auth, "C1", "rate", req(), score=3)
    assert again.status_code == 409 and again.json["error"] == "already_rated"


def test_skip_marks_no_show(client, auth, req):
    issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    r = press(client, auth, "C1", "skip", req())
    assert r.json["ticket"]["status"] == "no_show"


def test_transfer_requeues_in_the_other_service(client, auth, req):
    issue(client, auth, req(), "B")
    press(client, auth, "C2", "next", req())
    r = press(client, auth, "C2", "transfer", req(), to="A")
    assert r.status_code == 200
    assert r.json["ticket"]["status"] == "waiting" and r.json["ticket"]["service"] == "A"
    # only C1 serves A
    assert press(client, auth, "C2", "next", req()).json["reason"] == "queue_empty"
    assert press(client, auth, "C1", "next", req()).json["ticket"]["label"] == "B-001"


def test_rating_window(client, auth, req, clock):
    issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    press(client, auth, "C1", "done", req())
    clock.advance(121_000)
    r = press(client, auth, "C1", "rate", req(), score=2)
    assert r.status_code == 409 and r.json["error"] == "rating_window_closed"


def test_next_while_serving_finishes_that_visit_and_calls_the_next(client, auth, req, authority):
    for _ in range(11):
        issue(client, auth, req())
    answers = [press(client, auth, "C1", "next", req()).json for _ in range(10)]
    keys = [a["ticket"]["key"] for a in answers]
    assert len(set(keys)) == 10  # ten presses, ten different visitors
    assert [e["type"] for e in answers[1]["events"]] == ["ticket.done", "ticket.called"]
    assert answers[1]["events"][0]["ticket"] == keys[0]
    assert answers[1]["events"][0]["deps"] == [answers[0]["event"]["id"]]
    state = client.get("/api/v1/state").json["state"]
    assert state["counters"]["C1"]["current"] == keys[-1]
    assert state["counters"]["C1"]["last_done"] == keys[-2]
    types = [r["event"]["type"] for r in authority.records_since(0, 1000)]
    assert types.count("ticket.done") == 9 and "call.retracted" not in types
    last = press(client, auth, "C1", "next", req()).json  # the 11th visitor
    empty = press(client, auth, "C1", "next", req()).json  # finishes them; nobody left
    assert empty["reason"] == "queue_empty" and empty["event"] is None
    assert [e["type"] for e in empty["events"]] == ["ticket.done"]
    assert authority.state.tickets[last["ticket"]["key"]].status == "served"


def test_a_repeated_next_while_serving_finishes_nothing_twice(client, auth, req, authority):
    for _ in range(3):
        issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    first = press(client, auth, "C1", "next", "C1:i:r7").json
    lines = journal_lines(authority)
    again = press(client, auth, "C1", "next", "C1:i:r7").json
    assert again["event"] == first["event"]
    assert journal_lines(authority) == lines


@pytest.mark.parametrize(
    ("counter", "action", "extra", "status", "error"),
    [
        ("C9", "next", {}, 404, "unknown_counter"),
        ("C1", "dance", {}, 404, "unknown_action"),
        ("C1", "recall", {}, 409, "no_current_ticket"),
        ("C1", "skip", {}, 409, "no_current_ticket"),
        ("C1", "done", {}, 409, "no_current_ticket"),
        ("C1", "transfer", {"to": "A"}, 409, "no_current_ticket"),
        ("C1", "transfer", {}, 422, "missing_field"),
        ("C1", "rate", {"score": 4}, 409, "nothing_to_rate"),
        ("C1", "rate", {"score": 5}, 422, "invalid_field"),
        ("C1", "rate", {"score": "4"}, 422, "invalid_field"),
    ],
)
def test_counter_refusals(client, auth, req, counter, action, extra, status, error):
    r = client.post(
        f"/api/v1/counters/{counter}/{action}", json={"req": req(), **extra}, headers=auth()
    )
    assert r.status_code == status
    assert r.json["error"] == error


def test_transfer_to_unknown_or_same_service(client, auth, req):
    issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    assert press(client, auth, "C1", "transfer", req(), to="Z").status_code == 404
    same = press(client, auth, "C1", "transfer", req(), to="B")
    assert same.status_code == 409 and same.json["error"] == "same_service"


def test_req_of_another_command_is_refused(client, auth, req):
    issue(client, auth, "shared-req")
    r = press(client, auth, "C1", "next", "shared-req")
    assert r.status_code == 409 and r.json["error"] == "req_reused"


# -- leases ------------------------------------------------------------------------------------


def test_lease_comes_from_the_same_allocator(client, auth, req):
    issue(client, auth, req(), "B")
    r = client.post(
        "/api/v1/leases", json={"req": "L1", "kiosk": "K2", "service": "B"}, headers=auth("K2")
    )
    assert r.status_code == 200
    body = r.json["event"]["body"]
    assert (body["lo"], body["hi"], body["kiosk"], body["day"]) == (2, 5, "K2", DAY)
    assert issue(client, auth, req(), "B").json["ticket"]["label"] == "B-006"
    again = client.post(
        "/api/v1/leases", json={"req": "L1", "kiosk": "K2", "service": "B"}, headers=auth("K2")
    )
    assert again.json == r.json


@pytest.mark.parametrize(
    ("body", "node", "status", "error"),
    [
        ({"req": "L", "kiosk": "K1", "service": "B"}, "K2", 403, "forbidden_node"),
        ({"req": "L", "service": "B"}, "api", 403, "devices_only"),
        ({"req": "L", "service": "B"}, "C1", 403, "forbidden_role"),
        ({"req": "L", "kiosk": "K2", "service": "Z"}, "K2", 404, "unknown_service"),
        ({"req": "L", "kiosk": "K2", "service": "A"}, "K2", 409, "service_not_at_kiosk"),
        ({"kiosk": "K2", "service": "B"}, "K2", 422, "missing_field"),
    ],
)
def test_lease_refusals(client, auth, body, node, status, error):
    r = client.post("/api/v1/leases", json=body, headers=auth(node))
    assert r.status_code == status and r.json["error"] == error


def test_lease_is_capped_by_the_quota(client, auth, req):
    issue(client, auth, req(), "A")
    r = client.post(
        "/api/v1/leases", json={"req": "L", "kiosk": "K1", "service": "A"}, headers=auth("K1")
    )
    assert (r.json["event"]["body"]["lo"], r.json["event"]["body"]["hi"]) == (2, 5)
    full = client.post(
        "/api/v1/leases", json={"req": "L2", "kiosk": "K1", "service": "A"}, headers=auth("K1")
    )
    assert full.status_code == 409 and full.json["error"] == "quota_reached"


# -- auth --------------------------------------------------------------------------------------

WRITES = [
    ("post", "/api/v1/tickets"),
    ("post", "/api/v1/counters/C1/next"),
    ("post", "/api/v1/counters/C1/recall"),
    ("post", "/api/v1/counters/C1/skip"),
    ("post", "/api/v1/counters/C1/done"),
    ("post", "/api/v1/counters/C1/transfer"),
    ("post", "/api/v1/counters/C1/rate"),
    ("post", "/api/v1/sync/push"),
    ("post", "/api/v1/leases"),
    ("post", "/api/v1/barrier/lift"),
    ("get", "/api/v1/sync/changes"),
    ("get", "/api/v1/nodes"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_writes_and_node_feeds_need_a_token(client, tokens, authority, method, path, header):
    lines = journal_lines(authority)
    headers = {"Authorization": header} if header else {}
    r = getattr(client, method)(path, json={"req": "x", "service": "B"}, headers=headers)
    assert r.status_code == 401
    assert r.json["error"] == "unauthorized"
    assert journal_lines(authority) == lines


@pytest.mark.parametrize("path", ["/api/v1/state", "/api/v1/time", "/healthz"])
def test_public_reads_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_healthz_and_time(client, auth, req, authority, clock, seed):
    issue(client, auth, req())
    h = client.get("/healthz").json
    assert h == {
        "ok": True,
        "storage": {"ok": True, "fault": None},
        "hub_epoch": authority.epoch,
        "last_hseq": seed + 1,
        "rebuilds": 0,
        "upstream": None,  # no [upstream] in the profile (issue 12)
    }
    t = client.get("/api/v1/time").json
    assert t["hub_ms"] == clock.wall_ms()
    assert t["hub_hlc"].endswith(".hub")


def test_a_no_show_who_turns_up_can_be_recalled_by_its_counter(client, auth, req):
    issue(client, auth, req())
    called = press(client, auth, "C1", "next", req()).json["ticket"]
    press(client, auth, "C1", "skip", req())
    other = press(client, auth, "C2", "recall", req(), ticket=called["key"])
    assert other.status_code == 409 and other.json["error"] == "not_recallable"
    back = press(client, auth, "C1", "recall", req(), ticket=called["key"])
    assert back.status_code == 200
    assert back.json["ticket"]["status"] == "called"
    assert back.json["ticket"]["holder"] == "C1"
    done = press(client, auth, "C1", "done", req())
    assert done.json["ticket"]["status"] == "served"
    assert done.json["event"]["deps"] == [back.json["event"]["id"]]


def test_recall_of_an_unknown_ticket(client, auth, req):
    r = press(client, auth, "C1", "recall", req(), ticket="2026-11-28/B-999")
    assert r.status_code == 404 and r.json["error"] == "unknown_ticket"
