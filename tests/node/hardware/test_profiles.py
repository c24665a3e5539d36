"""The shipped counter profiles validate with core.config and build their devices."""

from pathlib import Path

import pytest

from node.hardware.buttons import FakeButtonPanel, make_buttons
from node.hardware.display import ConsoleDisplay, make_display

config = pytest.importorskip("core.config")

PROFILES = Path(__file__).resolve().parents[3] / "firmware_config" / "node"


def load(name):
    return config.load_node_config(PROFILES / name)


@pytest.mark.parametrize(
    "name", ["counter-max7219.toml", "counter-tm1637.toml", "counter-serial.toml"]
)
def test_real_profiles_build_buttons_on_mock_pins(name, mock_factory, clock):
    cfg = load(name)
    panel = make_buttons(cfg.buttons, pin_factory=mock_factory, clock=clock, threaded=False)
    try:
        assert {"next", "recall", "skip", "done", "transfer"} <= set(panel.names)
    finally:
        panel.close()


def test_max7219_profile_builds_with_a_recording_interface(clock):
    class Wire:
        def data(self, d):
            pass

        def command(self, *c):
            pass

        def cleanup(self):
            pass

    d = make_display(load("counter-max7219.toml").display, interface=Wire(), ticker=False)
    assert d.width == 8
    d.close()


def test_tm1637_profile_builds_on_mock_pins(mock_factory):
    d = make_display(load("counter-tm1637.toml").display, pin_factory=mock_factory, ticker=False)
    assert d.width == 4
    d.close()


def test_serial_profile_keys_reach_the_panel(monkeypatch):
    section = load("counter-serial.toml").display
    d = make_display({"backend": "serial", **dict(section.options), "url": "loop://"}, ticker=False)
    assert d.port.baudrate == 9600 and d.port.write_timeout == 1.0
    d.close()


def test_fake_profile_simulates_with_staff_and_rating_buttons(clock):
    cfg = load("counter-fake.toml")
    panel = make_buttons(cfg.buttons, clock=clock)
    assert isinstance(panel, FakeButtonPanel)
    assert set(panel.names) >= {"next", "done", "rate_4", "rate_1"}
    lines = []
    d = make_display(cfg.display, write=lines.append, ticker=False)
    assert isinstance(d, ConsoleDisplay)
    d.show("A-001")
    assert lines == ["[   A-001  ]"]
