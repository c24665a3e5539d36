"""The priority lane (C3): the rule ``choose_next`` applies, and its guarantees for both lanes
(a Hypothesis property over random arrivals and calls, on the real fold)."""

from __future__ import annotations

import os

import pytest
from fold_helpers import Log, key
from hypothesis import given, settings
from hypothesis import strategies as st

from core.catalogue_values import PriorityRule
from core.priority import is_priority
from core.queue import choose_next

EXAMPLES = int(os.environ.get("LOKET_FOLD_EXAMPLES", "100"))
CATEGORIES = ("lansia", "disabilitas", "ibu_hamil", "ibu_anak")


def staffed(*counters: str) -> Log:
    log = Log()
    for c in counters or ("C1",):
        log.roster(c, ["B"])
    return log


def serve_next(log: Log, counter: str, rule: PriorityRule):
    t = choose_next(log.state, counter, rule=rule)
    if t is None:
        return None
    call = log.call(counter, t.key, t.service)
    log.done(counter, t.key, call)
    return t


def test_max_in_row_two_priority_calls_then_one_normal():
    log = staffed()
    for n in range(1, 4):
        log.issue(n)  # normal B-001..003 arrive first
    for n in range(4, 9):
        log.issue(n, category="lansia")
    rule = PriorityRule("max_in_row", 2)
    order = [serve_next(log, "C1", rule).number for _ in range(8)]
    assert order == [4, 5, 1, 6, 7, 2, 8, 3]


def test_one_per_n_normal_calls_between_priority_ones():
    log = staffed()
    for n in range(1, 6):
        log.issue(n)
    for n in range(6, 9):
        log.issue(n, category="ibu_hamil")
    rule = PriorityRule("one_per", 2)
    order = [serve_next(log, "C1", rule).number for _ in range(8)]
    assert order == [6, 1, 2, 7, 3, 4, 8, 5]


def test_an_empty_lane_never_holds_the_other_back():
    log = staffed()
    for n in range(1, 5):
        log.issue(n, category="disabilitas")
    rule = PriorityRule("max_in_row", 1)
    assert [serve_next(log, "C1", rule).number for _ in range(4)] == [1, 2, 3, 4]


def test_old_logs_negative_priority_is_the_priority_lane():
    log = staffed()
    log.issue(1)
    log.issue(2, priority=-1)  # written before categories: "lower = earlier"
    t = log.state.tickets[key(2)]
    assert is_priority(t) and t.category is None
    assert choose_next(log.state, "C1").number == 2


def test_the_catalogue_rule_is_the_default():
    from core.catalogue import Catalogue

    cat = Catalogue.from_dict(
        {
            "mpp": {"name": "M", "priority": {"rule": {"kind": "max_in_row", "n": 1}}},
            "agencies": [{"id": "a", "name": "A"}],
            "services": [{"id": "B", "prefix": "B", "name": "B", "agency": "a"}],
            "counters": [{"id": "C1", "name": "L1", "number": 1, "services": ["B"]}],
        }
    )
    from core.queue import QueueState

    log = Log(QueueState(catalogue=cat))
    log.issue(1)
    log.issue(2, category="lansia")
    log.issue(3, category="lansia")
    order = []
    for _ in range(3):
        t = choose_next(log.state, "C1")
        order.append(t.number)
        log.done("C1", t.key, log.call("C1", t.key, "B"))
    assert order == [2, 1, 3]


@pytest.mark.parametrize("kind", ["max_in_row", "one_per"])
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_no_lane_waits_beyond_the_rule(kind, data):
    """Random arrivals in both lanes and calls at two counters sharing the service. At each
    counter: while a normal ticket waits, the priority calls in a row never pass n
    (max_in_row) or 1 (one_per); while a priority ticket waits, the normal calls in a row
    never pass 1 (max_in_row) or n (one_per). So no ticket of either lane waits unboundedly:
    every ticket is called once arrivals stop, within the bound."""
    n = data.draw(st.integers(1, 4), label="n")
    rule = PriorityRule(kind, n)
    log = staffed("C1", "C2")
    number = 0
    runs: dict[str, tuple[bool, int]] = {}
    for _ in range(data.draw(st.integers(1, 60), label="steps")):
        if data.draw(st.booleans(), label="arrive"):
            number += 1
            category = data.draw(st.sampled_from((None, None, *CATEGORIES)), label="category")
            log.issue(number, category=category)
            continue
        counter = data.draw(st.sampled_from(("C1", "C2")), label="counter")
        waiting = log.state.waiting("B")
        normal_waits = any(not is_priority(t) for t in waiting)
        priority_waits = any(is_priority(t) for t in waiting)
        t = serve_next(log, counter, rule)
        if t is None:
            assert not waiting
            continue
        lane = is_priority(t)
        prev = runs.get(counter)
        run = (lane, prev[1] + 1 if prev and prev[0] == lane else 1)
        runs[counter] = run
        if lane and normal_waits:
            assert run[1] <= (n if kind == "max_in_row" else 1), (kind, n, run)
        if not lane and priority_waits:
            assert run[1] <= (1 if kind == "max_in_row" else n), (kind, n, run)
        if lane:
            # within its lane, arrival order: nobody of the lane was waiting longer
            assert t.order == min(w.order for w in waiting if is_priority(w))
        else:
            assert t.order == min(w.order for w in waiting if not is_priority(w))
    # Arrivals stop: every waiting ticket is served in at most (waiting) calls.
    left = len(log.state.waiting("B"))
    for _ in range(left):
        assert serve_next(log, "C1", rule) is not None
    assert log.state.waiting("B") == []
