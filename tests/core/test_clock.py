"""Clocks and the hybrid logical clock (docs/sync.md §4, §8.4 bug 11)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import HLC, MAX_OFFSET_MS, FakeClock, SystemClock, format_hlc, parse_hlc

HUB_NOW = 1_764_316_800_000


def test_system_clock_reads_sane_values():
    clock = SystemClock()
    assert clock.wall_ms() > HUB_NOW - 10**12  # after 1994, i.e. a millisecond wall clock
    first = clock.mono_ms()
    assert clock.mono_ms() >= first >= 0
    assert clock.boot_id() == SystemClock().boot_id() != ""


def test_fake_clock_advance_jump_reboot():
    clock = FakeClock(wall_ms=HUB_NOW, mono_ms=500, boot_id="b")
    clock.advance(1_000)
    assert (clock.wall_ms(), clock.mono_ms()) == (HUB_NOW + 1_000, 1_500)
    clock.jump_wall(-3_600_000)
    assert (clock.wall_ms(), clock.mono_ms()) == (HUB_NOW - 3_599_000, 1_500)
    clock.reboot(wall_ms=0)
    assert (clock.wall_ms(), clock.mono_ms()) == (0, 0)
    assert clock.boot_id() not in ("b", "")
    before = clock.boot_id()
    clock.reboot()
    assert clock.boot_id() != before and clock.wall_ms() == 0


def test_hlc_format_and_parse():
    assert format_hlc(HUB_NOW, 3, "C07") == "1764316800000.00003.C07"
    assert parse_hlc("1764316800000.00003.C07") == (HUB_NOW, 3, "C07")
    assert format_hlc(5, 0, "K1") == "0000000000005.00000.K1"
    for bad in ("", "12.3.C1", "1764316800000.3.C07", "x764316800000.00003.C07"):
        with pytest.raises(ValueError):
            parse_hlc(bad)


def test_hlc_follows_wall_time_and_counts_within_a_millisecond():
    clock = FakeClock(wall_ms=HUB_NOW)
    hlc = HLC("C1", clock)
    assert hlc.now() == format_hlc(HUB_NOW, 0, "C1")
    assert hlc.now() == format_hlc(HUB_NOW, 1, "C1")
    clock.advance(5)
    assert hlc.now() == format_hlc(HUB_NOW + 5, 0, "C1")
    assert hlc.last() == format_hlc(HUB_NOW + 5, 0, "C1")


def test_hlc_does_not_go_back_when_the_wall_clock_does():
    clock = FakeClock(wall_ms=HUB_NOW)
    hlc = HLC("C1", clock)
    a = hlc.now()
    clock.jump_wall(-86_400_000)
    assert hlc.now() > a


def test_hlc_counter_overflow_borrows_a_millisecond():
    hlc = HLC("C1", FakeClock(wall_ms=HUB_NOW))
    hlc.restore(format_hlc(HUB_NOW, 99_999, "C1"))
    assert hlc.now() == format_hlc(HUB_NOW + 1, 0, "C1")


def test_restore_after_a_reboot_into_1970_keeps_the_clock_monotonic():
    clock = FakeClock(wall_ms=HUB_NOW)
    before = HLC("K1", clock)
    last = before.now()
    clock.reboot(wall_ms=1_000)  # no RTC, no fake-hwclock
    after = HLC("K1", clock)
    after.restore(last)
    assert after.now() > last


def test_bug11_node_in_1970_trusts_the_hub_time():
    node_clock = FakeClock(wall_ms=1_000)
    node = HLC("K1", node_clock)
    hub = HLC("hub", FakeClock(wall_ms=HUB_NOW))
    hub_time = hub.now()
    assert node.merge(hub_time, trusted=True) is None
    stamp = node.now()
    assert stamp > hub_time and parse_hlc(stamp)[0] == HUB_NOW


def test_hub_refuses_node_time_far_ahead_and_reports_the_skew():
    hub = HLC("hub", FakeClock(wall_ms=HUB_NOW))
    node = HLC("K1", FakeClock(wall_ms=HUB_NOW + MAX_OFFSET_MS + 60_000))
    skew = hub.merge(node.now(), trusted=False)
    assert skew == MAX_OFFSET_MS + 60_000
    assert parse_hlc(hub.now())[0] == HUB_NOW  # not dragged into the future


def test_hub_merges_node_time_within_the_offset():
    hub = HLC("hub", FakeClock(wall_ms=HUB_NOW))
    remote = HLC("K1", FakeClock(wall_ms=HUB_NOW + 60_000)).now()
    assert hub.merge(remote, trusted=False) is None
    assert hub.now() > remote


def test_node_behind_the_hub_is_always_merged_by_the_hub():
    hub = HLC("hub", FakeClock(wall_ms=HUB_NOW))
    assert hub.merge(format_hlc(1_000, 0, "K1"), trusted=False) is None
    assert parse_hlc(hub.now())[0] == HUB_NOW


ops = st.lists(
    st.one_of(
        st.tuples(st.just("now"), st.integers(0, 0)),
        st.tuples(st.just("advance"), st.integers(0, 5_000)),
        st.tuples(st.just("jump"), st.integers(-(10**9), 10**9)),
        st.tuples(st.just("merge"), st.integers(-(10**9), 10**9)),
        st.tuples(st.just("merge_untrusted"), st.integers(-(10**9), 10**9)),
        st.tuples(st.just("restart"), st.integers(0, HUB_NOW)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_hlc_values_only_increase_and_follow_merged_time(steps):
    clock = FakeClock(wall_ms=HUB_NOW)
    hlc = HLC("C1", clock)
    issued = [hlc.now()]
    for op, arg in steps:
        if op == "advance":
            clock.advance(arg)
        elif op == "jump":
            clock.jump_wall(max(arg, -clock.wall_ms()))
        elif op == "restart":
            clock.reboot(wall_ms=arg)
            hlc = HLC("C1", clock)
            hlc.restore(issued[-1])
        elif op in ("merge", "merge_untrusted"):
            remote = format_hlc(max(0, clock.wall_ms() + arg), 7, "hub")
            skew = hlc.merge(remote, trusted=op == "merge")
            stamp = hlc.now()
            if skew is None:
                assert stamp > remote  # causality: later than what it heard
            else:
                assert op == "merge_untrusted" and skew > MAX_OFFSET_MS
            issued.append(stamp)
            continue
        issued.append(hlc.now())
    assert issued == sorted(issued) and len(set(issued)) == len(issued)
    assert all(parse_hlc(s)[0] < 10**13 for s in issued)
