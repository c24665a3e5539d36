"""``day.closed`` in the fold: the day's tickets leave the state, every index with them, and
late events of that day are logged but never folded (hub and nodes run this same code)."""

from __future__ import annotations

from core.queue import QueueState
from tests.core.fold_helpers import DAY, Log, key


def close(log: Log, not_served: list[str]) -> None:
    log.add(
        "hub", "day.closed", body={"day": DAY, "not_served": not_served, "summary": {}, "by": "t"}
    )


def test_a_closed_day_leaves_the_state_and_its_late_events_are_not_folded():
    log = Log()
    for n in (1, 2, 3):
        log.issue(n, req=f"K1:i:r{n}")
    call = log.call("C1", key(1))
    log.done("C1", key(1), call)
    log.call("C2", key(2))
    assert log.state.counters["C2"].current == key(2)
    close(log, [key(2), key(3)])
    st = log.state
    assert st.tickets == {} and st.waiting() == [] and DAY in st.closed_days
    assert all(n == 0 for n in st.snapshot()["counts"].values())
    assert st.counters["C2"].current is None and st.counters["C1"].last_done is None
    assert st.snapshot()["next_number"] == {} and st.recent_calls == []
    assert st.ticket_by_public(key(3)) is None
    rejected = len(st.rejections)
    log.done("C2", key(2))
    assert st.tickets == {} and st.rejections[rejected]["reason"] == "day_closed"
    # a node folding the same records from scratch ends in the same state
    again = QueueState()
    for record in log.records:
        again.apply(record)
    assert again.snapshot() == st.snapshot() and again.closed_days == {DAY}
