"""`loket selftest --non-interactive` on the shipped kiosk profiles (network printer + touch
screen, serial 58 mm printer + GPIO buttons and LEDs, USB printer with and without buttons)
and the browser hall display, through the libraries' seams: the fake port-9100 printer
(tests/netprinter.py), an escpos Dummy for USB/serial, gpiozero MockFactory pins, SDL dummy
video, the hub app for the board page."""

from __future__ import annotations

from pathlib import Path

import pytest
from escpos.printer import Dummy
from netprinter import PAPER_OK, PAPER_OUT, FakeNetworkPrinter
from test_selftest import AppTransport, demo_hub, profile, rows, run
from wires import recording_factory

from core.config import load_node_config
from node import selftest

KIOSK_PROFILES = ("kiosk-serial58.toml", "kiosk-usb-buttons.toml", "kiosk-usb.toml")


def kiosk(tmp_path: Path, name: str, **replace: str) -> Path:
    """A shipped kiosk profile as kiosk K1 (the one the demo hub has)."""
    return profile(tmp_path, name, id='"K1"', **replace)


@pytest.fixture
def hub(tmp_path: Path):
    yield from demo_hub(tmp_path)


@pytest.fixture
def network_printer():
    printer = FakeNetworkPrinter(PAPER_OK)
    yield printer
    printer.stop()


def test_network_kiosk_prints_on_the_network_printer_and_draws(
    tmp_path, hub, network_printer, monkeypatch
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    path = kiosk(tmp_path, "kiosk-network-touch.toml", host='"127.0.0.1"',
                 port=str(network_printer.port))  # fmt: skip
    code, out = run(path, hub, "K1")
    assert code == 0, out
    table = rows(out)
    assert table["printer"][0] == "PASS" and "paper ok" in table["printer"][1], out
    assert table["screen"][0] == "PASS" and table["token"][0] == "PASS"
    assert b"TES-001" in bytes(network_printer.received)


def test_network_kiosk_out_of_paper_fails_the_printer_row(
    tmp_path, hub, network_printer, monkeypatch
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    network_printer.reply = PAPER_OUT
    path = kiosk(tmp_path, "kiosk-network-touch.toml", host='"127.0.0.1"',
                 port=str(network_printer.port))  # fmt: skip
    code, out = run(path, hub, "K1")
    assert code == 1
    result, detail = rows(out)["printer"]
    assert result == "FAIL" and "out" in detail, out
    assert b"TES-001" not in bytes(network_printer.received)  # no ticket into an empty printer


@pytest.mark.parametrize("name", KIOSK_PROFILES)
def test_usb_and_serial_kiosks_print_and_press_every_button(tmp_path, hub, name) -> None:
    papers: list[Dummy] = []

    def open_dummy() -> Dummy:
        papers.append(Dummy())
        return papers[-1]

    factory = recording_factory()
    path = kiosk(tmp_path, name)
    code, out = run(path, hub, "K1", printer_device=open_dummy, pin_factory=factory)
    assert code == 0, out
    table = rows(out)
    assert table["printer"][0] == "PASS", out
    assert any(b"TES-001" in p.output for p in papers)
    buttons = {k: v for k, v in table.items() if k.startswith("button ") and k != "button LEDs"}
    section = load_node_config(path).buttons
    if section is None:
        assert buttons == {} and "button LEDs" not in table
        return
    pins = {**section.get("service_pins"), "reprint": section.get("reprint_pin")}
    assert buttons == {f"button {n}": ("PASS", f"pin {p} responded") for n, p in pins.items()}
    result, detail = table["button LEDs"]
    assert result == "PASS" and "ST pin GPIO5" in detail, out
    for led in section.get("led_pins").values():  # lit during the check, off again after
        assert factory.pin(led).state == 0


def test_a_kiosk_button_with_a_cut_wire_fails_its_row(tmp_path, hub) -> None:
    from gpiozero.pins.mock import MockPin

    pins = recording_factory()

    class CutWire(MockPin):
        def drive_low(self):
            pass

    pins.pin(27, pin_class=CutWire)
    code, out = run(kiosk(tmp_path, "kiosk-usb-buttons.toml"), hub, "K1",
                    printer_device=Dummy, pin_factory=pins)  # fmt: skip
    assert code == 1
    table = rows(out)
    assert table["button S5"] == ("FAIL", "pin 27: no press seen")
    assert table["button ST"] == ("PASS", "pin 17 responded")


def test_a_usb_kiosk_without_its_printer_fails_readably(tmp_path, hub) -> None:
    code, out = run(kiosk(tmp_path, "kiosk-usb.toml"), hub, "K1")  # no seam: real USB lookup
    assert code == 1
    result, detail = rows(out)["printer"]
    assert result == "FAIL" and detail, out
    assert "(printer)" in out.splitlines()[-1]


def browser(tmp_path: Path, **replace: str) -> Path:
    return profile(tmp_path, "display-browser.toml", id='"D1"', **replace)


def test_browser_display_checks_the_board_page_and_chromium(tmp_path, hub) -> None:
    code, out = run(browser(tmp_path), hub, "D1")
    assert code == 0, out
    table = rows(out)
    assert table["board page"] == ("PASS", "the hub serves http://hub.local:8080/board?display=D1")
    result, detail = table["chromium"]
    assert result in ("PASS", "SKIP"), out  # whether this machine has Chromium
    assert "screen" not in table and "speaker" not in table  # the browser draws and speaks
    assert "token" in table and table["free disk"][0] == "PASS"


def test_browser_display_without_chromium_skips_with_the_reason(tmp_path, hub) -> None:
    path = browser(tmp_path)
    path.write_text(
        path.read_text().replace("# browser = ", 'browser = "/nonexistent/chromium" #'), "utf-8"
    )
    code, out = run(path, hub, "D1")
    assert code == 0, out
    assert rows(out)["chromium"] == ("SKIP", "not installed here: sudo apt install chromium cage")
    assert "skipped" in out.splitlines()[-1]


def test_browser_display_with_an_unknown_zone_fails_the_board_row(tmp_path, hub) -> None:
    path = browser(tmp_path)
    path.write_text(
        path.read_text().replace("# url = ", 'url = "http://hub.local:8080/board?zone=lantai-9" #'),
        "utf-8",
    )
    code, out = run(path, hub, "D1")
    assert code == 1
    result, detail = rows(out)["board page"]
    assert result == "FAIL" and "answers 400" in detail and "lantai-9" in detail, out


def test_browser_display_without_a_token_skips_the_token_row(tmp_path, hub) -> None:
    import io
    from types import SimpleNamespace

    from node.selftest_checks import Seams

    out = io.StringIO()
    args = SimpleNamespace(config=browser(tmp_path), non_interactive=True)
    transport = AppTransport(hub.app, "")
    assert selftest.run(args, out, Seams(transport=transport, clock=hub.clock)) == 0
    assert rows(out.getvalue())["token"] == (
        "SKIP",
        "none: the board needs none, but no heartbeats",
    )
