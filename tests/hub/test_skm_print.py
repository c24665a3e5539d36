"""The printable SKM report: Chromium prints the page with its print stylesheet to a PDF, and
the PDF's text holds the figures and none of the screen-only navigation."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STATIC = Path(__file__).resolve().parents[2] / "hub" / "static"
PASSWORD = "rahasia-print-1"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None,
    reason="needs Debian's chromium and poppler-utils (apt)",
)


def test_the_report_prints_with_its_figures_and_without_navigation(client, authority, tmp_path):
    from hub.auth import add_user

    for i in range(2):
        authority.issue(f"p{i}", "A", "K1", public=f"pub-print-{i:04d}")
        authority.counter_command("C1", "next", f"pn{i}")
        authority.counter_command("C1", "done", f"pd{i}")
        answers = {f"u{k + 1}": "3" for k in range(9)}
        assert client.post(f"/t/pub-print-{i:04d}/survey", data=answers).status_code == 303
    add_user(authority.store, "cetak", PASSWORD, role="viewer")
    login = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    client.post("/admin/login", data={"username": "cetak", "password": PASSWORD,
                                      "csrf_token": token})  # fmt: skip
    html = client.get("/admin/skm").get_data(as_text=True)
    # The page's own stylesheets, from disk: the printed layout is what static/skm.css says.
    html = re.sub(
        r'href="[^"]*/static/([a-z_]+\.css)"', lambda m: f'href="{(STATIC / m[1]).as_uri()}"', html
    )
    page = tmp_path / "skm-report.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "skm-report.pdf"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--user-data-dir={tmp_path / 'profile-skm'}", f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Laporan Survei Kepuasan Masyarakat" in text
    # Two served, two answers of all 3s: NRR 3.000, IKM 3 x 25 = 75.00, minimum 2 -> C.
    assert re.search(r"Seluruh MPP\s+2\s+2\s+2\s+75\.00\s+C \(Kurang", text)
    assert re.search(r"IKM\s+3\.000\s+75\.00\s+C \(Kurang", text)
    assert "U9 Penanganan pengaduan" in text
    for screen_only in ("Unduh CSV", "Tampilkan", "English"):
        assert screen_only not in text
