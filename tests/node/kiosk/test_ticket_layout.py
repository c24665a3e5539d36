"""The printed ticket, asserted as the exact ESC/POS bytes python-escpos would send."""

from __future__ import annotations

import dataclasses

import pytest

from node.hardware.errors import HardwareError
from node.hardware.printer import FakePrinter, TicketPrint, make_printer
from node.hardware.ticket_layout import (
    INVERT_ON,
    SIZE_DOUBLE,
    SIZE_QUAD,
    fold_ascii,
    render_ticket,
)

QR_STORE = b"\x1d(k"  # GS ( k: native 2D code
RASTER_IMAGE = b"\x1dv0"  # GS v 0: raster bit image
FULL_CUT = b"\x1dV\x00"
PART_CUT = b"\x1dV\x01"
URL = "http://hub.local/t/Qm9sZWggSmFs"


def ticket(**changes: object) -> TicketPrint:
    base = TicketPrint(
        label="B-023",
        service_name="Perekaman KTP-el",
        agency_name="Dinas Kependudukan dan Pencatatan Sipil",
        mpp_name="Mal Pelayanan Publik Kota Contoh",
        issued_at="28-11-2026 09:15",
        people_ahead=4,
        est_wait_min=40,
        status_url=URL,
        offline=False,
    )
    return dataclasses.replace(base, **changes)


def test_tm_t20ii_prints_native_qr_big_number_and_cuts() -> None:
    out = render_ticket(ticket(), "TM-T20II")
    assert out.startswith(b"\x1b@")  # printer reset first
    assert SIZE_QUAD + b"\x1bE\x01B-023\n" in out
    assert b"28-11-2026 09:15\n" in out
    assert b"Antrian di depan Anda: 4 orang\n" in out
    assert b"Perkiraan tunggu: +/- 40 menit\n" in out
    # The QR data is stored natively (function 80) with the status URL, then printed (81).
    stored = QR_STORE + (len(URL) + 3).to_bytes(2, "little") + b"1P0" + URL.encode()
    assert stored in out
    assert QR_STORE + b"\x03\x001Q0" in out
    assert RASTER_IMAGE not in out
    assert out.endswith(b"\x1bd\x06" + FULL_CUT)  # feed 6 lines, then cut
    assert b"OFFLINE" not in out and INVERT_ON not in out


def test_pos5890_falls_back_to_a_raster_qr_and_feeds_instead_of_cutting() -> None:
    out = render_ticket(ticket(), "POS-5890")
    assert SIZE_QUAD + b"\x1bE\x01B-023\n" in out
    assert QR_STORE not in out
    start = out.index(RASTER_IMAGE)
    width_bytes = int.from_bytes(out[start + 4 : start + 6], "little")
    height = int.from_bytes(out[start + 6 : start + 8], "little")
    assert 0 < width_bytes * 8 <= 384 and height > 50  # a centred square-ish QR on 58 mm
    assert FULL_CUT not in out and PART_CUT not in out
    assert out.endswith(b"\x1bd\x04")  # feed past the tear bar


def test_offline_mark_present_only_when_offline() -> None:
    online = render_ticket(ticket(), "TM-T20II")
    offline = render_ticket(ticket(offline=True, people_ahead=None, est_wait_min=None), "TM-T20II")
    assert INVERT_ON + b"\x1bE\x01" + SIZE_DOUBLE + b" OFFLINE \n" in offline
    assert b"urutan datang" in offline
    assert b"OFFLINE" not in online
    assert b"Antrian di depan" not in offline  # unknown offline: not printed as zero


def test_english_ticket_and_no_qr_without_url() -> None:
    out = render_ticket(ticket(lang="en", status_url=None, counter_hint="Counter 3"), "TM-T20II")
    assert b"QUEUE NUMBER\n" in out and b"People ahead of you: 4\n" in out
    assert b"Go to: Counter 3\n" in out
    assert QR_STORE not in out and RASTER_IMAGE not in out


def test_text_is_folded_to_ascii() -> None:
    assert fold_ascii("Pelayanan Terpadu Satu Pintu – Kantor Kecamatan Ñusa Café") == (
        b"Pelayanan Terpadu Satu Pintu - Kantor Kecamatan Nusa Cafe"
    )
    out = render_ticket(ticket(mpp_name="MPP Kota Bogor é"), "POS-5890")
    assert b"MPP Kota Bogor e\n" in out
    assert all(b < 0x80 for b in out.split(RASTER_IMAGE)[0])


def test_long_lines_wrap_to_the_profile_width() -> None:
    narrow = render_ticket(ticket(), "POS-5890")  # 32 columns
    wide = render_ticket(ticket(), "TM-T20II")  # 48 columns
    assert b"Dinas Kependudukan dan\nPencatatan Sipil\n" in narrow
    assert b"Dinas Kependudukan dan Pencatatan Sipil\n" in wide


def test_long_prefix_label_drops_to_double_size() -> None:
    out = render_ticket(ticket(label="B-K12-104"), "POS-5890")
    assert SIZE_DOUBLE + b"\x1bE\x01B-K12-104\n" in out
    assert SIZE_QUAD + b"\x1bE\x01B-K12-104" not in out


def test_fake_printer_keeps_the_rendered_bytes() -> None:
    printer = make_printer({"backend": "fake", "profile": "TM-T20II"})
    printer.print_ticket(ticket())
    assert printer.jobs == [render_ticket(ticket(), "TM-T20II")]
    assert printer.status()[0] == "ok"


def test_fake_printer_failure_records_nothing() -> None:
    printer = FakePrinter()
    printer.fail = HardwareError("jammed")
    with pytest.raises(HardwareError):
        printer.print_ticket(ticket())
    printer.fail = None
    printer.paper = "out"
    with pytest.raises(HardwareError, match="paper"):
        printer.print_ticket(ticket())
    assert printer.jobs == [] and printer.status()[0] == "out"


def test_unknown_backend_is_an_error_not_a_fake() -> None:
    with pytest.raises(HardwareError, match="unknown printer backend 'bluetooth'"):
        make_printer({"backend": "bluetooth"})
