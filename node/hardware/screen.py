"""Hall display screen: the interface, the shipped fake and the pygame full-screen board.

``render(view)`` draws one complete frame from a plain dict, so the display node can redraw
from its replica at any time (after a restart, after the hub comes back) without history:

    {
      "title": "MPP Kota Contoh",              # optional
      "clock": "09:15",                        # optional, already formatted
      "now": {"label": "B-023", "counter": 3}, # the latest call, or None
      "recent": [{"label": "A-011", "counter": 1}, ...],   # newest first; 6 are shown
      "waiting": [{"service": "B", "prefix": "B", "name": "Dukcapil", "count": 4}, ...],
                                               # 12 shown; prefix optional (else service)
      "offline": False,                        # True: the node lost the hub (shows a mark)
      "lang": "id",                            # "id" | "en" captions
    }

Fonts are pygame's bundled default font: the hall has no internet and no font downloads.
``render`` never blocks on drawing: ``PygameScreen`` draws the newest view on its own thread.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Protocol, runtime_checkable

from node.hardware.errors import HardwareError, missing_driver
from node.hardware.settings import setting

log = logging.getLogger(__name__)

BACKENDS = ("pygame", "fake")

BACKGROUND = (12, 28, 64)
PANEL = (22, 48, 100)
NUMBER = (255, 210, 0)
TEXT = (255, 255, 255)
MUTED = (170, 190, 220)
OFFLINE = (210, 30, 30)

_CAPTIONS = {
    "id": {
        "now": "NOMOR ANTRIAN",
        "counter": "LOKET",
        "recent": "PANGGILAN TERAKHIR",
        "waiting": "MENUNGGU",
        "none": "Belum ada panggilan",
        "offline": "OFFLINE",
    },
    "en": {
        "now": "NOW SERVING",
        "counter": "COUNTER",
        "recent": "LAST CALLS",
        "waiting": "WAITING",
        "none": "No calls yet",
        "offline": "OFFLINE",
    },
}


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

    def close(self) -> None:
        self.closed = True


class _Fonts:
    """pygame default-font cache by pixel size (creating a Font parses the file)."""

    def __init__(self, pygame: Any) -> None:
        self._pygame = pygame
        self._cache: dict[int, Any] = {}

    def get(self, size: int) -> Any:
        size = max(8, int(size))
        if size not in self._cache:
            self._cache[size] = self._pygame.font.Font(None, size)
        return self._cache[size]

    def fit(self, text: str, size: int, max_width: int, color: tuple) -> Any:
        """Render ``text`` at ``size`` px, shrunk so it never exceeds ``max_width``."""
        surf = self.get(size).render(text, True, color)
        if surf.get_width() > max_width > 0:
            surf = self.get(size * max_width / surf.get_width()).render(text, True, color)
        return surf


def _counter_text(caption: str, counter: Any) -> str:
    return f"{caption} {counter}" if counter not in (None, "") else ""


def draw_board(surface: Any, view: dict, fonts: _Fonts) -> dict[str, Any]:
    """Draw the hall board on ``surface``; returns the named regions (pygame Rects) drawn."""
    import pygame

    w, h = surface.get_size()
    cap = _CAPTIONS.get(view.get("lang", "id"), _CAPTIONS["id"])
    surface.fill(BACKGROUND)
    regions: dict[str, Any] = {}

    header = pygame.Rect(0, 0, w, h // 10)
    title = fonts.fit(str(view.get("title", "")), header.h * 6 // 10, w * 6 // 10, TEXT)
    surface.blit(title, title.get_rect(midleft=(w // 40, header.centery)))
    clock = fonts.fit(str(view.get("clock", "")), header.h * 6 // 10, w // 5, TEXT)
    surface.blit(clock, clock.get_rect(midright=(w - w // 40, header.centery)))
    if view.get("offline"):
        badge = pygame.Rect(0, 0, w // 6, header.h * 7 // 10)
        badge.midright = (w - w // 40 - w // 5, header.centery)
        pygame.draw.rect(surface, OFFLINE, badge, border_radius=header.h // 8)
        label = fonts.fit(cap["offline"], badge.h * 7 // 10, badge.w * 9 // 10, TEXT)
        surface.blit(label, label.get_rect(center=badge.center))
        regions["offline"] = badge

    body_top, footer_top = header.bottom, h - h * 15 // 100
    now_rect = pygame.Rect(0, body_top, w * 6 // 10, footer_top - body_top)
    regions["now"] = now_rect
    caption = fonts.fit(cap["now"], now_rect.h // 10, now_rect.w * 9 // 10, MUTED)
    surface.blit(caption, caption.get_rect(midtop=(now_rect.centerx, now_rect.top + h // 40)))
    now = view.get("now") or None
    if now:
        number = fonts.fit(str(now.get("label", "")), now_rect.h // 2, now_rect.w * 9 // 10, NUMBER)
        number_rect = number.get_rect(
            center=(now_rect.centerx, now_rect.top + now_rect.h * 45 // 100)
        )
        surface.blit(number, number_rect)
        regions["number"] = number_rect
        counter = _counter_text(cap["counter"], now.get("counter"))
        text = fonts.fit(counter, now_rect.h // 6, now_rect.w * 9 // 10, TEXT)
        surface.blit(
            text, text.get_rect(center=(now_rect.centerx, now_rect.top + now_rect.h * 8 // 10))
        )
    else:
        text = fonts.fit(cap["none"], now_rect.h // 10, now_rect.w * 9 // 10, MUTED)
        surface.blit(text, text.get_rect(center=now_rect.center))

    recent_rect = pygame.Rect(now_rect.right, body_top, w - now_rect.w, now_rect.h)
    regions["recent"] = recent_rect
    pygame.draw.rect(surface, PANEL, recent_rect.inflate(-w // 60, -h // 60))
    row_h = recent_rect.h // 8
    caption = fonts.fit(cap["recent"], row_h * 6 // 10, recent_rect.w * 9 // 10, MUTED)
    surface.blit(
        caption, caption.get_rect(midtop=(recent_rect.centerx, recent_rect.top + row_h // 3))
    )
    for i, call in enumerate(list(view.get("recent") or [])[:6]):
        y = recent_rect.top + row_h * (i + 1) + row_h // 2
        label = fonts.fit(str(call.get("label", "")), row_h * 8 // 10, recent_rect.w // 2, TEXT)
        surface.blit(label, label.get_rect(midleft=(recent_rect.left + recent_rect.w // 10, y)))
        counter = _counter_text(cap["counter"], call.get("counter"))
        text = fonts.fit(counter, row_h * 6 // 10, recent_rect.w * 4 // 10, MUTED)
        surface.blit(text, text.get_rect(midright=(recent_rect.right - recent_rect.w // 10, y)))

    footer = pygame.Rect(0, footer_top, w, h - footer_top)
    regions["waiting"] = footer
    parts = [
        f"{item.get('prefix') or item.get('service', '')} {item.get('name', '')}: "
        f"{item.get('count', 0)}"
        for item in view.get("waiting") or []
    ]
    # An MPP has 10-40 services: up to 6 per row and at most two rows stay readable.
    rows = [parts[i : i + 6] for i in range(0, min(len(parts), 12), 6)] or [[]]
    row_h = footer.h // len(rows)
    size = footer.h * 45 // 100 if len(rows) == 1 else row_h * 75 // 100
    for i, row in enumerate(rows):
        prefix = f"{cap['waiting']}   " if i == 0 else ""
        line = prefix + "   |   ".join(row) if row else cap["waiting"] + ": 0"
        text = fonts.fit(line, size, footer.w * 95 // 100, TEXT)
        surface.blit(
            text, text.get_rect(center=(footer.centerx, footer.top + row_h * i + row_h // 2))
        )
    return regions


class PygameScreen:
    """The hall board on a pygame window (full screen on the Pi, a window for development).

    SDL wants one thread to own the window, and a 1080p frame takes tens of milliseconds on
    a Pi: so one drawing thread owns the display, ``render`` only hands it the newest view
    (frames in between are skipped, never queued) and returns at once.
    """

    def __init__(self, fullscreen: bool = True, size: tuple[int, int] = (1280, 720)) -> None:
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
        self._fonts = _Fonts(pygame)

    def _run(self) -> None:
        try:
            self._open()
        except Exception as exc:  # noqa: BLE001 - reported by the constructor
            self._error = exc
            self._pygame.display.quit()
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                with self._cond:
                    # Wake at least twice a second: pumping events keeps the window manager
                    # from marking the board "not responding".
                    self._cond.wait_for(lambda: self._stop or self._submitted > self._drawn, 0.5)
                    if self._stop:
                        return
                    view, number = self._view, self._submitted
                self._pygame.event.pump()
                if view is None or number == self._drawn:
                    continue
                try:
                    regions = draw_board(self.surface, view, self._fonts)
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

    def render(self, view: dict) -> None:
        with self._cond:
            if self._stop:
                raise HardwareError("the hall screen is closed")
            self._view = dict(view)
            self._submitted += 1
            self._cond.notify_all()

    def wait_drawn(self, timeout: float | None = None) -> bool:
        """Block until the latest ``render``ed view is on the screen (tests, shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._drawn >= self._submitted, timeout)

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
    raise HardwareError(f"unknown screen backend {backend!r}; expected one of {BACKENDS}")
