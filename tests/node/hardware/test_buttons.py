"""ButtonPanel on gpiozero MockFactory pins, FakeButtonPanel, the simulation keymap."""

import threading

import pytest

from node.hardware.buttons import (
    ButtonEvent,
    ButtonPanel,
    FakeButtonPanel,
    key_to_press,
    make_buttons,
)
from node.hardware.errors import HardwareError

PINS = {"next": 17, "recall": 27, "skip": 22, "done": 23, "transfer": 24}
RATING = {"sangat_puas": 5, "puas": 6, "kurang_puas": 13, "tidak_puas": 19}


def config(**over):
    cfg = {
        "backend": "gpio",
        "pull_up": True,
        "debounce_ms": 30,
        "hold_ms": 1500,
        "min_interval_ms": 1000,
        "pins": PINS,
        "rating_pins": RATING,
    }
    cfg.update(over)
    return cfg


@pytest.fixture
def panel(mock_factory, clock):
    got = []
    p = ButtonPanel(
        config(),
        lambda name, kind: got.append((name, kind)),
        pin_factory=mock_factory,
        clock=clock,
        threaded=False,
    )
    p.got = got
    yield p
    p.close()


def tap(factory, clock, panel, pin, held_ms=100):
    factory.pin(pin).drive_low()  # pull-up wiring: pressed = low
    clock.advance(held_ms)
    panel.tick()
    factory.pin(pin).drive_high()
    clock.advance(50)
    panel.tick()
    panel.dispatch()


def test_press_on_a_configured_pin_reaches_on_event(panel, mock_factory, clock):
    tap(mock_factory, clock, panel, 17)
    assert panel.got == [("next", "press")]


def test_long_press_is_a_hold_and_not_also_a_press(panel, mock_factory, clock):
    tap(mock_factory, clock, panel, 23, held_ms=2000)
    assert panel.got == [("done", "hold")]


def test_hold_is_delivered_while_the_button_is_still_down(panel, mock_factory, clock):
    mock_factory.pin(22).drive_low()
    clock.advance(40)
    panel.tick()
    clock.advance(1500)
    panel.tick()
    panel.dispatch()
    assert panel.got == [("skip", "hold")]


def test_rating_row_emits_scores(panel, mock_factory, clock):
    for pin in (5, 19):
        tap(mock_factory, clock, panel, pin, held_ms=3000)  # no hold on ratings
    assert panel.got == [("rate_4", "press"), ("rate_1", "press")]


def test_bouncy_switch_calls_once(panel, mock_factory, clock):
    pin = mock_factory.pin(17)
    for _ in range(5):
        pin.drive_low()
        clock.advance(1)
        pin.drive_high()
        clock.advance(1)
    pin.drive_low()
    clock.advance(100)
    panel.tick()
    pin.drive_high()
    clock.advance(50)
    panel.tick()
    for _ in range(4):  # then someone mashes it
        tap(mock_factory, clock, panel, 17, held_ms=60)
    panel.dispatch()
    assert panel.got == [("next", "press")]
    assert panel.suppressed["next"] == 4


def test_without_on_event_the_agent_consumes_the_queue(mock_factory, clock):
    p = ButtonPanel(config(), pin_factory=mock_factory, clock=clock, threaded=False)
    try:
        tap(mock_factory, clock, p, 27)
        event = p.get(timeout=0)
        assert event == ButtonEvent("recall", "press", clock.now)
        assert p.get(timeout=0) is None
    finally:
        p.close()


def test_pull_down_wiring_is_active_high(mock_factory, clock):
    got = []
    p = ButtonPanel(
        config(pull_up=False, pins={"next": 17}, rating_pins={}),
        lambda n, k: got.append(n),
        pin_factory=mock_factory,
        clock=clock,
        threaded=False,
    )
    try:
        mock_factory.pin(17).drive_high()
        clock.advance(100)
        p.tick()
        mock_factory.pin(17).drive_low()
        clock.advance(50)
        p.tick()
        p.dispatch()
        assert got == ["next"]
    finally:
        p.close()


def test_worker_thread_delivers_events_off_the_library_thread(mock_factory):
    seen = threading.Event()
    threads = []

    def on_event(name, kind):
        threads.append(threading.current_thread().name)
        seen.set()

    p = ButtonPanel(
        config(debounce_ms=0, pins={"next": 17}, rating_pins={}),
        on_event,
        pin_factory=mock_factory,
    )
    try:
        mock_factory.pin(17).drive_low()
        mock_factory.pin(17).drive_high()
        assert seen.wait(5)
        assert threads == ["loket-buttons"]
    finally:
        p.close()


def test_unknown_button_key_is_an_error(mock_factory):
    with pytest.raises(HardwareError, match="buttons.pins.nxt"):
        ButtonPanel(config(pins={"nxt": 17}), pin_factory=mock_factory, threaded=False)


def test_no_pin_factory_on_a_pc_is_an_error_not_mock(monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    import platform

    if platform.machine() in ("aarch64", "armv7l"):
        pytest.skip("a Pi may well have a working default factory")
    with pytest.raises(HardwareError, match="pin_factory"):
        ButtonPanel(config(), threaded=False)


def test_pin_factory_is_chosen_by_name(mock_factory):
    p = ButtonPanel(config(pin_factory="mock"), threaded=False)
    p.close()
    with pytest.raises(HardwareError, match="unknown GPIO pin factory"):
        ButtonPanel(config(pin_factory="nope"), threaded=False)


def test_fake_panel_goes_through_debounce_and_min_interval(clock):
    got = []
    fake = FakeButtonPanel(on_event=lambda n, k: got.append((n, k)), clock=clock)
    assert [(e.name, e.kind) for e in fake.press("next")] == [("next", "press")]
    fake.press("next")  # same instant: a second call within min_interval_ms is dropped
    clock.advance(5000)
    fake.press("done", hold=True)
    fake.press("rate_3")
    assert got == [("next", "press"), ("done", "hold"), ("rate_3", "press")]
    assert fake.suppressed["next"] == 1
    with pytest.raises(ValueError, match="no button"):
        fake.press("panic")


def test_make_buttons_by_backend_name(clock):
    fake = make_buttons(config(backend="fake"), clock=clock)
    assert isinstance(fake, FakeButtonPanel)
    assert set(fake.names) == {"next", "recall", "skip", "done", "transfer"} | {
        "rate_4",
        "rate_3",
        "rate_2",
        "rate_1",
    }
    with pytest.raises(HardwareError, match="unknown buttons backend"):
        make_buttons(config(backend="usb"))


def test_keymap_lower_press_upper_hold_digits_rate():
    assert key_to_press("n") == ("next", False)
    assert key_to_press("D") == ("done", True)
    assert key_to_press("S") == ("skip", True)
    assert key_to_press("4") == ("rate_4", False)
    assert key_to_press("x") is None
    assert key_to_press("") is None


def test_threaded_fake_delivers_on_its_worker(clock):
    import queue as q

    got = q.Queue()
    fake = FakeButtonPanel(on_event=lambda n, k: got.put((n, k)), threaded=True)
    try:
        assert [(e.name, e.kind) for e in fake.press("skip", hold=True)] == [("skip", "hold")]
        assert got.get(timeout=5) == ("skip", "hold")
    finally:
        fake.close()
