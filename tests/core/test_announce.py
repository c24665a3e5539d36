"""Number words and call sequences: what the hall hears."""

from __future__ import annotations

import pytest

from core.announce import (
    all_clip_names,
    call_clips,
    label_clips,
    letter_clip,
    number_clips,
)

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
        ("B-K2-1", 3, "huruf_b huruf_k dua strip satu / loket tiga"),
        ("B-K12-104", 4, "huruf_b huruf_k dua belas strip seratus empat / loket empat"),
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
    assert label_clips("b-k2-1", "en") == ["letter_b", "letter_k", "two", "dash", "one"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_all_clip_names_covers_every_call(lang: str) -> None:
    names = set(all_clip_names(lang))
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for n in (0, 7, 13, 58, 101, 999, 1000, 4321):
            assert set(call_clips(f"{letter}-{n:03d}", n % 60, lang)) <= names
            assert set(call_clips(f"{letter}-K{n % 20}-{n}", 1, lang)) <= names
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
