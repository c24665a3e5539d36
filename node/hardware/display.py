"""Counter number displays: one interface, a shipped fake, a terminal renderer, real backends.

Contract (docs/contracts.md, node.hardware.display)::

    show(text)            the number being served, right-aligned ("A-001")
    show_idle()           no one waiting ("----")
    show_closed()         counter closed ("TUTUP", or "OFF" on a 4-digit display)
    flash(text, seconds)  show text for a while (e.g. a transfer target), then go back
    set_offline(flag)     offline indicator: the rightmost decimal point blinks
    close()

The newest call wins: show/show_idle/show_closed end a running flash.  Time-based effects
(the blink, the end of a flash) happen in :meth:`BaseDisplay.tick`, called by a small ticker
thread (``ticker=True``) or by tests on an injected ``clock`` (monotonic milliseconds, the
same unit as the buttons' clock and ``core.clock.Clock.mono_ms``).  All methods are thread-safe and
cheap for the agent thread: a device write happens only when the visible output changes.

Text that does not fit takes the shortest form that still names only that label ("A-001" ->
"A001" on 4 digits, "SK-014" -> "SK14"; "A2-031" keeps its dash, since "A2031" could be
A-2031), else loses its dashes and then its leftmost characters, because the digits are what a
visitor compares with the ticket (config validation refuses a prefix too long for the display).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

from core.glyphs import encode_7seg
from core.health import DeviceStatus
from core.numbering import fit_label
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

log = logging.getLogger(__name__)

IDLE_TEXT = "----"
CLOSED_TEXT = "TUTUP"
CLOSED_TEXT_NARROW = "OFF"
BLINK_S = 0.5


@runtime_checkable
class NumberDisplay(Protocol):
    def show(self, text: str) -> None: ...
    def show_idle(self) -> None: ...
    def show_closed(self) -> None: ...
    def flash(self, text: str, seconds: float) -> None: ...
    def set_offline(self, offline: bool) -> None: ...
    def status(self) -> DeviceStatus: ...
    def close(self) -> None: ...


class Frame(NamedTuple):
    """What a display shows, logically: the text, the offline flag and why (the mode)."""

    text: str
    offline: bool
    mode: str  # "text" | "idle" | "closed" | "flash" | "blank"


def fit(text: str, width: int, *, dots_share_cell: bool = True) -> str:
    """Right-align ``text`` in ``width`` cells (a '.' shares the cell before it on 7-segment).

    Too long: the shortest unambiguous form of a label (``SK-014`` -> ``SK014`` -> ``SK14``,
    ``core.numbering.display_forms``), else dashes dropped, then characters from the left.
    """

    def cells(s: str) -> int:
        return len(encode_7seg(s)) if dots_share_cell else len(s)

    text = fit_label(text, lambda s: cells(s) <= width)
    return " " * (width - cells(text)) + text


class BaseDisplay:
    """State, flash and blink logic shared by every backend; subclasses implement
    :meth:`_present` (draw this frame, with the offline dot lit or not) and :meth:`_shutdown`."""

    def __init__(
        self,
        width: int,
        *,
        clock: Callable[[], float] | None = None,
        blink_s: float = BLINK_S,
        ticker: bool = False,
        idle_text: str | None = None,
        closed_text: str | None = None,
    ) -> None:
        self.width = width
        # Milliseconds on a monotonic clock, like the buttons (core.clock's mono_ms fits).
        self._clock_ms = clock or (lambda: time.monotonic() * 1000.0)
        self._blink_s = blink_s
        self._idle_text = idle_text if idle_text is not None else IDLE_TEXT[:width]
        if closed_text is None:
            closed_text = CLOSED_TEXT if width >= len(CLOSED_TEXT) else CLOSED_TEXT_NARROW
        self._closed_text = closed_text
        self._lock = threading.RLock()
        self._base = Frame("", False, "blank")
        self._offline = False
        self._flash: tuple[str, float] | None = None
        self._offline_since = 0.0
        self._last: tuple[Frame, bool] | None = None
        self._closed = False
        self._fault: str | None = None  # the last drawing error, until a frame goes out
        self._ticker_stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if ticker:
            self._ticker = threading.Thread(target=self._run, name="loket-display", daemon=True)
            self._ticker.start()

    # -- the contract ---------------------------------------------------------------------
    def show(self, text: str) -> None:
        self._set_base(text, "text")

    def show_idle(self) -> None:
        self._set_base(self._idle_text, "idle")

    def show_closed(self) -> None:
        self._set_base(self._closed_text, "closed")

    def flash(self, text: str, seconds: float) -> None:
        with self._lock:
            self._flash = (text, self._clock() + seconds)
            self._refresh()

    def set_offline(self, offline: bool) -> None:
        with self._lock:
            if offline and not self._offline:
                self._offline_since = self._clock()  # start the blink with the dot lit
            self._offline = offline
            self._refresh()

    def tick(self) -> None:
        """Apply time: end an expired flash, advance the blink."""
        with self._lock:
            self._refresh()

    def close(self) -> None:
        self._ticker_stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=2)
        with self._lock:
            if not self._closed:
                self._closed = True
                self._shutdown()

    def status(self) -> DeviceStatus:
        """``fault`` while the last frame could not be sent (SPI, pins or the serial link
        refused it), ``offline`` once closed, else ``ok``."""
        with self._lock:
            if self._closed:
                return DeviceStatus("offline", "display closed")
            if self._fault is not None:
                return DeviceStatus("fault", self._fault)
            return DeviceStatus("ok")  # no "showing ...": the hub logs every change of words

    def __enter__(self) -> BaseDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def frame(self) -> Frame:
        """The frame currently shown (flash included)."""
        with self._lock:
            return self._current(self._clock())

    # -- for subclasses -------------------------------------------------------------------
    def _present(self, frame: Frame, dot: bool) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        pass

    # -- internals ------------------------------------------------------------------------
    def _clock(self) -> float:
        """Now, in seconds."""
        return self._clock_ms() / 1000.0

    def _set_base(self, text: str, mode: str) -> None:
        with self._lock:
            self._base = Frame(text, self._offline, mode)
            self._flash = None
            self._refresh()

    def _current(self, now: float) -> Frame:
        if self._flash is not None and now >= self._flash[1]:
            self._flash = None
        if self._flash is not None:
            return Frame(self._flash[0], self._offline, "flash")
        return self._base._replace(offline=self._offline)

    def _refresh(self) -> None:
        if self._closed:
            raise HardwareError("display is closed")
        now = self._clock()
        frame = self._current(now)
        dot = frame.offline and (
            self._blink_s <= 0 or int((now - self._offline_since) / self._blink_s) % 2 == 0
        )
        if (frame, dot) != self._last:
            try:
                self._present(frame, dot)
            except Exception as exc:
                self._fault = f"{type(exc).__name__}: {exc}"[:200]
                raise
            self._fault = None
            self._last = (frame, dot)

    def _run(self) -> None:
        period = self._blink_s / 2 if self._blink_s > 0 else 0.25
        while not self._ticker_stop.wait(period):
            try:
                self.tick()
            except Exception:  # a failing device must not kill the ticker; it logs instead
                log.exception("display tick failed")


class FakeDisplay(BaseDisplay):
    """Shipped fake: records every distinct :class:`Frame` in :attr:`history`.

    Blinks are not recorded (the offline flag is); ``.frame`` is what shows now.
    """

    def __init__(self, width: int = 8, **kwargs: Any) -> None:
        self.history: list[Frame] = []
        super().__init__(width, **kwargs)

    def _present(self, frame: Frame, dot: bool) -> None:
        if not self.history or self.history[-1] != frame:
            self.history.append(frame)

    @property
    def text(self) -> str:
        return self.frame.text


class ConsoleDisplay(BaseDisplay):
    """The LED digits in a terminal for ``loket node run --simulate``: ``[   A-001 .]``.

    The last cell is the offline dot, steady while offline: a terminal is a log, and a
    blinking dot would print a line per blink. A line is written only when what it shows
    changed. ``style="segments"`` draws three-line seven-segment art from the same font as
    the TM1637 instead.
    """

    def __init__(
        self,
        width: int = 8,
        *,
        write: Callable[[str], None] | None = None,
        style: str = "brackets",
        label: str = "",
        **kwargs: Any,
    ) -> None:
        if style not in ("brackets", "segments"):
            raise HardwareError(f"unknown console style {style!r}; expected brackets|segments")
        if write is None:
            from node.hardware.console import say as write
        self._write = write
        self._style = style
        self._label = label
        self.lines: list[str] = []
        super().__init__(width, **kwargs)

    def render(self, frame: Frame, dot: bool) -> str:
        text = fit(frame.text, self.width, dots_share_cell=False)
        if self._style == "segments":
            return segment_art(fit(frame.text, self.width), dot)
        return f"{self._label}[{text} {'.' if dot else ' '}]"

    def _present(self, frame: Frame, dot: bool) -> None:
        out = self.render(frame, frame.offline)
        if not self.lines or self.lines[-1] != out:
            self.lines.append(out)
            self._write(out)


def segment_art(text: str, dot: bool = False) -> str:
    """Three text lines drawing ``text`` as seven-segment digits (the real font)."""
    codes = encode_7seg(text)
    if dot and codes:
        codes[-1] |= 0x80
    rows = ["", "", ""]
    for c in codes:
        rows[0] += " " + ("_" if c & 0x01 else " ") + "  "
        rows[1] += ("|" if c & 0x20 else " ") + ("_" if c & 0x40 else " ")
        rows[1] += ("|" if c & 0x02 else " ") + " "
        rows[2] += ("|" if c & 0x10 else " ") + ("_" if c & 0x08 else " ")
        rows[2] += ("|" if c & 0x04 else " ") + ("." if c & 0x80 else " ")
    return "\n".join(r.rstrip() for r in rows)


BACKENDS = ("max7219", "tm1637", "serial", "fake", "console")


def make_display(section: Any, **kwargs: Any) -> BaseDisplay:
    """The display named by ``section.backend``; extra kwargs (clock, ticker, interface,
    pin_factory...) go to the backend.  Real backends tick by default, the fake does not."""
    backend = setting(section, "backend", None)
    common: dict[str, Any] = {}
    for key in ("idle_text", "closed_text"):
        value = setting(section, key, None)
        if value is not None:
            common[key] = value
    blink_ms = setting(section, "blink_ms", None)
    if blink_ms is not None:
        common["blink_s"] = blink_ms / 1000.0
    common.update(kwargs)
    if backend == "fake":
        return FakeDisplay(setting(section, "digits", 8), **common)
    if backend == "console":
        common.setdefault("ticker", True)
        return ConsoleDisplay(setting(section, "digits", 8), **common)
    if backend == "max7219":
        from node.hardware.display_max7219 import Max7219Display

        common.setdefault("ticker", True)
        return Max7219Display.from_section(section, **common)
    if backend == "tm1637":
        from node.hardware.display_tm1637 import TM1637Display

        common.setdefault("ticker", True)
        return TM1637Display.from_section(section, **common)
    if backend == "serial":
        from node.hardware.display_serial import SerialPanelDisplay

        common.setdefault("ticker", True)
        return SerialPanelDisplay.from_section(section, **common)
    raise HardwareError(f"unknown display backend {backend!r}; expected one of {BACKENDS}")
