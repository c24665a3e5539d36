"""The regional server's pages for people: login and the dashboard across sites (+ CSV)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from core import kpi, svg
from region import dashboard, sites
from region.auth import check_csrf, csrf_token, current_user, login_route, require_role
from region.words import TEXT, lang_of

bp = Blueprint("region_pages", __name__, url_prefix="/region", template_folder="templates")


def _pool():
    return current_app.extensions["region_pool"]


def _cache() -> dashboard.ReportCache:
    return current_app.extensions["region_reports"]


def _words() -> tuple[str, dict]:
    lang = lang_of(request.args.get("lang"))
    return lang, TEXT[lang]


@bp.route("/login", methods=["GET", "POST"])
@login_route
def login() -> Any:
    lang, t = _words()
    failed = False
    if request.method == "POST":
        check_csrf()
        with _pool().connection() as conn:
            user = sites.verify_user(
                conn, request.form.get("username", ""), request.form.get("password", "")
            )
        if user is not None:
            session.clear()
            session["user"] = user
            target = request.args.get("next") or ""
            # only a path on this server: never an open redirect
            ok = target.startswith("/region/") and not target.startswith("//")
            return redirect(target if ok else url_for("region_pages.dashboard_page"))
        failed = True
    return render_template(
        "region_login.html", t=t, lang=lang, failed=failed, csrf_token=csrf_token()
    ), (401 if failed else 200)


@bp.post("/logout")
@require_role("viewer")
def logout() -> Any:
    session.clear()
    return redirect(url_for("region_pages.login"))


def date_range() -> tuple[str, str]:
    tz = ZoneInfo(current_app.extensions["region_config"].timezone)
    today = datetime.now(tz).date().isoformat()
    try:
        start = date.fromisoformat(request.args.get("from") or today)
        end = date.fromisoformat(request.args.get("to") or start.isoformat())
    except ValueError:
        abort(400, description=TEXT[lang_of(request.args.get("lang"))]["bad_range"])
    start, end = min(start, end), max(start, end)
    if end - start > timedelta(days=dashboard.MAX_RANGE_DAYS):
        abort(400, description=TEXT[lang_of(request.args.get("lang"))]["bad_range"])
    return start.isoformat(), end.isoformat()


@bp.get("/")
@require_role("viewer")
def dashboard_page() -> Any:
    lang, t = _words()
    date_from, date_to = date_range()
    with _pool().connection() as conn:
        listed = sites.sites(conn)
        reports = dashboard.region_reports(conn, listed, date_from, date_to, _cache())
    state = {s["id"]: s for s in listed}
    charts = {  # core.svg escapes every label: safe to mark
        "tickets": svg.bar_chart(
            [(r.name, r.report.total.issued) for r in reports], t["chart_tickets"]
        ),
        "wait": svg.bar_chart(
            [(r.name, float(kpi.minutes_text(r.report.total.wait.mean) or 0)) for r in reports],
            t["chart_wait"],
        ),
    }
    charts = {name: Markup(chart) for name, chart in charts.items()}
    return render_template(
        "region_dashboard.html",
        t=t,
        lang=lang,
        reports=reports,
        state=state,
        charts=charts,
        date_from=date_from,
        date_to=date_to,
        tables=dashboard.TABLES,
        fmt=kpi.minutes_text,
        user=current_user(),
        csrf_token=csrf_token(),
    )


@bp.get("/dashboard.csv")
@require_role("viewer")
def dashboard_csv() -> Response:
    date_from, date_to = date_range()
    table = request.args.get("table", "sites")
    if table not in dashboard.TABLES:
        abort(404)
    with _pool().connection() as conn:
        listed = sites.sites(conn)
        reports = dashboard.region_reports(conn, listed, date_from, date_to, _cache())
        rows = dashboard.csv_rows(conn, reports, table, date_from, date_to)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    name = f"loket-region-{table}-{date_from}_{date_to}.csv"
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
