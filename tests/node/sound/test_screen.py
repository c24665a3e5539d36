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
    view["waiting"] = [{"service": "skck", "prefix": "SK", "name": "SKCK", "count": 3}]
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
