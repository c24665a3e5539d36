"""Text for a printer that only knows ASCII: folded *before* it is wrapped.

Why before: "…" is one character on screen but three on paper ("..."), "㎡" becomes "m2";
wrapping the original text counts the wrong widths and a 32-column line overflows.
Why ASCII: every ESC/POS printer prints it the same, while code pages (ESC t) differ by
model and firmware; Indonesian needs nothing else, and accents fold to their base letter.

Order: typographic punctuation to its ASCII twin (– — “ ” ‘ ’ …), then NFKC (™ -> TM,
㎡ -> m2, full-width letters), then NFKD with the combining accents dropped (é -> e), and
whatever still has no ASCII form becomes ``?``: visibly replaced, never silently dropped.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "?"

# Characters NFKC leaves alone but a reader knows an ASCII form of.
_TYPOGRAPHIC = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2026": "...",
    "\u2022": "*",  # bullet
    "\u00b7": "-",  # middle dot
    "\u00a0": " ",  # no-break space
    "\u00b0": "o",  # degree
    "\u00d7": "x",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u00df": "ss",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0131": "i",  # dotless i
    "\u0142": "l",
    "\u0141": "L",
}


def fold_text(text: str) -> str:
    """``text`` in printable ASCII; characters with no ASCII form become ``?``."""
    out = []
    for ch in text:
        ch = _TYPOGRAPHIC.get(ch, ch)
        if ch.isascii():
            out.append(ch if ch.isprintable() or ch == "\n" else " ")
            continue
        for part in unicodedata.normalize("NFKC", ch):
            part = _TYPOGRAPHIC.get(part, part)
            if part.isascii():
                out.append(part)
                continue
            base = "".join(
                c for c in unicodedata.normalize("NFKD", part) if not unicodedata.combining(c)
            )
            out.append(base if base and base.isascii() else REPLACEMENT)
    return "".join(out)


def readable(folded: str) -> bool:
    """True when folded text still says something (a letter or digit survived)."""
    return any(c.isalnum() for c in folded)
