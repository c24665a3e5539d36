"""Booking check-in on the touchscreen: the on-screen code keypad and what it holds.

A citizen who booked online (issue 12) opens it with the "Punya kode booking?" key; the keypad
offers only the code alphabet (``core.booking.ALPHABET``: no 0/O, 1/I/L to confuse), a delete
key, and the check-in key once all ``LENGTH`` characters are in. A USB scanner needs no
screen: its line goes to the role's ``on_scan`` from any state. Both end in
``KioskRole.check_in``, whose ``Outcome`` (``booking=True``) the result screen shows.
"""

from __future__ import annotations

from core.booking import ALPHABET, LENGTH
from node.kiosk_ui import draw, screens
from node.kiosk_ui.layout import Frame, key_grid

COLUMNS = 11  # 31 letters + a double-width delete: three rows of fingertip keys at 800x480


class CodeEntry:
    """The characters typed so far (never more than a code has)."""

    def __init__(self) -> None:
        self.typed = ""

    def add(self, ch: str) -> None:
        if ch in ALPHABET and len(self.typed) < LENGTH:
            self.typed += ch

    def delete(self) -> None:
        self.typed = self.typed[:-1]

    @property
    def ready(self) -> bool:
        return len(self.typed) == LENGTH

    def shown(self) -> str:
        """``ABCD-23__``: the code as printed on the booking, blanks still to type."""
        raw = self.typed.ljust(LENGTH, "_")
        half = LENGTH // 2
        return f"{raw[:half]}-{raw[half:]}"


def entry(c: draw.Canvas, f: Frame, w: dict, code: CodeEntry) -> None:
    c.fill(draw.BG)
    screens.header(c, f, w, w["booking_title"])
    x, y, bw, bh = f.body
    ask_h = f.text_px * 3 // 2
    c.text(w["enter_code"], (x, y, bw, ask_h), f.text_px, max_lines=1)
    field_h = f.text_px * 2
    c.fill(draw.KEY, (x, y + ask_h, bw, field_h))
    c.text(code.shown(), (x, y + ask_h, bw, field_h), f.text_px * 2, max_lines=1)
    area_y = y + ask_h + field_h + f.gap
    area = (x, area_y, bw, y + bh - area_y)
    keys = [(ch, ("char", ch)) for ch in ALPHABET] + [(w["delete"], ("delete",))]
    rows = (len(keys) + COLUMNS - 1) // COLUMNS
    key_h = (area[3] - (rows - 1) * f.gap) // rows
    rects = key_grid(area, len(keys) + 1, COLUMNS, f.gap, key_h)
    # The delete key takes the last two places of the bottom row: a word, not a letter.
    last = rects[-2]
    rects[-2] = (last[0], last[1], rects[-1][0] + rects[-1][2] - last[0], last[3])
    for (label, action), rect in zip(keys, rects[:-1], strict=True):
        c.key(rect, label, action, f.text_px * 5 // 4)
    done = (w["check_in"], ("check_in",)) if code.ready else ("", ())
    screens.footer(c, f, w, "", [(w["back"], ("home",)), done])
