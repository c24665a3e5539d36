"""The catalogue editor's forms: which fields each kind shows, and form text -> entity value.

A form never validates anything itself: it turns what was typed into the entity's value
(numbers that do not parse stay text) and hands it to ``Authority.change_catalogue``, whose
validator is the one ``loket config check`` runs. So a wrong quota gets the same message in
the admin as in a profile, at the same key path, which :func:`path_words` puts in words.
Keys a form does not show (the mall's priority table) are carried over from the live value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.catalogue import TABLES
from core.catalogue_values import to_value
from core.config_catalogue import HOLIDAY_KINDS, LANGS
from core.glyphs import KINDS as DISPLAY_KINDS

# (key, widget, choices) per kind, in the order the form shows them. Widgets: text, int,
# float, bool, list (comma separated), choice, ref:<kind> (a select of live entities),
# hours ("mon: 08:00-12:00 13:00-15:00" per line), sessions ("pagi 08:00-12:00 40" per line).
FIELDS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "mpp": (
        ("name", "text", ()),
        ("timezone", "text", ()),
        ("lang", "choice", LANGS),
        ("running_text", "text", ()),
        ("hours", "hours", ()),
    ),
    "agency": (("name", "text", ()), ("zone", "text", ()), ("hours", "hours", ())),
    "service": (
        ("name", "text", ()),
        ("prefix", "text", ()),
        ("agency", "ref:agency", ()),
        ("daily_quota", "int", ()),
        ("avg_service_min", "float", ()),
        ("sla_wait_min", "int", ()),
        ("cutoff_min", "int", ()),
        ("capacity_stop", "bool", ()),
        ("sessions", "sessions", ()),
        ("transfer_to", "list", ()),
        ("zone", "text", ()),
        ("hours", "hours", ()),
    ),
    "counter": (
        ("name", "text", ()),
        ("number", "int", ()),
        ("services", "list", ()),
        ("display", "choice", DISPLAY_KINDS),
        ("zone", "text", ()),
        ("transfer_to", "list", ()),
    ),
    "kiosk": (
        ("name", "text", ()),
        ("services", "list", ()),
        ("lease_size", "int", ()),
        ("zone", "text", ()),
    ),
    "display": (
        ("name", "text", ()),
        ("zone", "text", ()),
        ("services", "list", ()),
        ("counters", "list", ()),
    ),
    "holiday": (("name", "text", ()), ("kind", "choice", HOLIDAY_KINDS)),
    "closure": (
        ("date", "text", ()),
        ("agency", "ref:agency", ()),
        ("service", "ref:service", ()),
        ("start", "text", ()),
        ("end", "text", ()),
        ("reason", "text", ()),
    ),
}
EDITABLE = tuple(FIELDS)
MAX_CHARS = 2000  # a form field longer than any sane entry is cut, not stored


def live_value(entity: Any) -> dict[str, Any]:
    """The entity's value without unset keys (what a form starts from)."""
    if entity is None:
        return {}
    return {k: v for k, v in to_value(entity).items() if v is not None}


def form_text(kind: str, value: Mapping[str, Any]) -> dict[str, str]:
    """The entity's value as the text each field shows."""
    out = {}
    for key, widget, _ in FIELDS[kind]:
        v = value.get(key)
        if v is None:
            out[key] = ""
        elif widget == "bool":
            out[key] = "on" if v else ""
        elif widget == "list":
            out[key] = ", ".join(str(x) for x in v)
        elif widget == "hours":
            out[key] = "\n".join(f"{day}: {' '.join(spans)}" for day, spans in v.items())
        elif widget == "sessions":
            out[key] = "\n".join(f"{s['id']} {s['start']}-{s['end']} {s['quota']}" for s in v)
        else:
            out[key] = str(v)
    return out


def typed(kind: str, form: Mapping[str, str]) -> dict[str, str]:
    """What the user typed, per field (kept when the form comes back with problems)."""
    out = {}
    for key, widget, _ in FIELDS[kind]:
        raw = form.get(key, "")
        out[key] = ("on" if raw else "") if widget == "bool" else raw[:MAX_CHARS]
    return out


def value_from(kind: str, text: Mapping[str, str], base: Mapping[str, Any]) -> dict[str, Any]:
    """The entity value the typed ``text`` means, on top of ``base`` (its live value)."""
    value = dict(base)
    for key, widget, _ in FIELDS[kind]:
        parsed = _parse(widget, text.get(key, "").strip())
        if parsed is None:
            value.pop(key, None)
        else:
            value[key] = parsed
    return value


def _parse(widget: str, raw: str) -> Any:
    if widget == "bool":
        return bool(raw)
    if not raw:
        return None
    if widget == "int":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if widget == "float":
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw
    if widget == "list":
        return [p for p in re.split(r"[,\s]+", raw) if p]
    if widget == "hours":
        return _hours(raw)
    if widget == "sessions":
        return [_session(line.split()) for line in raw.splitlines() if line.strip()]
    return raw


def _hours(raw: str) -> dict[str, list[str]]:
    # "mon: 08:00-12:00 13:00-15:00"; "sun:" alone is a closed day. The validator names
    # what is wrong (an unknown day, a bad span) at hours.<day>.
    out: dict[str, list[str]] = {}
    for line in raw.splitlines():
        day, _, spans = line.partition(":")
        if day.strip():
            out[day.strip()] = [s for s in re.split(r"[,\s]+", spans) if s]
    return out


def _session(parts: list[str]) -> dict[str, Any]:
    session: dict[str, Any] = {"id": parts[0]}
    if len(parts) > 1:
        start, _, end = parts[1].partition("-")
        session["start"], session["end"] = start, end
    if len(parts) > 2:
        session["quota"] = int(parts[2]) if parts[2].isdigit() else parts[2]
    return session


_PATH = re.compile(r"^(?P<table>[a-z]+)(?:\.(?P<id>[^.\[]+))?(?:\.(?P<key>[a-z_]+))?(?P<rest>.*)$")


def path_words(path: str, words: Mapping[str, str]) -> str:
    """``services.B.prefix`` -> "Layanan B, kolom Awalan nomor" (in the page's language)."""
    m = _PATH.match(path or "")
    if not m:
        return path
    kind = "mpp" if m["table"] == "mpp" else _KIND_OF.get(m["table"])
    if kind is None:
        return path
    key = m["key"] if kind != "mpp" else (m["id"] or m["key"])
    ident = m["id"] if kind != "mpp" else None
    where = words[f"kind_{kind}"] + (f" {ident}" if ident else "")
    if key:
        where += ", " + words["field_word"] + " " + words.get(f"f_{key}", key)
    return where + (m["rest"] or "")


_KIND_OF = {table: kind for kind, table in TABLES.items()}


# The validator's messages start with one of these (core.config_schema); the form says which
# in the page's language and shows the validator's own sentence beside it.
_PROBLEM_KINDS = (
    ("unknown key", "unknown_key"),
    ("wrong type", "wrong_type"),
    ("missing", "missing"),
    ("must not be empty", "empty"),
    ("is out of range", "out_of_range"),
    ("is not allowed", "not_allowed"),
    ("is not valid", "not_valid"),
)


def problem_kind(message: str, words: Mapping[str, str]) -> str:
    """What kind of problem a validator message reports, in the page's words."""
    for marker, kind in _PROBLEM_KINDS:
        if marker in message.split(";")[0]:
            return words[f"problem_{kind}"]
    return words["problem_other"]
