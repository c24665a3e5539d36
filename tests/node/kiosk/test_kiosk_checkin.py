"""Booking check-in at the touchscreen kiosk (issue 12 item 3, at the kiosk): a code typed on
the on-screen keypad or scanned by a USB scanner prints the ticket (escpos Dummy bytes), and
every refusal is shown in the visitor's words, in Indonesian and English, nothing clipped."""

from __future__ import annotations

import pytest
from kiosk_profiles import T0
from test_kiosk_touch import assert_nothing_clipped, assert_says, hub, key_of, screenshot
from test_kiosk_touch import kiosk as touch_kiosk

from core.booking import ALPHABET, code_hash, new_code
from node.kiosk_ui.words import refusal_text, words

assert hub and touch_kiosk  # pytest fixtures, used by name below
DAY = "2026-11-30"  # T0's day in Jakarta


@pytest.fixture
def kiosk(touch_kiosk):
    return touch_kiosk


def book(node, service: str = "A1", day: str = DAY, expires_ms: int | None = None) -> str:
    """A booking as hub.upstream brings it down (``booking.made``), then fed to the kiosk."""
    code = new_code()
    body = {"code_hash": code_hash(code), "service": service, "date": day, "session": None}
    if expires_ms is not None:
        body["expires_ms"] = expires_ms
    hub_app = node.transport.app
    hub_app.extensions["loket"].commit_hub_event(
        "booking.made", req=f"booking:{body['code_hash']}", body=body
    )
    node.step()
    return code


def type_code(ui, code: str) -> None:
    ui.click(*key_of(ui, ("code",)))
    ui.step()
    for ch in code.replace("-", ""):
        ui.click(*key_of(ui, ("char", ch)))
    ui.step()


def test_a_typed_code_prints_the_ticket(kiosk, tmp_path):
    ui = kiosk.ctx.devices.screen
    code = book(kiosk)
    ui.step()
    assert_says(ui, words("id")["have_booking"])
    assert_nothing_clipped(ui)
    type_code(ui, code)
    assert ui.current() == "code"
    assert_says(ui, words("id")["enter_code"], code, words("id")["check_in"])
    keys = {a[1] for _r, a in ui.canvas.keys if a[0] == "char"}
    assert keys == set(ALPHABET) and not {"0", "O", "1", "I", "L"} & keys
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "code-entry")

    ui.click(*key_of(ui, ("check_in",)))
    ui.step()
    kiosk.drain()
    ui.step()
    printer = kiosk.ctx.devices.printer
    (ticket,) = printer.tickets
    assert ticket.service_name == "KTP-el: Perekaman dan Pencetakan"
    assert ticket.label.encode() in printer.jobs[-1]
    issued = [e for e in kiosk.ctx.outbox.events() if e["type"] == "ticket.issued"]
    assert issued[-1]["body"]["booking"] == code_hash(code)
    assert_says(ui, words("id")["booked"], ticket.label, words("id")["take_ticket"])
    assert words("id")["offline"] not in " ".join(t for t, _d, _b in ui.canvas.texts)
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "checked-in")


def test_the_keypad_deletes_and_waits_for_a_whole_code(kiosk):
    ui = kiosk.ctx.devices.screen
    ui.step()
    type_code(ui, "ABC")
    assert not [a for _r, a in ui.canvas.keys if a == ("check_in",)]  # 3 of 8: no key yet
    ui.click(*key_of(ui, ("delete",)))
    ui.step()
    assert_says(ui, "AB__-____")
    ui.click(*key_of(ui, ("home",)))
    ui.step()
    assert ui.current() == "services"


def test_a_scanned_code_prints_the_ticket(kiosk):
    ui = kiosk.ctx.devices.screen
    code = book(kiosk)
    ui.step()
    ui.key_text(code + "\r\n")  # what a USB scanner acting as a keyboard types
    ui.step()
    assert ui.current() == "printing"
    kiosk.drain()
    ui.step()
    (ticket,) = kiosk.ctx.devices.printer.tickets
    assert_says(ui, words("id")["booked"], ticket.label)
    assert_nothing_clipped(ui)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_check_in_refusal_is_shown_in_words(kiosk, tmp_path, lang):
    ui = kiosk.ctx.devices.screen
    used = book(kiosk)
    tomorrow = book(kiosk, day="2026-12-01")
    expired = book(kiosk, expires_ms=T0 - 60_000)
    elsewhere = book(kiosk, service="ZZ")  # a service this kiosk does not offer
    ui.key_text(used + "\n")
    kiosk.drain()
    printed = len(kiosk.ctx.devices.printer.tickets)
    assert printed == 1
    cases = [
        (used, "already_checked_in"),
        ("ABCD-EFGH", "unknown_booking"),
        (tomorrow, "wrong_day"),
        (expired, "booking_expired"),
        (elsewhere, "service_not_here"),
        ("hello", "not_a_booking_code"),
    ]
    for code, refusal in cases:
        ui.home()
        ui.lang = lang
        ui.step()
        ui.key_text(code + "\n")
        kiosk.drain()
        ui.step()
        assert kiosk.role.last_error == refusal
        assert_says(ui, refusal_text(refusal, lang))
        assert refusal_text(refusal, lang) != refusal_text("other", lang)
        assert_nothing_clipped(ui)
        screenshot(ui, tmp_path, f"refused-{refusal}-{lang}")
    assert len(kiosk.ctx.devices.printer.tickets) == printed  # no refusal took a number


def test_a_check_in_while_the_service_is_closed_is_refused_in_words(kiosk):
    ui = kiosk.ctx.devices.screen
    code = book(kiosk)
    closure = {"date": DAY, "service": "A1", "reason": "genset"}
    kiosk.transport.app.extensions["loket"].commit_hub_event(
        "catalogue.set", body={"kind": "closure", "id": "c1", "value": closure, "by": "admin"}
    )
    kiosk.step()  # the closure reaches the kiosk with the feed
    kiosk.transport.down = True  # the hub is gone: the kiosk's own view decides
    for lang in ("id", "en"):
        ui.home()
        ui.lang = lang
        ui.key_text(code + "\n")
        kiosk.drain()
        ui.step()
        assert kiosk.role.last_outcome.code == "closure"
        assert_says(ui, refusal_text("closure", lang))
        assert_nothing_clipped(ui)
    assert kiosk.ctx.devices.printer.tickets == []
    assert kiosk.ctx.view.state().bookings[code_hash(code)]["ticket"] is None  # still usable
