"""The checks of ``loket selftest``, one function per device or concern: the rows, the
seams, the LED display, the buttons (a counter's panel, a kiosk's buttons and LEDs), the hub,
the clock and the disk here; printer, speaker, screen and browser board in
``node.selftest_media``.

Each returns a list of ``Check`` rows and never raises: a device that cannot even be opened
is a FAIL row saying why (that is the most useful thing a self-test can find). Devices are
built from the profile exactly as ``loket node run`` builds them; ``Seams`` lets tests (and
a bench without hardware) hand in the libraries' own test doubles: a gpiozero MockFactory,
a luma-compatible recording SPI interface, a pyserial ``loop://`` URL, an opener of an
escpos ``Dummy`` for a USB or serial printer, a transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.health import as_status
from node import health
from node.roles.base import config_value
from node.transport import HubUnreachable, Transport

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
MAX_OFFSET_MS = 2_000  # chrony keeps a LAN node within milliseconds; seconds mean no sync
MIN_FREE_MB = 200  # a day's logs are a few MB; below this the SD card is nearly full
PRESS_WAIT_S = 20.0


@dataclass(frozen=True)
class Check:
    """One row of the summary table."""

    name: str
    result: str  # PASS | FAIL | SKIP
    detail: str = ""


@dataclass
class Seams:
    """What tests inject instead of real hardware; all None on a real node."""

    pin_factory: Any = None  # gpiozero factory for buttons and TM1637
    spi_interface: Any = None  # luma serial interface for the MAX7219
    serial_url: str | None = None  # pyserial URL for a serial LED panel (e.g. "loop://")
    printer: Any = None  # a built TicketPrinter
    printer_device: Callable[[], Any] | None = None  # opens an escpos device (escpos Dummy)
    transport: Transport | None = None
    clock: Any = None  # core.clock.Clock (wall time for the offset)
    extra: dict = field(default_factory=dict)


@dataclass
class Ask:
    """Talks to the technician; ``interactive=False`` never waits for a person."""

    interactive: bool
    say: Callable[[str], None] = print
    read: Callable[[str], str] = input

    def confirm(self, question: str) -> bool | None:
        """True/False from the technician, None when non-interactive (machine checks only)."""
        if not self.interactive:
            return None
        answer = self.read(f"{question} [y/n] ").strip().lower()
        return answer in ("y", "yes", "ya")


def fail_open(name: str, exc: Exception) -> list[Check]:
    return [Check(name, FAIL, f"cannot open: {exc}")]


def verdict(name: str, machine_ok: bool, detail: str, person: bool | None) -> Check:
    if not machine_ok:
        return Check(name, FAIL, detail)
    if person is False:
        return Check(name, FAIL, f"{detail}; the technician saw/heard nothing".lstrip("; "))
    return Check(name, PASS, detail)


# -- display -----------------------------------------------------------------------------


def check_display(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """Light every digit in turn (all segments and the dot), then all at once."""
    from node.hardware.display import make_display

    section = config.display
    kw: dict[str, Any] = {"ticker": False}
    backend = config_value(config, "display", "backend")
    if backend == "max7219" and seams.spi_interface is not None:
        kw["interface"] = seams.spi_interface
    if backend == "tm1637" and seams.pin_factory is not None:
        kw["pin_factory"] = seams.pin_factory
    if backend == "serial" and seams.serial_url:
        section = {"backend": "serial", **dict(section.options), "url": seams.serial_url}
    try:
        display = make_display(section, **kw)
    except Exception as exc:  # noqa: BLE001 - the self-test reports, never crashes
        return fail_open("display", exc)
    try:
        width = display.width
        ask.say(f"display: lighting each of the {width} digits in turn")
        errors = []
        for i in range(width):
            try:
                display.show("8." + " " * (width - 1 - i))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"digit {i + 1}: {exc}")
            time.sleep(0.15 if ask.interactive else 0)
        try:
            display.show("8." * width)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"all digits: {exc}")
        status = as_status(display.status())
        ok = not errors and not status.fault
        detail = "; ".join(errors) or f"{width} digits lit one by one, then all"
        person = ask.confirm("Did every digit light up, one after the other, then all?")
        return [verdict("display", ok, detail if ok else detail or status.detail, person)]
    finally:
        try:
            display.close()
        except Exception:  # noqa: BLE001 - already reported as a failure
            pass


# -- buttons -----------------------------------------------------------------------------


class _StepClock:
    """Milliseconds that move only when told: a non-interactive press needs no waiting."""

    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self) -> float:
        return self.ms


def check_buttons(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """Ask for each button; non-interactive, drive each pin of a MockFactory (or press the
    fake panel) and see which ones the panel reports."""
    from node.hardware.buttons import FakeButtonPanel, make_buttons
    from node.hardware.kiosk_buttons import make_kiosk_buttons

    kiosk = config_value(config, "node", "role") == "kiosk"
    pins = _configured_pins(config, kiosk)
    step = _StepClock()
    kw: dict[str, Any] = {"threaded": False}
    backend = config_value(config, "buttons", "backend")
    if backend == "gpio" and seams.pin_factory is not None:
        kw["pin_factory"] = seams.pin_factory
    if not ask.interactive:
        kw["clock"] = step
    try:
        panel = (make_kiosk_buttons if kiosk else make_buttons)(config.buttons, **kw)
    except Exception as exc:  # noqa: BLE001
        return fail_open("buttons", exc)
    rows = []
    try:
        for name in panel.names:
            pin = pins.get(name, "-")
            if ask.interactive:
                ask.say(f"press {name.upper()} (pin {pin}) within {PRESS_WAIT_S:.0f} s")
                got = _wait_for_press(panel, name)
            elif isinstance(panel, FakeButtonPanel):
                got = any(e.name == name for e in panel.press(name))
            elif seams.pin_factory is not None:
                got = _drive(panel, seams.pin_factory, pin, name, step, config)
            else:
                rows.append(Check(f"button {name}", SKIP, f"pin {pin}: nobody to press it"))
                continue
            detail = f"pin {pin} responded" if got else f"pin {pin}: no press seen"
            rows.append(Check(f"button {name}", PASS if got else FAIL, detail))
        if getattr(panel, "leds", None):
            rows.append(_check_leds(panel, ask))
    finally:
        panel.close()
    return rows


def _check_leds(panel: Any, ask: Ask) -> Check:
    """A kiosk's button LEDs: all on, each output read back (a mock pin's state, a real
    pin's level), then off again."""
    panel.light(None, True)
    try:
        dark = [sid for sid, led in panel.leds.items() if not led.value]
        person = ask.confirm("Is the LED of every service button lit?")
    finally:
        panel.light(None, False)
    lit = ", ".join(f"{sid} pin {led.pin}" for sid, led in panel.leds.items())
    if dark:
        return Check("button LEDs", FAIL, f"not lit: {', '.join(dark)}")
    return verdict("button LEDs", True, f"lit: {lit}", person)


