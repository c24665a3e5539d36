"""Conflict rules of docs/sync.md §4 / §5.6 and the fold-level bugs of §8.4, as regressions."""

from __future__ import annotations

from fold_helpers import Log, key

from core.events import derived_id
from core.model import TicketStatus
from core.queue import fold

ST = TicketStatus


def _shown_by_holders(state) -> None:
    """§7.1 invariant 5: each CALLED ticket is exactly what its holder counter shows."""
    called = {t.holder: t.key for t in state.tickets.values() if t.status == ST.CALLED}
    assert len(called) == sum(1 for t in state.tickets.values() if t.status == ST.CALLED)
    for cid, cs in state.counters.items():
        assert cs.current == called.get(cid), cid
    for holder, tkey in called.items():
        assert state.counter_view(holder).current == tkey


def test_second_call_on_a_called_ticket_is_superseded():
    log = Log()
    log.issue(1)
    first = log.call("C1", key(1), mode="online")
    second = log.call("C2", key(1))
    assert log.types() == ["call.superseded"]
    sup = log.last[0]
    assert sup.id == derived_id(second.id, "call.superseded")
    assert sup.body == {"call": second.id, "counter": "C2", "winner": "C1", "ticket": key(1)}
    t = log.state.tickets[key(1)]
    assert (t.holder, t.call_id) == ("C1", first.id)
    assert t.callers == {"C1", "C2"}
    assert log.state.counter_view("C2").current is None
    _shown_by_holders(log.state)


def test_call_on_a_ticket_rerouted_meanwhile_loses_on_expect_service():
    log = Log()
    log.issue(1)
    call = log.call("C1", key(1))
    log.transfer("C1", key(1), "A", call)
    log.call("C2", key(1), "B")  # C2's offline view still had it in B
    assert log.types() == ["call.superseded"]
    assert log.last[0].body["winner"] is None
    assert log.state.tickets[key(1)].status == ST.WAITING
    log.call("C3", key(1), "A")
    assert log.last == [] and log.state.tickets[key(1)].holder == "C3"


def test_done_by_the_superseded_caller_beats_the_call():
    log = Log()
    log.issue(1)
    winner_call = log.call("C1", key(1), mode="online")
    log.call("C2", key(1))  # lost, but C2 served the visitor while offline
    log.done("C2", key(1))
    t = log.state.tickets[key(1)]
    assert (t.status, t.served_by) == (ST.SERVED, "C2")
    assert log.types() == ["call.superseded"]
    assert log.last[0].body == {
        "call": winner_call.id,
        "counter": "C1",
        "winner": "C2",
        "ticket": key(1),
    }
    assert log.state.counter_view("C1").current is None  # C1 auto-calls next
    _shown_by_holders(log.state)


def test_done_by_a_former_caller_beats_a_no_show():
    log = Log()
    log.issue(1)
    c1 = log.call("C1", key(1))
    log.call("C2", key(1))
    log.skip("C1", key(1), c1)
    log.done("C2", key(1))
    assert log.state.tickets[key(1)].status == ST.SERVED
    assert log.state.tickets[key(1)].served_by == "C2"
    assert log.last == []


def test_done_by_a_counter_that_never_called_is_rejected():
    log = Log()
    log.issue(1)
    log.call("C1", key(1))
    log.done("C3", key(1))
    t = log.state.tickets[key(1)]
    assert (t.status, t.holder) == (ST.CALLED, "C1")
    assert log.state.rejections[-1]["reason"] == "not_holder"


def test_double_done_keeps_the_first_and_flags_the_anomaly():
    log = Log()
    log.issue(1)
    c1 = log.call("C1", key(1))
    log.call("C2", key(1))
    log.done("C1", key(1), c1)
    log.done("C2", key(1))
    assert log.state.tickets[key(1)].served_by == "C1"
    assert log.types() == ["anomaly.double_service"]
    assert log.last[0].body == {"ticket": key(1), "first": "C1", "second": "C2"}


def test_transfer_only_from_the_holder():
    log = Log()
    log.issue(1)
    log.call("C1", key(1))
    bad = log.transfer("C2", key(1), "A")
    assert log.types() == ["transfer.rejected"]
    assert log.last[0].body == {"event": bad.id, "counter": "C2", "ticket": key(1)}
    t = log.state.tickets[key(1)]
    assert (t.status, t.service, t.holder) == (ST.CALLED, "B", "C1")


