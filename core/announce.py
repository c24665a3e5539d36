"""Turn a ticket call into the list of sound clips the hall plays.

A clip name is a file stem: ``sounds/<lang>/<name>.wav``. That file name is the whole
contract with the sound hardware, so a technician can replace any espeak-ng clip with a
recorded human voice without touching code (see ``sounds/README.md``).

Speaking a label:

- ``B-023`` / ``SK-014`` / ``A2-031`` (online / lease): the prefix, then the number as words,
  leading zeros dropped: ``huruf_b dua puluh tiga``, ``huruf_s huruf_k empat belas``,
  ``huruf_a dua tiga puluh satu``. The dash is silent, because that is how staff read numbers
  aloud. Letters of a prefix are spelled; its digits are read **one by one** (A2 -> ``dua``,
  A20 -> ``dua nol``): read as one number, A20-001 and A-021 would both be "a dua puluh
  satu". Only the last part is read as a number, so every label sounds different from every
  other (tests/core/test_announce.py decodes the clips back into the label).
- ``B-K2-1`` (offline prefix mode): every dash is spoken (``strip`` / ``dash``) and the kiosk
  mark is spelled like a prefix: ``huruf_b strip huruf_k dua strip satu``. Without the spoken
  dashes "K2-1" and "K21" would sound the same, and so would S-KK2-1 and SK-K2-1.

Numbers are spoken from 0 to 9999 (a counter or a daily sequence never gets larger).
"""

from __future__ import annotations

LANGS = ("id", "en")
MAX_NUMBER = 9999

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Phrase clips per language: (intro before the label, before the counter, counter word, dash).
_PHRASES = {
    "id": {
        "intro": "nomor_antrian",
        "proceed": "silakan_menuju",
        "counter": "loket",
        "dash": "strip",
    },
    "en": {"intro": "number", "proceed": "please_proceed_to", "counter": "counter", "dash": "dash"},
}
_LETTER_PREFIX = {"id": "huruf_", "en": "letter_"}

_ID_UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
_EN_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
]  # fmt: skip
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown announcement language {lang!r}; expected one of {LANGS}")


def _check_number(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"cannot speak {n!r}: expected an int from 0 to {MAX_NUMBER}")


def _id_below_1000(n: int) -> list[str]:
    """Indonesian words for 1..999 (0 is handled by the caller: it is never spoken inside)."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")  # "se-" fuses: seratus, never "satu ratus"
    elif hundreds > 1:
        words += [_ID_UNITS[hundreds], "ratus"]
    if rest == 0:
        return words
    if rest < 10:
        words.append(_ID_UNITS[rest])
    elif rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif rest < 20:
        words += [_ID_UNITS[rest - 10], "belas"]
    else:
        tens, units = divmod(rest, 10)
        words += [_ID_UNITS[tens], "puluh"]
        if units:
            words.append(_ID_UNITS[units])
    return words


def _en_below_1000(n: int) -> list[str]:
    """English words for 1..999, American style (no "and": one clip fewer to record)."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_EN_UNITS[hundreds], "hundred"]
    if rest == 0:
        return words
    if rest < 20:
        words.append(_EN_UNITS[rest])
    else:
        tens, units = divmod(rest, 10)
        words.append(_EN_TENS[tens])
        if units:
            words.append(_EN_UNITS[units])
    return words


def number_clips(n: int, lang: str = "id") -> list[str]:
    """Clip names speaking ``n`` (0..9999): 23 -> ``["dua", "puluh", "tiga"]``."""
    _check_lang(lang)
    _check_number(n)
    if n == 0:
        return ["nol"] if lang == "id" else ["zero"]
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if lang == "id":
        if thousands == 1:
            words.append("seribu")
        elif thousands > 1:
            words += [_ID_UNITS[thousands], "ribu"]
        if rest:
            words += _id_below_1000(rest)
    else:
        if thousands:
            words += [_EN_UNITS[thousands], "thousand"]
        if rest:
            words += _en_below_1000(rest)
    return words


def letter_clip(letter: str, lang: str = "id") -> str:
    """Clip name of one Latin letter: ``"B"`` -> ``"huruf_b"`` (id) / ``"letter_b"`` (en)."""
    _check_lang(lang)
    if len(letter) != 1 or letter.lower() not in _LETTERS:
        raise ValueError(f"cannot speak {letter!r}: expected one letter A-Z")
    return _LETTER_PREFIX[lang] + letter.lower()


def label_clips(label: str, lang: str = "id") -> list[str]:
    """Clip names speaking a ticket label (``SK-014`` or the prefix-mode ``SK-K2-1``)."""
    _check_lang(lang)
    parts = label.strip().split("-")
    if not label.strip() or any(not p or not p.isascii() or not p.isalnum() for p in parts):
        raise ValueError(f"cannot speak label {label!r}: expected e.g. 'B-023' or 'B-K2-1'")
    number_last = len(parts) >= 2 and parts[-1].isdigit()
    clips: list[str] = []
    for i, part in enumerate(parts):
        if i and len(parts) > 2:
            clips.append(_PHRASES[lang]["dash"])  # see module docstring: K2-1 vs K21
        if i == len(parts) - 1 and number_last:
            clips += number_clips(int(part), lang)
            continue
        for ch in part:
            clips += number_clips(int(ch), lang) if ch.isdigit() else [letter_clip(ch, lang)]
    return clips


def call_clips(label: str, counter_number: int, lang: str = "id") -> list[str]:
    """The clips announcing that ``label`` should go to counter ``counter_number``.

    >>> call_clips("B-023", 3)
    ['chime', 'nomor_antrian', 'huruf_b', 'dua', 'puluh', 'tiga', 'silakan_menuju', 'loket', 'tiga']
    """
    _check_lang(lang)
    phrases = _PHRASES[lang]
    return [
        "chime",
        phrases["intro"],
        *label_clips(label, lang),
        phrases["proceed"],
        phrases["counter"],
        *number_clips(counter_number, lang),
    ]


def all_clip_names(lang: str = "id") -> list[str]:
    """Every clip name ``call_clips`` can ever ask for in ``lang``, sorted (for clip checks)."""
    _check_lang(lang)
    names = {"chime", *_PHRASES[lang].values()}
    names |= {_LETTER_PREFIX[lang] + c for c in _LETTERS}
    if lang == "id":
        names |= set(_ID_UNITS) | {"sepuluh", "sebelas", "belas", "puluh"}
        names |= {"seratus", "ratus", "seribu", "ribu"}
    else:
        names |= set(_EN_UNITS) | set(_EN_TENS[2:]) | {"hundred", "thousand"}
    return sorted(names)
