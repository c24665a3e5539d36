"""The calendar, quota and priority parts of the catalogue: their keys and checks.

Part of the hub profile validator (``core.config``), split off to keep modules small. These
keys are catalogue data (they are seeded into the log and edited through
``core.catalogue.change``), so every check here runs for ``loket config check`` and for an
admin edit alike. Nothing here enforces a rule: the opening hours, quotas and the priority
rule are read by the code that issues and calls tickets.

Holidays come from a shipped data file (``firmware_config/holidays/id.toml``: Indonesia's
national holidays and *cuti bersama*) that the profile's ``[calendar]`` table selects from
and its ``[[holidays]]`` extend; the file is read when a profile is loaded, never at import.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from core.config_schema import (
    ID_EXPECTED,
    ID_PATTERN,
    Key,
    Problems,
    check_array,
    check_table,
    join,
    reference,
    toml_type,
    unique,
    unique_in_list,
)
from core.hours import ALWAYS_OPEN, check_hours, parse_hhmm
from core.paths import firmware_config_dir

_ID = {"pattern": ID_PATTERN, "pattern_expected": ID_EXPECTED}
ZONE = Key("zone", **_ID)

HOLIDAY_KINDS = ("national", "cuti_bersama", "local")
PRIORITY_RULES = ("max_in_row", "one_per")
LANGS = ("id", "en")

# UU 25/2009 pasal 29: the groups a public service must serve first. Both languages always,
# so a kiosk can show the button in the visitor's language.
DEFAULT_CATEGORIES = (
    {"id": "lansia", "name": {"id": "Lansia (60 tahun ke atas)", "en": "Elderly (60+)"}},
    {"id": "disabilitas", "name": {"id": "Penyandang disabilitas", "en": "Person with disability"}},
    {"id": "ibu_hamil", "name": {"id": "Ibu hamil", "en": "Pregnant woman"}},
    {"id": "ibu_anak", "name": {"id": "Ibu dengan balita", "en": "Parent with a small child"}},
)
# At most two priority calls in a row while normal tickets wait: the priority lane moves
# fast and nobody else waits unboundedly (the rule itself is applied by the call logic).
DEFAULT_RULE = {"kind": "max_in_row", "n": 2}

# Keys the catalogue adds to the profile's tables (core.config appends them).
MPP_KEYS = (
    Key("lang", default="id", choices=LANGS),
    Key("running_text", default=""),
    Key("hours", "table"),
    Key("priority", "table"),
    Key("no_show_grace_s", "int", default=600, min=0, max=86_400),
)
AGENCY_KEYS = (ZONE, Key("hours", "table"))
SERVICE_KEYS = (
    Key("hours", "table"),
    Key("sessions", "table_list"),
    Key("cutoff_min", "int", default=0, min=0, max=720),
    Key("capacity_stop", "bool", default=True),
    Key("transfer_to", "str_list", default=[]),
    ZONE,
    # The supervisor's view raises an alert when the longest wait passes this (issue 11).
    Key("sla_wait_min", "int", min=1, max=600),
)
COUNTER_KEYS = (
    ZONE,
    Key("transfer_to", "str_list", default=[]),
    # a transferred visitor goes first in the target queue (else they keep their place)
    Key("transfer_first", "bool", default=False),
)
KIOSK_KEYS = (ZONE,)
DISPLAY_KEYS = (ZONE, Key("services", "str_list"), Key("counters", "str_list"))
SESSION_KEYS = (
    Key("id", required=True, **_ID),
    Key("start", required=True, expected="a time HH:MM"),
    Key("end", required=True, expected="a time HH:MM"),
    Key("quota", "int", required=True, min=1),
)
HOLIDAY_KEYS = (
    Key("date", "date", required=True),
    Key("name", required=True, nonempty=True),
    Key("kind", default="local", choices=HOLIDAY_KINDS),
)
CLOSURE_KEYS = (
    Key("id", required=True, **_ID),
    Key("date", "date", required=True),
    Key("agency"),
    Key("service"),
    Key("start", expected="a time HH:MM"),
    Key("end", expected="a time HH:MM"),
    Key("reason", required=True, nonempty=True),
)
# Not catalogue data: how the profile's holidays are seeded from the shipped file.
CALENDAR_KEYS = (
    Key("shipped_holidays", "bool", default=True),
    Key("cuti_bersama", "bool", default=True),
    Key("open_on", "str_list", default=[], expected='a list of dates such as ["2026-12-24"]'),
)
CATEGORY_KEYS = (Key("id", required=True, **_ID), Key("name", "table", required=True))
RULE_KEYS = (
    Key("kind", default="max_in_row", choices=PRIORITY_RULES),
    Key("n", "int", default=2, min=1, max=20),
)


def holidays_file() -> Path:
    return firmware_config_dir() / "holidays" / "id.toml"


def check_date(value: Any, path: str, problems: Problems) -> str | None:
    """A TOML date or ``"YYYY-MM-DD"`` -> ``"YYYY-MM-DD"``; reported and None otherwise."""
    if type(value) is date:
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    shown = f" {value!r}" if isinstance(value, str) else ""
    problems.add(path, f"not a date: got {toml_type(value)}{shown}; expected YYYY-MM-DD")
    return None


def _time(value: Any, path: str, problems: Problems, *, end: bool = False) -> int | None:
    try:
        return parse_hhmm(value, end=end)
    except ValueError as exc:
        problems.add(path, f"{exc}; expected a time HH:MM")
        return None


def check_hours_key(values: dict, path: str, problems: Problems, *, default: Any) -> None:
    """Replace ``values["hours"]`` by its checked form (``default`` when absent)."""
    if values.get("hours") is None:
        values["hours"] = default
        return
    values["hours"] = check_hours(values["hours"], join(path, "hours"), problems)


def check_mpp(mpp: dict, problems: Problems) -> None:
    """The mall's own catalogue keys: hours (default: always open), priority, lang."""
    check_hours_key(mpp, "mpp", problems, default=dict(ALWAYS_OPEN))
    mpp["priority"] = check_priority(mpp.get("priority"), "mpp.priority", problems)


