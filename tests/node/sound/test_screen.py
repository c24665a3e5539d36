"""The hall board: the fake's frames and one real pygame frame on SDL's dummy video driver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.hardware.errors import HardwareError
from node.hardware.screen import (
    BACKGROUND,
    NUMBER,
    OFFLINE,
    FakeScreen,
    PygameScreen,
    make_screen,
)

VIEW = {
    "title": "MPP Kota Contoh",
    "clock": "09:15",
    "now": {"label": "B-023", "counter": 3},
    "recent": [{"label": "A-011", "counter": 1}, {"label": "B-022", "counter": 4}],
    "waiting": [
        {"service": "A", "name": "Samsat", "count": 4},
        {"service": "B", "name": "Dukcapil", "count": 9},
    ],
    "offline": False,
    "lang": "id",
}


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Iterator[PygameScreen]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    s = PygameScreen(fullscreen=False, size=(1280, 720))
    try:
        yield s
    finally:
        s.close()


def saved_frame(screen: PygameScreen, path: Path):  # -> pygame.Surface
    """Save the frame as a PNG and load it back: what we check is a real image file."""
    import pygame

    assert screen.wait_drawn(timeout=30)
    pygame.image.save(screen.surface, str(path))
    return pygame.image.load(str(path))


def count_color(image, rect, color: tuple[int, int, int]) -> int:  # noqa: ANN001
    """How many pixels of ``rect`` have exactly ``color``."""
    import pygame

    exact = (1, 1, 1, 255)  # threshold 1 = exact match per channel, alpha ignored
    return pygame.mask.from_threshold(image.subsurface(rect), color, exact).count()


def test_board_frame_shows_the_called_number(screen: PygameScreen, tmp_path: Path) -> None:
    screen.render(VIEW)
    image = saved_frame(screen, tmp_path / "board.png")
    assert image.get_size() == (1280, 720)
    number = screen.regions["number"]
    assert screen.regions["now"].contains(number)
    # The big number is drawn in the number colour, and large: a good share of its box.
    yellow = count_color(image, number, NUMBER)
    assert yellow > number.w * number.h * 0.15
    assert number.h > 720 / 4  # readable from across the hall
    assert tuple(image.get_at((2, 2)))[:3] == BACKGROUND
    assert "offline" not in screen.regions
    assert count_color(image, image.get_rect(), OFFLINE) == 0


@pytest.mark.parametrize("label", ["SK-014", "SKT-K12-104"])
def test_a_long_prefix_stays_inside_the_now_box(screen, tmp_path: Path, label: str) -> None:
    view = {**VIEW, "now": {"label": label, "counter": 15}}
    view["waiting"] = [{"service": "skck", "letter": "SK", "name": "SKCK", "count": 3}]
    screen.render(view)
    image = saved_frame(screen, tmp_path / "long.png")
    number = screen.regions["number"]
    assert screen.regions["now"].contains(number)
    assert count_color(image, number, NUMBER) > number.w * number.h * 0.1


def test_offline_mark_and_empty_board(screen: PygameScreen, tmp_path: Path) -> None:
    screen.render({**VIEW, "now": None, "offline": True})
    image = saved_frame(screen, tmp_path / "offline.png")
    badge = screen.regions["offline"]
    assert count_color(image, badge, OFFLINE) > badge.w * badge.h * 0.5
    assert "number" not in screen.regions
    assert count_color(image, image.get_rect(), NUMBER) == 0  # no number when nothing called


def test_different_numbers_draw_different_frames(screen: PygameScreen, tmp_path: Path) -> None:
    screen.render(VIEW)
    first = saved_frame(screen, tmp_path / "a.png")
    screen.render({**VIEW, "now": {"label": "A-100", "counter": 12}})
    second = saved_frame(screen, tmp_path / "b.png")
    region = screen.regions["number"]
    assert any(
        first.get_at((x, y)) != second.get_at((x, y))
        for x in range(region.left, region.right, 3)
        for y in range(region.top, region.bottom, 3)
    )


def test_a_bad_view_does_not_kill_the_board(screen: PygameScreen, tmp_path: Path) -> None:
    screen.render({**VIEW, "recent": 5})  # not a list: drawing fails (and is logged)
    assert screen.wait_drawn(timeout=30)
    screen.render(VIEW)
    image = saved_frame(screen, tmp_path / "after.png")
    assert count_color(image, screen.regions["number"], NUMBER) > 0
    screen.close()
    with pytest.raises(HardwareError, match="closed"):
        screen.render(VIEW)


def test_fake_screen_records_frames() -> None:
    fake = make_screen({"backend": "fake"})
    assert isinstance(fake, FakeScreen)
    fake.render(VIEW)
    fake.render({**VIEW, "offline": True})
    assert [f["offline"] for f in fake.frames] == [False, True]
    assert fake.last is not None and fake.last["now"] == {"label": "B-023", "counter": 3}


def test_unknown_backend_is_an_error_not_a_fake() -> None:
    with pytest.raises(HardwareError, match="unknown screen backend 'tk'"):
        make_screen({"backend": "tk"})


# -- every screen shape, 30 services, the clock ---------------------------------------------

SIZES = [(1080, 1920), (1366, 768), (1280, 720), (1920, 1080), (3840, 2160)]
FULL = {
    **VIEW,
    "title": "Mal Pelayanan Publik Kabupaten Belitung Timur dan Sekitarnya",
    "now": {"label": "B-K2-14", "counter": 25},  # the longest label shape (prefix mode)
    "recent": [{"label": f"{c}-1{i:02d}", "counter": 20 + i} for i, c in enumerate("ABCDEF")],
    "waiting": [
        {
            "service": f"S{i}",
            "letter": chr(65 + i) if i < 26 else "Z" + chr(65 + i - 26),
            "name": f"Layanan Perizinan dan Pendaftaran Nomor {i}",
            "count": 100 + i,
        }
        for i in range(30)
    ],
    "offline": True,
}


@pytest.fixture
def fonts():
    import pygame

    from node.hardware.screen import Fonts

    pygame.font.init()
    yield Fonts(pygame)
    pygame.font.quit()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_shape_fits_30_services_a_page_at_a_time(size, fonts, tmp_path) -> None:
    import pygame

    from node.hardware.screen import LETTER, draw_board, layout

    surface = pygame.Surface(size)
    whole = surface.get_rect()
    per_page = layout(*size).per_page
    pages = -(-30 // per_page)
    assert per_page >= 8  # a page stays useful; more than three pages would be a long wait
    seen = []
    for page in range(pages):
        regions = draw_board(surface, FULL, fonts, page)
        for name in ("now", "number", "recent", "waiting", "clock", "offline", "page_mark"):
            assert whole.contains(regions[name]), (name, regions[name])
        assert regions["now"].contains(regions["number"])
        assert regions["page"] == (page, pages)
        tiles = regions["tiles"]
        assert 0 < len(tiles) <= per_page
        for tile in tiles:
            assert regions["waiting"].contains(tile)
            # The letter leads each tile, in its own colour, big enough to read.
            lead = tile.copy()
            lead.w = tile.w // 3
            assert count_color(surface, lead, LETTER) > 20
        assert all(not a.colliderect(b) for a in tiles for b in tiles if a is not b)
        seen += [t.topleft for t in tiles]
    assert len(seen) == 30  # the pages cover every service once
    pygame.image.save(surface, str(tmp_path / f"board-{size[0]}x{size[1]}.png"))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_running_text_has_its_band_below_the_tiles(size, fonts) -> None:
    import pygame

    from node.hardware.screen import LETTER, RUNNING, draw_board

    surface = pygame.Surface(size)
    text = "Layanan Samsat tutup pukul 12.00 hari ini. " * 4  # 172 characters: two lines
    regions = draw_board(surface, {**FULL, "running_text": text}, fonts, 0)
    band = regions["running_text"]
    assert regions["waiting"].contains(band) and band.h >= size[1] // 30
    assert all(not band.colliderect(tile) for tile in regions["tiles"])
    # The band is drawn, and the text on it (dark letters on the band's colour).
    assert count_color(surface, band, RUNNING) > band.w * band.h * 0.3
    assert count_color(surface, band, BACKGROUND) > 100
    assert count_color(surface, band, LETTER) == 0
    without = draw_board(surface, FULL, fonts, 0)
    assert "running_text" not in without


def test_the_clock_ticks_and_the_pages_turn_on_their_own(monkeypatch, tmp_path) -> None:
    import pygame

    from node.hardware.screen import PAGE_S

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    now = [1000.0]
    s = PygameScreen(fullscreen=False, size=(1280, 720), clock=lambda: now[0])
    try:
        # 2026-11-28 02:15:30 UTC = 09:15 in Jakarta (UTC+7): the hub's time, not the Pi's.
        s.render({**FULL, "clock": "", "clock_ms": 1_795_832_130_000, "utc_offset_min": 420})
        assert s.wait_drawn(timeout=30)
        first = pygame.image.tostring(s.surface.subsurface(s.regions["clock"]), "RGB")
        drawn = s.frames_drawn
        now[0] += 31  # 09:16 now; the node sent nothing new
        deadline = 100
        while s.frames_drawn == drawn and deadline:
            deadline -= 1
            import time

            time.sleep(0.05)
        assert s.frames_drawn > drawn, "the clock did not move by itself"
        second = pygame.image.tostring(s.surface.subsurface(s.regions["clock"]), "RGB")
        assert first != second
        page = s.regions["page"][0]
        now[0] += PAGE_S
        while s.regions["page"][0] == page and deadline:
            deadline -= 1
            time.sleep(0.05)
        assert s.regions["page"][0] == (page + 1) % s.regions["page"][1]
    finally:
        s.close()


def test_clock_text_is_the_hub_time_in_the_mpp_timezone() -> None:
    from node.hardware.screen import clock_text

    view = {"clock_ms": 1_795_832_130_000, "utc_offset_min": 420}
    assert clock_text(view) == "09:15"
    assert clock_text(view, 30_000) == "09:16"
    assert clock_text({**view, "utc_offset_min": 540}) == "11:15"  # WIT (Jayapura)
    assert clock_text({"clock": "07:00"}) == "07:00" and clock_text({}) == ""
