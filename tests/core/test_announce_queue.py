"""The hall's scheduling rule: the shared case table, plus properties over random sequences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.announce_queue import DEFAULT_MAX_AGE_S, AnnounceQueue, Outcome

CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "announce_queue_cases.json").read_text("utf-8")
)["cases"]


def run_case(case: dict) -> None:
    q = AnnounceQueue(case["max_age_ms"])
    for op, args, expected in case["steps"]:
        if op == "offer":
            outcome, _ = q.offer(args["clips"], args["at"], args["now"])
            assert outcome == expected, (op, args)
        elif op == "take":
            item, dropped = q.take(args["now"])
            got = {
                "play": None if item is None else list(item.clips),
                "dropped": [list(d.clips) for d in dropped],
            }
            assert got == expected, (op, args)
        elif op == "pending":
            assert [list(p.clips) for p in q.pending] == expected
        else:
            raise AssertionError(f"unknown op {op!r}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict) -> None:
    run_case(case)


def test_defaults_and_bad_limits() -> None:
    assert AnnounceQueue().max_age_ms == DEFAULT_MAX_AGE_S * 1000
    for bad in (0, -1, 1.5, True, "60"):
        with pytest.raises(ValueError, match="max_age_ms"):
            AnnounceQueue(bad)  # type: ignore[arg-type]


def test_the_log_label_names_the_call() -> None:
    q = AnnounceQueue(1000)
    _, item = q.offer(["chime", "huruf_b"], 0, 0, label="B-023 -> loket 3")
    assert item.describe() == "B-023 -> loket 3"
    assert q.offer(["x"], 0, 0)[1].describe() == "x"
    assert q.clear() and len(q) == 0


# A random hall: offers of a few distinct calls and takes, with time moving forward.
ops = st.lists(
    st.tuples(
        st.sampled_from(["offer", "take"]),
        st.integers(0, 3),  # which call
        st.integers(0, 4000),  # time step
        st.integers(0, 15000),  # how old the call already is when offered
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_properties(steps) -> None:
    limit = 10_000
    q = AnnounceQueue(limit)
    now = 0
    first_queued: dict[tuple, int] = {}  # pending call -> order it was queued in
    order = 0
    for op, call, dt, age in steps:
        now += dt
        clips = ("chime", str(call))
        if op == "offer":
            outcome, item = q.offer(clips, now - age, now)
            if age > limit:
                assert outcome is Outcome.STALE
            elif clips in first_queued:
                assert outcome is Outcome.COLLAPSED and item.at_ms >= now - age
            else:
                assert outcome is Outcome.QUEUED
                first_queued[clips] = order
                order += 1
        else:
            item, dropped = q.take(now)
            # Nothing said is older than the limit; everything dropped is.
            assert item is None or item.age_ms(now) <= limit
            assert all(d.age_ms(now) > limit for d in dropped)
            gone = [d.clips for d in dropped] + ([item.clips] if item else [])
            # Taken in the order they were first queued (the front of the queue).
            assert [first_queued[c] for c in gone] == sorted(first_queued.values())[: len(gone)]
            for c in gone:
                del first_queued[c]
        pending = [p.clips for p in q.pending]
        assert len(pending) == len(set(pending))  # never the same words twice
        assert set(pending) == set(first_queued)
