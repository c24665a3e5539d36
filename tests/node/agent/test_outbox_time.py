"""The node's time for service days and slips follows the hub's clock once its own steps.

``Outbox.now_ms`` after a push/pull answer carrying ``hub_ms`` (docs/trust.md, "A printed
ticket is never lost to a clock")."""

from __future__ import annotations

from core.clock import MAX_OFFSET_MS, FakeClock
from node.outbox import Outbox

HUB_MS = 1_795_831_200_000  # 2026-11-28 09:00 WIB
DAY_MS = 86_400_000


def outbox(tmp_path, clock: FakeClock) -> Outbox:
    return Outbox(tmp_path / "node", "K1", clock)


def test_a_wall_clock_step_after_the_hubs_answer_does_not_move_the_day(tmp_path):
    clock = FakeClock(wall_ms=HUB_MS + 1_000, mono_ms=50_000)
    box = outbox(tmp_path, clock)
    box.anchor_hub_now(HUB_MS)
    clock.advance(60_000)
    assert box.now_ms() == HUB_MS + 61_000  # within five minutes: our own wall clock
    clock.jump_wall(DAY_MS)
    assert box.now_ms() == HUB_MS + 60_000  # the hub's time carried on by the boot clock
    clock.jump_wall(-2 * DAY_MS)
    assert box.now_ms() == HUB_MS + 60_000
    clock.jump_wall(DAY_MS + MAX_OFFSET_MS - 2_000)  # back near the hub's time: our clock again
    assert box.now_ms() == HUB_MS + 61_000 + MAX_OFFSET_MS - 2_000
    box.close()


def test_after_a_reboot_the_anchor_is_gone_and_the_newest_hub_time_is_the_floor(tmp_path):
    clock = FakeClock(wall_ms=HUB_MS, mono_ms=50_000)
    box = outbox(tmp_path, clock)
    box.anchor_hub_now(HUB_MS)
    clock.reboot(wall_ms=0)  # no RTC: 1970
    assert box.now_ms() == HUB_MS
    clock.jump_wall(HUB_MS + 3 * DAY_MS)
    assert box.now_ms() == HUB_MS + 3 * DAY_MS  # nothing to tell a wrong clock from a weekend
    box.close()


def test_only_a_positive_integer_is_taken_as_the_hubs_time(tmp_path):
    clock = FakeClock(wall_ms=HUB_MS, mono_ms=50_000)
    box = outbox(tmp_path, clock)
    for bad in (None, "soon", 1.5e12, True, -5, 0):
        box.anchor_hub_now(bad)
    clock.jump_wall(DAY_MS)
    assert box.now_ms() == HUB_MS + DAY_MS
    box.close()


def test_a_wall_clock_before_1970_or_after_2286_still_stamps_events_the_hub_accepts(tmp_path):
    from core.clock import MAX_WALL_MS, parse_hlc, stamp

    for wall in (-3_600_000, 10**15):
        clock = FakeClock(wall_ms=wall, mono_ms=50_000)
        box = Outbox(tmp_path / f"node{wall}", "K1", clock)
        box.append_own("node.hello", stamp(clock))
        event = box.events()[-1]
        assert 0 <= event["clock"]["wall_ms"] <= MAX_WALL_MS
        assert event["body"]["wall_ms"] == event["clock"]["wall_ms"]
        assert len(event["hlc"].split(".")[0]) == 13 and parse_hlc(event["hlc"])
        box.close()
