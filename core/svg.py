"""Charts as inline SVG text (stdlib only): the hall LAN and the region's pages load nothing
from the internet, and no chart library is needed for bars and columns.

The caller marks the text safe for its template (labels and titles are escaped here).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


def bar_chart(items: Iterable[tuple[str, float | str]], title: str) -> str:
    """Horizontal bars, one per (label, value); values as given are printed at the bar end."""
    items = [(label, float(value or 0)) for label, value in items]
    if not items:
        return ""
    width, label_w, row_h = 640, 200, 28
    top = max(v for _, v in items) or 1.0
    height = row_h * len(items) + 10
    parts = [_svg_open(width, height, title)]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = (width - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" class="bar"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}">{_num(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


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
