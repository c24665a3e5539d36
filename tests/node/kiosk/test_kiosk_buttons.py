"""A kiosk built from its shipped profile the way `loket node run` builds it (no --simulate):
gpiozero MockFactory pins for its buttons and LEDs, a file printer, the real hub app."""

from __future__ import annotations

import time

import pytest
from kiosk_profiles import T0, banyumas_app, kiosk_profile

from core.clock import FakeClock
from node.app import build_node
from node.hardware.kiosk_buttons import KioskButtons


class Transport:
    """The node transport over the hub's Flask test client."""

    def __init__(self, app, token: str):
        self.app, self.token, self.down = app, token, False

    def request(self, method, path, json=None, timeout=None):
        from node.transport import HubUnreachable

        if self.down:
            raise HubUnreachable("test: cable out")
        resp = self.app.test_client().open(
            path, method=method, json=json, headers={"Authorization": f"Bearer {self.token}"}
        )
        body = resp.get_json(silent=True) or {}
        resp.close()
        return resp.status_code, body


@pytest.fixture
def hub(tmp_path):
    app = banyumas_app(tmp_path / "hub", ("K1", "K2"), public_url="http://10.10.0.1:8080")
    yield app
    app.extensions["loket"].store.close()


def issued(app) -> list[dict]:
    records = app.extensions["loket"].records_since(0, 100_000)
    return [r["event"]["body"] for r in records if r["event"]["type"] == "ticket.issued"]


def wait_for(predicate, node, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        node.step()
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def press(pin, *, bounces: int = 0) -> None:
    """A press on pull-up wiring (pressed = low), with contact bounce on the way down and up."""
    for _ in range(bounces):
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    time.sleep(0.08)  # held past the 30 ms debounce
    for _ in range(bounces):
        pin.drive_high()
        pin.drive_low()
    pin.drive_high()


@pytest.fixture
def kiosk(tmp_path, hub):
    config = kiosk_profile(
        "kiosk-usb-buttons.toml",
        tmp_path,
        printer={"backend": "file", "path": str(tmp_path / "lp0"), "profile": "TM-T20II"},
    )
    node = build_node(
        config,
        transport=Transport(hub, hub.tokens["K2"]),
        clock=FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="K2"),
    )
    node.start(threads=False)  # the buttons' own worker still runs: real debounce
    yield node
    node.stop()


def test_the_profile_builds_gpio_buttons_and_leds(kiosk):
    buttons = kiosk.ctx.devices.buttons
    assert isinstance(buttons, KioskButtons)
    assert buttons.services == ("ST", "S5", "SB", "SK")
    assert set(buttons.leds) == {"ST", "S5", "SB", "SK"}
    assert buttons.names[-1] == "reprint"


def test_a_bounce_storm_prints_one_ticket_per_accepted_press(kiosk, hub, tmp_path):
    pins = kiosk.ctx.devices.buttons.pin_factory
    press(pins.pin(17), bounces=25)  # ST
    wait_for(lambda: len(issued(hub)) == 1, kiosk, "the ST ticket")
    press(pins.pin(17), bounces=25)  # within the 3 s cool-down: no second number
    press(pins.pin(23), bounces=10)  # SK: another button is not held up by ST's cool-down
    wait_for(lambda: len(issued(hub)) == 2, kiosk, "the SK ticket")
    time.sleep(0.2)
    kiosk.step()
    tickets = issued(hub)
    assert [b["service"] for b in tickets] == ["ST", "SK"]  # (numbers after the standby lease)
    paper = (tmp_path / "lp0").read_bytes()
    assert paper.count(b"NOMOR ANTRIAN") == 2
    assert all(b["label"].encode() in paper for b in tickets)
    assert kiosk.ctx.devices.buttons.suppressed["ST"] >= 1
    # The ticket says where to go: the counters serving SK in the Banyumas profile.
    assert b"Menuju loket" in paper


def test_each_service_pin_prints_its_own_service_and_lights_its_led(kiosk, hub):
    buttons = kiosk.ctx.devices.buttons
    for pin, service in ((17, "ST"), (27, "S5"), (22, "SB"), (23, "SK")):
        press(buttons.pin_factory.pin(pin))
        wait_for(
            lambda s=service: issued(hub)[-1:] and issued(hub)[-1]["service"] == s,
            kiosk,
            f"the {service} ticket",
        )
    assert [b["service"] for b in issued(hub)] == ["ST", "S5", "SB", "SK"]
    assert all(buttons.leds[s].value == 1 for s in ("ST", "S5", "SB", "SK"))


def test_the_staff_hold_reprints_the_last_ticket(kiosk, hub, tmp_path):
    pins = kiosk.ctx.devices.buttons.pin_factory
    press(pins.pin(17))
    wait_for(lambda: len(issued(hub)) == 1, kiosk, "a ticket")
    pins.pin(26).drive_low()  # the hidden staff button, held 3 s
    time.sleep(3.3)
    pins.pin(26).drive_high()
    label = issued(hub)[0]["label"].encode()
    wait_for(lambda: (tmp_path / "lp0").read_bytes().count(label) == 2, kiosk, "reprint")
    assert len(issued(hub)) == 1  # the same number again, no new one


@pytest.fixture
def strict_hub(tmp_path):
    """A hub that lets a kiosk take one number a minute: the second press is refused."""
    app = banyumas_app(tmp_path / "hub2", ("K2",), issue_per_min=1)
    yield app, app.tokens["K2"]
    app.extensions["loket"].store.close()


