"""Number words and call sequences: what the hall hears."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.announce import (
    all_clip_names,
    call_clips,
    label_clips,
    letter_clip,
    number_clips,
)
from core.numbering import KIOSK_MARK_PATTERN, PREFIX_PATTERN, format_label, prefix_label

ID_WORDS = {
    0: "nol",
    1: "satu",
    7: "tujuh",
    10: "sepuluh",
    11: "sebelas",
    12: "dua belas",
    19: "sembilan belas",
    20: "dua puluh",
    21: "dua puluh satu",
    99: "sembilan puluh sembilan",
    100: "seratus",
    101: "seratus satu",
    110: "seratus sepuluh",
    111: "seratus sebelas",
    115: "seratus lima belas",
    200: "dua ratus",
    305: "tiga ratus lima",
    999: "sembilan ratus sembilan puluh sembilan",
    1000: "seribu",
    1001: "seribu satu",
    1011: "seribu sebelas",
    1100: "seribu seratus",
    2000: "dua ribu",
    2024: "dua ribu dua puluh empat",
    9999: "sembilan ribu sembilan ratus sembilan puluh sembilan",
}

EN_WORDS = {
    0: "zero",
    1: "one",
    10: "ten",
    11: "eleven",
    12: "twelve",
    19: "nineteen",
    20: "twenty",
    21: "twenty one",
    99: "ninety nine",
    100: "one hundred",
    101: "one hundred one",
    110: "one hundred ten",
    111: "one hundred eleven",
    999: "nine hundred ninety nine",
    1000: "one thousand",
    1001: "one thousand one",
    9999: "nine thousand nine hundred ninety nine",
}


@pytest.mark.parametrize(("n", "words"), ID_WORDS.items())
def test_indonesian_number_words(n: int, words: str) -> None:
    assert number_clips(n, "id") == words.split()


@pytest.mark.parametrize(("n", "words"), EN_WORDS.items())
def test_english_number_words(n: int, words: str) -> None:
    assert number_clips(n, "en") == words.split()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_number_uses_only_known_clips_and_no_stray_zero(lang: str) -> None:
    known = set(all_clip_names(lang))
    zero = "nol" if lang == "id" else "zero"
    for n in range(0, 10000):
        clips = number_clips(n, lang)
        assert set(clips) <= known, n
        assert (zero in clips) == (n == 0), n
    assert "satu" not in number_clips(100) and "satu" not in number_clips(1000)


@pytest.mark.parametrize("bad", [-1, 10000, 2.5, True, "3"])
def test_unspeakable_numbers_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="cannot speak"):
        number_clips(bad)  # type: ignore[arg-type]


def test_the_design_example() -> None:
    assert call_clips("B-023", 3) == [
        "chime",
        "nomor_antrian",
        "huruf_b",
        "dua",
        "puluh",
        "tiga",
        "silakan_menuju",
        "loket",
        "tiga",
    ]


@pytest.mark.parametrize(
    ("label", "counter", "expected"),
    [
        ("A-001", 1, "huruf_a satu / loket satu"),
        ("C-010", 12, "huruf_c sepuluh / loket dua belas"),
        ("D-100", 20, "huruf_d seratus / loket dua puluh"),
        ("B-1000", 11, "huruf_b seribu / loket sebelas"),
        ("A-000", 0, "huruf_a nol / loket nol"),
        ("B-K2-1", 3, "huruf_b strip huruf_k dua strip satu / loket tiga"),
        ("B-K12-104", 4, "huruf_b strip huruf_k satu dua strip seratus empat / loket empat"),
        ("SK-014", 7, "huruf_s huruf_k empat belas / loket tujuh"),
        ("A2-031", 25, "huruf_a dua tiga puluh satu / loket dua puluh lima"),
        ("A20-001", 1, "huruf_a dua nol satu / loket satu"),
        ("SKT-100", 2, "huruf_s huruf_k huruf_t seratus / loket dua"),
        ("SK-K1-12", 9, "huruf_s huruf_k strip huruf_k satu strip dua belas / loket sembilan"),
    ],
)
def test_indonesian_call_sequences(label: str, counter: int, expected: str) -> None:
    spoken_label, spoken_counter = expected.split(" / ")
    assert call_clips(label, counter) == [
        "chime",
        "nomor_antrian",
        *spoken_label.split(),
        "silakan_menuju",
        *spoken_counter.split(),
    ]


def test_english_call_sequence() -> None:
    assert call_clips("B-023", 3, "en") == [
        "chime",
        "number",
        "letter_b",
        "twenty",
        "three",
        "please_proceed_to",
        "counter",
        "three",
    ]
    assert label_clips("b-k2-1", "en") == [
        "letter_b", "dash", "letter_k", "two", "dash", "one"
    ]  # fmt: skip
    assert label_clips("A2-020", "en") == ["letter_a", "two", "twenty"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_all_clip_names_covers_every_call(lang: str) -> None:
    names = set(all_clip_names(lang))
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for n in (0, 7, 13, 58, 101, 999, 1000, 4321):
            assert set(call_clips(f"{letter}-{n:03d}", n % 60, lang)) <= names
            assert set(call_clips(f"{letter}-K{n % 20}-{n}", 1, lang)) <= names
            for prefix in (f"{letter}{letter}", f"{letter}{n % 10}", f"S{letter}9"):
                assert set(call_clips(format_label(prefix, n), 1, lang)) <= names
    assert all(name.isidentifier() and name == name.lower() for name in names)


@pytest.mark.parametrize("bad", ["", "B--1", "B-0 23", "B-ü1", "-023", "B-023-"])
def test_malformed_labels_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot speak label"):
        label_clips(bad)


def test_unknown_language_and_letters() -> None:
    with pytest.raises(ValueError, match="language"):
        call_clips("B-023", 3, "jv")
    with pytest.raises(ValueError):
        letter_clip("Ä")


# -- every label sounds different --------------------------------------------------------------
# A decoder written here, from the clips back to the label: if it recovers every label, no two
# labels can sound alike (a function with a left inverse is one-to-one).

_MULTIPLIERS = {"id": {"ribu", "ratus", "puluh", "belas"}, "en": {"hundred", "thousand"}}


@functools.cache
def _numbers(lang: str) -> dict[tuple[str, ...], int]:
    return {tuple(number_clips(n, lang)): n for n in range(10000)}


def _spelled(tokens: list[str], lang: str) -> str:
    digits = {number_clips(d, lang)[0]: str(d) for d in range(10)}
    return "".join(digits.get(t) or t.rpartition("_")[2].upper() for t in tokens)


def decode(clips: list[str], lang: str) -> str:
    dash = "strip" if lang == "id" else "dash"
    if dash in clips:  # prefix mode: dashes spoken, the last part is the number
        parts, part = [], []
        for t in clips:
            if t == dash:
                parts.append(part)
                part = []
            else:
                part.append(t)
        *spelled, number = [*parts, part]
        head = [_spelled(p, lang) for p in spelled]
        return "-".join([*head, str(_numbers(lang)[tuple(number)])])
    letters = [i for i, t in enumerate(clips) if t.startswith(("huruf_", "letter_"))]
    i = letters[-1] + 1
    digits = {number_clips(d, lang)[0] for d in range(10)}
    # A digit of the prefix is followed by another digit or by the number's first word; a
    # unit word inside a number is followed by a multiplier or ends it.
    while i + 1 < len(clips) and clips[i] in digits and clips[i + 1] not in _MULTIPLIERS[lang]:
        i += 1
    return format_label(_spelled(clips[:i], lang), _numbers(lang)[tuple(clips[i:])])


prefixes = st.from_regex(PREFIX_PATTERN, fullmatch=True)


@pytest.mark.parametrize("lang", ["id", "en"])
@given(data=st.data())
def test_online_labels_are_spoken_one_to_one(lang, data):
    label = format_label(data.draw(prefixes), data.draw(st.integers(0, 9999)))
    clips = label_clips(label, lang)
    assert set(clips) <= set(all_clip_names(lang))
    assert decode(clips, lang) == label


@pytest.mark.parametrize("lang", ["id", "en"])
@given(data=st.data())
def test_prefix_mode_labels_are_spoken_one_to_one(lang, data):
    mark = data.draw(st.from_regex(KIOSK_MARK_PATTERN, fullmatch=True))
    label = prefix_label(data.draw(prefixes), mark, data.draw(st.integers(1, 9999)))
    clips = label_clips(label, lang)
    assert set(clips) <= set(all_clip_names(lang))
    assert decode(clips, lang) == label


@pytest.mark.parametrize(
    ("one", "other"), [("A20-001", "A-021"), ("A5-001", "A-051"), ("S-KK2-1", "SK-K2-1")]
)
def test_labels_that_would_sound_alike_if_read_naively_do_not(one, other):
    assert label_clips(one) != label_clips(other)
