"""The fold's ordinary behaviour: the transition table, queue order, queries, snapshot."""

from __future__ import annotations

import json

import pytest
from fold_helpers import DAY, T0, Log, key

from core.errors import EventError
from core.events import make_event, make_record
from core.model import Counter, TicketStatus
from core.queue import (
    TENTATIVE_HSEQ,
    TRANSITIONS,
    QueueState,
    choose_away_from_peers,
    choose_next,
    fold,
    residues,
)

ST = TicketStatus
TICKET_EVENTS = [
    "ticket.called",
    "ticket.recalled",
    "ticket.skipped",
    "ticket.done",
    "ticket.transferred",
    "ticket.cancelled",
    "ticket.rated",
]


def _in_status(status: TicketStatus) -> tuple[Log, object]:
    """A log whose ticket B-001 is in ``status``, C1 being its (last) holder where relevant."""
    log = Log()
    log.issue(1, req="K1:i:r1")
    call = None
    if status in (ST.CALLED, ST.SERVED, ST.NO_SHOW):
        call = log.call("C1", key(1))
    if status == ST.SERVED:
        log.done("C1", key(1), call)
    elif status == ST.NO_SHOW:
        log.skip("C1", key(1), call)
    elif status == ST.CANCELLED:
        log.cancel(key(1))
    elif status == ST.VOID:
        log.issue(7, mode="lease", req="K1:i:r1")
    assert log.state.tickets[key(1)].status == status
    return log, call


def _apply_kind(log: Log, kind: str, call) -> None:
    if kind == "ticket.called":
        log.call("C1", key(1))
    elif kind == "ticket.cancelled":
        log.cancel(key(1))
    elif kind == "ticket.rated":
        log.rate("C1", key(1), 4)
    elif kind == "ticket.transferred":
        log.transfer("C1", key(1), "A", call)
    else:
        log.finish(kind.removeprefix("ticket."), "C1", key(1), call)


@pytest.mark.parametrize("status", list(TicketStatus))
@pytest.mark.parametrize("kind", TICKET_EVENTS)
def test_every_status_event_pair_follows_the_table(status, kind):
    log, call = _in_status(status)
    before = log.state.tickets[key(1)]
    rejected_before = len(log.state.rejections)
    _apply_kind(log, kind, call)
    after = log.state.tickets[key(1)]
    expected = TRANSITIONS.get((status, kind))
    if expected is None:
        assert after.status == before.status
        assert after.holder == before.holder and after.served_by == before.served_by
        assert len(log.state.rejections) == rejected_before + 1
        assert log.state.rejections[-1]["type"] == kind
    else:
        assert after.status == expected
        assert len(log.state.rejections) == rejected_before


def test_table_only_names_known_states_and_events():
    # survey.answered is hub-only: its pairs are walked in tests/hub/test_skm_fold.py
    kinds = set(TICKET_EVENTS) | {"call.retracted", "ticket.void_ghost", "survey.answered"}
    for (status, kind), new in TRANSITIONS.items():
        assert isinstance(status, TicketStatus) and isinstance(new, TicketStatus)
        assert kind in kinds


def test_final_states_are_only_left_by_late_evidence_or_a_returning_no_show():
    exits = {(s, k) for (s, k), new in TRANSITIONS.items() if s != new}
    assert {(s, k) for s, k in exits if s in {ST.SERVED, ST.CANCELLED, ST.VOID}} == set()
    assert {k for s, k in exits if s == ST.NO_SHOW} == {"ticket.done", "ticket.recalled"}


def test_a_no_show_who_turns_up_is_recalled_by_a_counter_that_called_them():
    log = Log()
    log.issue(1)
    log.issue(2)
    call = log.call("C1", key(1))
    log.skip("C1", key(1), call)
    log.recall("C2", key(1), call)  # never called it: refused
    assert log.state.tickets[key(1)].status == ST.NO_SHOW
    assert log.state.rejections[-1]["reason"] == "not_holder"
    again = log.recall("C1", key(1), call)
    t = log.state.tickets[key(1)]
    assert (t.status, t.holder, t.call_id, t.recalls, t.finished_ms) == (
        ST.CALLED,
        "C1",
        again.id,
        1,
        None,
    )
    assert log.state.counter_view("C1").call_id == again.id
    log.skip("C1", key(1), call)  # names the old call: does not end the recall
    assert log.state.tickets[key(1)].status == ST.CALLED
    log.done("C1", key(1), again)
    assert log.state.tickets[key(1)].status == ST.SERVED
    assert log.state.counter_view("C1").current is None


