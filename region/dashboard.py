"""Figures across sites, computed by ``core.kpi`` from the records each hub pushed up.

The same function over the same records, in the same (hub) order, as the hub's own reports:
so a site's figures here equal that hub's reports by construction, and a rule changed in
``core.kpi`` changes both. Only the records of tickets of the chosen service days are read
(``events.day`` is the ticket's day, indexed with the site), plus the site's catalogue
events for agencies and the time zone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import psycopg

from core import kpi, skm
from core.catalogue import fold_catalogue

MAX_RANGE_DAYS = 92


@dataclass
class SiteReport:
    site: str
    name: str
    report: kpi.Report
    agency_of: dict[str, str]
    service_names: dict[str, str]
    agency_names: dict[str, str]

    @property
    def skm(self) -> skm.Result:
        """The site's SKM IKM (core.skm, as the hub's SKM report): its surveys, against the
        tickets served as population. The counter buttons are ``report.quick``, never an IKM."""
        rep = self.report
        return skm.ikm([t.survey for t in rep.tickets if t.survey], rep.total.served)


def catalogue_of(conn: psycopg.Connection, site: str):
    rows = conn.execute(
        "SELECT record FROM events WHERE site = %s AND type IN ('catalogue.set',"
        " 'catalogue.retired') ORDER BY hseq",
        (site,),
    )
    return fold_catalogue(r[0] for r in rows)


def records(conn: psycopg.Connection, site: str, date_from: str, date_to: str):
    """The site's records of tickets of those service days, in hub order (streamed), cut to
    what ``core.kpi`` reads (decoding whole records was most of a report's time)."""
    with conn.cursor(name=f"records_{site}") as cur:
        cur.itersize = 5000
        cur.execute(
            "SELECT hseq, (record->>'recv_ms')::bigint, (record->>'est_ms')::bigint, event_id,"
            " type, ticket, record->'event'->'body' FROM events"
            " WHERE site = %s AND day BETWEEN %s AND %s ORDER BY hseq",
            (site, date_from, date_to),
        )
        for hseq, recv, est, event_id, type_, ticket, body in cur:
            event = {"id": event_id, "type": type_, "ticket": ticket, "body": body}
            yield {"hseq": hseq, "recv_ms": recv, "est_ms": est, "event": event}


def site_report(
    conn: psycopg.Connection, site: str, name: str, date_from: str, date_to: str
) -> SiteReport:
    cat = catalogue_of(conn, site)
    services = {**cat.retired("service"), **cat.services}
    agencies = {**cat.retired("agency"), **cat.agencies}
    agency_of = {sid: s.agency for sid, s in services.items()}
    tz = ZoneInfo(cat.timezone) if cat.timezone else ZoneInfo("UTC")
    with conn.transaction():  # a named cursor lives in a transaction
        rep = kpi.compute(
            records(conn, site, date_from, date_to), date_from, date_to, agency_of=agency_of, tz=tz
        )
    return SiteReport(
        site,
        name,
        rep,
        agency_of,
        {sid: s.name for sid, s in services.items()},
        {aid: a.name for aid, a in agencies.items()},
    )


class ReportCache:
    """Site reports kept until that site pushes again: a site's figures change only when its
    hub's records do, so the page across 300 sites recomputes only the sites that pushed
    since it was last shown (``site_state.events`` counts every accepted record)."""

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self._items: dict[tuple, tuple[int, SiteReport]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, conn, site: dict, date_from: str, date_to: str) -> SiteReport:
        key = (site["id"], date_from, date_to)
        version = site.get("events") or 0
        with self._lock:
            found = self._items.get(key)
        if found is not None and found[0] == version:
            self.hits += 1
            return found[1]
        self.misses += 1
        report = site_report(conn, site["id"], site["name"], date_from, date_to)
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.clear()  # rare; simpler than an LRU for a page cache
            self._items[key] = (version, report)
        return report


def region_reports(
    conn, sites: list[dict], date_from: str, date_to: str, cache: ReportCache | None = None
) -> list[SiteReport]:
    """Every site's report (``sites`` as ``region.sites.sites`` lists them)."""
    if cache is None:
        return [site_report(conn, s["id"], s["name"], date_from, date_to) for s in sites]
    return [cache.get(conn, s, date_from, date_to) for s in sites]


def days(date_from: str, date_to: str) -> list[str]:
    start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


TABLES = ("sites", "agencies", "services", "days")


def csv_rows(conn, reports: list[SiteReport], table: str, date_from: str, date_to: str):
    """Rows of one CSV table (header first): per site, per site+agency, +service, +day."""
    keys = list(kpi.row_values(kpi.Row()))
    if table == "sites":
        out = [["site", "name", *keys, *QUICK_KEYS, "skm_respondents", "skm_ikm", "skm_grade"]]
        for r in reports:
            survey = r.skm
            out.append(
                [r.site, r.name, *kpi.row_values(r.report.total).values(), *quick_values(r.report)]
                + [survey.n, text(survey.value), survey.grade or ""]
            )
        return out
    if table in ("agencies", "services"):
        out = [["site", table[:-1] if table == "services" else "agency", "name", *keys]]
        for r in reports:
            groups = r.report.by_service if table == "services" else r.report.by_agency
            names = r.service_names if table == "services" else r.agency_names
            for gid, row in groups.items():
                out.append([r.site, gid, names.get(gid, gid), *kpi.row_values(row).values()])
        return out
    out = [["site", "day", *keys, "quick_rating_mean", "skm_ikm"]]
    for r in reports:
        for day in days(date_from, date_to):
            one = site_report(conn, r.site, r.name, day, day)
            out.append(
                [r.site, day, *kpi.row_values(one.report.total).values()]
                + [text(one.report.quick.mean), text(one.skm.value)]
            )
    return out


# the hub's summary CSV keys of the counter buttons' quick rating (hub.reports)
QUICK_KEYS = ("quick_ratings", "quick_rating_mean", "quick_rating_satisfied_pct")


def quick_values(rep: kpi.Report) -> list[object]:
    q = rep.quick
    return [q.n, text(q.mean), text(q.satisfied_pct)]


def text(value: object) -> str:
    return "" if value is None else str(value)
