"""Reports for the MPP manager: KPIs of a day or a date range, SVG charts and CSV.

The numbers come from hub.kpi over the hub's records (see its docstring for the
rules); this module only picks the range, draws and formats. Charts are inline
SVG drawn here, because the hall LAN has no internet and no chart library.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from markupsafe import Markup

from core import svg
from core.kpi import minutes_text, row_values
from hub import kpi, ui
from hub.auth import require_role
from hub.csv_download import csv_response

bp = Blueprint("reports", __name__, url_prefix="/admin", template_folder="templates")

MAX_RANGE_DAYS = 366
TABLES = ("summary", "services", "agencies", "counters", "hours", "quick_rating", "tickets")


@bp.get("/reports")
@require_role("viewer")
def report() -> str:
    date_from, date_to = date_range()
    rep = range_report(date_from, date_to)
    names = {sid: ui.field(s, "name", sid) for sid, s in ui.services(retired=True).items()}
    words = ui.text(ui.page_lang())
    charts = {
        "hours": column_chart(
            [(f"{h:02d}", n) for h, n in rep.arrivals_by_hour.items()], words["rep_chart_hours"]
        ),
        "waits": bar_chart(
            [
                (names.get(sid, sid), minutes_text(r.wait.mean) or 0)
                for sid, r in rep.by_service.items()
            ],
            words["rep_chart_waits"],
        ),
        "quick": bar_chart(
            [(words[f"skm_{s}"], n) for s, n in rep.quick.counts.items()],
            words["rep_chart_quick"],
        ),
    }
    agency_names = {aid: ui.field(a, "name", aid) for aid, a in ui.agencies(retired=True).items()}
    return render_template(
        "admin_reports.html",
        rep=rep,
        charts=charts,
        names=names,
        agency_names=agency_names,
        tables=TABLES,
        fmt=minutes_text,
    )


@bp.get("/reports.csv")
@require_role("viewer")
def report_csv() -> Response:
    date_from, date_to = date_range()
    table = request.args.get("table", "services")
    if table not in TABLES:
        abort(404)
    rows = ui.csv_words(csv_rows(range_report(date_from, date_to), table), ui.text(ui.page_lang()))
    return csv_response(rows, f"loket-{table}-{date_from}_{date_to}.csv")


def date_range() -> tuple[str, str]:
    """from/to query args (YYYY-MM-DD), today by default; 400 if malformed or too long."""
    today = datetime.now(ui.timezone()).date().isoformat()
    try:
        start = date.fromisoformat(request.args.get("from") or today)
        end = date.fromisoformat(request.args.get("to") or start.isoformat())
    except ValueError:
        abort(400, description="Tanggal harus berformat YYYY-MM-DD.")
    if end < start:
        start, end = end, start
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        abort(400, description=f"Rentang paling lama {MAX_RANGE_DAYS} hari.")
    return start.isoformat(), end.isoformat()


def range_report(date_from: str, date_to: str) -> kpi.Report:
    """KPIs over every hub record for service days date_from..date_to."""
    agency_of = {sid: ui.field(s, "agency", "") for sid, s in ui.services(retired=True).items()}
    return kpi.compute(
        ui.iter_records(0), date_from, date_to, agency_of=agency_of, tz=ui.timezone()
    )


def day_report(day: str | None) -> kpi.Report | None:
    """Today's KPIs for the dashboard (None when the hub gave no time)."""
    return range_report(day, day) if day else None


SKM_LABELS = {4: "Sangat puas", 3: "Puas", 2: "Kurang puas", 1: "Tidak puas"}


def csv_rows(rep: kpi.Report, table: str) -> list[list[Any]]:
    """The rows of one CSV table, header first. Durations are minutes with 2 decimals."""
    if table == "summary":
        t = rep.total
        return [
            ["metric", "value"],
            ["from", rep.date_from],
            ["to", rep.date_to],
            *[[k, v] for k, v in row_values(t).items()],
            # The counter buttons; the IKM is in the SKM report (hub.skm_report).
            ["quick_ratings", rep.quick.n],
            ["quick_rating_mean", _str(rep.quick.mean)],
            ["quick_rating_satisfied_pct", _str(rep.quick.satisfied_pct)],
            ["anomalies", rep.anomalies],
        ]
    if table in ("services", "agencies"):
        groups = rep.by_service if table == "services" else rep.by_agency
        source = ui.services(retired=True) if table == "services" else ui.agencies(retired=True)
        head = [table[:-1] if table == "services" else "agency", "name"]
        keys = list(row_values(kpi.Row()))
        out: list[list[Any]] = [head + keys]
        for gid, row in groups.items():
            name = ui.field(source.get(gid), "name", gid)
            out.append([gid, name, *row_values(row).values()])
        return out
    if table == "counters":
        counters = ui.counters(retired=True)
        out = [
            ["counter", "number", "name", "served", "no_show"]
            + ["service_mean_min", "service_p50_min", "service_p90_min"]
        ]
        for cid, row in rep.by_counter.items():
            c = counters.get(cid)
            s = row.service
            out.append(
                [cid, ui.field(c, "number", ""), ui.field(c, "name", cid), row.served, row.no_show]
                + [minutes_text(s.mean), minutes_text(s.p50), minutes_text(s.p90)]
            )
        return out
    if table == "hours":
        return [["hour", "arrivals"], *[[f"{h:02d}", n] for h, n in rep.arrivals_by_hour.items()]]
    if table == "quick_rating":
        return [
            ["score", "label", "count"],
            *[[s, SKM_LABELS[s], n] for s, n in rep.quick.counts.items()],
        ]
    out = [["day", "ticket", "service", "status", "issued_at", "wait_min", "service_min"]]
    out[0] += ["counter", "score"]
    for t in rep.tickets:
        issued = ui.clock_text(t.issued_ms, "%H:%M:%S", "")
        out.append(
            [
                t.day,
                t.label,
                t.service,
                t.status,
                issued,
                minutes_text(t.wait_s),
                minutes_text(t.service_s),
            ]
            + [t.counter or "", "" if t.score is None else t.score]
        )
    return out


def _str(value: Any) -> str:
    return "" if value is None else str(value)


# -- inline SVG charts (drawn by core.svg, shared with the regional dashboard) ----------------


def bar_chart(items: Iterable[tuple[str, float | str]], title: str) -> Markup:
    """Horizontal bars, one per (label, value); values as given are printed at the bar end."""
    return Markup(svg.bar_chart(items, title))


def column_chart(items: Iterable[tuple[str, float]], title: str) -> Markup:
    """Vertical columns (e.g. arrivals per hour), value above each column."""
    return Markup(svg.column_chart(items, title))
