"""A floor's hall display node shows and speaks only its zone (``core.zones``, the rule of
the hub's ``/board?zone=``): its catalogue entry selects, live, and the node profile's
``[node] zone`` / ``services`` narrow further. The running text line reaches it by the feed.

Downstairs (lantai-1): Dukcapil's A at loket 1. Upstairs (lantai-2): BPJS's B at loket 2, 3.
"""

from __future__ import annotations

from core.announce import call_clips
from core.catalogue import value_of


def edit(hub, kind: str, entity_id: str, **changes) -> None:
    value = value_of(hub.authority.catalogue().to_dict(), kind, entity_id)
    hub.authority.change_catalogue("set", kind, entity_id, {**value, **changes}, by="manajer")


def two_floors(hub) -> None:
    edit(hub, "agency", "dukcapil", zone="lantai-1")
    edit(hub, "agency", "bpjs", zone="lantai-2")
    edit(hub, "counter", "C1", zone="lantai-1")  # serves A and B: says where it stands


def issue(make_node, *keys: str) -> list[str]:
    kiosk = make_node("K1", "kiosk")
    for key in keys:
        kiosk.press(key)
        kiosk.step()
    return [t.label for t in kiosk.ctx.devices.printer.tickets]


def call_one_each(make_node) -> tuple[str, str]:
    """An A ticket called at loket 1, a B ticket at loket 2."""
    a, b = issue(make_node, "a", "b")
    for counter in ("C1", "C2"):
        node = make_node(counter, "counter")
        node.step()
        node.press("next")
        node.step()
    return a, b


def test_a_floor_screen_shows_and_speaks_only_its_counters_calls(hub, make_node):
    two_floors(hub)
    edit(hub, "display", "D1", zone="lantai-1")
    hall = make_node("D1", "display")
    hall.step()
    a, _ = call_one_each(make_node)
    hall.step()
    assert hall.ctx.devices.announcer.played == [call_clips(a, 1)]
    frame = hall.ctx.devices.screen.last
    assert frame["now"] == {"label": a, "counter": 1}
    assert [c["label"] for c in frame["recent"]] == [a]
    assert [w["service"] for w in frame["waiting"]] == ["A"]
    assert hall.status()["zone"]["counters"] == ["C1"]

    # The admin moves the screen upstairs: the next call there is shown and said.
    edit(hub, "display", "D1", zone="lantai-2")
    [b2] = issue(make_node, "b")
    c3 = make_node("C3", "counter")
    c3.step()
    c3.press("next")
    c3.step()
    hall.step()
    assert hall.ctx.devices.announcer.played[-1] == call_clips(b2, 3)
    assert [w["service"] for w in hall.ctx.devices.screen.last["waiting"]] == ["B"]


def test_the_node_profiles_zone_and_services_narrow_the_screen(hub, make_node):
    two_floors(hub)
    upstairs = make_node("D1", "display", zone="lantai-2")
    upstairs.step()
    _, b = call_one_each(make_node)
    upstairs.step()
    assert upstairs.ctx.devices.announcer.played == [call_clips(b, 2)]
    assert [w["service"] for w in upstairs.ctx.devices.screen.last["waiting"]] == ["B"]


def test_services_alone_narrow_a_screen_too(hub, make_node):
    only_a = make_node("D1", "display", services=["A"])
    only_a.step()
    a, _ = call_one_each(make_node)
    only_a.step()
    assert only_a.ctx.devices.announcer.played == [call_clips(a, 1)]
    assert [w["service"] for w in only_a.ctx.devices.screen.last["waiting"]] == ["A"]
    assert only_a.status()["config_problems"] == []


def test_a_zone_the_catalogue_does_not_know_is_reported(hub, make_node):
    hall = make_node("D1", "display", zone="lantai-9")
    hall.step()
    problems = hall.status()["config_problems"]
    assert problems == ["unknown zone 'lantai-9'; known: none"]
    assert hall.ctx.devices.screen.last["waiting"] == []  # it shows nothing, not everything


def test_the_running_text_reaches_the_display_node(hub, make_node):
    two_floors(hub)
    hall = make_node("D1", "display", zone="lantai-1")
    hall.step()
    for zone, text in ((None, "Selamat datang"), ("lantai-2", "BPJS tutup 12.00")):
        hub.authority.commit_hub_event(
            "hall.running_text", body={"text": text, "zone": zone, "by": "spv"}
        )
    hall.step()
    assert hall.ctx.devices.screen.last["running_text"] == "Selamat datang"
    hub.authority.commit_hub_event(
        "hall.running_text", body={"text": "Dukcapil: bawa KK", "zone": "lantai-1", "by": "spv"}
    )
    hall.step()
    assert hall.ctx.devices.screen.last["running_text"] == "Dukcapil: bawa KK"


def test_a_ticket_sent_upstairs_leaves_the_ground_floor_screen(hub, make_node):
    two_floors(hub)
    downstairs = make_node("D1", "display", zone="lantai-1")
    downstairs.step()
    [a] = issue(make_node, "a")
    c1 = make_node("C1", "counter")
    c1.step()
    c1.press("next")
    c1.step()
    downstairs.step()
    assert downstairs.ctx.devices.screen.last["now"] == {"label": a, "counter": 1}
    hub.authority.counter_command("C1", "transfer", "t1", to="B")
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    downstairs.step()
    assert downstairs.ctx.devices.screen.last["now"] is None
