"""What each kind of counter display can show, and the 7-segment font.

Shared by the TM1637 driver, the terminal simulation and config validation (a counter whose
display cannot show one of its services' prefixes is rejected at load, before the hall sees a
"5-012" that was meant to be "S-012").

Segment bits, one byte per digit, bit order ``gfedcba`` (a = bit 0) plus the decimal point::

     aaa
    f   b
    f   b
     ggg
    e   c
    e   c
     ddd   DP (0x80)

The TM1637 takes exactly these bytes; MAX7219 modules use their own order (luma maps it).

Which letters are legible (the decision, for the letters of service prefixes):

- Shown: A b C d E F G H J L n o P r t U y  (input is case-insensitive; the glyph is whichever
  case the segments draw best, e.g. ``B`` is drawn as ``b``, ``O`` as ``o``).
- Not renderable: K M W X (no usable shape), V (would be the same as U), Z (same as 2),
  S (same as 5), I (reads as 1), Q (``q`` is 9 on many fonts).  A visitor compares the display
  with a printed ticket, so a letter that looks like a digit or like another letter is treated
  as unrenderable rather than "close enough".

So a 7-segment counter can show multi-character prefixes made of those 17 letters and the
digits (``HP``, ``A2``, ``PL``), never ``SK`` (S reads as 5): with 30 services a full-size MPP
gives its 7-segment counters prefixes from those letters and its matrix or serial panels the
rest. A prefix must also fit: 4 digits show ``A001`` or ``HP14`` but not ``HP114``.
``prefix_display_problem`` is the one check every validator calls (the hub profile's
counters, a node profile's ``[display] prefixes``, an admin edit of the catalogue).

Kinds (``Counter.display`` in the hub profile):

- ``"7seg"``: the font above, digits, ``-``, ``_``, space and ``.`` (the decimal point).
- ``"matrix"``: 8x8 LED matrices drawn with a bitmap font: printable ASCII.
- ``"serial"``: vendor RS-485/serial LED panels: printable ASCII (their fonts rarely go further).
- ``"none"``: no display at that counter, so nothing can be wrong with the text.
"""

from __future__ import annotations

from core.numbering import display_forms, format_label, min_label_width

DP = 0x80

# Legible glyphs only; keys are upper case (lookups fold case).
SEGMENTS: dict[str, int] = {
    "0": 0x3F,
    "1": 0x06,
    "2": 0x5B,
    "3": 0x4F,
    "4": 0x66,
    "5": 0x6D,
    "6": 0x7D,
    "7": 0x07,
    "8": 0x7F,
    "9": 0x6F,
    "A": 0x77,
    "B": 0x7C,  # b
    "C": 0x39,
    "D": 0x5E,  # d
    "E": 0x79,
    "F": 0x71,
    "G": 0x3D,  # G without the middle bar, so it differs from 6
    "H": 0x76,
    "J": 0x1E,
    "L": 0x38,
    "N": 0x54,  # n
    "O": 0x5C,  # o (upper-case O would be the digit 0)
    "P": 0x73,
    "R": 0x50,  # r
    "T": 0x78,  # t
    "U": 0x3E,
    "Y": 0x6E,  # y
    "-": 0x40,
    "_": 0x08,
    " ": 0x00,
}

# Stand-ins used only when such text reaches a display anyway (config should have refused it):
# better a recognisable approximation than a blank digit.
APPROXIMATE: dict[str, int] = {
    "I": 0x30,  # left bar, so at least it is not exactly 1
    "S": 0x6D,
    "Z": 0x5B,
    "Q": 0x67,
    "V": 0x3E,
}

# Three bars: visibly "not a character" for anything else (K, M, W, X, symbols).
UNDEFINED = 0x49

POOR_7SEG: frozenset[str] = frozenset("IKMQSVWXZ")

KINDS = ("7seg", "matrix", "serial", "none")


def _printable_ascii(ch: str) -> bool:
    return " " <= ch <= "~"


def unrenderable(text: str, kind: str) -> set[str]:
    """Return the characters of ``text`` that a ``kind`` display cannot show legibly.

    An empty set means the text is fine.  Raises ValueError for an unknown kind.
    """
    if kind == "7seg":
        return {ch for ch in text if ch != "." and ch.upper() not in SEGMENTS}
    if kind in ("matrix", "serial"):
        return {ch for ch in text if not _printable_ascii(ch)}
    if kind == "none":
        return set()
    raise ValueError(f"unknown display kind {kind!r}; expected one of {', '.join(KINDS)}")


def seven_segment_letters() -> str:
    """The letters a 7-segment display draws, for messages: ``A B C D E F ... U Y``."""
    return " ".join(c for c in SEGMENTS if "A" <= c <= "Z")


def prefix_display_problem(prefix: str, kind: str, cells: int | None = None) -> str | None:
    """Why a ``kind`` display (``cells`` characters wide, when known) cannot show the labels
    of ``prefix``; None when it can. The text reads after "prefix 'SK' ..." in a message.
    """
    bad = unrenderable(prefix, kind)
    if bad:
        return (
            f"cannot be shown on a {kind} display ({', '.join(sorted(bad))}); expected "
            f"characters it can draw, for 7-segment: {seven_segment_letters()} and digits"
        )
    needed = min_label_width(prefix)
    if cells is not None and needed > cells:
        shortest = min(display_forms(format_label(prefix, 123)), key=len)
        return (
            f"needs {needed} digits ({shortest!r} at the shortest) but the display has "
            f"{cells}; expected a display of at least {needed} digits or a shorter prefix"
        )
    return None


def glyph(ch: str) -> int:
    """The segment byte for one character (approximation or UNDEFINED if not legible)."""
    up = ch.upper()
    if up in SEGMENTS:
        return SEGMENTS[up]
    return APPROXIMATE.get(up, UNDEFINED)


def encode_7seg(text: str) -> list[int]:
    """Segment bytes for ``text``, one per digit; a ``.`` lights the previous digit's DP.

    A ``.`` with no digit before it (or after another ``.``) takes a blank digit of its own.
    """
    out: list[int] = []
    dotted = True  # the previous cell already has its DP (or there is none)
    for ch in text:
        if ch == ".":
            if dotted:
                out.append(DP)
            else:
                out[-1] |= DP
            dotted = True
            continue
        out.append(glyph(ch))
        dotted = False
    return out