def test_recalling_a_no_show_retracts_the_counters_other_call():
    log = Log()
    log.issue(1)
    log.issue(2)
    call = log.call("C1", key(1))
    log.skip("C1", key(1), call)
    log.call("C1", key(2))
    log.recall("C1", key(1), call)
    assert log.types() == ["call.retracted"]
    assert log.state.tickets[key(2)].status == ST.WAITING
    assert log.state.counter_view("C1").current == key(1)


def test_call_done_lifecycle_sets_holder_counter_and_timestamps():
    log = Log()
    log.issue(1, est_ms=T0 + 1_000)
    call = log.call("C1", key(1))
    t = log.state.tickets[key(1)]
    assert (t.status, t.holder, t.call_id) == (ST.CALLED, "C1", call.id)
    assert log.state.counter_view("C1").label == "B-001"
    assert t.issued_ms == T0 + 1_000 and t.called_ms == T0 + 2_000
    log.done("C1", key(1), call)
    t = log.state.tickets[key(1)]
    assert (t.status, t.served_by, t.holder, t.finished_ms) == (ST.SERVED, "C1", None, T0 + 3_000)
    view = log.state.counter_view("C1")
    assert view.current is None and view.label is None and view.last_done == key(1)


def test_skip_makes_no_show_and_clears_the_display():
    log = Log()
    log.issue(1)
    call = log.call("C1", key(1))
    log.skip("C1", key(1), call)
    assert log.state.tickets[key(1)].status == ST.NO_SHOW
    assert log.state.counter_view("C1").current is None


def test_recall_keeps_the_call_and_counts():
    log = Log()
    log.issue(1)
    call = log.call("C1", key(1))
    log.recall("C1", key(1), call)
    log.recall("C1", key(1), call)
    t = log.state.tickets[key(1)]
    assert t.status == ST.CALLED and t.recalls == 2 and t.call_id == call.id
    assert [r["kind"] for r in log.state.recent_calls] == ["recalled", "recalled", "called"]


def test_recall_by_another_counter_is_rejected():
    log = Log()
    log.issue(1)
    log.call("C1", key(1))
    log.recall("C2", key(1))
    assert log.state.tickets[key(1)].recalls == 0
    assert log.state.rejections[-1]["reason"] == "not_holder"


def test_cancel_of_a_called_ticket_clears_its_counter():
    log = Log()
    log.issue(1)
    log.call("C1", key(1))
    log.cancel(key(1))
    assert log.state.tickets[key(1)].status == ST.CANCELLED
    assert log.state.counter_view("C1").current is None


def test_events_on_unknown_tickets_are_rejected_not_raised():
    log = Log()
    log.done("C1", key(9))
    log.cancel(key(9))
    assert [r["reason"] for r in log.state.rejections] == ["unknown_ticket"] * 2
    assert log.state.tickets == {}


def test_waiting_order_is_priority_then_arrival_not_number():
    log = Log()
    log.issue(1, est_ms=T0 + 5_000)
    log.issue(41, mode="lease", kiosk="K2", est_ms=T0 + 2_000)  # offline, arrived earlier
    log.issue(2, est_ms=T0 + 6_000, priority=-1)  # priority visitor (lansia, disabilitas)
    assert [t.label for t in log.state.waiting("B")] == ["B-002", "B-041", "B-001"]
    assert log.state.position(key(1)) == 2
    assert log.state.position(key(2)) == 0


def test_position_counts_only_the_same_service_and_is_zero_once_called():
    log = Log()
    log.issue(1, "A")
    log.issue(1, "B")
    log.issue(2, "B")
    assert log.state.position(key(2, "B")) == 1
    log.call("C1", key(1, "B"))
    assert log.state.position(key(1, "B")) == 0
    assert log.state.position(key(2, "B")) == 0


def test_next_number_is_one_past_issued_and_leased():
    log = Log()
    assert log.state.next_number(DAY, "B") == 1
    log.issue(1)
    log.lease("K1", 2, 9)
    assert log.state.next_number(DAY, "B") == 10
    log.issue(10)
    assert log.state.next_number(DAY, "B") == 11
    assert log.state.next_number(DAY, "A") == 1
    assert log.state.next_number("2026-11-29", "B") == 1


