"""The kiosk touchscreen: a pygame loop over the kiosk role.

Threads: pygame runs on the thread that calls ``step()``/``run()`` (the main thread under
``loket node run``); the role runs on the node's worker. A touch never calls the role: it
``submit``s the request to the worker queue; the role's ``Outcome`` comes back through a
listener that only stores it under a lock, and the next ``step()`` shows it.

Input: mouse clicks and touches (SDL turns both into mouse button events; FINGERDOWN is
handled too), and a USB barcode/QR scanner that types like a keyboard: a line of text ended
by Enter goes to ``on_scan(text)`` (booking check-in hooks in there; by default the screen
only says the code was read).

What the screens show of the catalogue (services by agency, names, priority categories) is
read on the worker too (``refresh``, every ``REFRESH_S`` and after each outcome) and kept as a
snapshot: the drawing thread never reads the node's view while the worker changes it. A frame
is drawn only when something changed (or once a second, for the offline note).

``backend = "fake"`` draws onto an offscreen surface of ``width`` x ``height``: the same
screens, for tests and a headless demo; ``click(x, y)`` stands in for a finger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from node.kiosk_ui import screens
from node.kiosk_ui.draw import Canvas
from node.kiosk_ui.layout import frame, service_pages
from node.kiosk_ui.words import LANGS, categories, printer_text, refusal_text, reopens_text, words
from node.roles.kiosk_outcome import Outcome

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1024, 600)
RESULT_S = 10.0  # a result stays this long, then the first page again
DEFAULT_IDLE_S = 20.0
FPS = 20
REFRESH_S = 10.0
REDRAW_S = 1.0


class KioskUI:
    """The screens and their state; ``shows_numbers`` tells the role a failed print can
    leave the number on screen (with a reprint key) instead of being cancelled."""

    shows_numbers = True

    def __init__(
        self,
        role: Any,
        submit: Callable[[Callable[[], None]], None],
        section: Any = None,
        *,
        offscreen: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import pygame

        from node.hardware.settings import setting

        if not offscreen:  # an offscreen surface needs no video driver at all
            pygame.display.init()
        pygame.font.init()
        size = (
            int(setting(section, "width", DEFAULT_SIZE[0])),
            int(setting(section, "height", DEFAULT_SIZE[1])),
        )
        if offscreen:
            self.surface = pygame.Surface(size)
        elif setting(section, "fullscreen", False):
            self.surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            self.surface = pygame.display.set_mode(size)
        self.offscreen = offscreen
        if not offscreen:
            pygame.display.set_caption("Loket")
        self.role = role
        self.submit = submit
        self.lang = setting(section, "lang", None) or role.lang()
        self.default_lang = self.lang
        self.idle_s = float(setting(section, "idle_s", DEFAULT_IDLE_S))
        self.on_scan: Callable[[str], None] = getattr(role, "on_scan", None) or self._scanned
        self._clock = clock
        self._lock = threading.Lock()
        self._incoming: list[Outcome] = []
        self._printer_changed = False
        self.state = "services"
        self.page = 0
        self.service: str | None = None
        self.outcome: Outcome | None = None
        self.note: str | None = None
        self._since = clock()
        self._typed = ""
        self.canvas = Canvas(self.surface)
        self.frames = 0
        self._view: dict = {"groups": [], "names": {}, "categories": {}, "online": True}
        self._refreshed = -REFRESH_S
        self._drawn: tuple | None = None
        self._drawn_at = 0.0
        role.listeners.append(self._got_outcome)
        role.printer_listeners.append(self._got_printer)
        self.refresh()  # built on the caller's thread, before the worker runs: safe here

    def refresh(self) -> None:
        """Snapshot what the screens need of the catalogue (run on the node's worker)."""
        role, ctx = self.role, self.role.ctx
        names: dict[str, str] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        for sid in role.services:
            info = ctx.service_info(sid)
            names[sid] = info.get("name") or sid
            groups.setdefault(ctx.agency_name(info.get("agency")) or "", []).append(
                (sid, names[sid])
            )
        catalogue = ctx.catalogue()
        view = {
            "groups": list(groups.items()),
            "names": names,
            "categories": {lang: categories(catalogue, lang) for lang in LANGS},
            "online": ctx.sync.online is not False,
            "now_ms": role.now_ms() if hasattr(role, "now_ms") else 0,
            "tz": role.timezone() if hasattr(role, "timezone") else None,
        }
        with self._lock:
            self._view = view

    # -- from the worker thread --------------------------------------------------------------

    def _got_outcome(self, outcome: Outcome) -> None:
        self.refresh()  # on the worker: online/offline and the catalogue may have changed
        with self._lock:
            self._incoming.append(outcome)

    def _got_printer(self, _state: tuple[str, str]) -> None:
        with self._lock:
            self._printer_changed = True

    # -- input ---------------------------------------------------------------------------

    def click(self, x: int, y: int) -> tuple | None:
        """A touch or click at ``(x, y)``: does what the key there does; returns its action."""
        action = self.canvas.hit((x, y))
        if action is not None:
            self._act(action)
        return action

    def key_text(self, text: str) -> None:
        """Characters from a keyboard (a scanner types its code, then Enter)."""
        for ch in text:
            if ch in "\r\n":
                line, self._typed = self._typed.strip(), ""
                if line:
                    self.on_scan(line)
            else:
                self._typed = (self._typed + ch)[-512:]

    def _scanned(self, text: str) -> None:
        log.info("kiosk: scanned %r (no booking check-in here)", text)
        self.note = words(self.lang)["scan_seen"].format(text=text[:40])
        self._since = self._clock()

    def _act(self, action: tuple) -> None:
        self._since = self._clock()
        kind = action[0]
        if kind == "lang":
            self.lang = LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)]
        elif kind == "page":
            self.page = action[1]
        elif kind == "service":
            self.service, self.state = action[1], "priority"
        elif kind == "back":
            self.state = "services"
        elif kind == "issue" and self.service is not None:
            service, category = self.service, action[1]
            self.state = "printing"
            self.submit(lambda: self.role.request(service, category))
        elif kind == "reprint":
            self.state = "printing"
            self.submit(self.role.reprint)
        elif kind == "home":
            self.home()

    def home(self) -> None:
        self.state, self.page, self.service, self.outcome = "services", 0, None, None
        self.lang = self.default_lang
        self.note = None

    # -- the loop ------------------------------------------------------------------------

    def step(self) -> None:
        """Handle pending input, pick up outcomes, time out, draw. Call ~20 times a second."""
        if not self.offscreen:
            self._events()
        with self._lock:
            incoming, self._incoming = self._incoming, []
            self._printer_changed = False
        for outcome in incoming:
            self.outcome, self.state = outcome, "result"
            self._since = self._clock()
        now = self._clock()
        if now - self._refreshed >= REFRESH_S:
            self._refreshed = now
            self.submit(self.refresh)
        quiet = now - self._since
        if self.state == "result" and quiet >= RESULT_S:
            self.home()
        elif (
            self.state in ("services", "priority")
            and quiet >= self.idle_s
            and (self.page or self.state != "services" or self.lang != self.default_lang)
        ):
            self.home()
        self.draw()

    def _events(self) -> None:
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                self.click(*event.pos)
            elif event.type == pygame.FINGERDOWN:
                w, h = self.surface.get_size()
                self.click(int(event.x * w), int(event.y * h))
            elif event.type == pygame.TEXTINPUT:
                self.key_text(event.text)
            elif event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.key_text("\n")

    def run(self, stop: threading.Event) -> None:
        import pygame

        pygame.key.start_text_input()
        while not stop.is_set():
            self.step()
            time.sleep(1 / FPS)

    def close(self) -> None:
        import pygame

        if not self.offscreen:
            pygame.display.quit()

    # -- drawing -------------------------------------------------------------------------

    def current(self) -> str:
        """The state shown: ``fault`` wins over ``services`` while the printer cannot print."""
        if self.state in ("services", "priority") and not self.role.can_print(
            self.role.printer_state
        ):
            return "fault"
        return self.state

    def draw(self) -> None:
        import pygame

        w, h = self.surface.get_size()
        f = frame(w, h)
        self.canvas = Canvas(self.surface, self.canvas.fonts)
        c, t = self.canvas, words(self.lang)
        state = self.current()
        view = self._view
        offline = not view["online"]
        if state == "fault":
            status = self.role.printer_state[0]
            screens.message(
                c, f, t, t["title"], [printer_text(status, self.lang), t["call_staff"]], home=False
            )
        elif state == "services":
            pages = service_pages(self.groups(), f)
            self.page = min(self.page, max(0, len(pages) - 1))
            screens.services(c, f, t, pages, self.page, offline)
            if self.note:
                c.text(self.note, f.header, f.text_px, colour=(255, 255, 255), max_lines=1)
        elif state == "priority":
            cats = view["categories"].get(self.lang) or []
            screens.priority(c, f, t, self.service_name(self.service), cats)
        elif state == "printing":
            screens.printing(c, f, t, self.service_name(self.service))
        else:
            self._draw_result(c, f, t)
        if not self.offscreen:
            pygame.display.flip()
        self.frames += 1

    def _draw_result(self, c: Canvas, f: Any, t: dict) -> None:
        o = self.outcome
        name = self.service_name(o.service if o else self.service)
        if o is None or o.kind == "no_service":
            screens.message(c, f, t, name, [t["no_services"]])
        elif o.kind == "printed":
            lines = [t["take_ticket"]] + ([t["offline"]] if o.offline else [])
            screens.number(c, f, t, name, o.label or "", lines, reprint=False)
        elif o.kind == "print_failed":
            lines = [t["print_failed"]] + ([t["offline"]] if o.offline else [])
            screens.number(c, f, t, name, o.label or "", lines, reprint=True)
        elif o.kind == "printer":
            screens.message(c, f, t, name, [printer_text(o.code, self.lang), t["call_staff"]])
        else:
            lines = [refusal_text(o.code, self.lang)]
            when = reopens_text(
                o.reopens_ms,
                self._view.get("now_ms") or o.reopens_ms or 0,
                self.role.timezone(),
                self.lang,
            )
            if when:
                lines.append(when)
            screens.message(c, f, t, name, lines)

    # -- what the screens show -----------------------------------------------------------

    def service_name(self, service: str | None) -> str:
        if not service:
            return words(self.lang)["title"]
        return self._view["names"].get(service) or service

    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """This kiosk's services grouped by agency, agencies in the order first offered."""
        return self._view["groups"]

    def screenshot(self, path: str) -> None:
        import pygame

        pygame.image.save(self.surface, path)


def make_kiosk_ui(section: Any, role: Any, submit: Callable) -> KioskUI:
    """The ``[screen]`` of a kiosk: ``pygame`` (the panel) or ``fake`` (offscreen)."""
    from node.hardware.errors import HardwareError
    from node.hardware.settings import setting

    backend = setting(section, "backend", "pygame")
    if backend not in ("pygame", "fake"):
        raise HardwareError(f"unknown kiosk screen backend {backend!r}; expected pygame or fake")
    try:
        return KioskUI(role, submit, section, offscreen=backend == "fake")
    except Exception as exc:
        raise HardwareError(f"the kiosk screen cannot start: {exc}") from exc
