"""Issue 9 items 5-6 at the hub: SKIP's grace window, pause/resume, a specific call, and the
audit record (who, when, why) every out-of-order call leaves, listed per counter and day."""

from __future__ import annotations

import pytest
from test_api import issue, press

DAY = "2026-11-28"


def audit_log(client, auth, day=DAY, token="viewer"):
    return client.get(f"/api/v1/audit?day={day}", headers=auth(token))


def types_after(authority, hseq):
    return [r["event"]["type"] for r in authority.records_since(hseq, 1000)]


# -- SKIP: a no-show with a grace window -------------------------------------------------------


def test_a_no_show_is_recallable_within_the_grace_window_only(client, auth, req, clock):
    issue(client, auth, req())
    key = press(client, auth, "C1", "next", req()).json["ticket"]["key"]
    press(client, auth, "C1", "skip", req())
    clock.advance(600_000)  # exactly the default mpp.no_show_grace_s = 600
    back = press(client, auth, "C1", "recall", req(), ticket=key)
    assert back.status_code == 200 and back.json["ticket"]["status"] == "called"
    press(client, auth, "C1", "skip", req())
    clock.advance(600_001)
    late = press(client, auth, "C1", "recall", req(), ticket=key)
    assert late.status_code == 409 and late.json["error"] == "grace_over"
    assert "reason" in late.json["message"]


def test_a_late_recall_with_a_reason_is_audited(client, auth, req, clock, authority):
    issue(client, auth, req())
    key = press(client, auth, "C1", "next", req()).json["ticket"]["key"]
    press(client, auth, "C1", "skip", req())
    clock.advance(3_600_000)
    mark = authority.last_hseq
    r = press(client, auth, "C1", "recall", req(), ticket=key, reason="was in the prayer room")
    assert r.status_code == 200 and r.json["ticket"]["status"] == "called"
    assert types_after(authority, mark) == ["ticket.recalled", "audit.out_of_order"]
    entry = audit_log(client, auth).json["entries"][0]
    assert entry["kind"] == "late_recall" and entry["counter"] == "C1"
    assert entry["by"] == "C1" and entry["reason"] == "was in the prayer room"
    assert entry["action"] == r.json["event"]["id"]


def test_the_grace_window_comes_from_the_catalogue_and_is_validated(
    client, auth, req, clock, authority
):
    from core.errors import ConfigError

    mpp = dict(authority.catalogue().to_dict()["mpp"])
    with pytest.raises(ConfigError, match="no_show_grace_s"):
        authority.change_catalogue("set", "mpp", "mpp", {**mpp, "no_show_grace_s": -5})
    authority.change_catalogue("set", "mpp", "mpp", {**mpp, "no_show_grace_s": 60})
    issue(client, auth, req())
    key = press(client, auth, "C1", "next", req()).json["ticket"]["key"]
    press(client, auth, "C1", "skip", req())
    clock.advance(61_000)
    late = press(client, auth, "C1", "recall", req(), ticket=key)
    assert late.status_code == 409 and late.json["error"] == "grace_over"


# -- pause / resume ------------------------------------------------------------------------------


def test_pause_and_resume_a_counter(client, auth, req, authority):
    issue(client, auth, req())
    ahead = issue(client, auth, req()).json
    assert ahead["est_wait_min"] == 5  # 10 min x 1 ahead / 2 open counters serving B
    paused = press(client, auth, "C2", "pause", req())
    assert paused.status_code == 200 and paused.json["open"] is False
    assert paused.json["event"]["type"] == "roster.updated"
    assert paused.json["event"]["body"]["by"] == "C2"
    assert press(client, auth, "C2", "next", req()).json["reason"] == "counter_closed"
    third = issue(client, auth, req()).json
    assert third["est_wait_min"] == 20  # C1 alone now: 2 ahead x 10 min
    state = client.get("/api/v1/state").json["state"]
    assert state["counters"]["C2"]["open"] is False
    resumed = press(client, auth, "C2", "resume", req())
    assert resumed.json["open"] is True
    assert press(client, auth, "C2", "next", req()).json["ticket"]["label"] == "B-001"


# -- a specific ticket, audited --------------------------------------------------------------


def test_call_a_specific_ticket_needs_a_reason_and_is_audited(client, auth, req, authority):
    for _ in range(3):
        issue(client, auth, req())
    before = authority.last_hseq
    no_reason = press(client, auth, "C2", "call_ticket", req(), ticket="B-003")
    assert no_reason.status_code == 422 and no_reason.json["error"] == "missing_field"
    blank = press(client, auth, "C2", "call_ticket", req(), ticket="B-003", reason="  ")
    assert blank.status_code == 422
    assert authority.last_hseq == before  # refused: nothing written
    r = client.post(
        "/api/v1/counters/C2/call_ticket",
        json={"req": req(), "ticket": "B-003", "reason": "kursi roda, menunggu di luar"},
        headers=auth("api"),  # a supervisor's operator token
    )
    assert r.status_code == 200 and r.json["ticket"]["label"] == "B-003"
    assert r.json["ticket"]["holder"] == "C2"
    assert types_after(authority, before) == ["ticket.called", "audit.out_of_order"]
    log = audit_log(client, auth).json
    assert log["total"] == 1 and log["by_counter"] == {"C2": 1}
    assert log["entries"][0] | {"at_ms": 0, "hseq": 0} == {
        "hseq": 0, "at_ms": 0, "kind": "specific_call", "ticket": f"{DAY}/B-003",
        "label": "B-003", "counter": "C2", "by": "api",
        "reason": "kursi roda, menunggu di luar", "action": r.json["event"]["id"],
    }  # fmt: skip
    # Then NEXT goes on in queue order, and the specific call's visit was finished first.
    nxt = press(client, auth, "C2", "next", req()).json
    assert nxt["ticket"]["label"] == "B-001"
    assert authority.state.tickets[f"{DAY}/B-003"].status == "served"


