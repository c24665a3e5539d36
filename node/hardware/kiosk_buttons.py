"""Kiosk buttons: one GPIO button per service, an optional LED per button, a staff button.

The counter's debounce (``node.hardware.debounce``) and panel machinery
(``buttons.ButtonPanelBase``) with the kiosk's names: events are ``(service id, "press")``
and ``("reprint", "hold")`` for the hidden staff button (a press on it means nothing: a
visitor who finds it prints nobody's ticket twice). A service button never holds: a visitor
leaning on it gets one ticket, on release. ``cooldown_ms`` is per button: a second press of
the same button within it is dropped (another service's button is not held up).

LEDs (``led_pins``): lit while the service issues, off while it cannot, flashed to say
"no" (a refusal, a printer fault) on a kiosk without a screen. ``backend = "fake"`` is the
same class on gpiozero's mock pins, named in the profile, never a silent fallback.

Example (tests, a simulation)::

    from gpiozero.pins.mock import MockFactory
    panel = KioskButtons({"service_pins": {"A": 17}}, on_event=print,
                         pin_factory=MockFactory(), threaded=False)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from node.hardware.buttons import ButtonPanelBase, OnEvent, close_devices, open_input_pins
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

log = logging.getLogger(__name__)

REPRINT = "reprint"
DEFAULT_COOLDOWN_MS = 3000
DEFAULT_REPRINT_HOLD_MS = 3000
FLASH_ON_S = 0.25
FLASH_TIMES = 4
REFUSALS = ("slip", "flash", "both")


class KioskButtons(ButtonPanelBase):
    """Service buttons and LEDs on GPIO (gpiozero; ``pin_factory`` injectable)."""

    known_names = None  # service ids come from the profile

    def __init__(
        self,
        config: Any,
        on_event: OnEvent | None = None,
        *,
        pin_factory: Any = None,
        clock: Callable[[], float] | None = None,
        threaded: bool = True,
    ) -> None:
        services = dict(setting(config, "service_pins", None) or {})
        if REPRINT in services:
            raise HardwareError(f"buttons.service_pins.{REPRINT}: a reserved name")
        pins = dict(services)
        reprint = setting(config, "reprint_pin", None)
        if reprint is not None:
            pins[REPRINT] = reprint
        super().__init__(
            pins,
            on_event,
            debounce_ms=setting(config, "debounce_ms", 30),
            hold_ms=setting(config, "hold_ms", DEFAULT_REPRINT_HOLD_MS),
            min_interval_ms=setting(config, "cooldown_ms", DEFAULT_COOLDOWN_MS),
            clock=clock,
            threaded=threaded,
        )
        if pin_factory is None:
            from node.hardware.pins import make_pin_factory

            pin_factory = make_pin_factory(setting(config, "pin_factory", None))
        self.pin_factory = pin_factory
        self.services = tuple(services)
        self.refusal = setting(config, "refusal", "slip")
        self._devices: list[Any] = open_input_pins(self, pins, config, pin_factory)
        self.leds: dict[str, Any] = {}
        try:
            from gpiozero import DigitalOutputDevice

            for sid, pin in (setting(config, "led_pins", None) or {}).items():
                self.leds[sid] = DigitalOutputDevice(pin, pin_factory=pin_factory)
        except Exception as exc:
            self.close()
            raise HardwareError(f"cannot open button LED pins: {exc}") from exc
        self._start()

    def hold_ms_for(self, name: str, hold_ms: int) -> int | None:
        return hold_ms if name == REPRINT else None

    def light(self, service: str | None, on: bool) -> None:
        """LED of ``service`` (None: every LED) steady on or off."""
        for _sid, led in self._leds(service):
            if on:
                led.on()
            else:
                led.off()

    def flash(self, service: str | None, times: int = FLASH_TIMES) -> None:
        """Blink the LED of ``service`` (None: every LED) ``times``, in the background."""
        for _sid, led in self._leds(service):
            led.blink(on_time=FLASH_ON_S, off_time=FLASH_ON_S, n=times, background=True)

    def _leds(self, service: str | None) -> list[tuple[str, Any]]:
        if service is None:
            return list(self.leds.items())
        led = self.leds.get(service)
        return [(service, led)] if led is not None else []

    def close(self) -> None:
        super().close()
        close_devices(self._devices)
        for led in getattr(self, "leds", {}).values():
            led.close()
        self.leds = {}


def make_kiosk_buttons(config: Any, on_event: OnEvent | None = None, **kwargs: Any) -> KioskButtons:
    """``backend = "gpio"`` (the profile's pin factory) or ``"fake"`` (gpiozero mock pins)."""
    backend = setting(config, "backend", "gpio")
    if backend == "fake" and "pin_factory" not in kwargs:
        from gpiozero.pins.mock import MockFactory

        kwargs["pin_factory"] = MockFactory()
    elif backend not in ("gpio", "fake"):
        raise HardwareError(f"unknown buttons backend {backend!r}; expected 'gpio' or 'fake'")
    return KioskButtons(config, on_event, **kwargs)
