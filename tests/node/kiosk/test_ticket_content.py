"""What a ticket says beyond its number (issue 13, items 3 and 4): a QR a phone can follow,
decoded from the printed bytes by an independent decoder (zxing-cpp); the dithered logo; the
counters; the SKM and LAPOR! footer; text folded to ASCII before it is wrapped."""

from __future__ import annotations

import dataclasses

import pytest

from node.hardware.printer import FakePrinter, NoticePrint, TicketPrint, make_printer
from node.hardware.ticket_layout import (
    TicketStyle,
    counters_text,
    load_logo,
    render_notice,
    render_ticket,
)
from node.hardware.ticket_text import fold_text

RASTER = b"\x1dv0"
URL = "http://10.10.0.1:8080/t/Qm9sZWggSmFsYW4"


def ticket(**changes) -> TicketPrint:
    base = TicketPrint(
        label="SK-014",
        service_name="SKCK Baru dan Perpanjangan",
        agency_name="Polresta Banyumas",
        mpp_name="MPP Kabupaten Banyumas",
        issued_at="30-11-2026 09:15",
        people_ahead=3,
        est_wait_min=20,
        status_url=URL,
        offline=False,
        counters=(21, 22),
    )
    return dataclasses.replace(base, **changes)


def rasters(out: bytes) -> list:
    """Every GS v 0 raster image in the bytes, as a PIL image (set bit = black dot)."""
    from PIL import Image

    images = []
    at = out.find(RASTER)
    while at != -1:
        width_bytes = int.from_bytes(out[at + 4 : at + 6], "little")
        height = int.from_bytes(out[at + 6 : at + 8], "little")
        data = out[at + 8 : at + 8 + width_bytes * height]
        img = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in data))
        images.append(img)
        at = out.find(RASTER, at + 8 + len(data))
    return images


def decode_qr(img) -> list[str]:
    import zxingcpp

    # A quiet zone around it and a few times larger, as a camera would see the paper.
    from PIL import Image, ImageOps

    big = ImageOps.expand(img.convert("L"), border=32, fill=255)
    big = big.resize((big.width * 3, big.height * 3), Image.Resampling.NEAREST)
    return [r.text for r in zxingcpp.read_barcodes(big)]


def test_the_printed_qr_decodes_to_the_public_status_url() -> None:
    out = render_ticket(ticket(), "POS-5890")  # a raster QR: the paper's own dots
    assert [decode_qr(img) for img in rasters(out)] == [[URL]]


def test_without_a_public_url_no_qr_is_printed() -> None:
    out = render_ticket(ticket(status_url=None), "POS-5890")
    assert RASTER not in out and b"Pindai" not in out


def test_counters_footer_and_configured_text() -> None:
    out = render_ticket(ticket(), "TM-T20II")
    assert b"Menuju loket 21-22\n" in out
    assert b"Survei Kepuasan" in out and b"(SKM)" in out
    assert b"LAPOR! lapor.go.id" in out
    style = TicketStyle(
        header="Jl. Jend. Sudirman No. 1", footer=("Selamat datang",), survey=False, complaints=""
    )
    custom = render_ticket(ticket(lang="en"), "TM-T20II", style)
    assert b"Jl. Jend. Sudirman No. 1\n" in custom and b"Selamat datang\n" in custom
    assert b"SKM" not in custom and b"LAPOR" not in custom and b"Thank you" not in custom
    assert counters_text((1, 2, 3, 7, 9, 10)) == "1-3, 7, 9-10"


def test_the_logo_is_dithered_not_thresholded(tmp_path) -> None:
    from PIL import Image

    grey = Image.new("L", (200, 60), 128)  # a mid-grey block: half the dots, spread out
    grey.save(tmp_path / "logo.png")
    logo = load_logo(tmp_path / "logo.png")
    out = render_ticket(ticket(status_url=None), "TM-T20II", TicketStyle(logo=logo))
    [printed] = rasters(out)
    assert printed.size[1] == 60 and printed.size[0] >= 200
    dots = printed.crop((0, 0, 200, 60))
    black = sum(1 for v in dots.getdata() if v == 0)
    assert 0.35 < black / (200 * 60) < 0.65  # dithered; a threshold gives all or nothing
    assert out.index(RASTER) < out.index(b"MPP Kabupaten")  # at the top


def test_a_wide_logo_is_scaled_and_a_missing_one_is_a_start_up_error(tmp_path) -> None:
    from PIL import Image

    from node.hardware.errors import HardwareError

    Image.new("RGBA", (1000, 100), (0, 0, 0, 0)).save(tmp_path / "wide.png")
    assert load_logo(tmp_path / "wide.png").size == (256, 26)
    with pytest.raises(HardwareError, match="printer.logo"):
        make_printer({"backend": "fake", "logo": str(tmp_path / "none.png")})


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Pelayanan – Kantor — Pusat", "Pelayanan - Kantor - Pusat"),
        ("“Cepat” ‘tepat’", "\"Cepat\" 'tepat'"),
        ("Tunggu…", "Tunggu..."),
        ("Loket™ 100 ㎡", "LoketTM 100 m2"),
        ("Café Ñusa Straße", "Cafe Nusa Strasse"),
        ("身份证", "???"),
    ],
)
def test_text_folds_to_ascii_visibly(text: str, folded: str) -> None:
    assert fold_text(text) == folded


def test_folding_happens_before_wrapping() -> None:
    # 10 x "…" is 10 characters but 30 printed columns: wrapped after folding, no line of the
    # 32-column paper is longer than 32.
    out = render_ticket(ticket(service_name="Layanan " + "…" * 10 + " ㎡ ™ selesai"), "POS-5890")
    text = out.split(RASTER)[0]
    lines = [line for line in text.split(b"\n") if b"..." in line or b"m2" in line]
    assert lines and all(len(line.split(b"\x1b")[-1]) <= 32 for line in lines)
    assert all(b < 0x80 for b in text)


def test_an_all_non_latin_service_name_prints_its_service() -> None:
    out = render_ticket(ticket(service_name="登记服务"), "TM-T20II")
    assert b"Layanan SK\n" in out and b"????" not in out


def test_a_refusal_slip() -> None:
    notice = NoticePrint(
        title="SKCK",
        lines=("Kuota antrian sudah habis", "Dibuka kembali Senin 08.00"),
        mpp_name="MPP Banyumas",
        printed_at="30-11-2026 14:00",
        footer="Mohon hubungi petugas.",
    )
    out = render_notice(notice, "POS-5890")
    assert b"Kuota antrian sudah habis\n" in out and b"Dibuka kembali Senin 08.00\n" in out
    assert b"NOMOR ANTRIAN" not in out and RASTER not in out
    printer = FakePrinter("POS-5890")
    printer.print_notice(notice)
    assert printer.jobs == [out] and printer.notices == [notice]
