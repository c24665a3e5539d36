"""Reports a manager prints (issue 11 item 4): day summary as page, CSV and PDF with equal
figures; per agency; a date range read from the closed days' summaries."""

from __future__ import annotations

import csv
import io
import subprocess

from PIL import Image

from hub import day_close
from tests.hub.test_api import issue, press
from tests.hub.test_pairing_admin import login

MIN = 60_000
DAY_MS = 86_400_000


def a_day(client, auth, req, clock) -> None:
    """B: waits 5 and 15 min, served 3 min; A: one waits 10 min and stays called (not served).
    Arrivals at 09:xx local (T0 is 09:00 in Jakarta) and one an hour later."""
    issue(client, auth, req(), "B")
    issue(client, auth, req(), "B")
    clock.advance(5 * MIN)
    assert press(client, auth, "C2", "next", req()).status_code == 200  # B-001 waited 5
    clock.advance(3 * MIN)
    assert press(client, auth, "C2", "done", req()).status_code == 200  # served 3
    clock.advance(7 * MIN)
    assert press(client, auth, "C2", "next", req()).status_code == 200  # B-002 waited 15
    clock.advance(2 * MIN)
    assert press(client, auth, "C2", "done", req()).status_code == 200  # served 2
    clock.advance(45 * MIN)
    issue(client, auth, req(), "A")
    clock.advance(10 * MIN)
    assert press(client, auth, "C1", "next", req()).status_code == 200  # A-001 waited 10


def csv_of(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "archive-report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_day_summary_pdf_renders_with_the_csv_s_figures(
    client, auth, req, clock, authority, app, tmp_path
):
    a_day(client, auth, req, clock)
    day = authority.today()
    day_close.close_day(authority, day, by="t")
    viewer = login(app, "viewer")
    rows = csv_of(viewer.get(f"/admin/reports/day.csv?day={day}"))
    assert rows[0] == ["Jam", "Kedatangan", "Tunggu rata-rata (menit)", "Layanan rata-rata (menit)"]
    assert rows[1] == ["09:00", "2", "10.0", "2.5"]  # B: (5+15)/2 wait, (3+2)/2 service
    assert rows[2] == ["10:00", "1", "10.0", ""]
    total = rows[-1]
    assert total == ["Jumlah", "3", "2", "0", "0", "1", "10.0", "2.5"]
    resp = viewer.get(f"/admin/reports/day.pdf?day={day}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(tmp_path, resp.data)
    flat = " ".join(text.split())
    figures = [r for r in rows if r and r[1].isdigit()]  # the header rows wrap in the PDF
    assert len(figures) == 5  # two hours, two services, the total
    for row in figures:
        assert " ".join(c for c in row if c) in flat, row
    # rendered: a page of ink, not a blank sheet
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(tmp_path / "archive-report.pdf"),
         str(tmp_path / "archive-report")],
        check=True,
    )  # fmt: skip
    image = Image.open(tmp_path / "archive-report.png").convert("L")
    dark = sum(1 for px in image.getdata() if px < 128)
    assert dark > 2000, dark
    page = viewer.get(f"/admin/reports/day?day={day}").get_data(as_text=True)
    assert '<html lang="id">' in page and "Ringkasan harian" in page
    assert '<td>09:00</td><td class="n">2</td><td class="n">10.0</td>' in page
    with viewer.get("/ui/static/report_print.css") as css:
        assert css.status_code == 200 and "@media print" in css.get_data(as_text=True)


def test_per_agency_and_in_english(client, auth, req, clock, authority, app, tmp_path):
    a_day(client, auth, req, clock)
    day = authority.today()
    viewer = login(app, "viewer")
    rows = csv_of(viewer.get(f"/admin/reports/day.csv?day={day}&agency=bpjs&lang=en"))
    assert rows[0] == ["Hour", "Arrivals", "Mean wait (min)", "Mean service (min)"]
    assert rows[1:3] == [["09:00", "2", "10.0", "2.5"], []]  # BPJS only: no 10:00 arrival
    assert rows[-1] == ["Total", "2", "2", "0", "0", "0", "10.0", "2.5"]  # not closed yet
    pdf = viewer.get(f"/admin/reports/day.pdf?day={day}&agency=bpjs&lang=en")
    text = pdf_text(tmp_path, pdf.data)
    assert "Day summary" in text and "BPJS" in text and "provisional" in text
    page = viewer.get(f"/admin/reports/day?day={day}&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Tunggu" not in page
    assert viewer.get(f"/admin/reports/day?day={day}&agency=nope").status_code == 404
    assert viewer.get("/admin/reports/day?day=kemarin").status_code == 400


def test_a_range_adds_up_the_closed_days(client, auth, req, clock, authority, app):
    a_day(client, auth, req, clock)
    first = authority.today()
    clock.advance(DAY_MS)
    assert day_close.Timer(authority).tick() == [first]
    a_day(client, auth, req, clock)
    second = authority.today()
    day_close.close_day(authority, second, by="t")
    viewer = login(app, "viewer")
    rows = csv_of(viewer.get(f"/admin/reports/range.csv?from={first}&to={second}"))
    assert [r[0] for r in rows] == ["Tanggal", first, second, "Jumlah"]
    assert rows[1][1:] == rows[2][1:] == ["3", "2", "0", "0", "1", "10.0", "2.5"]
    assert rows[3][1:] == ["6", "4", "0", "0", "2", "10.0", "2.5"]
    page = viewer.get(f"/admin/reports/range?from={first}&to={second}").get_data(as_text=True)
    assert f">{first}</a>" in page and f">{second}</a>" in page
