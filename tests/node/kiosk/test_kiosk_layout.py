"""The touchscreen's layout with 40 services at every panel size, and real pygame input
(mouse, finger, a scanner typing) through SDL's dummy video driver."""

from __future__ import annotations

import pytest

from node.kiosk_ui.layout import MIN_KEY_PX, frame, inside, service_pages

SIZES = [(800, 480), (1024, 600), (1920, 1080)]


def forty() -> list[tuple[str, list[tuple[str, str]]]]:
    agencies = [f"Agency {i} with quite a long official name" for i in range(12)]
    groups: dict[str, list] = {}
    for n in range(40):
        groups.setdefault(agencies[n % 12], []).append((f"S{n}", f"Service number {n}"))
    return list(groups.items())


@pytest.mark.parametrize("size", SIZES)
def test_forty_services_fit_on_pages_of_finger_sized_keys(size) -> None:
    f = frame(*size)
    pages = service_pages(forty(), f)
    tiles = [t for page in pages for t in page if t.kind == "service"]
    assert sorted(t.service for t in tiles) == sorted(f"S{n}" for n in range(40))
    for page in pages:
        assert page[0].kind == "agency"  # every page says whose services it shows
        for t in page:
            assert inside(t.rect, f.body), (t, f.body)
        keys = [t.rect for t in page if t.kind == "service"]
        assert all(r[3] >= MIN_KEY_PX and r[2] >= MIN_KEY_PX for r in keys)
        for i, a in enumerate(keys):  # no two keys overlap
            for b in keys[i + 1 :]:
                assert (
                    a[0] + a[2] <= b[0]
                    or b[0] + b[2] <= a[0]
                    or a[1] + a[3] <= b[1]
                    or b[1] + b[3] <= a[1]
                )
    assert len(pages) <= 12


class Role:
    """Just enough of a kiosk role for the screen (no hub, no printer)."""

    def __init__(self):
        from types import SimpleNamespace

        from core.catalogue import Catalogue

        self.listeners, self.printer_listeners = [], []
        self.printer_state = ("ok", "")
        self.services = ["A"]
        self.requests = []
        catalogue = Catalogue()
        self.ctx = SimpleNamespace(
            sync=SimpleNamespace(online=True),
            catalogue=lambda: catalogue,
            service_info=lambda s: {"id": s, "name": "KTP-el", "agency": "dukcapil"},
            agency_name=lambda a: "Dukcapil",
        )

    def lang(self):
        return "id"

    def can_print(self, state):
        return state[0] == "ok"

    def request(self, service, category=None):
        self.requests.append((service, category))


def test_mouse_finger_and_scanner_events(monkeypatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame

    from node.kiosk_ui.app import KioskUI

    role = Role()
    ui = KioskUI(role, lambda fn: fn(), {"width": 800, "height": 480})
    try:
        ui.step()
        (x, y, w, h), _ = next(k for k in ui.canvas.keys if k[1] == ("service", "A"))
        pygame.event.post(
            pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x + w // 2, y + h // 2), button=1)
        )
        ui.step()
        assert ui.state == "priority"
        (x, y, w, h), _ = next(k for k in ui.canvas.keys if k[1] == ("issue", None))
        pygame.event.post(
            pygame.event.Event(
                pygame.FINGERDOWN,
                x=(x + w / 2) / 800,
                y=(y + h / 2) / 480,
                touch_id=0,
                finger_id=0,
                dx=0,
                dy=0,
                pressure=1,
            )
        )
        ui.step()
        assert role.requests == [("A", None)]
        scanned = []
        ui.on_scan = scanned.append
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="BK-2026-7"))
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0))
        ui.step()
        assert scanned == ["BK-2026-7"]
    finally:
        ui.close()
