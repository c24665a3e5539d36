"""The real python-escpos backends, driven through a pty pair and a local TCP "printer"."""

from __future__ import annotations

import os
import select
import socket
import threading
import tty
from collections.abc import Iterator

import pytest
from netprinter import FakeNetworkPrinter

from node.hardware.errors import HardwareError
from node.hardware.printer import TicketPrint, make_printer
from node.hardware.printer_escpos import (
    OFFLINE_CAUSE_QUERY,
    PAPER_STATUS_QUERY,
    paper_status_from_reply,
)
from node.hardware.ticket_layout import render_ticket

TICKET = TicketPrint(
    label="A-007",
    service_name="Pembayaran PKB",
    agency_name="Samsat",
    mpp_name="MPP Kota Contoh",
    issued_at="28-11-2026 10:02",
    people_ahead=2,
    est_wait_min=15,
    status_url="http://hub.local/t/c2Ftc2F0LWEwMDc",
    offline=False,
)


@pytest.fixture
def network_printer(request: pytest.FixtureRequest) -> Iterator[FakeNetworkPrinter]:
    server = FakeNetworkPrinter(getattr(request, "param", b"\x12"))
    yield server
    server.stop()


def network_section(port: int, profile: str = "TM-T20II") -> dict:
    return {
        "backend": "network",
        "host": "127.0.0.1",
        "port": port,
        "profile": profile,
        "timeout": 2,
    }


def test_network_printer_receives_each_whole_ticket_on_its_own_connection(
    network_printer: FakeNetworkPrinter,
) -> None:
    printer = make_printer(network_section(network_printer.port))
    printer.print_ticket(TICKET)
    printer.print_ticket(TICKET)
    printer.close()
    expected = render_ticket(TICKET, "TM-T20II") * 2
    assert network_printer.wait_received(len(expected)) == expected
    assert network_printer.connections == 2  # one job per connection, as port 9100 expects


@pytest.mark.parametrize(
    ("network_printer", "expected"),
    [(b"\x12", "ok"), (b"\x1e", "low"), (b"\x72", "out"), (None, "unknown"), (b"\xff", "unknown")],
    indirect=["network_printer"],
)
def test_network_paper_status(network_printer: FakeNetworkPrinter, expected: str) -> None:
    printer = make_printer(network_section(network_printer.port))
    # Generous for a loaded CI machine; only the "never answers" case waits it out.
    printer.status_timeout = 2 if network_printer.reply is not None else 0.2
    assert printer.status()[0] == expected
    printer.close()
    assert network_printer.wait_received(6) == OFFLINE_CAUSE_QUERY + PAPER_STATUS_QUERY


@pytest.mark.parametrize(
    ("cause", "expected"),
    [(b"\x16", "cover_open"), (b"\x52", "fault"), (b"\x12", "ok"), (None, "ok")],
)
def test_network_cover_and_error_status(cause: bytes | None, expected: str) -> None:
    server = FakeNetworkPrinter(b"\x12", cause)
    try:
        printer = make_printer(network_section(server.port))
        printer.status_timeout = 2 if cause is not None else 0.2
        status, detail = printer.status()
        assert status == expected
        assert detail == {"cover_open": "cover open", "fault": "printer reports an error"}.get(
            expected, ""
        )
        printer.close()
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_offline_and_print_raises() -> None:
    printer = make_printer(network_section(free_port()))
    assert printer.status()[0] == "offline"
    with pytest.raises(HardwareError, match="A-007 not printed"):
        printer.print_ticket(TICKET)
    printer.close()


def test_render_failure_sends_nothing(network_printer: FakeNetworkPrinter) -> None:
    printer = make_printer(network_section(network_printer.port, profile="POS-5890"))
    # A QR code of 1,000+ characters is wider than 58 mm paper: the layout fails.
    too_long = TicketPrint(**{**TICKET.__dict__, "status_url": "http://hub/t/" + "x" * 1000})
    with pytest.raises(HardwareError, match="cannot lay out"):
        printer.print_ticket(too_long)
    printer.close()
    network_printer.stop()
    assert network_printer.connections == 0 and network_printer.received == b""


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    yield master, path
    os.close(master)
    os.close(slave)


def read_exactly(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n:
        ready, _, _ = select.select([fd], [], [], 5)
        assert ready, f"only {len(data)} of {n} bytes arrived"
        data += os.read(fd, n - len(data))
    return data


def test_serial_printer_on_a_pty(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    printer = make_printer({"backend": "serial", "device": path, "profile": "POS-5890"})
    printer.print_ticket(TICKET)
    expected = render_ticket(TICKET, "POS-5890")
    assert read_exactly(master, len(expected)) == expected
    answers = {OFFLINE_CAUSE_QUERY: b"\x12", PAPER_STATUS_QUERY: b"\x1e"}

    def answer_each_query() -> None:
        for _ in answers:
            os.write(master, answers[read_exactly(master, 3)])

    responder = threading.Thread(target=answer_each_query)
    responder.start()
    # pyserial's read waits out the timeout for more bytes: each query costs it whole.
    printer.status_timeout = 1
    assert printer.status()[0] == "low"
    responder.join(10)
    printer.status_timeout = 0.2
    assert printer.status()[0] == "unknown"  # a printer that never answers
    printer.close()


def test_missing_serial_device_is_offline(tmp_path: os.PathLike) -> None:
    printer = make_printer({"backend": "serial", "device": f"{tmp_path}/ttyUSB9"})
    assert printer.status()[0] == "offline"
    with pytest.raises(HardwareError, match="ttyUSB9"):
        printer.print_ticket(TICKET)


def test_file_backend_writes_the_ticket_and_reports_unknown(tmp_path: os.PathLike) -> None:
    path = f"{tmp_path}/lp0"
    printer = make_printer({"backend": "file", "path": path, "profile": "TM-T20II"})
    printer.print_ticket(TICKET)
    assert printer.status()[0] == "unknown"  # a device file cannot answer
    printer.close()
    with open(path, "rb") as f:
        assert f.read() == render_ticket(TICKET, "TM-T20II")


def test_backend_settings_are_checked_when_built() -> None:
    with pytest.raises(HardwareError, match="vendor_id"):
        make_printer({"backend": "usb"})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [(b"", "unknown"), (b"\x12", "ok"), (b"\x1e", "low"), (b"\x72", "out"), (b"\x00", "unknown")],
)
def test_paper_status_decoding(reply: bytes, expected: str) -> None:
    assert paper_status_from_reply(reply) == expected


def test_usb_printer_that_is_not_plugged_in() -> None:
    printer = make_printer({"backend": "usb", "vendor_id": "0x0416", "product_id": 0x5011})
    assert printer.status()[0] == "offline"
    with pytest.raises(HardwareError, match="libusb"):  # the message says what to check
        printer.print_ticket(TICKET)
    printer.close()
