"""Kiosk profiles: the shipped ones pass `loket config check`; every mistake is named with
its dotted key and what was expected (buttons per service, LEDs, logo, public_url)."""

from __future__ import annotations

import pytest

from core.config import hub_config_from_dict, node_config_from_dict
from core.errors import ConfigError
from core.paths import firmware_config_dir
from loket.cli import main

KIOSK_PROFILES = ("kiosk-usb-buttons.toml", "kiosk-network-touch.toml", "kiosk-serial58.toml")


@pytest.mark.parametrize("name", KIOSK_PROFILES)
def test_shipped_kiosk_profiles_pass_config_check(name, capsys):
    assert main(["config", "check", str(firmware_config_dir() / "node" / name)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def kiosk(buttons=None, printer=None, role="kiosk"):
    raw = {
        "node": {"id": "K1", "role": role, "hub_url": "http://hub:8080", "token": "t"},
        "printer": printer or {"backend": "fake"},
    }
    if role == "kiosk":
        raw["node"]["services"] = ["A", "B"]
    else:
        raw["node"]["counter"] = "K1"
    if buttons is not None:
        raw["buttons"] = buttons
    return raw


def problems(raw) -> str:
    with pytest.raises(ConfigError) as err:
        node_config_from_dict(raw)
    return str(err.value)


def test_kiosk_button_mistakes_are_named():
    text = problems(
        kiosk(
            {
                "backend": "gpio",
                "pins": {"next": 5},
                "service_pins": {"A": 17, "C": 27, "B": "pin9"},
                "led_pins": {"D": 22, "A": 17},
            }
        )
    )
    assert "buttons.pins: only used by role 'counter'; expected service_pins" in text
    assert "buttons.service_pins.C: 'C' is not one of this kiosk's services" in text
    assert "buttons.service_pins.B: 'pin9' is not a GPIO pin" in text
    assert "buttons.led_pins.D: 'D' has no button" in text
    assert "buttons.led_pins.A: pin 17 is already used by buttons.service_pins.A" in text


def test_a_gpio_kiosk_needs_its_service_pins_and_a_counter_refuses_them():
    assert "buttons.service_pins: missing" in problems(kiosk({"backend": "gpio"}))
    counter = kiosk({"backend": "fake", "cooldown_ms": 100}, role="counter")
    del counter["printer"]
    assert "buttons.cooldown_ms: only used by role 'kiosk'" in problems(counter)


def test_printer_logo_must_exist_and_ticket_text_keys_are_typed(tmp_path):
    text = problems(
        kiosk(
            printer={
                "backend": "fake",
                "logo": str(tmp_path / "x.png"),
                "survey": "yes",
                "footer": "one line",
            }
        )
    )
    assert "printer.logo:" in text and "is not a file" in text
    assert "printer.survey:" in text and "printer.footer:" in text


def test_hub_public_url_is_checked():
    raw = {
        "mpp": {"name": "M", "timezone": "Asia/Jakarta"},
        "hub": {"public_url": "10.0.0.1:8080"},
        "agencies": [{"id": "a", "name": "A"}],
        "services": [{"id": "A", "name": "A", "agency": "a"}],
    }
    with pytest.raises(ConfigError, match=r"hub.public_url: '10.0.0.1:8080' is not valid"):
        hub_config_from_dict(raw)
    raw["hub"]["public_url"] = "http://10.0.0.1:8080/"
    assert hub_config_from_dict(raw).hub.public_url == "http://10.0.0.1:8080"


def test_config_check_says_why_tickets_have_no_qr(capsys):
    assert main(["config", "check", str(firmware_config_dir() / "hub" / "mpp-banyumas.toml")]) == 0
    assert "no [hub] public_url: tickets print no QR code" in capsys.readouterr().out
