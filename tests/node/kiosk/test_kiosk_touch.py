"""The touchscreen kiosk from its shipped profile, on SDL's dummy video driver at three panel
sizes: a click on a service and a priority choice prints that ticket (escpos Dummy bytes);
every state's screenshot has its words and nothing drawn outside its box or the screen."""

from __future__ import annotations

import pytest
from kiosk_profiles import T0, banyumas_app, kiosk_profile
from test_kiosk_buttons import Transport
from test_ticket_content import decode_qr, rasters

from core.clock import FakeClock
from node.app import build_node
from node.kiosk_ui.app import KioskUI
from node.kiosk_ui.layout import inside
from node.kiosk_ui.words import printer_text, refusal_text, words
from node.roles.kiosk_outcome import Outcome

SIZES = [(800, 480), (1024, 600), (1920, 1080)]
CODES = ("closed", "holiday", "closure", "cutoff", "quota_reached", "full_today", "counters_paused")


@pytest.fixture
def hub(tmp_path):
    app = banyumas_app(tmp_path / "hub", public_url="http://10.10.0.1:8080")
    yield app
    app.extensions["loket"].store.close()


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def kiosk(request, tmp_path, hub, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    w, h = request.param
    config = kiosk_profile(
        "kiosk-network-touch.toml",
        tmp_path,
        printer={"backend": "fake", "profile": "POS-5890"},  # 58 mm: the QR is printed dots
        fullscreen=False,
        width=w,
        height=h,
    )
    transport = Transport(hub, hub.tokens["K1"])
    node = build_node(config, transport=transport, clock=FakeClock(wall_ms=T0, mono_ms=1_000))
    node.transport = transport
    node.start(threads=False)
    node.step()  # the catalogue: K1's 30 services
    node.ctx.devices.screen.refresh()  # what the worker does every few seconds
    yield node
    node.stop()


def shown(ui: KioskUI) -> str:
    return " ".join(text for text, _drawn, _box in ui.canvas.texts)


def assert_nothing_clipped(ui: KioskUI) -> None:
    w, h = ui.surface.get_size()
    for text, drawn, box in ui.canvas.texts:
        assert inside(drawn, box), f"{text!r} at {drawn} leaves its box {box}"
        assert inside(drawn, (0, 0, w, h)), f"{text!r} at {drawn} leaves the screen"


def assert_says(ui: KioskUI, *phrases: str) -> None:
    text = " ".join(shown(ui).split())
    for phrase in phrases:
        assert " ".join(phrase.split()) in text, f"{phrase!r} not on screen: {text!r}"


def key_of(ui: KioskUI, action: tuple) -> tuple[int, int]:
    for (x, y, w, h), act in ui.canvas.keys:
        if act == action:
            return x + w // 2, y + h // 2
    raise AssertionError(f"no key {action} on screen; keys: {[a for _r, a in ui.canvas.keys]}")


def screenshot(ui: KioskUI, tmp_path, name: str) -> None:
    ui.screenshot(str(tmp_path / f"{name}.png"))
    assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_click_a_service_and_a_priority_prints_that_ticket(kiosk, tmp_path):
    ui = kiosk.ctx.devices.screen
    assert isinstance(ui, KioskUI)
    ui.step()
    assert ui.current() == "services"
    assert_says(ui, "Ambil Nomor Antrian", "Dinas Kependudukan", "KTP-el")
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "services")

    ui.click(*key_of(ui, ("service", "A1")))
    ui.step()
    assert_says(ui, "Apakah Anda termasuk prioritas?", "Bukan prioritas", "Lansia")
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "priority")

    ui.click(*key_of(ui, ("issue", "lansia")))
    ui.step()
    assert_says(ui, words("id")["printing"])
    kiosk.drain()  # the worker takes the number and prints it
    ui.step()
    printer = kiosk.ctx.devices.printer
    ticket = printer.tickets[-1]
    assert ticket.service_name == "KTP-el: Perekaman dan Pencetakan"
    assert ticket.category.startswith("Lansia")  # the catalogue's own name
    assert ticket.label.encode() in printer.jobs[-1]
    # The QR on the paper, read back by zxing-cpp: the hub's public_url + the ticket's page.
    public = next(
        e["body"]["public"]
        for e in reversed(kiosk.ctx.outbox.events())
        if e["type"] == "ticket.issued"
    )
    assert [decode_qr(img) for img in rasters(printer.jobs[-1])] == [
        [f"http://10.10.0.1:8080/t/{public}"]
    ]
    assert b"Prioritas: Lansia" in printer.jobs[-1]
    assert_says(ui, "Nomor antrian Anda", ticket.label, "Silakan ambil tiket Anda")
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "printed")


