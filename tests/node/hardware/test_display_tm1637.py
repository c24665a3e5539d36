"""TM1637 bit-banged on MockFactory pins: decode the recorded CLK/DIO changes into frames."""

import pytest
from wires import decode_tm1637 as decode

from node.hardware.display import make_display
from node.hardware.display_tm1637 import TM1637Display

CLK, DIO = 5, 6


@pytest.fixture
def tm(mock_factory, clock):
    d = TM1637Display(clk_pin=CLK, dio_pin=DIO, pin_factory=mock_factory, clock=clock)
    mock_factory.changes.clear()  # drop the lines' initial levels
    yield d
    d.close()


def test_a001_frames_match_the_reference(tm, mock_factory):
    tm.show("A001")
    assert decode(mock_factory.changes) == [[0x40], [0xC0, 0x77, 0x3F, 0x3F, 0x06], [0x8F]]


def test_dash_is_dropped_to_fit_four_digits(tm, mock_factory):
    tm.show("A-001")
    assert decode(mock_factory.changes)[1] == [0xC0, 0x77, 0x3F, 0x3F, 0x06]


def test_short_text_is_right_aligned_and_idle_is_dashes(tm, mock_factory):
    tm.show("7")
    tm.show_idle()
    frames = decode(mock_factory.changes)
    assert frames[1] == [0xC0, 0x00, 0x00, 0x00, 0x07]
    assert frames[4] == [0xC0, 0x40, 0x40, 0x40, 0x40]


def test_offline_dot_blinks_on_the_last_digit(tm, mock_factory, clock):
    tm.show("A001")
    tm.set_offline(True)
    clock.advance(500)
    tm.tick()
    digits = [f[1][-1] for f in [decode(mock_factory.changes)[i : i + 3] for i in (0, 3, 6)]]
    assert digits == [0x06, 0x86, 0x06]


def test_close_blanks_and_turns_the_display_off(mock_factory, clock):
    d = TM1637Display(clk_pin=CLK, dio_pin=DIO, pin_factory=mock_factory, clock=clock)
    mock_factory.changes.clear()
    d.close()
    assert decode(mock_factory.changes) == [[0x40], [0xC0, 0, 0, 0, 0], [0x80]]


def test_brightness_and_factory_keys(mock_factory, clock):
    d = make_display(
        {"backend": "tm1637", "clk_pin": CLK, "dio_pin": DIO, "brightness": 2},
        pin_factory=mock_factory,
        ticker=False,
        clock=clock,
    )
    try:
        mock_factory.changes.clear()
        d.show("1")
        assert decode(mock_factory.changes)[-1] == [0x8A]
    finally:
        d.close()
