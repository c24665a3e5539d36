"""Issue 9 item 5 at a counter built the way `loket node run` builds it from a shipped
profile: real gpiozero buttons and a TM1637 display on MockFactory pins, the test hub
behind the transport. NEXT while serving finishes that visit and calls the next one."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import T0, FlaskTransport
from test_agent_counter import issue

from core.clock import FakeClock
from core.config import load_node_config
from core.paths import firmware_config_dir

mock = pytest.importorskip("gpiozero.pins.mock")

NEXT_PIN = 17  # counter-tm1637.toml [buttons.pins] next


def shipped_counter(tmp_path: Path, name: str = "counter-tm1637.toml"):
    """The shipped profile as a technician installs it, with mock pins for this machine."""
    text = (firmware_config_dir() / "node" / name).read_text("utf-8")
    text = re.sub(r'(?m)^pin_factory = "lgpio"', 'pin_factory = "mock"', text)
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "node-C3"}"', text)
    profile = tmp_path / "counter.toml"
    profile.write_text(text, "utf-8")
    return load_node_config(profile)


@pytest.fixture
def counter(tmp_path, hub, monkeypatch):
    """Counter C3 from the shipped TM1637 profile; yields (node, factory of its buttons)."""
    from node.app import build_node
    from node.hardware import pins

    factories = []
    original = pins.make_pin_factory

    def recording(name=None):
        factories.append(original(name))
        return factories[-1]

    monkeypatch.setattr(pins, "make_pin_factory", recording)
    clock = FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="C3-boot")
    node = build_node(shipped_counter(tmp_path), transport=FlaskTransport(hub, "C3"), clock=clock)
    node.start(threads=False)
    node.ctx.sync.step()
    node.drain()
    buttons = next(f for f in factories if any(NEXT_PIN in info.names for info in f.pins))
    yield node, buttons
    node.stop()


def press_next(node, factory, hub) -> None:
    """Press NEXT like a clerk: down 100 ms, up; wait for the call it makes at the hub."""
    before = len(hub.events("ticket.called"))
    pin = factory.pin(NEXT_PIN)
    pin.drive_low()
    time.sleep(0.1)
    pin.drive_high()
    deadline = time.monotonic() + 10
    while len(hub.events("ticket.called")) == before:
        assert time.monotonic() < deadline, "NEXT never reached the hub"
        node.drain()
        time.sleep(0.02)
    node.ctx.sync.step()
    node.drain()
    time.sleep(1.05)  # the profile's min_interval_ms: the next press is a new one


def test_next_ten_times_serves_ten_different_visitors(hub, make_node, counter):
    node, factory = counter
    labels = issue(make_node, hub, 11)
    for _ in range(10):
        press_next(node, factory, hub)
    called = [e["ticket"] for e in hub.events("ticket.called") if e["body"]["counter"] == "C3"]
    assert len(called) == len(set(called)) == 10
    done = [e["ticket"] for e in hub.events("ticket.done")]
    assert done == called[:9]  # each press finished the visit before it
    assert not hub.events("call.retracted")  # nobody was handed back to the queue
    state = hub.authority.state
    assert [state.tickets[k].status for k in called[:9]] == ["served"] * 9
    assert node.role.status()["showing"] == state.tickets[called[-1]].label
    assert state.tickets[called[-1]].label in labels


def test_offline_next_while_serving_finishes_that_visit_too(hub, make_node):
    issue(make_node, hub, 4)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.transport.down = True
    for _ in range(3):
        c2.press("next")
        c2.step()
    own = [(e["type"], e["ticket"]) for e in c2.ctx.outbox.own_events() if e["ticket"]]
    calls = [t for kind, t in own if kind == "ticket.called"]
    assert len(set(calls)) == 3
    assert [t for kind, t in own if kind == "ticket.done"] == calls[:2]
    c2.transport.down = False
    c2.step()
    state = hub.authority.state
    assert [state.tickets[k].status for k in calls] == ["served", "served", "called"]


def flashes(counter) -> list[str]:
    return [f.text for f in counter.ctx.devices.display.history if f.mode == "flash"]


def configure(hub, counter_id: str, **changes) -> None:
    """An admin's catalogue edit of one counter (contract C1), as the edit screens make it."""
    value = next(
        c for c in hub.authority.catalogue().to_dict()["counters"] if c["id"] == counter_id
    )
    hub.authority.change_catalogue(
        "set", "counter", counter_id, {k: v for k, v in {**value, **changes}.items() if k != "id"}
    )


def add_service(hub, service_id: str) -> None:
    hub.authority.change_catalogue(
        "set", "service", service_id, {"prefix": service_id, "name": "Pajak", "agency": "bpjs"}
    )


# -- pause / resume by a button hold -------------------------------------------------------------


