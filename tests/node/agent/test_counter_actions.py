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