def test_calling_the_head_of_the_queue_is_not_out_of_order(client, auth, req, authority):
    issue(client, auth, req())
    mark = authority.last_hseq
    r = press(client, auth, "C2", "call_ticket", req(), ticket="B-001", reason="test")
    assert r.status_code == 200
    assert types_after(authority, mark) == ["ticket.called"]


@pytest.mark.parametrize(
    ("ticket", "status", "error"),
    [("B-009", 404, "unknown_ticket"), ("A-001", 409, "not_served_here")],
)
def test_call_ticket_refusals(client, auth, req, authority, ticket, status, error):
    issue(client, auth, req(), "A")
    mark = authority.last_hseq
    r = press(client, auth, "C2", "call_ticket", req(), ticket=ticket, reason="x")
    assert r.status_code == status and r.json["error"] == error
    assert authority.last_hseq == mark


def test_call_ticket_of_a_called_ticket_is_refused(client, auth, req):
    issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    r = press(client, auth, "C2", "call_ticket", req(), ticket="B-001", reason="x")
    assert r.status_code == 409 and r.json["error"] == "not_waiting"


def test_cancelling_a_called_ticket_is_audited(client, auth, req, authority):
    issue(client, auth, req())
    issue(client, auth, req())
    press(client, auth, "C1", "next", req())
    authority.cancel_ticket("B-002", by="sari", reason="left")  # waiting: not audited
    authority.cancel_ticket("B-001", by="sari", reason="pergi setelah dipanggil")
    log = audit_log(client, auth).json
    assert [(e["kind"], e["label"], e["counter"], e["by"]) for e in log["entries"]] == [
        ("cancel_called", "B-001", "C1", "sari")
    ]


def test_the_audit_list_needs_a_viewer_token_and_a_valid_day(client, auth):
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=auth("C1")).status_code == 403
    bad = audit_log(client, auth, day="28-11-2026")
    assert bad.status_code == 422 and bad.json["error"] == "invalid_field"
    empty = audit_log(client, auth, day="2026-11-27").json
    assert empty == {"day": "2026-11-27", "entries": [], "by_counter": {}, "by_kind": {},
                     "total": 0}  # fmt: skip


# -- transfer ------------------------------------------------------------------------------------


def test_a_transfer_to_a_service_no_open_counter_serves_is_refused(client, auth, req, authority):
    issue(client, auth, req(), "B")
    press(client, auth, "C2", "next", req())
    press(client, auth, "C1", "pause", req())  # C1 is the only counter serving A
    mark = authority.last_hseq
    r = press(client, auth, "C2", "transfer", req(), to="A")
    assert r.status_code == 409 and r.json["error"] == "no_open_counter"
    assert authority.last_hseq == mark


def test_a_counter_configured_to_put_first_puts_the_visitor_first(client, auth, req, authority):
    value = {k: v for k, v in authority.catalogue().to_dict()["counters"][1].items() if k != "id"}
    authority.change_catalogue("set", "counter", "C2", {**value, "transfer_first": True})
    issue(client, auth, req(), "A")
    issue(client, auth, req(), "A")
    issue(client, auth, req(), "B")
    press(client, auth, "C2", "next", req())
    r = press(client, auth, "C2", "transfer", req(), to="A")
    assert r.json["event"]["body"]["first"] is True
    assert [t.label for t in authority.state.waiting("A")] == ["B-001", "A-001", "A-002"]


# -- priority beyond the rule (floor-followup) -------------------------------------------------


def test_a_specific_call_of_a_priority_ticket_past_the_rule_is_audited_as_such(
    client, auth, req, authority
):
    # The default rule (max_in_row 2): after two priority calls in a row a normal ticket
    # waiting is next, so calling the third priority ticket by hand goes beyond the rule.
    issue(client, auth, req())  # B-001 normal
    for _ in range(3):
        issue(client, auth, req(), category="lansia")  # B-002..B-004
    assert press(client, auth, "C2", "next", req()).json["ticket"]["label"] == "B-002"
    assert press(client, auth, "C2", "next", req()).json["ticket"]["label"] == "B-003"
    mark = authority.last_hseq
    r = press(client, auth, "C2", "call_ticket", req(), ticket="B-004", reason="ibu hamil pusing")
    assert r.status_code == 200 and r.json["ticket"]["label"] == "B-004"
    assert types_after(authority, mark) == ["ticket.done", "ticket.called", "audit.out_of_order"]
    entries = audit_log(client, auth).json["entries"]
    assert [(e["kind"], e["label"], e["reason"]) for e in entries] == [
        ("priority_beyond_rule", "B-004", "ibu hamil pusing")
    ]


def test_a_specific_call_the_rule_allows_stays_a_specific_call(client, auth, req, authority):
    issue(client, auth, req())  # B-001 normal
    issue(client, auth, req(), category="lansia")  # B-002 priority
    issue(client, auth, req(), category="lansia")  # B-003 priority
    # The rule would call B-002 (priority lane first); B-003 skips only B-002.
    r = press(client, auth, "C2", "call_ticket", req(), ticket="B-003", reason="dipanggil dulu")
    assert r.status_code == 200
    assert [e["kind"] for e in audit_log(client, auth).json["entries"]] == ["specific_call"]
