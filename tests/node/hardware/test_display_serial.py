"""Serial LED panel: frames on loop://, and surviving an unplug/replug on a pty pair."""

import os
import select

import pytest

pytest.importorskip("serial")

from node.hardware.display import make_display  # noqa: E402
from node.hardware.display_serial import SerialPanelDisplay  # noqa: E402
from node.hardware.errors import HardwareError  # noqa: E402
from node.hardware.panel_framing import (  # noqa: E402
    GenericAsciiFraming,
    make_encoder,
    xor_checksum,
)


def frame(text, offline=False, address=1, width=8):
    return GenericAsciiFraming(address, width).encode(text, offline=offline)


def test_generic_framing_layout():
    raw = frame("A-001", width=6, address=7)
    assert raw[:1] == b"\x02" and raw[1:3] == b"07" and raw[3:9] == b" A-001"
    assert raw[9:10] == b"\x03"
    assert int(raw[10:], 16) == xor_checksum(raw[1:10])
    assert frame("A-001", offline=True, width=6)[3:10] == b" A-001."
    assert frame("B-K2-12", width=4)[3:7] == b"K212"
    assert frame("SK-014", width=6)[3:9] == b"SK-014"  # an RS-485 panel draws S and K
    assert frame("SK-014", width=5)[3:8] == b"SK014"
    assert frame("A2-031", width=5)[3:8] == b"A2-31"  # never A2031 (A-2031?)
    assert frame("Ä1", width=3)[3:6] == b" ?1"


def test_unknown_framing_and_bad_address_are_errors():
    with pytest.raises(HardwareError, match="unknown display.encoder"):
        make_encoder("acme")
    with pytest.raises(HardwareError, match="cannot be loaded"):
        make_encoder("no_such_module:Panel")
    with pytest.raises(HardwareError, match="address"):
        GenericAsciiFraming(address=100)


def test_vendor_encoder_by_import_path():
    enc = make_encoder("node.hardware.panel_framing:GenericAsciiFraming", address=3, width=4)
    assert enc.encode("1", offline=False)[1:3] == b"03"


def read_loop(display):
    display.port.timeout = 0
    return display.port.read(4096)


def test_frames_on_loop_url(clock):
    d = SerialPanelDisplay("loop://", clock=clock)
    d.show("A-001")
    d.set_offline(True)
    d.show_idle()
    expected = frame("A-001") + frame("A-001", offline=True) + frame("----", offline=True)
    assert read_loop(d) == expected
    assert d.frames_sent == 3
    d.close()


def test_write_timeout_is_always_set(clock):
    d = SerialPanelDisplay("loop://", clock=clock)
    assert d.port.write_timeout == 1.0
    with pytest.raises(HardwareError, match="write_timeout"):
        SerialPanelDisplay("loop://", write_timeout=0)


def test_bad_url_is_a_hardware_error():
    with pytest.raises(HardwareError, match="display.url"):
        SerialPanelDisplay("nosuchscheme://x")


def test_periodic_refresh_resends_the_latest_frame(clock):
    d = SerialPanelDisplay("loop://", clock=clock, refresh_s=60)
    d.show("A-001")
    read_loop(d)
    clock.advance(59_000)
    d.tick()
    assert read_loop(d) == b""
    clock.advance(1_000)
    d.tick()
    assert read_loop(d) == frame("A-001")


def test_factory_reads_serial_keys(clock):
    d = make_display(
        {"backend": "serial", "url": "loop://", "digits": 4, "address": "12"},
        ticker=False,
        clock=clock,
    )
    d.show("7")
    assert read_loop(d) == frame("7", address=12, width=4)


class Pty:
    """A pty pair behind a stable symlink, like /dev/serial/by-id/... for a USB adapter."""

    def __init__(self, link):
        self.link = link
        self.master, self.slave = os.openpty()
        os.symlink(os.ttyname(self.slave), link)

    def read(self, wait=2.0):
        out = b""
        while select.select([self.master], [], [], wait)[0]:
            chunk = os.read(self.master, 4096)
            if not chunk:
                break
            out += chunk
            wait = 0.05
        return out

    def unplug(self):
        if self.master < 0:
            return
        os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1


def test_unplug_keeps_latest_and_replug_delivers_it(tmp_path, clock):
    link = str(tmp_path / "usb-FTDI_panel-if00-port0")
    pty = Pty(link)
    d = SerialPanelDisplay(link, clock=clock)
    try:
        d.show("A-001")
        assert pty.read() == frame("A-001")

        pty.unplug()
        d.show("A-002")  # write fails (EIO), port closed, retry scheduled
        d.show("A-003")  # reopen fails: the link is gone
        assert d.pending and not d.connected and d.last_error
        assert d.frame.text == "A-003"

        pty = Pty(link)  # replugged: a new tty behind the same by-id link
        d.tick()  # still inside the back-off: nothing sent yet
        assert pty.read(wait=0.1) == b""
        clock.advance(2_000)  # two failures: back-off 1 s, then 2 s
        d.tick()
        assert pty.read() == frame("A-003")
        assert not d.pending and d.last_error is None
    finally:
        d.close()
        pty.unplug()