def test_transfer_of_a_requeued_ticket_is_rejected():
    log = Log()
    log.issue(1)
    call = log.call("C1", key(1))
    log.transfer("C1", key(1), "A", call)
    log.transfer("C1", key(1), "C", call)  # retry after the ticket is already waiting in A
    assert log.types() == ["transfer.rejected"]
    assert log.state.tickets[key(1)].service == "A"


def test_transfer_keeps_the_order_key():
    log = Log()
    log.issue(1, "B")
    log.issue(1, "A")
    call = log.call("C1", key(1, "B"))
    log.transfer("C1", key(1, "B"), "A", call)
    t = log.state.tickets[key(1, "B")]
    assert (t.status, t.service, t.transfers, t.holder) == (ST.WAITING, "A", ("A",), None)
    assert [w.key for w in log.state.waiting("A")] == [key(1, "B"), key(1, "A")]
    assert log.state.counter_view("C1").current is None


def test_fallback_call_with_the_same_req_retracts_the_hub_ghost_call():
    log = Log()
    log.issue(1)
    log.issue(2)
    ghost = log.call("C1", key(1), mode="online", req="C1:i:r5")  # reply never reached C1
    real = log.call("C1", key(2), req="C1:i:r5")  # C1's offline fallback, same button press
    assert log.types() == ["call.retracted"]
    assert log.last[0].body == {"call": ghost.id, "counter": "C1", "ticket": key(1)}
    assert log.state.tickets[key(1)].status == ST.WAITING
    assert log.state.tickets[key(2)].call_id == real.id
    assert [w.key for w in log.state.waiting("B")] == [key(1)]  # kept its place
    assert [r["call"] for r in log.state.recent_calls] == [real.id]
    _shown_by_holders(log.state)


def test_fallback_call_on_the_same_ticket_replaces_the_ghost_call():
    log = Log()
    log.issue(1)
    log.call("C1", key(1), mode="online", req="C1:i:r5")
    real = log.call("C1", key(1), req="C1:i:r5")
    assert log.types() == ["call.retracted"]
    t = log.state.tickets[key(1)]
    assert (t.status, t.holder, t.call_id) == (ST.CALLED, "C1", real.id)


def test_bug5_one_live_call_per_counter():
    # Call-next reply lost, no fallback: the counter's next call must not leave the first
    # ticket "CALLED by C1" on the hall board while C1 shows another.
    log = Log()
    log.issue(1)
    log.issue(2)
    ghost = log.call("C1", key(1), mode="online", req="C1:i:r1")
    log.call("C1", key(2), mode="online", req="C1:i:r2")
    assert log.types() == ["call.retracted"] and log.last[0].body["call"] == ghost.id
    assert log.state.tickets[key(1)].status == ST.WAITING
    assert log.state.counter_view("C1").current == key(2)
    assert all(r["ticket"] != key(1) for r in log.state.recent_calls)
    _shown_by_holders(log.state)


def test_online_issue_then_printed_lease_ticket_voids_the_ghost():
    log = Log()
    log.issue(31, req="K1:i:r9")  # hub issued it, the reply was lost
    log.issue(41, mode="lease", req="K1:i:r9")  # the kiosk printed this one instead
    assert log.types() == ["ticket.void_ghost"]
    assert log.last[0].body == {"ticket": key(31), "req": "K1:i:r9"}
    assert log.state.tickets[key(31)].status == ST.VOID
    assert [t.key for t in log.state.waiting()] == [key(41)]
    assert log.state.next_number("2026-11-28", "B") == 42  # a voided number is never reused


def test_online_issue_after_the_printed_ticket_is_born_void():
    log = Log()
    log.issue(41, mode="lease", req="K1:i:r9")
    log.issue(31, req="K1:i:r9")
    assert log.types() == ["ticket.void_ghost"]
    assert log.state.tickets[key(31)].status == ST.VOID
    assert log.state.tickets[key(41)].status == ST.WAITING


def test_bug6_called_ghost_is_voided_when_transferred_back():
    log = Log()
    log.issue(31, req="K1:i:r9")
    call = log.call("C1", key(31), mode="online")
    log.issue(41, mode="lease", req="K1:i:r9")
    assert log.last == []  # already called: only flagged for now
    assert log.state.tickets[key(31)].ghost and log.state.tickets[key(31)].status == ST.CALLED
    log.transfer("C1", key(31), "A", call)
    assert log.types() == ["ticket.void_ghost"]
    assert log.state.tickets[key(31)].status == ST.VOID
    assert log.state.waiting("A") == []
    assert log.state.counter_view("C1").current is None


