"""core.glyphs: the 7-segment font and what each display kind can render."""

import string

import pytest

from core.glyphs import DP, SEGMENTS, UNDEFINED, encode_7seg, unrenderable


def test_font_matches_tm1637_reference_bytes():
    # docs/hardware.md: "A001" on a TM1637 is 0x77 0x3F 0x3F 0x06
    assert encode_7seg("A001") == [0x77, 0x3F, 0x3F, 0x06]


def test_every_glyph_is_distinct_so_no_letter_reads_as_a_digit():
    shown = [v for k, v in SEGMENTS.items() if k != " "]
    assert len(shown) == len(set(shown))


@pytest.mark.parametrize("letter", list("IKMQSVWXZ"))
def test_poor_letters_are_unrenderable_on_7seg(letter):
    assert unrenderable(f"{letter}-001", "7seg") == {letter}


def test_legible_letters_pass_on_7seg_in_either_case():
    good = "ABCDEFGHJLNOPRTUY"
    assert unrenderable(good + good.lower() + "0123456789-_ .", "7seg") == set()


def test_matrix_and_serial_take_printable_ascii_only():
    assert unrenderable(string.ascii_uppercase + "-0.", "matrix") == set()
    assert unrenderable("Ä-001", "serial") == {"Ä"}
    assert unrenderable("\x02A", "matrix") == {"\x02"}


def test_none_kind_accepts_anything_and_unknown_kind_is_an_error():
    assert unrenderable("WWW", "none") == set()
    with pytest.raises(ValueError, match="unknown display kind"):
        unrenderable("A", "lcd")


def test_dot_lights_previous_digit_and_stands_alone_otherwise():
    assert encode_7seg("1.2") == [0x06 | DP, 0x5B]
    assert encode_7seg(".1..") == [DP, 0x06 | DP, DP]


def test_unknown_characters_get_the_undefined_glyph():
    assert encode_7seg("W") == [UNDEFINED]
