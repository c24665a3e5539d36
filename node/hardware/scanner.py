"""A USB barcode/QR scanner acting as a keyboard, on a kiosk without a screen.

The scanner types its code and Enter. A touchscreen kiosk gets those keys from SDL
(``node.kiosk_ui``); a button-only kiosk has no window, so this reads the scanner's own
Linux input device (``/dev/input/by-id/...-event-kbd``) and hands each line to ``on_line``
(``Node.scan``: a booking check-in). Optionally the device is grabbed (``EVIOCGRAB``) so the
keys do not also land on the Pi's console login.

Only what a code needs is mapped (US layout, which scanners emulate): letters, digits, the
keypad's digits, ``-`` and space; Enter ends the line. Letters arrive lower case without
Shift: codes are normalised to upper case anyway (``core.booking.normalize``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import struct
import threading
from collections.abc import Callable
from typing import Any

from node.hardware.errors import HardwareError

log = logging.getLogger(__name__)

EVENT = struct.Struct("llHHi")  # struct input_event: timeval, type, code, value
EV_KEY = 1
KEY_DOWN = 1
EVIOCGRAB = 0x40044590
ENTER = frozenset({28, 96})  # KEY_ENTER, KEY_KPENTER
MAX_LINE = 512
KEYS: dict[int, str] = {
    **{2 + i: d for i, d in enumerate("1234567890")},
    **{16 + i: c for i, c in enumerate("qwertyuiop")},
    **{30 + i: c for i, c in enumerate("asdfghjkl")},
    **{44 + i: c for i, c in enumerate("zxcvbnm")},
    **dict(zip((79, 80, 81, 75, 76, 77, 71, 72, 73, 82), "1234567890", strict=True)),
    12: "-",
    74: "-",  # KEY_KPMINUS
    57: " ",
}


def key_event(code: int, value: int = KEY_DOWN) -> bytes:
    """One ``input_event`` as the kernel writes it (tests feed these through a pipe)."""
    return EVENT.pack(0, 0, EV_KEY, code, value)


class EvdevScanner:
    """Reads key presses from ``device`` on a thread; each Enter sends the line so far."""

    def __init__(self, device: str, on_line: Callable[[str], None], *, grab: bool = True):
        self.device = device
        self.on_line = on_line
        try:
            self._fd = os.open(device, os.O_RDONLY)
        except OSError as exc:
            raise HardwareError(f"scanner {device}: cannot open ({exc.strerror})") from exc
        if grab:
            try:
                fcntl.ioctl(self._fd, EVIOCGRAB, 1)
            except OSError as exc:
                os.close(self._fd)
                raise HardwareError(
                    f"scanner {device}: cannot grab it ({exc.strerror}); expected an input "
                    "event device, or grab = false"
                ) from exc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loket-scanner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        line, pending = "", b""
        while not self._stop.is_set():
            try:
                # A short wait, so close() is noticed without a key press.
                if not select.select([self._fd], [], [], 0.2)[0]:
                    continue
                chunk = os.read(self._fd, EVENT.size * 16)
            except OSError as exc:
                if not self._stop.is_set():
                    log.error("scanner %s: read failed: %s", self.device, exc)
                return
            if not chunk:
                return  # unplugged (or the test's pipe closed)
            pending += chunk
            while len(pending) >= EVENT.size:
                _s, _us, etype, code, value = EVENT.unpack_from(pending)
                pending = pending[EVENT.size :]
                if etype != EV_KEY or value != KEY_DOWN:
                    continue
                if code in ENTER:
                    if line.strip():
                        self._send(line.strip())
                    line = ""
                elif code in KEYS:
                    line = (line + KEYS[code])[-MAX_LINE:]

    def _send(self, line: str) -> None:
        try:
            self.on_line(line)
        except Exception:  # the next citizen's scan must still be read
            log.exception("scanner line handler failed")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        # Once only: a second os.close of the same number would close whatever file the
        # process opened next under it (a journal segment, a socket).
        fd, self._fd = self._fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass


class FakeScanner:
    """No device: ``feed(line)`` stands in for a scan (the demo, tests)."""

    def __init__(self, on_line: Callable[[str], None]):
        self.on_line = on_line

    def feed(self, line: str) -> None:
        self.on_line(line)

    def close(self) -> None:
        pass


def make_scanner(section: Any, on_line: Callable[[str], None]) -> EvdevScanner | FakeScanner:
    from node.hardware.settings import setting

    backend = setting(section, "backend", "evdev")
    if backend == "fake":
        return FakeScanner(on_line)
    if backend != "evdev":
        raise HardwareError(f"unknown scanner backend {backend!r}; expected evdev or fake")
    return EvdevScanner(
        str(setting(section, "device", "")), on_line, grab=bool(setting(section, "grab", True))
    )
