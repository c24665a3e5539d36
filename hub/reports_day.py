"""The reports a manager prints: a day's summary (HTML with a print stylesheet, CSV, PDF) for
the MPP or one agency, and a date-range report across closed days.

Figures come from the day's summary (``hub.archive``; for a day not closed yet the same
summary is computed from the journal, ``hub.day_close.summarise``) through :func:`day_figures`
alone, so the page, the CSV and the PDF show the same numbers. A range reads one small
summary file per day, never the journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from hub import archive, day_close, reports_pdf, ui
from hub.auth import require_role
from hub.csv_download import csv_response
from hub.reports import column_chart

bp = Blueprint("reports_day", __name__, url_prefix="/admin/reports", template_folder="templates")

MAX_RANGE_DAYS = 366
COUNTS = ("issued", "served", "no_show", "cancelled", "not_served")
EMPTY_ROW = dict.fromkeys((*COUNTS, "transferred", "waits", "services"), 0) | {
    "wait_sum_s": 0.0,
    "service_sum_s": 0.0,
}


def minutes(total_s: float, n: int) -> str:
    """A mean duration in minutes, one decimal ("" when nothing ended)."""
    return f"{total_s / n / 60:.1f}" if n else ""


def day_figures(summary: dict[str, Any], agency: str | None, service_names: dict) -> dict:
    """What every form of the day report shows: totals, per hour, per service."""
    if agency:
        total = summary["agencies"].get(agency, EMPTY_ROW)
        hours = summary.get("agency_hours", {}).get(agency, {})
        agency_of = {sid: a for sid, (_, a) in service_names.items()}
        services = {s: r for s, r in summary["services"].items() if agency_of.get(s) == agency}
    else:
        total, hours, services = summary["total"], summary["hours"], summary["services"]
    return {
        "total": row_figures(total),
        "hours": [
            {
                "hour": f"{h}:00",
                "arrivals": v["arrivals"],
                "wait_min": minutes(v["wait_sum_s"], v["waits"]),
                "service_min": minutes(v["service_sum_s"], v["services"]),
            }
            for h, v in sorted(hours.items())
        ],
        "services": [
            {"service": f"{sid} {service_names.get(sid, (sid, ''))[0]}", **row_figures(r)}
            for sid, r in sorted(services.items())
        ],
    }


def row_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in COUNTS},
        "wait_min": minutes(row["wait_sum_s"], row["waits"]),
        "service_min": minutes(row["service_sum_s"], row["services"]),
    }


def add_rows(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Rows of several days summed (counts and sums add; means are taken after)."""
    total = dict(EMPTY_ROW)
    for row in rows:
        for key in total:
            total[key] += row.get(key, 0)
    return total


# -- where a day's summary comes from ----------------------------------------------------------


def summary_for(day: str) -> tuple[dict[str, Any], bool]:
    """``(summary, closed)``: the archived one, else computed now from the journal."""
    authority = ui.authority()
    doc = archive.read_day(Path(authority.store.data_dir), day)
    if doc is not None:
        return doc["summary"], True
    return day_close.summarise(authority, day)[0], False


def service_names() -> dict[str, tuple[str, str]]:
    """service id -> (name, agency id), retired ones too (old days name them)."""
    return {
        sid: (ui.field(s, "name", sid), ui.field(s, "agency", ""))
        for sid, s in ui.services(retired=True).items()
    }


def agency_names() -> dict[str, str]:
    return {aid: ui.field(a, "name", aid) for aid, a in ui.agencies(retired=True).items()}


def _day_arg() -> str:
    day = request.args.get("day") or ui.authority().today()
    try:
        date.fromisoformat(day)
    except ValueError:
        abort(400, description="day: YYYY-MM-DD")
    return day


def _agency_arg() -> str | None:
    agency = request.args.get("agency") or None
    if agency is not None and agency not in agency_names():
        abort(404, description=f"agency {agency!r} is not in the catalogue")
    return agency


def _lang() -> str:
    return ui.page_lang()  # asked, remembered, the mall's, Indonesian: the admin's one rule