def test_rating_is_recorded_once_for_the_serving_counter():
    log = Log()
    log.issue(1)
    call = log.call("C1", key(1))
    log.done("C1", key(1), call)
    log.rate("C1", key(1), 4)
    assert log.state.tickets[key(1)].rating == 4 and log.last == []
    log.rate("C1", key(1), 1)
    assert log.state.tickets[key(1)].rating == 4
    assert log.types() == ["rating.rejected"] and log.last[0].body["reason"] == "already_rated"


@pytest.mark.parametrize("setup", ["waiting", "other_counter"])
def test_rating_of_a_ticket_not_served_here_is_rejected(setup):
    log = Log()
    log.issue(1)
    if setup == "other_counter":
        call = log.call("C2", key(1))
        log.done("C2", key(1), call)
    log.rate("C1", key(1), 3)
    assert log.state.tickets[key(1)].rating is None
    assert log.types() == ["rating.rejected"]


def test_roster_sets_services_and_choose_next_follows_it():
    log = Log()
    log.issue(1, "A", est_ms=T0 + 10)
    log.issue(1, "B", est_ms=T0 + 5)
    assert choose_next(log.state, "C1") is None  # no roster: serves nothing
    log.roster("C1", ["A"])
    assert choose_next(log.state, "C1").key == key(1, "A")
    log.roster("C1", ["A", "B"])
    assert choose_next(log.state, "C1").key == key(1, "B")  # earliest across its services
    log.roster("C1", ["A", "B"], open_=False)
    assert choose_next(log.state, "C1") is None


def test_roster_given_at_construction_seeds_counters():
    state = QueueState([Counter("C1", "Loket 1", 1, ("B",))])
    log = Log(state)
    log.issue(1)
    assert choose_next(state, "C1").key == key(1)


def test_choose_next_with_a_residue_class_takes_only_its_numbers():
    log = Log()
    for c in ("C1", "C2"):
        log.roster(c, ["B"])
    for n in (1, 2, 3, 4):
        log.issue(n)
    assert residues(log.state, "C1") == {"B": (0, 2)}
    assert residues(log.state, "C2") == {"B": (1, 2)}
    assert choose_next(log.state, "C1", residues(log.state, "C1")).number == 2
    assert choose_next(log.state, "C2", residues(log.state, "C2")).number == 1
    assert choose_next(log.state, "C1", (1, 2)).number == 1


def test_a_counter_with_an_empty_class_takes_the_tail_where_its_peer_comes_last():
    log = Log()
    for c in ("C1", "C2"):
        log.roster(c, ["B"])
    for n in (1, 3, 5):  # all of C2's class (1, 2)
        log.issue(n)
    assert choose_next(log.state, "C1", residues(log.state, "C1")) is None
    tail = choose_away_from_peers(log.state, "C1")
    assert tail.number == 5
    assert choose_next(log.state, "C2", residues(log.state, "C2")).number == 1  # the peer
    log.roster("C1", ["B"], open_=False)
    assert choose_away_from_peers(log.state, "C1") is None  # a closed counter calls nobody


def test_prefix_tickets_are_partitioned_by_hseq():
    log = Log()
    for c in ("C1", "C2"):
        log.roster(c, ["B"])
    log.issue(None, mode="prefix", kiosk="K2")  # hseq 3
    prefix_key = f"{DAY}/B-K2-1"
    assert choose_next(log.state, "C1", (0, 2)) is None
    assert choose_next(log.state, "C2", (1, 2)).key == prefix_key


def test_snapshot_is_json_and_shows_queue_counters_calls_counts():
    log = Log()
    log.roster("C1", ["B"])
    log.issue(1, public="pub-abcdefgh1234")
    log.issue(2)
    log.issue(3)
    call = log.call("C1", key(1))
    snap = json.loads(json.dumps(log.state.snapshot()))
    assert [w["label"] for w in snap["waiting"]["B"]] == ["B-002", "B-003"]
    assert [w["position"] for w in snap["waiting"]["B"]] == [0, 1]
    assert snap["counters"]["C1"]["label"] == "B-001"
    assert snap["recent_calls"][0]["call"] == call.id
    assert snap["counts"]["waiting"] == 2 and snap["counts"]["called"] == 1
    assert snap["next_number"] == {f"{DAY}/B": 4}
    assert snap["last_hseq"] == 5
    assert log.state.ticket_by_public("pub-abcdefgh1234").key == key(1)


