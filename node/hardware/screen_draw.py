"""Drawing the hall board with pygame: layout for every screen shape, the clock, tile pages.

Split from ``node.hardware.screen`` (the interface and the drawing thread) so the layout can
be drawn on any ``pygame.Surface`` and checked without a window. pygame is imported by the
callers; this module only receives its objects.

- **Any shape.** A landscape TV (1280x720 up to 4K) puts the called number beside the last
  calls; a portrait screen (1080x1920) stacks them. Every size is a share of the surface and
  every text is shrunk to its box, so nothing is cut off at any resolution.
- **Waiting tiles page.** An MPP has 10-40 services; more tiles than fit a readable size are
  shown a page at a time, turning every ``PAGE_S`` seconds, with "1/3" in the corner. Each
  tile leads with the service letter, the one thing a visitor holding ticket ``B-023`` looks
  for.
- **The running text line** (set by a supervisor, ``hall.running_text``) takes a band at
  the bottom of the tiles, on one or two lines; unlike the browser board it does not run
  (the drawing thread redraws once a minute or page, not 30 times a second).
- **The clock ticks without the node.** The view carries the hub's time at render
  (``clock_ms``) and the MPP's UTC offset; the drawing thread advances it on its own
  monotonic clock, so a board with nothing happening still shows the right minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BACKGROUND = (12, 28, 64)
PANEL = (22, 48, 100)
NUMBER = (255, 210, 0)
LETTER = (255, 160, 40)  # the service letter on a tile: not NUMBER, only the call is that
TEXT = (255, 255, 255)
MUTED = (170, 190, 220)
OFFLINE = (210, 30, 30)
RUNNING = (242, 183, 5)  # the running text band (the browser board's colour)

PAGE_S = 8.0

CAPTIONS = {
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


class Fonts:
    """pygame default-font cache by pixel size (creating a Font parses the file)."""

    def __init__(self, pygame: Any) -> None:
        self._pygame = pygame
        self._cache: dict[int, Any] = {}

    def get(self, size: float) -> Any:
        size = max(8, int(size))
        if size not in self._cache:
            self._cache[size] = self._pygame.font.Font(None, size)
        return self._cache[size]

    def fit(self, text: str, size: float, max_width: int, color: tuple) -> Any:
        """Render ``text`` at ``size`` px, shrunk so it never exceeds ``max_width``."""
        surf = self.get(size).render(text, True, color)
        while surf.get_width() > max_width > 0 and size > 8:
            # Glyph widths do not scale exactly with the size: shrink until it fits.
            size = min(size * 0.95, size * max_width / surf.get_width())
            surf = self.get(size).render(text, True, color)
        return surf

    def fit_or_cut(self, text: str, size: float, max_width: int, color: tuple) -> Any:
        """Like ``fit`` but never below 60% of ``size``: a long name is cut with "..." instead,
        because a name shrunk to a few pixels is as unreadable as a missing one."""
        surf = self.get(size * 0.6).render(text, True, color)
        if surf.get_width() <= max_width or max_width <= 0:
            return self.fit(text, size, max_width, color)
        while len(text) > 1 and surf.get_width() > max_width:
            text = text[:-1]
            surf = self.get(size * 0.6).render(text.rstrip() + "...", True, color)
        return surf


def wrap2(fonts: Fonts, text: str, size: float, max_width: int, color: tuple) -> list[Any]:
    """``text`` on at most two lines of ``max_width`` (the second cut with "..." if need be):
    service names are long ("Perizinan Berusaha (NIB) dan PBG") and tiles are narrow."""
    font = fonts.get(size)
    words, first = text.split(), ""
    while words and font.size((first + " " + words[0]).strip())[0] <= max_width:
        first = (first + " " + words.pop(0)).strip()
    if not first or not words:
        return [fonts.fit_or_cut(text, size, max_width, color)]
    return [
        font.render(first, True, color),
        fonts.fit_or_cut(" ".join(words), size, max_width, color),
    ]


def clock_text(view: dict, elapsed_ms: int = 0) -> str:
    """HH:MM in the MPP's timezone: the hub's time at render plus what elapsed since."""
    ms = view.get("clock_ms")
    if not isinstance(ms, int):
        return str(view.get("clock") or "")
    local_min = (ms + elapsed_ms) // 60_000 + int(view.get("utc_offset_min") or 0)
    return f"{local_min // 60 % 24:02d}:{local_min % 60:02d}"


@dataclass(frozen=True)
class Layout:
    """Where each part of the board goes on a ``w`` x ``h`` surface (pixel rects as tuples)."""

    header: tuple[int, int, int, int]
    now: tuple[int, int, int, int]
    recent: tuple[int, int, int, int]
    footer: tuple[int, int, int, int]
    cols: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


def layout(w: int, h: int) -> Layout:
    """Landscape: number | last calls side by side; portrait: stacked, more tile rows."""
    if h > w:
        head = h // 16
        now_h = h * 36 // 100
        recent_h = h * 26 // 100
        foot_top = head + now_h + recent_h
        return Layout(
            header=(0, 0, w, head),
            now=(0, head, w, now_h),
            recent=(0, head + now_h, w, recent_h),
            footer=(0, foot_top, w, h - foot_top),
            cols=2,
            rows=6,
        )
    head = h // 11
    foot_top = h - h * 24 // 100
    now_w = w * 6 // 10
    return Layout(
        header=(0, 0, w, head),
        now=(0, head, now_w, foot_top - head),
        recent=(now_w, head, w - now_w, foot_top - head),
        footer=(0, foot_top, w, h - foot_top),
        cols=4,
        rows=2,
    )


def page_count(view: dict, per_page: int) -> int:
    return max(1, -(-len(view.get("waiting") or []) // per_page))


def _counter_text(caption: str, counter: Any) -> str:
    return f"{caption} {counter}" if counter not in (None, "") else ""


def draw_board(
    surface: Any, view: dict, fonts: Fonts, page: int = 0, clock: str | None = None
) -> dict[str, Any]:
    """Draw the hall board on ``surface``; returns the named regions (pygame Rects) drawn.

    ``page`` picks which page of waiting tiles is shown (taken modulo the page count);
    ``clock`` is the time to show (default: the view's, see ``clock_text``).
    """
    import pygame

    w, h = surface.get_size()
    cap = CAPTIONS.get(view.get("lang", "id"), CAPTIONS["id"])
    box = layout(w, h)
    surface.fill(BACKGROUND)
    regions: dict[str, Any] = {}
    margin = max(4, min(w, h) // 40)

    header = pygame.Rect(box.header)
    clock = fonts.fit(
        clock_text(view) if clock is None else clock, header.h * 6 // 10, w // 5, TEXT
    )
    clock_rect = clock.get_rect(midright=(w - margin, header.centery))
    surface.blit(clock, clock_rect)
    regions["clock"] = clock_rect
    title_room = clock_rect.left - 2 * margin
    if view.get("offline"):
        badge = pygame.Rect(0, 0, min(w // 6, title_room // 3), header.h * 7 // 10)
        badge.midright = (clock_rect.left - margin, header.centery)
        pygame.draw.rect(surface, OFFLINE, badge, border_radius=header.h // 8)
        label = fonts.fit(cap["offline"], badge.h * 7 // 10, badge.w * 9 // 10, TEXT)
        surface.blit(label, label.get_rect(center=badge.center))
        regions["offline"] = badge
        title_room = badge.left - 2 * margin
    title = fonts.fit(str(view.get("title", "")), header.h * 6 // 10, title_room, TEXT)
    surface.blit(title, title.get_rect(midleft=(margin, header.centery)))

    now_rect = pygame.Rect(box.now)
    regions["now"] = now_rect
    inner_w = now_rect.w * 9 // 10
    caption = fonts.fit(cap["now"], now_rect.h // 10, inner_w, MUTED)
    surface.blit(caption, caption.get_rect(midtop=(now_rect.centerx, now_rect.top + margin)))
    now = view.get("now") or None
    if now:
        number = fonts.fit(str(now.get("label", "")), now_rect.h * 55 // 100, inner_w, NUMBER)
        number_rect = number.get_rect(
            center=(now_rect.centerx, now_rect.top + now_rect.h * 45 // 100)
        )
        surface.blit(number, number_rect)
        regions["number"] = number_rect
        counter = _counter_text(cap["counter"], now.get("counter"))
        text = fonts.fit(counter, now_rect.h // 6, inner_w, TEXT)
        surface.blit(
            text, text.get_rect(center=(now_rect.centerx, now_rect.top + now_rect.h * 8 // 10))
        )
    else:
        text = fonts.fit(cap["none"], now_rect.h // 10, inner_w, MUTED)
        surface.blit(text, text.get_rect(center=now_rect.center))

    recent_rect = pygame.Rect(box.recent)
    regions["recent"] = recent_rect
    pygame.draw.rect(surface, PANEL, recent_rect.inflate(-margin, -margin))
    shown = list(view.get("recent") or [])[:6]
    row_h = recent_rect.h // 8
    caption = fonts.fit(cap["recent"], row_h * 6 // 10, recent_rect.w * 9 // 10, MUTED)
    surface.blit(
        caption, caption.get_rect(midtop=(recent_rect.centerx, recent_rect.top + row_h // 3))
    )
    for i, call in enumerate(shown):
        y = recent_rect.top + row_h * (i + 1) + row_h // 2
        label = fonts.fit(str(call.get("label", "")), row_h * 8 // 10, recent_rect.w // 2, TEXT)
        surface.blit(label, label.get_rect(midleft=(recent_rect.left + recent_rect.w // 10, y)))
        counter = _counter_text(cap["counter"], call.get("counter"))
        text = fonts.fit(counter, row_h * 6 // 10, recent_rect.w * 4 // 10, MUTED)
        surface.blit(text, text.get_rect(midright=(recent_rect.right - recent_rect.w // 10, y)))

    regions.update(_draw_tiles(surface, view, fonts, box, page, cap, margin))
    return regions


def _draw_tiles(
    surface: Any, view: dict, fonts: Fonts, box: Layout, page: int, cap: dict, margin: int
) -> dict[str, Any]:
    import pygame

    footer = pygame.Rect(box.footer)
    items = list(view.get("waiting") or [])
    pages = page_count(view, box.per_page)
    page %= pages
    shown = items[page * box.per_page : (page + 1) * box.per_page]
    gap = max(2, margin // 2)
    band_h = footer.h // 7  # caption row: "MENUNGGU" and the page number
    caption = fonts.fit(cap["waiting"], band_h, footer.w // 3, MUTED)
    mid = footer.top + gap + band_h // 2
    surface.blit(caption, caption.get_rect(midleft=(footer.left + margin, mid)))
    out: dict[str, Any] = {"waiting": footer, "page": (page, pages), "tiles": []}
    if pages > 1:
        mark = fonts.fit(f"{page + 1}/{pages}", band_h, footer.w // 6, MUTED)
        mark_rect = mark.get_rect(midright=(footer.right - margin, mid))
        surface.blit(mark, mark_rect)
        out["page_mark"] = mark_rect
    bottom = footer.bottom - gap
    text = str(view.get("running_text") or "")
    if text:
        band = pygame.Rect(footer.left + margin, 0, footer.w - 2 * margin, footer.h // 5)
        band.bottom = bottom
        pygame.draw.rect(surface, RUNNING, band, border_radius=max(2, band.h // 8))
        lines = wrap2(fonts, text, band.h * 42 // 100, band.w - 2 * margin, BACKGROUND)
        line_h = max(line.get_height() for line in lines)
        y = band.centery - line_h * len(lines) // 2
        for line in lines:
            surface.blit(line, line.get_rect(midtop=(band.centerx, y)))
            y += line_h
        out["running_text"] = band
        bottom = band.top - gap
    top = footer.top + 2 * gap + band_h
    grid = pygame.Rect(footer.left + margin, top, footer.w - 2 * margin, bottom - top)
    tile_w = (grid.w - gap * (box.cols - 1)) // box.cols
    tile_h = (grid.h - gap * (box.rows - 1)) // box.rows
    for i, item in enumerate(shown):
        r, c = divmod(i, box.cols)
        tile = pygame.Rect(
            grid.left + c * (tile_w + gap), grid.top + r * (tile_h + gap), tile_w, tile_h
        )
        pygame.draw.rect(surface, PANEL, tile, border_radius=max(2, tile_h // 8))
        pad = max(2, tile_h // 8)
        letter = fonts.fit(
            str(item.get("letter") or item.get("service") or ""),
            tile_h * 8 // 10,
            tile_w // 4,
            LETTER,
        )
        surface.blit(letter, letter.get_rect(midleft=(tile.left + pad, tile.centery)))
        count = fonts.fit(str(item.get("count", 0)), tile_h * 8 // 10, tile_w // 4, TEXT)
        count_rect = count.get_rect(midright=(tile.right - pad, tile.centery))
        surface.blit(count, count_rect)
        name_left = tile.left + pad + tile_w // 4 + pad
        lines = wrap2(
            fonts,
            str(item.get("name") or ""),
            tile_h * 3 // 10,
            count_rect.left - pad - name_left,
            TEXT,
        )
        line_h = max(line.get_height() for line in lines)
        y = tile.centery - line_h * len(lines) // 2
        for line in lines:
            surface.blit(line, (name_left, y))
            y += line_h
        out["tiles"].append(tile)
    return out