def test_called_ghost_is_voided_when_its_call_is_retracted():
    log = Log()
    log.issue(31, req="K1:i:r9")
    log.issue(32)
    log.call("C1", key(31), mode="online", req="C1:i:r1")
    log.issue(41, mode="lease", req="K1:i:r9")
    log.call("C1", key(32), req="C1:i:r1")
    assert sorted(log.types()) == ["call.retracted", "ticket.void_ghost"]
    assert log.state.tickets[key(31)].status == ST.VOID


def test_bug8_finish_event_ends_only_the_call_it_names():
    log = Log()
    log.roster("C1", ["A", "B"])
    log.issue(1)
    call1 = log.call("C1", key(1))
    log.transfer("C1", key(1), "A", call1)
    call2 = log.call("C2", key(1), "A")
    log.transfer("C2", key(1), "B", call2)
    call3 = log.call("C1", key(1), "B")  # the ticket came back to the same counter
    log.skip("C1", key(1), call1)  # a stale finish of the first call
    t = log.state.tickets[key(1)]
    assert (t.status, t.call_id) == (ST.CALLED, call3.id)
    assert log.state.counter_view("C1").call_id == call3.id
    log.done("C1", key(1), call3)
    assert log.state.tickets[key(1)].status == ST.SERVED
    assert log.state.counter_view("C1").current is None


def test_evidence_done_does_not_blank_the_doers_own_new_call():
    log = Log()
    log.issue(1)
    log.issue(2)
    log.call("C1", key(1))
    log.call("C2", key(1))  # lost
    log.call("C2", key(2))  # C2 auto-called next...
    log.done("C2", key(1))  # ...after it had in fact served B-001
    assert log.state.counter_view("C2").current == key(2)
    assert log.state.counter_view("C2").last_done == key(1)
    assert log.state.counter_view("C1").current is None
    _shown_by_holders(log.state)


def test_bug9_counter_display_is_the_fold_after_evidence_done():
    # The holder's LED must go blank once someone else's done wins (ticket DONE, LED showing it).
    log = Log()
    log.issue(1)
    log.call("C2", key(1))
    log.call("C1", key(1))
    log.done("C1", key(1))
    assert log.state.tickets[key(1)].status == ST.SERVED
    assert log.state.counter_view("C2").current is None
    _shown_by_holders(log.state)


def test_bug1_derived_events_are_not_fold_inputs():
    log = Log()
    log.issue(1)
    log.issue(2)
    log.issue(31, req="K1:i:r9")
    log.issue(41, mode="lease", req="K1:i:r9")
    log.call("C1", key(1), mode="online", req="C1:i:r1")
    log.call("C2", key(1))
    log.call("C1", key(2), req="C1:i:r1")
    log.transfer("C2", key(2), "A")
    log.done("C1", key(2))
    log.rate("C1", key(2), 4)
    log.rate("C1", key(2), 4)
    log.call("C2", key(1))  # the retracted ticket is called for real now
    kinds = {d.type for d in log.derived}
    assert kinds == {
        "call.superseded",
        "call.retracted",
        "ticket.void_ghost",
        "transfer.rejected",
        "rating.rejected",
    }
    before = log.state.snapshot()
    tickets = dict(log.state.tickets)
    for hseq, d in enumerate(log.derived, start=len(log.records) + 1):
        assert log.state.apply(d) == []
        assert log.state.apply(d.to_dict()) == []
        assert (
            log.state.apply({"hseq": hseq, "recv_ms": 0, "est_ms": 0, "event": d.to_dict()}) == []
        )
    assert log.state.tickets == tickets
    assert {**log.state.snapshot(), "last_hseq": 0} == {**before, "last_hseq": 0}


def test_rederiving_from_a_fresh_fold_gives_the_same_ids():
    log = Log()
    log.issue(31, req="K1:i:r9")
    log.issue(41, mode="lease", req="K1:i:r9")
    log.issue(1)
    c1 = log.call("C1", key(1), mode="online")
    log.call("C2", key(1))
    log.done("C1", key(1), c1)
    log.done("C2", key(1))
    refold = []
    state = fold([])
    for record in log.records:
        refold.extend(state.apply(record))
    assert [d.to_dict() for d in refold] == [d.to_dict() for d in log.derived]
    assert len({d.id for d in refold}) == len(refold) == 3
