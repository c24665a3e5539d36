"""Issue 3 acceptance: the real gpiozero button code (MockFactory pins) drives a counter node,
and what reaches the hub is asserted — a bounce storm calls one visitor, a long press of DONE
finishes and calls the next one."""

from __future__ import annotations

import pytest
from test_agent_counter import issue, shown

mock = pytest.importorskip("gpiozero.pins.mock")

from node.hardware.buttons import ButtonPanel  # noqa: E402

PINS = {"next": 17, "recall": 27, "skip": 22, "done": 23, "transfer": 24}


class MsClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wired(hub, make_node):
    """Counter C2 with a real ButtonPanel on mock pins; ``press(pin, held_ms)`` wiggles one."""
    factory = mock.MockFactory()
    clock = MsClock()
    labels = issue(make_node, hub, 3)
    c2 = make_node("C2", "counter")
    c2.step()
    config = {"pull_up": True, "debounce_ms": 30, "hold_ms": 1500, "min_interval_ms": 1000,
              "pins": PINS, "rating_pins": {}}  # fmt: skip
    panel = ButtonPanel(config, c2.press, pin_factory=factory, clock=clock, threaded=False)

    def settle(ms: float) -> None:
        clock.now += ms
        panel.tick()
        panel.dispatch()

    def press(pin: int, held_ms: float = 100, bounces: int = 0) -> None:
        p = factory.pin(pin)
        for _ in range(bounces):  # contact bounce: 1 ms pulses, never stable
            p.drive_low()
            settle(1)
            p.drive_high()
            settle(1)
        p.drive_low()
        settle(held_ms)
        p.drive_high()
        settle(50)
        c2.step()

    yield c2, press, settle, labels
    panel.close()
    factory.reset()


def calls_at_hub(hub, counter: str = "C2") -> list[str]:
    return [e["ticket"] for e in hub.events("ticket.called") if e["body"]["counter"] == counter]


def test_a_bounce_storm_and_mashing_call_one_visitor(hub, wired):
    c2, press, settle, labels = wired
    press(17, bounces=8)
    for _ in range(3):  # the clerk mashes NEXT within the minimum interval
        press(17, held_ms=60)
    assert calls_at_hub(hub) == [f"2026-11-28/{labels[0]}"]
    assert shown(c2) == labels[0]


def test_long_press_done_finishes_and_calls_the_next(hub, wired):
    c2, press, settle, labels = wired
    press(17)
    settle(1_000)  # past NEXT's minimum interval
    press(23, held_ms=2_000)  # hold DONE
    done = [e["ticket"] for e in hub.events("ticket.done")]
    assert done == [f"2026-11-28/{labels[0]}"]
    assert calls_at_hub(hub) == [f"2026-11-28/{labels[0]}", f"2026-11-28/{labels[1]}"]
    assert shown(c2) == labels[1]
