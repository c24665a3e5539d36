"""The kiosk's screens, each drawn whole onto a ``Canvas`` from what the app knows.

States (``KioskUI.state``): ``services`` (pages of services grouped by agency), ``priority``
(normal or one of the priority categories), ``printing`` (a number is being taken), ``result``
(the number, or why there is none: a refusal, a printer fault, a print that failed with the
number kept and a reprint key) and ``fault`` (the printer cannot print: no service keys at
all until it can, so nobody takes a number that would not come out).
"""

from __future__ import annotations

from node.kiosk_ui import draw
from node.kiosk_ui.layout import Frame, Tile, key_grid, key_row


def header(c: draw.Canvas, f: Frame, w: dict, title: str) -> None:
    x, y, width, height = f.header
    c.fill(draw.BAND, f.header)
    toggle = (width - width // 4 - f.gap, y + f.gap, width // 4, height - 2 * f.gap)
    c.text(
        title,
        (f.gap, y, width - toggle[2] - 3 * f.gap, height),
        f.text_px * 3 // 2,
        colour=draw.BAND_INK,
        max_lines=1,
        align="left",
    )
    c.key(toggle, w["lang_toggle"], ("lang",), f.text_px)


def footer(c: draw.Canvas, f: Frame, w: dict, note: str, keys: list[tuple[str, tuple]]) -> None:
    x, y, width, height = f.footer
    c.fill(draw.BAND, f.footer)
    slots = key_row((f.gap, y + f.gap, width - 2 * f.gap, height - 2 * f.gap), 4, f.gap)
    middle = (slots[1][0], slots[1][1], slots[2][0] + slots[2][2] - slots[1][0], slots[1][3])
    if note:
        c.text(note, middle, f.text_px, colour=draw.BAND_INK, max_lines=2)
    for (label, action), slot in zip(keys, (slots[0], slots[3]), strict=False):
        if label:
            c.key(slot, label, action, f.text_px)


def services(
    c: draw.Canvas,
    f: Frame,
    w: dict,
    pages: list[list[Tile]],
    page: int,
    offline: bool,
) -> None:
    c.fill(draw.BG)
    header(c, f, w, w["title"])
    if not pages:
        c.text(w["no_services"], f.body, f.text_px * 3 // 2)
    else:
        for tile in pages[page]:
            if tile.kind == "agency":
                c.text(tile.text, tile.rect, f.text_px, max_lines=1, align="left")
            else:
                c.key(tile.rect, tile.text, ("service", tile.service), f.text_px * 5 // 4)
    note = (
        w["offline"]
        if offline
        else (
            w["page"].format(n=page + 1, of=len(pages)) if len(pages) > 1 else w["choose_service"]
        )
    )
    keys = [
        (w["prev_page"] if page > 0 else "", ("page", page - 1)),
        (w["next_page"] if page + 1 < len(pages) else "", ("page", page + 1)),
    ]
    footer(c, f, w, note, keys)


def priority(
    c: draw.Canvas, f: Frame, w: dict, service_name: str, categories: list[tuple[str, str]]
) -> None:
    c.fill(draw.BG)
    header(c, f, w, service_name)
    x, y, bw, bh = f.body
    ask_h = f.text_px * 2
    c.text(w["choose_priority"], (x, y, bw, ask_h), f.text_px * 3 // 2, max_lines=1)
    key_h = max(56, (bh - ask_h - 3 * f.gap) // 3)
    normal = (x, y + ask_h + f.gap, bw, key_h)
    c.key(normal, w["no_priority"], ("issue", None), f.text_px * 3 // 2)
    area = (x, normal[1] + key_h + f.gap, bw, bh - ask_h - key_h - 2 * f.gap)
    cols = 2 if len(categories) > 1 else 1
    rows = (len(categories) + cols - 1) // cols
    cat_h = max(56, (area[3] - (rows - 1) * f.gap) // max(1, rows))
    for (cid, name), rect in zip(
        categories, key_grid(area, len(categories), cols, f.gap, cat_h), strict=True
    ):
        c.key(rect, name, ("issue", cid), f.text_px * 5 // 4)
    footer(c, f, w, "", [(w["back"], ("back",)), ("", ())])


def printing(c: draw.Canvas, f: Frame, w: dict, service_name: str) -> None:
    c.fill(draw.BG)
    header(c, f, w, service_name)
    c.text(w["printing"], f.body, f.text_px * 2, max_lines=2)
    footer(c, f, w, "", [])


def number(
    c: draw.Canvas,
    f: Frame,
    w: dict,
    service_name: str,
    label: str,
    lines: list[str],
    *,
    reprint: bool,
    colour: tuple = draw.INK,
) -> None:
    """The ticket's number, large, with the lines under it (printed, offline, failed...)."""
    c.fill(draw.BG)
    header(c, f, w, service_name)
    x, y, bw, bh = f.body
    top_h = f.text_px * 2
    c.text(w["your_number"], (x, y, bw, top_h), f.text_px * 3 // 2, max_lines=1)
    big = (x, y + top_h, bw, min(bh // 2, f.big_px * 5 // 4))
    c.text(label, big, f.big_px, colour=colour, max_lines=1)
    rest = (x, big[1] + big[3], bw, y + bh - big[1] - big[3])
    if lines:
        c.text("  ".join(lines), rest, f.text_px * 5 // 4, max_lines=4)
    keys = [(w["reprint"], ("reprint",)) if reprint else ("", ()), (w["done"], ("home",))]
    footer(c, f, w, "", keys)


def message(
    c: draw.Canvas, f: Frame, w: dict, title: str, lines: list[str], *, home: bool = True
) -> None:
    """A refusal or a fault: what happened, large, and what it means."""
    c.fill(draw.BG)
    header(c, f, w, title)
    x, y, bw, bh = f.body
    c.fill(draw.NOTE, f.body)
    first = (x + f.gap, y + f.gap, bw - 2 * f.gap, bh // 2 - f.gap)
    c.text(lines[0], first, f.text_px * 2, colour=draw.WARN, max_lines=2)
    if len(lines) > 1:
        rest = (x + f.gap, y + bh // 2, bw - 2 * f.gap, bh // 2 - f.gap)
        c.text("  ".join(lines[1:]), rest, f.text_px * 5 // 4, max_lines=3)
    footer(c, f, w, "", [("", ()), (w["back"], ("home",))] if home else [])
