"""Hall display node: shows and speaks calls from its own replica, in order, never twice."""

from __future__ import annotations

from core.announce import call_clips


def kiosk_with(make_node, n: int) -> list[str]:
    kiosk = make_node("K1", "kiosk")
    for _ in range(n):
        kiosk.press("b")
        kiosk.step()
    return [t.label for t in kiosk.ctx.devices.printer.tickets]


def test_calls_are_shown_then_announced_in_order(hub, make_node):
    hall = make_node("D1", "display")
    labels = kiosk_with(make_node, 2)
    c2, c3 = make_node("C2", "counter"), make_node("C3", "counter")
    for c in (c2, c3):
        c.step()
        c.press("next")
        c.step()
    hall.step()
    played = hall.ctx.devices.announcer.played
    assert played == [call_clips(labels[0], 2), call_clips(labels[1], 3)]
    frame = hall.ctx.devices.screen.last
    assert frame["now"] == {"label": labels[1], "counter": 3}
    assert frame["recent"][:2] == [
        {"label": labels[1], "counter": 3},
        {"label": labels[0], "counter": 2},
    ]
    assert frame["offline"] is False

    c2.press("recall")
    c2.step()
    hall.step()
    assert played[-1] == call_clips(labels[0], 2)
    assert len(played) == 3


def test_the_hall_keeps_its_board_while_the_hub_restarts(hub, make_node):
    labels = kiosk_with(make_node, 2)
    hall = make_node("D1", "display")
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    hall.step()
    assert len(hall.ctx.devices.announcer.played) == 1

    hub.down = True
    hall.step()
    frame = hall.ctx.devices.screen.last
    assert frame["offline"] is True
    assert frame["now"]["label"] == labels[0]  # still on the board, from the replica

    hub.restart()
    hub.down = False
    hall.step()
    assert len(hall.ctx.devices.announcer.played) == 1  # nothing re-announced
    c2.press("next")
    c2.step()
    hall.step()
    assert hall.ctx.devices.announcer.played[-1] == call_clips(labels[1], 2)
    assert hall.ctx.devices.screen.last["offline"] is False


def test_calls_made_before_the_first_start_are_shown_not_spoken(hub, make_node):
    labels = kiosk_with(make_node, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    hall = make_node("D1", "display")
    hall.step()
    assert hall.ctx.devices.announcer.played == []
    assert hall.ctx.devices.screen.last["now"] == {"label": labels[0], "counter": 2}


def test_a_call_that_lost_is_never_announced(hub, make_node):
    labels = kiosk_with(make_node, 2)
    hall = make_node("D1", "display")
    c2, c3 = make_node("C2", "counter"), make_node("C3", "counter")
    c2.step()
    c3.step()
    c2.transport.down = True
    c2.press("next")  # offline call of B-001, which C3 gets online first
    c2.step()
    c3.press("next")
    c3.step()
    c2.transport.down = False
    c2.step()  # C2's call loses; it calls the next ticket by itself
    hall.step()
    played = hall.ctx.devices.announcer.played
    assert played == [call_clips(labels[0], 3), call_clips(labels[1], 2)]


def test_first_start_while_the_hub_is_down_does_not_read_out_history(hub, make_node):
    labels = kiosk_with(make_node, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    hub.down = True
    hall = make_node("D1", "display")  # never synced, cannot ask the hub where it stands
    hub.down = False
    hall.step()
    assert hall.ctx.devices.announcer.played == []
    assert hall.ctx.devices.screen.last["now"] == {"label": labels[0], "counter": 2}
    c2.press("next")
    c2.step()
    hall.step()
    assert hall.ctx.devices.announcer.played == [call_clips(labels[1], 2)]


def test_after_a_hub_restore_the_replayed_log_is_not_announced_again(hub, make_node):
    labels = kiosk_with(make_node, 3)
    hall = make_node("D1", "display")
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    hall.step()
    backup = hub.backup()
    hub.restore(backup)
    hall.step()
    c2.step()
    assert hall.ctx.devices.announcer.played == [call_clips(labels[0], 2)]
    assert hall.ctx.sync.replica.hub_epoch == hub.authority.epoch


def test_calls_the_hall_hears_late_after_its_own_outage_are_shown_not_said(
    hub, hub_clock, make_node, caplog
):
    labels = kiosk_with(make_node, 2)
    hall = make_node("D1", "display")
    c2, c3 = make_node("C2", "counter"), make_node("C3", "counter")
    c2.step()
    c3.step()
    hall.step()
    hall.transport.down = True  # the hall's cable is out; the counters keep calling
    c2.press("next")
    c2.step()
    hub_clock.advance(120_000)
    hall.clock.advance(120_000)
    c3.press("next")
    c3.step()
    hall.transport.down = False
    hall.step()
    announcer = hall.ctx.devices.announcer
    # Two minutes late is past the limit: the hall would only confuse people with it.
    assert announcer.played == [call_clips(labels[1], 3)]
    assert announcer.dropped == [call_clips(labels[0], 2)]
    frame = hall.ctx.devices.screen.last
    assert [c["label"] for c in frame["recent"][:2]] == [labels[1], labels[0]]
    assert any(f"{labels[0]} -> loket 2" in r.getMessage() for r in caplog.records)
    assert hall.status()["announce_dropped"] == 1


def test_the_board_clock_is_the_mpp_time_and_tiles_lead_with_the_letter(hub, make_node):
    kiosk_with(make_node, 3)
    hall = make_node("D1", "display")
    hall.step()
    frame = hall.ctx.devices.screen.last
    # T0 is 09:00 in Jakarta whatever timezone the Pi itself is set to.
    assert frame["clock"] == "09:00" and frame["utc_offset_min"] == 420
    assert 0 <= frame["clock_ms"] - 1_795_831_200_000 < 60_000  # the ticking base: hub time
    assert frame["waiting"] == [
        {"service": "A", "letter": "A", "name": "KTP Elektronik", "count": 0},
        {"service": "B", "letter": "B", "name": "BPJS", "count": 3},
    ]


def test_a_node_profile_without_mpp_takes_name_and_timezone_from_the_hub(hub, make_node):
    # A mall in WITA (the catalogue's mpp, changed in the log); the node's own profile (like
    # a real one) says nothing about the mall.
    mpp = hub.authority.state.catalogue.to_dict()["mpp"]
    hub.authority.change_catalogue("set", "mpp", "mpp", {**mpp, "timezone": "Asia/Makassar"})
    hall = make_node("D1", "display")
    del hall.ctx.config.mpp
    hall.step()
    hall.role.render()
    frame = hall.ctx.devices.screen.last
    assert frame["title"] == "MPP Uji"
    assert (frame["clock"], frame["utc_offset_min"]) == ("10:00", 480)  # 09:00 WIB