def check_priority(raw: Any, path: str, problems: Problems) -> dict:
    """``{categories: [{id, name: {id, en}}], rule: {kind, n}}`` with the defaults filled."""
    if raw is None:
        return {"categories": [dict(c) for c in DEFAULT_CATEGORIES], "rule": dict(DEFAULT_RULE)}
    table = check_table(
        raw,
        (Key("categories", "table_list"), Key("rule", "table", keys=RULE_KEYS)),
        path,
        problems,
    )
    categories = []
    entries = check_array(table["categories"], join(path, "categories"), problems)
    checked = [(p, check_table(c, CATEGORY_KEYS, p, problems)) for p, c in entries]
    unique(checked, "id", problems, what="priority category")
    for where, cat in checked:
        name = cat["name"]
        if isinstance(name, Mapping):
            names = check_table(
                name,
                (Key(lang, required=True, nonempty=True) for lang in LANGS),
                join(where, "name"),
                problems,
            )
            categories.append({"id": cat["id"], "name": names})
    rule = table["rule"] if table["rule"] is not None else check_table({}, RULE_KEYS, "", problems)
    if table["categories"] is None:
        categories = [dict(c) for c in DEFAULT_CATEGORIES]
    return {"categories": categories, "rule": {"kind": rule["kind"], "n": rule["n"]}}


def check_sessions(service: dict, path: str, problems: Problems) -> None:
    """Quota sessions (``[[services.sessions]]``, e.g. pagi/siang): ordered, disjoint, and
    adding up to no more than the daily quota when both are set."""
    raw = service.get("sessions")
    if raw is None:
        return
    where = join(path, "sessions")
    entries = [
        (p, check_table(t, SESSION_KEYS, p, problems)) for p, t in check_array(raw, where, problems)
    ]
    unique(entries, "id", problems, what="session id")
    sessions, last_end = [], None
    for p, s in entries:
        start = _time(s["start"], join(p, "start"), problems) if s["start"] else None
        stop = _time(s["end"], join(p, "end"), problems, end=True) if s["end"] else None
        if start is not None and stop is not None:
            if stop <= start:
                problems.add(join(p, "end"), f"{s['end']!r} is not after start {s['start']!r}")
            elif last_end is not None and start < last_end:
                problems.add(
                    join(p, "start"), "overlaps the session before; expected sessions in order"
                )
            last_end = stop
        sessions.append({"id": s["id"], "start": s["start"], "end": s["end"], "quota": s["quota"]})
    total = sum(s["quota"] or 0 for s in sessions)
    quota = service.get("daily_quota")
    if quota is not None and total > quota:
        problems.add(where, f"session quotas add up to {total}, more than daily_quota {quota}")
    service["sessions"] = sessions


def check_closure(closure: dict, path: str, problems: Problems) -> None:
    """One ad-hoc closure: a whole day, or ``start``..``end`` of it; the mall, one agency or
    one service."""
    closure["date"] = check_date(closure["date"], join(path, "date"), problems)
    if closure["agency"] is not None and closure["service"] is not None:
        problems.add(
            join(path, "service"), "give agency or service, not both; expected one of them or none"
        )
    times = [closure["start"], closure["end"]]
    if (times[0] is None) != (times[1] is None):
        missing = "end" if times[1] is None else "start"
        problems.add(join(path, missing), "missing; start and end go together (none = all day)")
    elif times[0] is not None:
        start = _time(times[0], join(path, "start"), problems)
        stop = _time(times[1], join(path, "end"), problems, end=True)
        if start is not None and stop is not None and stop <= start:
            problems.add(join(path, "end"), f"{times[1]!r} is not after start {times[0]!r}")


def load_shipped_holidays(problems: Problems) -> list[dict]:
    """The shipped holiday list, checked like a profile's ``[[holidays]]``."""
    path = holidays_file()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.add("calendar.shipped_holidays", f"cannot read {path} ({exc}); expected the file")
        return []
    sub = Problems(str(path))
    out = check_holidays(raw.get("holidays"), "holidays", sub, default_kind=None)
    for p in sub.items:
        problems.add("calendar.shipped_holidays", f"{p.file}: {p.path}: {p.message}")
    return out