def test_forty_services_page_and_the_language_toggles(kiosk, tmp_path):
    ui = kiosk.ctx.devices.screen
    ui.step()
    seen = set()
    pages = 1
    while True:
        seen |= {a[1] for _r, a in ui.canvas.keys if a[0] == "service"}
        assert_nothing_clipped(ui)
        try:
            ui.click(*key_of(ui, ("page", ui.page + 1)))
        except AssertionError:
            break
        ui.step()
        pages += 1
    assert seen == set(kiosk.role.services) and len(seen) == 30
    if ui.surface.get_size() == (800, 480):
        assert pages >= 3
    ui.click(*key_of(ui, ("lang",)))
    ui.step()
    assert_says(ui, "Take a Queue Number", "Bahasa Indonesia")
    assert_nothing_clipped(ui)


def test_every_refusal_and_fault_has_its_own_words(kiosk, tmp_path):
    ui = kiosk.ctx.devices.screen
    reopens = T0 + 4 * 3600 * 1000  # today 13:00
    for lang in ("id", "en"):
        ui.lang = lang
        for code in CODES:
            ui._got_outcome(Outcome("refused", "A1", code=code, reopens_ms=reopens))
            ui.step()
            assert_says(ui, refusal_text(code, lang))
            assert_says(ui, "13.00" if lang == "id" else "13:00")
            assert_nothing_clipped(ui)
            screenshot(ui, tmp_path, f"refused-{code}-{lang}")
    ui.home()
    kiosk.ctx.devices.printer.paper = "out"
    kiosk.role.tick()
    ui.step()
    assert ui.current() == "fault"
    assert_says(ui, printer_text("out", "id"), words("id")["call_staff"])
    assert not [a for _r, a in ui.canvas.keys if a[0] == "service"]  # nothing to press
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "printer-out")


def test_offline_and_a_failed_print_keep_the_number_on_screen(kiosk, tmp_path):
    from node.hardware.errors import HardwareError

    ui = kiosk.ctx.devices.screen
    kiosk.transport.down = True
    ui.step()
    ui.click(*key_of(ui, ("service", "A1")))
    ui.step()
    ui.click(*key_of(ui, ("issue", None)))
    kiosk.drain()
    ui.step()
    assert kiosk.ctx.devices.printer.tickets[-1].offline
    assert_says(ui, words("id")["offline"])
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "offline")

    ui.home()
    ui.step()
    kiosk.ctx.devices.printer.fail = HardwareError("jam")
    ui.click(*key_of(ui, ("service", "A1")))
    ui.step()
    ui.click(*key_of(ui, ("issue", None)))
    kiosk.drain()
    ui.step()
    label = kiosk.role.last_outcome.label
    assert kiosk.role.last_outcome.kind == "print_failed"
    assert_says(ui, label, words("id")["print_failed"], words("id")["reprint"])
    assert_nothing_clipped(ui)
    screenshot(ui, tmp_path, "print-failed")
    kiosk.ctx.devices.printer.fail = None
    ui.click(*key_of(ui, ("reprint",)))
    kiosk.drain()
    ui.step()
    assert kiosk.ctx.devices.printer.tickets[-1].label == label
    assert kiosk.role.last_outcome.kind == "printed"


def test_a_scanner_line_reaches_on_scan(kiosk):
    ui = kiosk.ctx.devices.screen
    got = []
    ui.on_scan = got.append
    ui.key_text("BOOK-2026-0001\r\n")
    ui.key_text("X\n")
    assert got == []  # on the node's worker, never on the drawing thread
    kiosk.drain()
    assert got == ["BOOK-2026-0001", "X"]
