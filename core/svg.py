"""Charts as inline SVG text (stdlib only): the hall LAN and the region's pages load nothing
from the internet, and no chart library is needed for bars and columns.

The caller marks the text safe for its template (labels and titles are escaped here).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from html import escape


def bar_chart(items: Iterable[tuple[str, float | str]], title: str) -> str:
    """Horizontal bars, one per (label, value); values as given are printed at the bar end.

    A long label (a service's full name) wraps onto more lines and its row grows, so no
    label runs off the left edge; past :data:`LABEL_LINES` lines the rest is cut with an
    ellipsis and the whole label stays in the row's tooltip."""
    items = [(str(label), float(value or 0)) for label, value in items]
    if not items:
        return ""
    width, label_w, line_h = 640, 240, 16
    top = max(v for _, v in items) or 1.0
    rows = [label_lines(label) for label, _ in items]
    heights = [max(28, line_h * len(lines) + 12) for lines in rows]
    parts = [_svg_open(width, sum(heights) + 10, title)]
    y = 5
    for (label, value), lines, row_h in zip(items, rows, heights, strict=True):
        w = (width - label_w - 70) * value / top
        mid = y + row_h / 2
        first = mid + 5 - line_h * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{label_w - 8}" y="{first + i * line_h:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(label)}</title>"
            f'<text text-anchor="end">{spans}</text>'
            f'<rect x="{label_w}" y="{mid - 10:.1f}" width="{w:.1f}" height="20" class="bar"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{mid + 5:.1f}">{_num(value)}</text></g>'
        )
        y += row_h
    parts.append("</svg>")
    return "".join(parts)


LABEL_CHARS = 32  # what fits left of the bars at the charts' 13 px (about 7 px a character)
LABEL_LINES = 3


def label_lines(label: str) -> list[str]:
    """``label`` wrapped to :data:`LABEL_CHARS`, at most :data:`LABEL_LINES` lines."""
    lines = textwrap.wrap(label, LABEL_CHARS, break_long_words=True) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][: LABEL_CHARS - 1].rstrip() + "\u2026"
    return lines


def column_chart(items: Iterable[tuple[str, float]], title: str) -> str:
    """Vertical columns (e.g. arrivals per hour), value above each column."""
    items = [(label, float(value or 0)) for label, value in items]
    if not items:
        return ""
    width, height, base, col_w = 640, 220, 190, (640 - 20) / len(items)
    top = max(v for _, v in items) or 1.0
    parts = [_svg_open(width, height, title)]
    for i, (label, value) in enumerate(items):
        x = 10 + i * col_w
        h = (base - 30) * value / top
        cx = x + col_w / 2
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{base - h:.1f}" width="{col_w - 6:.1f}" height="{h:.1f}"'
            f' class="bar"/>'
            f'<text x="{cx:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">{_num(value)}</text>'
            f'<text x="{cx:.1f}" y="{base + 18}" text-anchor="middle">{escape(str(label))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" class="chart"'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"
