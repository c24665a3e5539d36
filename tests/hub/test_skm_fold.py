"""survey.answered in the fold: once per served ticket, hub-only, and in the KPI facts."""

from __future__ import annotations

from core.events import make_event
from hub import kpi

ANSWERS = [3, 3, 3, 3, 3, 3, 3, 3, 3]


def test_the_fold_marks_a_served_ticket_surveyed_once(authority) -> None:
    issued = authority.issue("f1", "A", "K1", public="pub-fold-skm-001")
    key = issued["ticket"]["key"]
    # Not served yet: the fold leaves it alone and says why (the routes check this first).
    authority.commit_hub_event("survey.answered", ticket=key, body={"answers": ANSWERS})
    assert authority.ticket_by_public("pub-fold-skm-001")["surveyed"] is False
    assert authority.state.rejections[-1]["reason"] == "not_served:waiting"
    authority.counter_command("C1", "next", "f2")
    authority.counter_command("C1", "done", "f3")
    authority.commit_hub_event("survey.answered", ticket=key, body={"answers": ANSWERS})
    assert authority.ticket_by_public("pub-fold-skm-001")["surveyed"] is True
    authority.commit_hub_event("survey.answered", ticket=key, body={"answers": [1] * 9})
    assert authority.state.rejections[-1]["reason"] == "already_surveyed"
    # kpi keeps the first accepted answers of a served ticket, not the early or the late one
    facts = kpi.collect(authority.records_since(0, 1000), authority.tz)
    assert facts[key].survey == ANSWERS


def test_a_node_cannot_push_a_survey(client, auth, authority) -> None:
    forged = make_event(
        "K1", "k1a", 1, "node.hello", ticket=None, req="K1:k1a:r1", deps=[],
        hlc="0000000000000.00000.K1", clock={"wall_ms": 0, "boot_id": "b", "mono_ms": 1},
        body={"boot_id": "b", "mono_ms": 1, "wall_ms": 0},
    ).to_dict()  # fmt: skip
    forged.update(type="survey.answered", ticket="2026-11-28/A-001", body={"answers": ANSWERS})
    body = {"node": "K1", "inc": "k1a", "hub_epoch_seen": None, "events": [forged]}
    before = authority.last_hseq
    resp = client.post("/api/v1/sync/push", json=body, headers=auth("K1"))
    assert [r["id"] for r in resp.get_json()["rejected"]] == [forged["id"]]
    assert authority.last_hseq == before