def test_recent_calls_keep_the_last_ten():
    log = Log()
    for n in range(1, 13):
        log.issue(n)
        call = log.call("C1", key(n))
        log.done("C1", key(n), call)
    labels = [r["label"] for r in log.state.recent_calls]
    assert labels == [f"B-{n:03d}" for n in range(12, 2, -1)]


def test_counter_view_of_an_unknown_counter_is_closed_and_empty():
    view = QueueState().counter_view("C9")
    assert view.current is None and view.open is False


def test_apply_accepts_events_and_event_dicts_and_rejects_garbage():
    state = QueueState()
    e = make_event(
        "hub",
        "E",
        1,
        "lease.granted",
        body={"kiosk": "K1", "service": "B", "day": DAY, "lo": 1, "hi": 5},
    )
    state.apply(e.to_dict(), hseq=1, est_ms=T0)
    assert state.next_number(DAY, "B") == 6
    with pytest.raises(EventError, match="event.body.counter: required"):
        bad = make_record(2, T0, T0, e).copy()
        bad["event"] = {**e.to_dict(), "type": "ticket.done", "ticket": key(1), "body": {}}
        state.apply(bad)
    with pytest.raises(EventError):
        state.apply(42)


def test_tentative_events_queue_after_every_hub_ordered_ticket():
    log = Log()
    log.issue(1, est_ms=T0 + 9_000)
    own = make_event(
        "K2",
        "x",
        1,
        "ticket.issued",
        ticket=key(40),
        body={
            "service": "B",
            "number": 40,
            "label": "B-040",
            "day": DAY,
            "mode": "lease",
            "kiosk": "K2",
            "priority": 0,
            "lease": None,
        },
        clock={"wall_ms": T0},
    )
    log.state.apply(own)  # a node's own unacknowledged event: no hseq yet
    t = log.state.tickets[key(40)]
    assert t.order[2] > TENTATIVE_HSEQ and t.issued_ms == T0
    assert log.state.last_hseq == 1


def test_copy_is_independent():
    log = Log()
    log.issue(1)
    snap = log.state.copy()
    log.call("C1", key(1))
    assert snap.tickets[key(1)].status == ST.WAITING
    assert snap.counter_view("C1").current is None


def test_fold_of_records_equals_the_incremental_state():
    log = Log()
    log.roster("C1", ["B"])
    log.issue(1)
    call = log.call("C1", key(1))
    log.transfer("C1", key(1), "A", call)
    fresh = fold(log.records)
    assert fresh.snapshot() == log.state.snapshot()
    assert fresh.tickets == log.state.tickets


def test_choose_next_can_ignore_leftovers_of_another_day():
    log = Log()
    log.roster("C1", ["B"])
    log.issue(1)
    assert choose_next(log.state, "C1", day=DAY).key == key(1)
    assert choose_next(log.state, "C1", day="2026-11-29") is None
    assert log.state.waiting("B", day="2026-11-29") == []


def test_yesterdays_leftovers_are_neither_called_nor_counted_today() -> None:
    """The fold has no calendar: the hub passes the service day to choose_next/snapshot."""
    from core.events import make_event, make_record
    from core.queue import QueueState, choose_next

    def issued(hseq: int, day: str, number: int) -> dict:
        label = f"A-{number:03d}"
        body = {
            "service": "A",
            "number": number,
            "label": label,
            "day": day,
            "mode": "online",
            "kiosk": "K1",
            "priority": 0,
            "lease": None,
        }
        ev = make_event(
            "hub", "e1", hseq, "ticket.issued", ticket=f"{day}/{label}", req=f"r{hseq}", body=body
        )
        return make_record(hseq, hseq, hseq, ev)

    state = QueueState()
    roster = make_event(
        "hub", "e1", 99, "roster.updated", body={"counter": "C1", "services": ["A"], "open": True}
    )
    state.apply(make_record(1, 1, 1, roster))
    state.apply(issued(2, "2026-11-27", 40))
    state.apply(issued(3, "2026-11-28", 1))
    assert choose_next(state, "C1", day="2026-11-28").label == "A-001"
    assert choose_next(state, "C1").label == "A-040"  # without a day: the old behaviour
    today = state.snapshot(day="2026-11-28")["waiting"]["A"]
    assert [t["label"] for t in today] == ["A-001"]
    assert state.position("2026-11-28/A-001") == 0
