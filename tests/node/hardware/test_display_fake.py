"""The display contract on FakeDisplay and ConsoleDisplay; fit(); make_display()."""

import pytest

from node.hardware.display import (
    ConsoleDisplay,
    FakeDisplay,
    Frame,
    NumberDisplay,
    fit,
    make_display,
    segment_art,
)
from node.hardware.errors import HardwareError


@pytest.fixture
def fake(clock):
    return FakeDisplay(8, clock=clock)


def test_fake_records_each_distinct_frame_with_offline_flag(fake):
    assert isinstance(fake, NumberDisplay)
    fake.show("A-001")
    fake.show("A-001")  # repeating is not a new frame
    fake.set_offline(True)
    fake.show_idle()
    fake.set_offline(False)
    fake.show_closed()
    assert fake.history == [
        Frame("A-001", False, "text"),
        Frame("A-001", True, "text"),
        Frame("----", True, "idle"),
        Frame("----", False, "idle"),
        Frame("TUTUP", False, "closed"),
    ]


def test_flash_returns_to_the_current_text_when_it_expires(fake, clock):
    fake.show("A-001")
    fake.flash("B-007", 3)
    assert fake.text == "B-007"
    clock.advance(2999)
    fake.tick()
    assert fake.frame.mode == "flash"
    clock.advance(1)
    fake.tick()
    assert fake.history[-1] == Frame("A-001", False, "text")


def test_a_new_show_ends_a_running_flash(fake, clock):
    fake.flash("B-007", 3)
    fake.show("A-002")
    clock.advance(5000)
    fake.tick()
    assert [f.text for f in fake.history] == ["B-007", "A-002"]


def test_closed_text_on_a_narrow_display_fits(clock):
    narrow = FakeDisplay(4, clock=clock)
    narrow.show_closed()
    assert narrow.text == "OFF"


def test_console_shows_the_offline_dot_steady_and_never_repeats_a_line(clock):
    lines = []
    con = ConsoleDisplay(8, write=lines.append, clock=clock, blink_s=0.5)
    con.show("A-001")
    con.set_offline(True)
    clock.advance(500)
    con.tick()
    clock.advance(500)
    con.tick()
    assert lines == ["[   A-001  ]", "[   A-001 .]"]
    con.show("A-001")
    assert len(lines) == 2


def test_segment_art_draws_the_shared_font():
    assert segment_art("1", dot=True).splitlines() == ["", "  |", "  |."]
    assert segment_art("8").splitlines() == [" _", "|_|", "|_|"]


def test_fit_right_aligns_then_drops_dashes_then_left_characters():
    assert fit("A-001", 8) == "   A-001"
    assert fit("A-001", 4) == "A001"
    assert fit("B-K2-12", 4) == "K212"


def test_fit_shortens_multi_character_prefixes_without_ambiguity():
    assert fit("SK-014", 6) == "SK-014"
    assert fit("SK-014", 5) == "SK014"
    assert fit("SK-014", 4) == "SK14"
    assert fit("A2-031", 5) == "A2-31"  # never "A2031": that could be A-2031
    assert fit("A2-031", 4) == " 031"  # too narrow for the prefix: the number, never "2031"
    assert fit("SK-114", 4) == " 114"  # never "K114", another service's prefix
    assert fit("1.5", 3) == " 1.5"  # the dot shares a cell on 7-segment
    assert fit("1.5", 3, dots_share_cell=False) == "1.5"


def test_closed_display_refuses_updates(fake):
    fake.close()
    with pytest.raises(HardwareError, match="closed"):
        fake.show("A-001")


def test_make_display_by_name(clock):
    d = make_display({"backend": "fake", "digits": 4, "idle_text": "0000"}, clock=clock)
    d.show_idle()
    assert isinstance(d, FakeDisplay) and d.text == "0000"
    con = make_display({"backend": "console"}, write=lambda s: None, ticker=False)
    assert isinstance(con, ConsoleDisplay)
    with pytest.raises(HardwareError, match="unknown display backend"):
        make_display({"backend": "lcd"})


def test_ticker_thread_stops_on_close():
    d = FakeDisplay(8, ticker=True, blink_s=0.01)
    d.set_offline(True)
    d.close()
    assert d._ticker is not None and not d._ticker.is_alive()
