"""Where everything goes on the kiosk screen, as plain rectangles (no pygame here).

One rule for every panel from 800x480 to 1920x1080: a header band (title, language key), a
body, a footer band (page keys). Sizes come from the screen's height so text stays readable at
arm's length, and no key is smaller than ``MIN_KEY_PX`` (a fingertip). Services are shown
grouped by agency: an agency's name as a section row, then its services as tiles in a grid;
what does not fit goes to the next page (40 services at 800x480 is five or six pages).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_KEY_PX = 56  # a fingertip on a resistive or capacitive panel
Rect = tuple[int, int, int, int]  # x, y, w, h


@dataclass(frozen=True)
class Frame:
    """The bands of one screen size."""

    w: int
    h: int
    header: Rect
    body: Rect
    footer: Rect
    gap: int
    text_px: int  # body text
    big_px: int  # the ticket number


def frame(w: int, h: int) -> Frame:
    band = max(MIN_KEY_PX, h // 8)
    gap = max(6, h // 80)
    return Frame(
        w=w,
        h=h,
        header=(0, 0, w, band),
        body=(gap, band + gap, w - 2 * gap, h - 2 * band - 2 * gap),
        footer=(0, h - band, w, band),
        gap=gap,
        text_px=max(20, h // 20),
        big_px=max(72, h // 4),
    )


def columns_for(w: int) -> int:
    return 2 if w < 1000 else (3 if w < 1600 else 4)


@dataclass(frozen=True)
class Tile:
    kind: str  # "agency" (a section title) | "service" (a key)
    text: str
    rect: Rect
    service: str | None = None


def service_pages(groups: list[tuple[str, list[tuple[str, str]]]], f: Frame) -> list[list[Tile]]:
    """``groups``: ``[(agency name, [(service id, service name)...])...]`` in order -> pages
    of tiles. An agency title never ends a page alone: it moves with its first row."""
    x0, y0, bw, bh = f.body
    cols = columns_for(f.w)
    tile_h = max(MIN_KEY_PX, bh // 4)
    title_h = max(28, f.text_px + f.gap)
    tile_w = (bw - (cols - 1) * f.gap) // cols
    pages: list[list[Tile]] = [[]]
    y = y0

    def room(height: int) -> bool:
        return y + height <= y0 + bh

    for agency, services in groups:
        for start in range(0, len(services), cols):
            row = services[start : start + cols]
            needs = tile_h + (title_h if start == 0 else 0)
            if not room(needs) and pages[-1]:
                pages.append([])
                y = y0
            if start == 0 or y == y0:  # a title over a group's rows, again on a new page
                pages[-1].append(Tile("agency", agency, (x0, y, bw, title_h)))
                y += title_h
            for i, (sid, name) in enumerate(row):
                rect = (x0 + i * (tile_w + f.gap), y, tile_w, tile_h)
                pages[-1].append(Tile("service", name, rect, sid))
            y += tile_h + f.gap
    return pages if pages[0] else []


def key_row(area: Rect, count: int, gap: int) -> list[Rect]:
    """``count`` keys side by side filling ``area``."""
    x, y, w, h = area
    if count <= 0:
        return []
    kw = (w - (count - 1) * gap) // count
    return [(x + i * (kw + gap), y, kw, h) for i in range(count)]


def key_grid(area: Rect, count: int, cols: int, gap: int, key_h: int) -> list[Rect]:
    x, y, w, _h = area
    kw = (w - (cols - 1) * gap) // cols
    return [
        (x + (i % cols) * (kw + gap), y + (i // cols) * (key_h + gap), kw, key_h)
        for i in range(count)
    ]


def inside(inner: Rect, outer: Rect) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ix >= ox and iy >= oy and ix + iw <= ox + ow and iy + ih <= oy + oh
