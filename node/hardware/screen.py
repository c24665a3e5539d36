"""Hall display screen: the interface, the shipped fake and the pygame full-screen board.

``render(view)`` draws one complete frame from a plain dict, so the display node can redraw
from its replica at any time (after a restart, after the hub comes back) without history:

    {
      "title": "MPP Kota Contoh",              # optional
      "clock": "09:15",                        # optional, already formatted
      "clock_ms": 1795831200000,               # optional: the hub's time at render; with
      "utc_offset_min": 420,                   #   the MPP's offset the board's clock ticks
      "now": {"label": "B-023", "counter": 3}, # the latest call, or None
      "recent": [{"label": "A-011", "counter": 1}, ...],   # newest first; 6 are shown
      "waiting": [{"service": "B", "letter": "B", "name": "Dukcapil", "count": 4}, ...],
                                               # in order; shown a page at a time
      "running_text": "BPJS tutup 12.00",      # optional: the hall's line under the tiles
      "offline": False,                        # True: the node lost the hub (shows a mark)
      "lang": "id",                            # "id" | "en" captions
    }

Fonts are pygame's bundled default font: the hall has no internet and no font downloads.
``render`` never blocks on drawing: ``PygameScreen`` draws the newest view on its own thread,
which also turns the pages of waiting tiles and moves the clock (``node.hardware.screen_draw``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from core.health import DeviceStatus
from node.hardware.errors import HardwareError, missing_driver
from node.hardware.screen_draw import (  # noqa: F401 - colours re-exported for tests and docs
    BACKGROUND,
    LETTER,
    NUMBER,
    OFFLINE,
    PAGE_S,
    RUNNING,
    TEXT,
    Fonts,
    clock_text,
    draw_board,
    layout,
    page_count,
)
from node.hardware.settings import setting

log = logging.getLogger(__name__)

BACKENDS = ("pygame", "fake")


@runtime_checkable
class Screen(Protocol):
    """A screen that shows a whole frame built from a view dict (see the module docstring)."""

    def render(self, view: dict) -> None: ...

    def close(self) -> None: ...


class FakeScreen:
    """Shipped fake: keeps every rendered view in ``.frames`` (a copy, newest last)."""

    def __init__(self) -> None:
        self.frames: list[dict] = []
        self.closed = False

    def render(self, view: dict) -> None:
        self.frames.append(dict(view))

    @property
    def last(self) -> dict | None:
        return self.frames[-1] if self.frames else None

    def status(self) -> DeviceStatus:
        return DeviceStatus("offline", "closed") if self.closed else DeviceStatus("ok")

    def close(self) -> None:
        self.closed = True


class PygameScreen:
    """The hall board on a pygame window (full screen on the Pi, a window for development).

    SDL wants one thread to own the window, and a 1080p frame takes tens of milliseconds on
    a Pi: so one drawing thread owns the display, ``render`` only hands it the newest view
    (frames in between are skipped, never queued) and returns at once. The same thread
    redraws when the clock's minute or the page of waiting tiles changes; ``clock`` (monotonic
    seconds) is what both run on.
    """

    def __init__(
        self,
        fullscreen: bool = True,
        size: tuple[int, int] = (1280, 720),
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame
        except ImportError as exc:
            raise missing_driver(
                "pygame", "pip install pygame (or apt install python3-pygame)"
            ) from exc
        self._pygame = pygame
        self._fullscreen, self._size = fullscreen, size
        self.surface: Any = None
        self.regions: dict[str, Any] = {}
        self.frames_drawn = 0
        self._cond = threading.Condition()
        self._view: dict | None = None
        self._view_at = 0.0
        self._clock = clock or time.monotonic
        self._submitted = self._drawn = 0
        self._stop = False
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hall-screen", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise HardwareError(f"cannot open the hall screen: {self._error}") from self._error

    def _open(self) -> None:
        pygame = self._pygame
        pygame.display.init()
        pygame.font.init()
        if self._fullscreen:
            self.surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)
        else:
            self.surface = pygame.display.set_mode(self._size)
        pygame.display.set_caption("Loket")
        self._fonts = Fonts(pygame)

    def _run(self) -> None:
        try:
            self._open()
        except Exception as exc:  # noqa: BLE001 - reported by the constructor
            self._error = exc
            self._pygame.display.quit()
            self._ready.set()
            return
        self._ready.set()
        shown: tuple | None = None  # (view number, clock text, page) on the screen now
        try:
            while True:
                with self._cond:
                    # Wake at least twice a second: pumping events keeps the window manager
                    # from marking the board "not responding", and the clock and the tile
                    # pages move on their own.
                    self._cond.wait_for(lambda: self._stop or self._submitted > self._drawn, 0.5)
                    if self._stop:
                        return
                    view, number, view_at = self._view, self._submitted, self._view_at
                self._pygame.event.pump()
                if view is None:
                    continue
                try:
                    frame = self._frame(view, number, view_at)
                    if frame == shown:
                        continue
                    shown = frame
                    regions = draw_board(self.surface, view, self._fonts, frame[2], frame[1])
                    self._pygame.display.flip()
                except Exception:  # noqa: BLE001 - a bad view must not kill the board
                    log.exception("drawing the hall board failed")
                    regions = self.regions
                with self._cond:
                    self.regions, self._drawn = regions, number
                    self.frames_drawn += 1
                    self._cond.notify_all()
        finally:
            self._pygame.font.quit()
            self._pygame.display.quit()

    def _frame(self, view: dict, number: int, view_at: float) -> tuple[int, str, int]:
        """What would be on the screen now: (view number, clock text, tile page)."""
        now = self._clock()
        per_page = layout(*self.surface.get_size()).per_page
        page = int(now // PAGE_S) % page_count(view, per_page)
        return number, clock_text(view, int((now - view_at) * 1000)), page

    def render(self, view: dict) -> None:
        with self._cond:
            if self._stop:
                raise HardwareError("the hall screen is closed")
            self._view = dict(view)
            self._view_at = self._clock()
            self._submitted += 1
            self._cond.notify_all()

    def wait_drawn(self, timeout: float | None = None) -> bool:
        """Block until the latest ``render``ed view is on the screen (tests, shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._drawn >= self._submitted, timeout)

    def status(self) -> DeviceStatus:
        """``offline`` once the drawing thread is gone (closed, or SDL failed), else ``ok``."""
        if self._stop or not self._thread.is_alive():
            return DeviceStatus("offline", "the drawing thread is not running")
        w, h = self.surface.get_size() if self.surface is not None else (0, 0)
        return DeviceStatus("ok", f"{w}x{h}")

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=5)


def make_screen(section: Any) -> Screen:
    """Build the screen chosen by the ``[screen]`` section: ``backend`` (pygame|fake),
    ``fullscreen`` (default true), ``width``/``height`` for a window."""
    backend = setting(section, "backend", "fake")
    if backend == "fake":
        return FakeScreen()
    if backend == "pygame":
        size = (int(setting(section, "width", 1280)), int(setting(section, "height", 720)))
        return PygameScreen(bool(setting(section, "fullscreen", True)), size)
    if backend == "browser":
        raise HardwareError(
            "[screen] backend 'browser' is Chromium on the hub's board, not drawn by the node "
            "agent: start it with `loket node board` (firmware_config/systemd/"
            "loket-board.service), not `loket node run`"
        )
    raise HardwareError(f"unknown screen backend {backend!r}; expected one of {BACKENDS}")
