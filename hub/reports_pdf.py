"""The day summary as a PDF (fpdf2, its built-in Helvetica: no font file, no network).

Draws exactly the figures of ``hub.reports_day.day_figures`` that the page and the CSV show.
Long service names wrap inside their cell instead of being cut.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

PAGE_W = 190  # A4 portrait minus 10 mm margins
HOUR_COLS = (30, 40, 60, 60)
SERVICE_W = 58
COUNT_W = (PAGE_W - SERVICE_W) / 7
LINE_H = 6
CHART_H = 40


def latin1(text: Any) -> str:
    """The core fonts know Latin-1 only; anything else becomes '?' rather than an error."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def day_pdf(ctx: dict[str, Any]) -> bytes:
    w, fig = ctx["w"], ctx["fig"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_title(latin1(f"{w['rep_title']} {ctx['day']}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(ctx["mpp_name"] or w["rep_title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 11)
    scope = ctx["agency_name"] or w["rep_all_agencies"]
    state = w["rep_closed"] if ctx["closed"] else w["rep_open"]
    heading = f"{w['rep_title']} {ctx['day']} - {scope} ({state})"
    pdf.cell(0, 7, latin1(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _totals(pdf, w, fig["total"])
    if fig["hours"]:
        _hour_chart(pdf, fig["hours"])
    _table(
        pdf,
        [w["rep_hour"], w["rep_arrivals"], w["rep_wait_min"], w["rep_service_min"]],
        [[h["hour"], h["arrivals"], h["wait_min"], h["service_min"]] for h in fig["hours"]],
        HOUR_COLS,
    )
    pdf.ln(4)
    heads = [w["rep_service"], *(w[f"rep_{k}"] for k in _COUNT_KEYS)]
    rows = [[s["service"], *(s[k] for k in _COUNT_KEYS)] for s in fig["services"]]
    rows.append([w["rep_total"], *(fig["total"][k] for k in _COUNT_KEYS)])
    _table(pdf, heads, rows, (SERVICE_W, *([COUNT_W] * 7)))
    return bytes(pdf.output())


_COUNT_KEYS = ("issued", "served", "no_show", "cancelled", "not_served", "wait_min", "service_min")


def _totals(pdf: FPDF, w: dict[str, str], total: dict[str, Any]) -> None:
    pdf.set_font("Helvetica", "", 10)
    parts = [f"{w['rep_' + k]}: {total[k] if total[k] != '' else '-'}" for k in _COUNT_KEYS]
    pdf.multi_cell(PAGE_W, LINE_H, latin1("   ".join(parts)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _hour_chart(pdf: FPDF, hours: list[dict[str, Any]]) -> None:
    """Arrivals per hour as columns, the value above and the hour below each."""
    top = max(h["arrivals"] for h in hours) or 1
    x0, y0 = pdf.l_margin, pdf.get_y()
    col = min(PAGE_W / len(hours), 14.0)  # a few hours stay columns, not slabs
    pdf.set_font("Helvetica", "", 7)
    pdf.set_fill_color(45, 110, 170)
    for i, h in enumerate(hours):
        height = (CHART_H - 8) * h["arrivals"] / top
        x = x0 + i * col
        pdf.rect(x + 1, y0 + CHART_H - height, col - 2, height, style="F")
        pdf.text(x + 1, y0 + CHART_H - height - 1, str(h["arrivals"]))
        pdf.text(x + 1, y0 + CHART_H + 4, h["hour"][:2])
    pdf.set_y(y0 + CHART_H + 8)


def _table(pdf: FPDF, heads: list[str], rows: list[list[Any]], widths) -> None:
    pdf.set_font("Helvetica", "B", 8)
    _row(pdf, heads, widths)
    pdf.set_font("Helvetica", "", 9)
    for row in rows:
        _row(pdf, row, widths)


def _row(pdf: FPDF, cells: list[Any], widths) -> None:
    """One table row; a long first cell wraps and the row grows to fit it."""
    texts = [latin1(c) for c in cells]
    lines = max(len(pdf.multi_cell(wd, LINE_H, t, dry_run=True, output="LINES")) for t, wd in
                zip(texts, widths, strict=True))  # fmt: skip
    height = LINE_H * max(lines, 1)
    if pdf.will_page_break(height):
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    for i, (text, width) in enumerate(zip(texts, widths, strict=True)):
        pdf.rect(x, y, width, height)
        pdf.set_xy(x, y)
        align = "L" if i == 0 else "R"
        pdf.multi_cell(width, LINE_H, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)