def day_context() -> dict[str, Any]:
    day, agency, lang = _day_arg(), _agency_arg(), _lang()
    summary, closed = summary_for(day)
    mpp = ui.catalogue().mpp
    return {
        "day": day,
        "agency": agency,
        "agency_name": agency_names().get(agency, "") if agency else "",
        "mpp_name": getattr(mpp, "name", "") if mpp is not None else "",
        "closed": closed,
        "fig": day_figures(summary, agency, service_names()),
        "w": ui.text(lang),
        "lang": lang,
    }


# -- routes -------------------------------------------------------------------------------------


@bp.get("/day")
@require_role("viewer")
def day_page() -> str:
    ctx = day_context()
    chart = hour_chart(ctx["fig"]["hours"], ctx["w"]["rep_arrivals"])
    agencies = agency_names()
    return render_template("report_day.html", chart=chart, agencies=agencies, **ctx)


@bp.get("/day.csv")
@require_role("viewer")
def day_csv() -> Response:
    ctx = day_context()
    return csv_response(day_csv_rows(ctx["fig"], ctx["w"]), f"laporan-{ctx['day']}.csv", bom=True)


@bp.get("/day.pdf")
@require_role("viewer")
def day_pdf() -> Response:
    ctx = day_context()
    pdf = reports_pdf.day_pdf(ctx)
    name = f"laporan-{ctx['day']}{'-' + ctx['agency'] if ctx['agency'] else ''}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.get("/range")
@require_role("viewer")
def range_page() -> str:
    ctx = range_context()
    return render_template("report_range.html", **ctx)


@bp.get("/range.csv")
@require_role("viewer")
def range_csv() -> Response:
    ctx = range_context()
    w = ctx["w"]
    rows = [[w["rep_day"], *_count_heads(w)]]
    for d in ctx["days"]:
        rows.append([d["day"], *_count_values(d["row"])])
    rows.append([w["rep_total"], *_count_values(ctx["total"])])
    return csv_response(rows, f"laporan-{ctx['date_from']}-{ctx['date_to']}.csv", bom=True)


def range_context() -> dict[str, Any]:
    lang, agency = _lang(), _agency_arg()
    today = ui.authority().today()
    try:
        start = date.fromisoformat(request.args.get("from") or today)
        end = date.fromisoformat(request.args.get("to") or start.isoformat())
    except ValueError:
        abort(400, description="from/to: YYYY-MM-DD")
    if end < start:
        start, end = end, start
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        abort(400, description=f"at most {MAX_RANGE_DAYS} days")
    data_dir = Path(ui.authority().store.data_dir)
    days = []
    for doc in archive.days(data_dir, start.isoformat(), end.isoformat()):
        s = doc["summary"]
        raw = s["agencies"].get(agency, EMPTY_ROW) if agency else s["total"]
        days.append({"day": doc["day"], "raw": raw, "row": row_figures(raw)})
    return {
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "agency": agency,
        "agency_name": agency_names().get(agency, "") if agency else "",
        "days": days,
        "total": row_figures(add_rows(d["raw"] for d in days)),
        "w": ui.text(lang),
        "lang": lang,
    }


# -- CSV and chart ------------------------------------------------------------------------------


def _count_heads(w: dict[str, str]) -> list[str]:
    return [w[f"rep_{k}"] for k in (*COUNTS, "wait_min", "service_min")]


def _count_values(row: dict[str, Any]) -> list[Any]:
    return [row[k] for k in (*COUNTS, "wait_min", "service_min")]


def day_csv_rows(fig: dict[str, Any], w: dict[str, str]) -> list[list[Any]]:
    """Three blocks: per hour, per service, total (the PDF test compares with these)."""
    rows: list[list[Any]] = [
        [w["rep_hour"], w["rep_arrivals"], w["rep_wait_min"], w["rep_service_min"]]
    ]
    rows += [[h["hour"], h["arrivals"], h["wait_min"], h["service_min"]] for h in fig["hours"]]
    rows.append([])
    rows.append([w["rep_service"], *_count_heads(w)])
    rows += [[s["service"], *_count_values(s)] for s in fig["services"]]
    rows.append([w["rep_total"], *_count_values(fig["total"])])
    return rows


def hour_chart(hours: list[dict[str, Any]], title: str) -> Any:
    return column_chart([(h["hour"][:2], h["arrivals"]) for h in hours], title)