def check_holidays(
    raw: Any, path: str, problems: Problems, *, default_kind: str | None = "local"
) -> list[dict]:
    """``[[holidays]]`` as ``[{id, date, name, kind}]`` (id = the date, unique)."""
    keys = HOLIDAY_KEYS
    if default_kind is None:  # the shipped file says what each date is
        keys = tuple(
            Key("kind", required=True, choices=HOLIDAY_KINDS) if k.name == "kind" else k
            for k in keys
        )
    out = []
    seen: dict[str, str] = {}
    for p, t in check_array(raw, path, problems):
        h = check_table(t, keys, p, problems)
        day = check_date(h["date"], join(p, "date"), problems) if h["date"] is not None else None
        if day is None:
            continue
        if day in seen:
            problems.add(
                join(p, "date"), f"duplicate date {day} (first at {seen[day]}); expected each once"
            )
            continue
        seen[day] = p
        out.append({"id": day, "date": day, "name": h["name"], "kind": h["kind"]})
    return out


def seed_holidays(raw: Mapping[str, Any], problems: Problems) -> list[dict]:
    """The holidays a profile seeds: the shipped ones it selects, then its own (which win)."""
    calendar_raw = raw.get("calendar", {})
    if not isinstance(calendar_raw, dict):
        problems.add("calendar", f"wrong type: got {toml_type(calendar_raw)}; expected a table")
        calendar_raw = {}
    cal = check_table(calendar_raw, CALENDAR_KEYS, "calendar", problems)
    own = check_holidays(raw.get("holidays"), "holidays", problems)
    shipped = load_shipped_holidays(problems) if cal["shipped_holidays"] else []
    shipped_days = {h["date"] for h in shipped}
    skip = set()
    for i, text in enumerate(cal["open_on"] or ()):
        day = check_date(text, join("calendar.open_on", i), problems)
        if day is not None and cal["shipped_holidays"] and day not in shipped_days:
            problems.add(
                join("calendar.open_on", i),
                f"{day} is not in the shipped holiday list; expected one of its dates "
                f"({holidays_file().name})",
            )
        skip.add(day)
    by_day = {
        h["date"]: h
        for h in shipped
        if h["date"] not in skip and (cal["cuti_bersama"] or h["kind"] != "cuti_bersama")
    }
    by_day.update({h["date"]: h for h in own})
    return [by_day[d] for d in sorted(by_day)]


def check_references(
    mpp: dict, arrays: dict[str, list[tuple[str, dict]]], problems: Problems
) -> None:
    """The calendar, quota, transfer and zone keys of every entity (``arrays`` = the checked
    tables by profile table name, as core.config has them) and what they name."""
    check_mpp(mpp, problems)
    service_ids = [s["id"] for _, s in arrays["services"] if s["id"]]
    agency_ids = [a["id"] for _, a in arrays["agencies"] if a["id"]]
    counter_ids = [c["id"] for _, c in arrays["counters"] if c["id"]]
    for path, a in arrays["agencies"]:
        check_hours_key(a, path, problems, default=None)
    for path, s in arrays["services"]:
        check_hours_key(s, path, problems, default=None)
        check_sessions(s, path, problems)
    for group in ("services", "counters"):
        for path, entry in arrays[group]:
            where = join(path, "transfer_to")
            for i, sid in enumerate(entry["transfer_to"] or ()):
                reference(sid, service_ids, join(where, i), "service", problems)
                if group == "services" and sid == entry["id"]:
                    problems.add(join(where, i), "a service cannot transfer to itself")
            unique_in_list(entry["transfer_to"] or (), where, problems)
            entry["transfer_to"] = list(entry["transfer_to"] or ())
    for path, d in arrays["displays"]:
        for key, known, what in (
            ("services", service_ids, "service"),
            ("counters", counter_ids, "counter"),
        ):
            for i, ref in enumerate(d[key] or ()):
                reference(ref, known, join(join(path, key), i), what, problems)
    for path, c in arrays["closures"]:
        check_closure(c, path, problems)
        reference(c["agency"], agency_ids, join(path, "agency"), "agency", problems)
        reference(c["service"], service_ids, join(path, "service"), "service", problems)


__all__ = [
    "AGENCY_KEYS",
    "CALENDAR_KEYS",
    "CLOSURE_KEYS",
    "COUNTER_KEYS",
    "DEFAULT_CATEGORIES",
    "DEFAULT_RULE",
    "DISPLAY_KEYS",
    "HOLIDAY_KINDS",
    "KIOSK_KEYS",
    "MPP_KEYS",
    "PRIORITY_RULES",
    "SERVICE_KEYS",
    "check_closure",
    "check_references",
    "check_date",
    "check_holidays",
    "check_hours_key",
    "check_mpp",
    "check_sessions",
    "holidays_file",
    "seed_holidays",
]
