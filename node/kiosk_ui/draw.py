"""Drawing primitives for the kiosk screens: keys, bands and text fitted into its box.

Every text is fitted before it is drawn: wrapped on words into at most ``max_lines`` lines and
shrunk until it fits its box, never cut off at the edge. Each ``Canvas`` keeps what it drew
(``texts``: the words and where they went; ``keys``: what a touch there does), which the app
uses for hit tests and the tests use to prove nothing was clipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.kiosk_ui.layout import Rect

BG = (245, 247, 250)
INK = (20, 28, 40)
BAND = (0, 84, 147)  # header/footer blue
BAND_INK = (255, 255, 255)
KEY = (255, 255, 255)
KEY_EDGE = (0, 84, 147)
KEY_OFF = (220, 224, 230)
OK = (0, 122, 61)
WARN = (176, 0, 32)
NOTE = (255, 243, 205)
MIN_TEXT_PX = 12


@dataclass
class Canvas:
    surface: Any
    fonts: dict[int, Any] = field(default_factory=dict)
    texts: list[tuple[str, Rect, Rect]] = field(default_factory=list)  # text, drawn, box
    keys: list[tuple[Rect, tuple]] = field(default_factory=list)  # rect, action

    def font(self, px: int) -> Any:
        import pygame

        if px not in self.fonts:
            self.fonts[px] = pygame.font.Font(None, px)  # pygame's bundled font: no internet
        return self.fonts[px]

    def fill(self, colour: tuple, rect: Rect | None = None) -> None:
        if rect is None:
            self.surface.fill(colour)
        else:
            self.surface.fill(colour, rect)

    def text(
        self,
        text: str,
        box: Rect,
        px: int,
        *,
        colour: tuple = INK,
        max_lines: int = 3,
        align: str = "center",
    ) -> None:
        """Draw ``text`` inside ``box``: wrapped, shrunk to fit, centred vertically."""
        x, y, w, h = box
        px = max(MIN_TEXT_PX, px)
        while True:
            font = self.font(px)
            lines = wrap(text, lambda s, f=font: f.size(s)[0], w, max_lines)
            height = len(lines) * font.get_linesize()
            widest = max((font.size(line)[0] for line in lines), default=0)
            fits = len(lines) <= max_lines and height <= h and widest <= w
            if fits or px <= MIN_TEXT_PX:
                break
            px = max(MIN_TEXT_PX, int(px * 0.9))
        top = y + max(0, (h - height) // 2)
        for line in lines:
            image = font.render(line, True, colour)
            lw, lh = image.get_size()
            left = x + (w - lw) // 2 if align == "center" else x
            self.surface.blit(image, (left, top))
            self.texts.append((line, (left, top, lw, lh), box))
            top += font.get_linesize()

    def key(self, box: Rect, label: str, action: tuple, px: int, *, enabled: bool = True) -> None:
        import pygame

        pygame.draw.rect(self.surface, KEY if enabled else KEY_OFF, box, border_radius=10)
        pygame.draw.rect(self.surface, KEY_EDGE, box, width=3, border_radius=10)
        pad = max(4, box[3] // 10)
        inner = (box[0] + pad, box[1] + pad // 2, box[2] - 2 * pad, box[3] - pad)
        self.text(label, inner, px, colour=INK if enabled else (110, 110, 110))
        if enabled:
            self.keys.append((box, action))

    def hit(self, pos: tuple[int, int]) -> tuple | None:
        px, py = pos
        for (x, y, w, h), action in reversed(self.keys):
            if x <= px < x + w and y <= py < y + h:
                return action
        return None


def wrap(text: str, width_of, max_w: int, max_lines: int) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the line is split by letters.
    More lines than ``max_lines`` are returned as they are: the caller shrinks the font."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while width_of(word) > max_w and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and width_of(word[:cut]) > max_w:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if width_of(candidate) <= max_w or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        return lines  # too many: the caller shrinks until they fit
    return lines or [""]