def test_hold_recall_pauses_and_resumes_the_counter_online(hub, make_node):
    issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("recall", "hold")
    c2.step()
    assert hub.authority.state.counters["C2"].open is False
    roster = hub.events("roster.updated")[-1]
    assert roster["body"] == {"counter": "C2", "services": ["B"], "open": False, "by": "C2"}
    assert "TUNDA" in flashes(c2)
    assert c2.ctx.devices.display.history[-1].mode in ("closed", "flash")
    assert [f.mode for f in c2.ctx.devices.display.history if f.mode != "flash"][-1] == "closed"
    c2.press("next")  # a paused counter calls nobody
    c2.step()
    assert not [e for e in hub.events("ticket.called") if e["body"]["counter"] == "C2"]
    c2.press("recall", "hold")
    c2.step()
    assert hub.authority.state.counters["C2"].open is True and "OPEN" in flashes(c2)
    c2.press("next")
    c2.step()
    assert [e for e in hub.events("ticket.called") if e["body"]["counter"] == "C2"]


def test_an_offline_pause_is_the_counters_own_event_and_the_hub_honours_it(hub, make_node):
    issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.transport.down = True
    c2.press("recall", "hold")
    c2.step()
    own = [e for e in c2.ctx.outbox.own_events() if e["type"].startswith("counter.")]
    assert [(e["type"], e["body"]) for e in own] == [("counter.paused", {"counter": "C2"})]
    assert c2.ctx.view.state().counter_view("C2").open is False  # the local fold honours it
    c2.press("next")  # offline too: nobody is called while paused
    c2.step()
    assert not [e for e in c2.ctx.outbox.own_events() if e["type"] == "ticket.called"]
    c2.transport.down = False
    c2.step()
    assert hub.authority.state.counters["C2"].open is False
    answer = hub.app.test_client().post(
        "/api/v1/counters/C2/next", json={"req": "x1"},
        headers={"Authorization": f"Bearer {hub.tokens['C2']}"},
    )  # fmt: skip
    assert answer.json["reason"] == "counter_closed"


# -- transfer: cycle the targets on the LED, hold to send -----------------------------------------


def test_transfer_cycles_targets_on_the_led_and_a_hold_sends_it(hub, make_node):
    add_service(hub, "C")
    configure(hub, "C2", transfer_to=["A", "C", "B"])
    issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    serving = c2.ctx.view.state().counter_view("C2").current
    c2.press("transfer")
    c2.drain()
    c2.press("transfer")
    c2.drain()
    c2.press("transfer")  # B is the ticket's own service: never a target
    c2.drain()
    assert flashes(c2)[-3:] == ["A", "C", "A"]
    c2.press("transfer")  # C: nobody serves C, so the hold is refused on the LED
    c2.drain()
    c2.press("transfer", "hold")
    c2.drain()
    assert flashes(c2)[-1] == "C --"
    assert not hub.events("ticket.transferred")
    c2.press("transfer")
    c2.drain()
    c2.press("transfer", "hold")  # A is shown: sent there
    c2.drain()
    c2.step()
    assert flashes(c2)[-1] == "GO A"
    moved = hub.authority.state.tickets[serving]
    assert moved.service == "A" and moved.status == "waiting"
    assert "first" not in hub.events("ticket.transferred")[-1]["body"]  # keeps its place


def test_a_single_target_is_sent_by_the_second_press_and_can_put_first(hub, make_node):
    configure(hub, "C2", transfer_to=["A"], transfer_first=True)
    labels = issue(make_node, hub, 1)
    issue(make_node, hub, 2, key="a")  # two visitors already wait for A
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    c2.press("transfer")
    c2.drain()
    c2.press("transfer")
    c2.drain()
    c2.step()
    assert flashes(c2)[-2:] == ["A", "GO A"]
    state = hub.authority.state
    assert state.waiting("A")[0].label == labels[0]  # put first in A's queue


def test_transfer_with_nobody_served_shows_no(hub, make_node):
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("transfer")
    c2.drain()
    assert flashes(c2)[-1] == "----"


# -- ratings and the grace window on the LED -----------------------------------------------------


def test_a_rating_is_acknowledged_on_the_led(hub, make_node):
    issue(make_node, hub, 1)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.press("done")
    c2.press("rate_4")
    c2.step()
    assert flashes(c2)[-1] == "- 4 -"
    assert [e["body"]["score"] for e in hub.events("ticket.rated")] == [4]


def test_hold_skip_recalls_only_within_the_grace_window(hub, make_node, hub_clock):
    issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.press("skip")
    c2.step()
    c2.clock.advance(601_000)
    hub_clock.advance(601_000)
    c2.press("skip", "hold")
    c2.step()
    assert flashes(c2)[-1] == "----"
    assert not hub.events("ticket.recalled")
    assert "grace" in c2.role.status()["last_error"]
