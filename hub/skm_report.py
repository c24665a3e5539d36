"""The SKM report (PermenPANRB 14/2017): IKM per service, agency and the whole MPP.

For a period (service days ``from``..``to``, the current month by default) each group shows
its respondents n against the minimum sample for its population, the nine elements with
their NRR, weighted NRR and grade, and the IKM; no grade while n is below the minimum. The
population of a group is the number of its tickets served in the period (the visitors who
could answer). Numbers come from core.skm over hub.kpi's per-ticket facts, so a survey
counts only for a ticket that was served and is in the period. Viewer role, CSV, and a print
stylesheet (static/skm.css) so the page itself is the printable report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, make_response, render_template, request

from core import skm
from hub import kpi, ui
from hub.auth import require_role
from hub.csv_download import csv_response
from hub.skm_text import grade_text, lang_of, questions, words

bp = Blueprint("skm_report", __name__, url_prefix="/admin", template_folder="templates")

MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Group:
    """One row of the report: a service, an agency or the whole MPP."""

    kind: str  # "total" | "agency" | "service"
    id: str
    name: str
    result: skm.Result


def results(
    records: Iterable[Mapping],
    date_from: str,
    date_to: str,
    *,
    agency_of: Mapping[str, str],
    tz: tzinfo,
) -> dict[str, dict[str, skm.Result]]:
    """{"total": {"": r}, "agency": {id: r}, "service": {id: r}} for the period."""
    facts = kpi.collect(records, tz)
    served: dict[tuple[str, str], int] = {}
    answers: dict[tuple[str, str], list[list[int]]] = {}
    for t in facts.values():
        if not date_from <= t.day <= date_to or t.status != "served":
            continue
        for key in _groups(t.service, agency_of):
            served[key] = served.get(key, 0) + 1
            if t.survey is not None:
                answers.setdefault(key, []).append(t.survey)
    out: dict[str, dict[str, skm.Result]] = {"total": {}, "agency": {}, "service": {}}
    for key in sorted(served):
        out[key[0]][key[1]] = skm.ikm(answers.get(key, []), served[key])
    out["total"].setdefault("", skm.ikm([], 0))
    return out


def _groups(service: str, agency_of: Mapping[str, str]) -> list[tuple[str, str]]:
    return [("total", ""), ("agency", agency_of.get(service) or "?"), ("service", service)]


def refuse(message: str) -> NoReturn:
    """A 400 error page that says what was wrong with the period, in the page's language (the
    hub's error pages otherwise show only a generic text)."""
    abort(make_response(render_template("admin_error.html", code=400, message=message), 400))


def period() -> tuple[str, str]:
    """from/to query args (YYYY-MM-DD): the current month by default; 400 when malformed."""
    today = date.fromisoformat(ui.authority().today())  # the hub's clock, not this process's
    try:
        start = date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
        end = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        refuse(words(ui.page_lang())["err_date"])
    if end < start:
        start, end = end, start
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        refuse(words(ui.page_lang())["err_range"].format(MAX_RANGE_DAYS))
    return start.isoformat(), end.isoformat()


def groups(date_from: str, date_to: str) -> list[Group]:
    """The report's rows over the hub's records: the MPP, then each agency, then services."""
    services = ui.services(retired=True)
    agencies = ui.agencies(retired=True)
    agency_of = {sid: ui.field(s, "agency", "") for sid, s in services.items()}
    found = results(ui.iter_records(0), date_from, date_to, agency_of=agency_of, tz=ui.timezone())
    rows = [Group("total", "", "", found["total"][""])]
    for aid, r in found["agency"].items():
        rows.append(Group("agency", aid, ui.field(agencies.get(aid), "name", aid), r))
    for sid, r in found["service"].items():
        rows.append(Group("service", sid, ui.field(services.get(sid), "name", sid), r))
    return rows


@bp.get("/skm")
@require_role("viewer")
def report() -> str:
    lang = lang_of(ui.page_lang())
    date_from, date_to = period()
    quick = kpi.compute(ui.iter_records(0), date_from, date_to, tz=ui.timezone()).quick
    return render_template(
        "skm_report.html",
        t=words(lang),
        lang=lang,
        date_from=date_from,
        date_to=date_to,
        groups=groups(date_from, date_to),
        questions=questions(lang),
        grade_text=grade_text,
        quick=quick,
    )


@bp.get("/skm.csv")
@require_role("viewer")
def report_csv() -> Response:
    lang = lang_of(ui.page_lang())
    date_from, date_to = period()
    rows = csv_rows(groups(date_from, date_to), lang)
    return csv_response(rows, f"loket-skm-{date_from}_{date_to}.csv")


CSV_HEAD = {
    "id": ["tingkat", "id", "nama", "responden", "populasi", "sampel_minimum", "ikm", "mutu"],
    "en": ["level", "id", "name", "respondents", "population", "minimum_sample", "ikm", "grade"],
}
LEVEL = {
    "id": {"total": "mpp", "agency": "instansi", "service": "layanan"},
    "en": {"total": "mpp", "agency": "agency", "service": "service"},
}


def csv_rows(rows: list[Group], lang: str = "id") -> list[list[Any]]:
    """Header, then one row per group: n, population, minimum, IKM, grade, NRR of U1..U9.

    The IKM and NRRs are printed even when n is short (a manager may want the raw figure);
    the grade column stays empty until n reaches the minimum, as on the page.
    """
    lang = lang_of(lang)
    head = CSV_HEAD[lang] + [f"nrr_{code.lower()}" for code, *_ in skm.UNSUR]
    out: list[list[Any]] = [head]
    for g in rows:
        r = g.result
        nrr = [str(e.nrr) for e in r.elements] or [""] * skm.N_UNSUR
        out.append(
            [LEVEL[lang][g.kind], g.id, g.name, r.n, r.population, r.minimum]
            + ["" if r.value is None else str(r.value), r.grade or ""]
            + nrr
        )
    return out