@pytest.mark.parametrize("refusal", ["slip", "flash"])
def test_a_refusal_on_a_button_kiosk_prints_a_slip_or_flashes(tmp_path, strict_hub, refusal):
    app, token = strict_hub
    config = kiosk_profile(
        "kiosk-usb-buttons.toml",
        tmp_path,
        printer={"backend": "fake", "profile": "TM-T20II"},
    )
    config = type(config)(
        **{
            **config.__dict__,
            "buttons": type(config.buttons)(
                config.buttons.backend, {**config.buttons.options, "refusal": refusal}
            ),
        }
    )
    node = build_node(config, transport=Transport(app, token), clock=FakeClock(wall_ms=T0))
    node.start(threads=False)
    try:
        buttons = node.ctx.devices.buttons
        node.role.request("ST")
        outcome = node.role.request("SK")
        assert (outcome.kind, outcome.code) == ("refused", "too_many_tickets")
        printer = node.ctx.devices.printer
        if refusal == "slip":
            assert len(printer.notices) == 1
            assert printer.notices[0].lines[0] == "Mohon tunggu sebentar, lalu coba lagi"
            assert b"Mohon tunggu sebentar" in printer.jobs[-1]
        else:
            assert printer.notices == []
            led = buttons.pin_factory.pin(19)  # SK's LED
            deadline = time.monotonic() + 10
            while len(led.states) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            levels = [s.state for s in led.states]
            assert levels[:4] == [False, True, False, True], levels  # blinking
        assert len(printer.tickets) == 1  # only the first press took a number
    finally:
        node.stop()


def test_a_scanned_booking_on_a_button_kiosk_prints_or_slips(tmp_path, hub):
    """No screen: a scanner line checks in and prints the ticket; a refusal is a slip."""
    from core.booking import code_hash, new_code

    config = kiosk_profile(
        "kiosk-usb-buttons.toml", tmp_path, printer={"backend": "fake", "profile": "TM-T20II"}
    )
    node = build_node(
        config, transport=Transport(hub, hub.tokens["K2"]), clock=FakeClock(wall_ms=T0)
    )
    node.start(threads=False)
    try:
        node.step()  # the catalogue: K2 offers ST, S5, SB, SK
        code = new_code()
        body = {
            "code_hash": code_hash(code),
            "service": "SK",
            "date": "2026-11-30",
            "session": None,
        }
        hub.extensions["loket"].commit_hub_event("booking.made", req="booking:x", body=body)
        node.step()
        printer = node.ctx.devices.printer
        node.scan(code)
        node.drain()
        (ticket,) = printer.tickets
        assert ticket.label.encode() in printer.jobs[-1] and printer.notices == []
        node.scan(code)  # used already
        node.scan("ZZZZ-ZZZZ")
        node.drain()
        assert [n.lines[0] for n in printer.notices] == [
            "Kode booking ini sudah dipakai",
            "Kode booking tidak dikenal",
        ]
        assert b"Kode booking tidak dikenal" in printer.jobs[-1]
        assert len(printer.tickets) == 1
    finally:
        node.stop()


def test_a_scanner_device_on_a_button_kiosk_checks_in(tmp_path, hub):
    """`[scanner] backend = "evdev"`: key events from the scanner's input device (here a FIFO
    the test writes kernel ``input_event`` records into) become a check-in that prints."""
    import dataclasses
    import os

    from core.booking import code_hash, new_code
    from core.config import node_config_from_dict
    from node.hardware.scanner import KEYS, key_event

    fifo = tmp_path / "event-kbd"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # held open first, so the kiosk's open does not block
    config = kiosk_profile(
        "kiosk-usb-buttons.toml", tmp_path, printer={"backend": "fake", "profile": "TM-T20II"}
    )
    scanner = node_config_from_dict(
        {"node": {"id": "K9", "role": "kiosk", "hub_url": "http://h", "token": "t",
                  "services": ["A"]},
         "printer": {"backend": "fake"},
         "scanner": {"backend": "evdev", "device": str(fifo), "grab": False}}
    ).scanner  # fmt: skip
    config = dataclasses.replace(config, scanner=scanner)
    node = build_node(
        config, transport=Transport(hub, hub.tokens["K2"]), clock=FakeClock(wall_ms=T0)
    )
    node.start(threads=False)
    try:
        node.step()
        code = new_code()
        body = {
            "code_hash": code_hash(code),
            "service": "ST",
            "date": "2026-11-30",
            "session": None,
        }
        hub.extensions["loket"].commit_hub_event("booking.made", req="booking:y", body=body)
        node.step()
        codes = {ch: k for k, ch in KEYS.items() if k < 70}  # the main block, not the keypad
        typed = b"".join(
            key_event(codes[ch.lower()]) + key_event(codes[ch.lower()], 0) for ch in code
        )
        os.write(writer, typed + key_event(28))  # ...and Enter
        printer = node.ctx.devices.printer
        deadline = time.monotonic() + 10
        while not printer.tickets and time.monotonic() < deadline:
            node.drain()
            time.sleep(0.02)
        (ticket,) = printer.tickets
        assert ticket.label.encode() in printer.jobs[-1]
        issued = [e for e in node.ctx.outbox.events() if e["type"] == "ticket.issued"]
        assert issued[-1]["body"]["booking"] == code_hash(code)
    finally:
        node.stop()
        os.close(writer)
