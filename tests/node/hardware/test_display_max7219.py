"""MAX7219 through luma with a recording serial interface: the register bytes."""

import pytest

pytest.importorskip("luma.led_matrix")

from wires import RecordingInterface  # noqa: E402

from node.hardware.display import make_display  # noqa: E402
from node.hardware.display_max7219 import Max7219Display, to_max7219  # noqa: E402


@pytest.fixture
def wire():
    return RecordingInterface()


def test_a001_right_aligned_with_reference_bytes(wire, clock):
    d = Max7219Display(interface=wire, clock=clock)
    d.show("A001")
    assert wire.digits() == [0, 0, 0, 0, 0x77, 0x7E, 0x7E, 0x30]


def test_dash_and_letters_use_our_font_not_lumas(wire, clock):
    d = Max7219Display(interface=wire, clock=clock)
    d.show("B-012")  # luma's own font would draw B as 8
    b, dash = to_max7219(0x7C), 0x01
    assert wire.digits()[3:] == [b, dash, 0x7E, 0x30, 0x6D]


def test_offline_dot_blinks_on_the_rightmost_digit(wire, clock):
    d = Max7219Display(interface=wire, clock=clock, blink_s=0.5)
    d.show("A-001")
    d.set_offline(True)
    assert wire.digits()[-1] == 0x30 | 0x80
    clock.advance(500)
    d.tick()
    assert wire.digits()[-1] == 0x30


def test_init_sequence_and_brightness(wire, clock):
    Max7219Display(interface=wire, intensity=0x20, clock=clock)
    assert [0x0B, 7] in wire.writes  # scan limit: all 8 digits
    assert [0x09, 0] in wire.writes  # no BCD decode: we send segments
    assert [0x0A, 0x02] in wire.writes  # the chip's 16 steps: intensity >> 4


def test_close_blanks_and_releases_the_bus(wire, clock):
    d = Max7219Display(interface=wire, clock=clock)
    d.show("A001")
    d.close()
    assert wire.digits() == [0] * 8
    assert [0x0C, 0] in wire.writes  # shutdown mode
    assert wire.cleaned


def test_matrix_kind_draws_text_right_aligned_with_dot(wire, clock):
    d = Max7219Display(kind="matrix", cascaded=4, interface=wire, clock=clock)
    d.show("A-1")
    d.set_offline(True)
    # register n = column n-1 of every module, bit y = row y; the first byte goes to the far
    # end of the chain: the rightmost module
    rows = wire.columns()
    assert all(row[3] == 0 for row in rows.values())  # leftmost module dark: right-aligned
    assert any(row[0] & 0x7F for row in rows.values())
    assert rows[8][0] & 0x80  # offline dot: last column, bottom row


def test_factory_reads_backend_keys(wire, clock):
    d = make_display(
        {"backend": "max7219", "kind": "7seg", "cascaded": 1, "intensity": 0x40, "spi_port": 0},
        interface=wire,
        ticker=False,
        clock=clock,
    )
    assert isinstance(d, Max7219Display) and d.width == 8


def test_four_digit_module_uses_the_rightmost_digit_registers(wire, clock):
    d = Max7219Display(interface=wire, digits=4, clock=clock)
    d.show("A-001")  # does not fit 4 digits: the dash goes
    d.set_offline(True)
    assert d.width == 4
    assert wire.digits() == [0, 0, 0, 0, 0x77, 0x7E, 0x7E, 0x30 | 0x80]
