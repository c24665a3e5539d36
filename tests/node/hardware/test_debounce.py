"""Debouncer: stable-level confirmation, press vs hold, minimum interval, stuck at start."""

from hypothesis import given
from hypothesis import strategies as st

from node.hardware.debounce import Debouncer


def run(deb, steps):
    """steps: (time_ms, level or None for a poll) -> all events in order."""
    out = []
    for t, level in steps:
        out += deb.poll(t) if level is None else deb.edge(level, t)
    return out


def test_clean_press_emits_press_on_release():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    assert run(deb, [(0, True), (40, None), (200, False)]) == []
    assert deb.poll(240) == ["press"]


def test_contact_bounce_counts_as_one_press():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    bounce_down = [(0, True), (1, False), (2, True), (4, False), (5, True)]
    bounce_up = [(300, False), (301, True), (303, False)]
    assert run(deb, bounce_down + [(50, None)] + bounce_up + [(400, None)]) == ["press"]


def test_spike_shorter_than_debounce_is_ignored():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    assert run(deb, [(0, True), (3, False), (100, None), (5000, None)]) == []
    assert not deb.pressed


def test_hold_fires_while_held_and_release_adds_no_press():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    assert run(deb, [(0, True), (40, None), (1499, None)]) == []
    assert deb.poll(1500) == ["hold"]
    assert run(deb, [(3000, False), (3100, None)]) == []


def test_hold_is_recognised_at_release_when_nobody_polled():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    assert run(deb, [(0, True), (2000, False), (2100, None)]) == ["hold"]


def test_hold_disabled_means_long_press_is_a_press():
    deb = Debouncer(debounce_ms=30, hold_ms=None, min_interval_ms=0)
    assert run(deb, [(0, True), (40, None), (9000, None), (9001, False), (9100, None)]) == ["press"]


def test_min_interval_drops_rapid_repeats_and_counts_them():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=1000)
    events = []
    for start in (0, 200, 400, 600, 800):  # five quick presses: a bouncing or mashed switch
        events += run(deb, [(start, True), (start + 50, False), (start + 100, None)])
    assert events == ["press"]
    assert deb.suppressed == 4
    assert run(deb, [(1200, True), (1250, False), (1300, None)]) == ["press"]


def test_button_down_at_start_emits_nothing_until_pressed_again():
    deb = Debouncer(debounce_ms=30, hold_ms=1500, min_interval_ms=0)
    deb.start(True, 0)
    assert run(deb, [(5000, None), (6000, False), (6100, None)]) == []
    assert run(deb, [(7000, True), (7100, False), (7200, None)]) == ["press"]


# -- properties ---------------------------------------------------------------------------

steps = st.lists(st.tuples(st.integers(0, 400), st.sampled_from([True, False, None])), max_size=80)


@given(steps, st.integers(0, 50), st.integers(0, 2000))
def test_any_signal_never_emits_faster_than_min_interval(raw, debounce_ms, min_interval_ms):
    deb = Debouncer(debounce_ms=debounce_ms, hold_ms=1500, min_interval_ms=min_interval_ms)
    now, times = 0, []
    for gap, level in raw:
        now += gap
        events = deb.poll(now) if level is None else deb.edge(level, now)
        times += [now] * len(events)
        assert len(events) <= 1
    assert all(b - a >= min_interval_ms for a, b in zip(times, times[1:], strict=False))


@given(steps)
def test_at_most_one_event_per_debounced_press(raw):
    deb = Debouncer(debounce_ms=20, hold_ms=300, min_interval_ms=0)
    now, presses, events = 0, 0, 0
    for gap, level in raw:
        now += gap
        was = deb.pressed
        events += len(deb.poll(now) if level is None else deb.edge(level, now))
        presses += int(deb.pressed and not was)
    assert events <= presses