def _configured_pins(config: Any, kiosk: bool = False) -> dict[str, Any]:
    from node.hardware import buttons
    from node.hardware.kiosk_buttons import REPRINT

    if kiosk:  # one button per service, and the staff's reprint button
        pins = dict(config_value(config, "buttons", "service_pins", None) or {})
        reprint = config_value(config, "buttons", "reprint_pin", None)
        return {**pins, REPRINT: reprint} if reprint is not None else pins
    try:
        return buttons.pin_map(config.buttons)
    except Exception:  # noqa: BLE001 - the panel itself reports a bad map
        return {}


def _wait_for_press(panel: Any, name: str) -> bool:
    deadline = time.monotonic() + PRESS_WAIT_S
    while time.monotonic() < deadline:
        panel.tick()
        event = panel.get(0)
        while event is not None:
            if event.name == name:
                return True
            event = panel.get(0)
        time.sleep(0.01)
    return False


def _drive(panel: Any, factory: Any, pin: Any, name: str, step: _StepClock, config: Any) -> bool:
    """A clean press on a mock pin: the contact closes (active low with the pull-up),
    stays down past the debounce, opens again."""
    settle = int(config_value(config, "buttons", "debounce_ms", 30) or 30) + 1
    gap = int(config_value(config, "buttons", "min_interval_ms", 1000) or 0) + 1
    pull_up = bool(config_value(config, "buttons", "pull_up", True))
    mock = factory.pin(pin)
    press, release = (
        (mock.drive_low, mock.drive_high)
        if pull_up
        else (
            mock.drive_high,
            mock.drive_low,
        )
    )
    step.ms += gap
    press()
    step.ms += settle
    panel.tick()
    release()
    step.ms += settle
    panel.tick()
    seen = False
    while (event := panel.get(0)) is not None:
        seen = seen or event.name == name
    return seen


# -- hub, clock, disk --------------------------------------------------------------------


def check_hub(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """The hub answers, knows this token, and our clock agrees with it."""
    from core.clock import SystemClock
    from node.transport import HttpTransport

    url = config_value(config, "node", "hub_url", "") or ""
    transport = seams.transport or HttpTransport(url, config_value(config, "node", "token"))
    clock = seams.clock or SystemClock()
    node_id = config_value(config, "node", "id")
    try:
        status, body = transport.request("GET", "/healthz", timeout=3.0)
    except HubUnreachable as exc:
        return [
            Check("hub", FAIL, f"{url} does not answer: {exc}"),
            Check("clock offset", SKIP, "no hub to compare with"),
        ]
    rows = [Check("hub", PASS if status == 200 else FAIL, f"{url}: /healthz {status}")]
    if not config_value(config, "node", "token") and browser_display(config):
        rows.append(Check("token", SKIP, "none: the board needs none, but no heartbeats"))
        return rows + [_offset_row(transport, clock)]
    try:
        status, body = transport.request("GET", "/api/v1/sync/changes?since=0&limit=1", timeout=5)
    except HubUnreachable as exc:
        status, body = 0, {"message": str(exc)}
    if status == 200:
        rows.append(Check("token", PASS, f"the hub accepts {node_id}'s token"))
    else:
        rows.append(
            Check("token", FAIL, f"{status} {body.get('error', '')}: {body.get('message', '')}")
        )
    return rows + [_offset_row(transport, clock)]


def _offset_row(transport: Transport, clock: Any) -> Check:
    offset = health.clock_offset_ms(transport, clock)
    if offset is None:
        return Check("clock offset", FAIL, "the hub did not tell its time")
    ok = abs(offset) <= MAX_OFFSET_MS
    detail = f"{offset / 1000:+.3f} s from the hub"
    if not ok:
        detail += " (is chrony syncing from the hub? see docs/provisioning.md)"
    return Check("clock offset", PASS if ok else FAIL, detail)


def browser_display(config: Any) -> bool:
    """``[screen] backend = "browser"``: Chromium on the hub's board, no node agent."""
    return config_value(config, "screen", "backend") == "browser"


def check_disk(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    data_dir = Path(config_value(config, "node", "data_dir", ".") or ".")
    probe = data_dir if data_dir.exists() else _existing_parent(data_dir)
    free = health.disk_free_mb(probe)
    if free is None:
        return [Check("free disk", FAIL, f"cannot read free space at {probe}")]
    ok = free >= MIN_FREE_MB
    return [Check("free disk", PASS if ok else FAIL, f"{free} MB free at {probe}")]


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
