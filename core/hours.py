"""Weekly opening hours: the ``Hours`` value of the catalogue and its validation.

Written as people write them on the door, ``{"mon": ["08:00-12:00", "13:00-15:00"], ...,
"fri": ["08:00-11:30", "13:30-15:00"]}``: a day that is missing (or empty) is closed and a
gap between two spans is a break (the Friday prayer). Times are the mall's local wall clock,
``HH:MM`` from ``00:00`` to ``24:00`` (an end only). Parsed once into minutes after midnight so
the rules that enforce hours (kiosk, hub, an offline counter) compare integers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.config_schema import Problems, join, toml_type, unknown_key

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_MINUTES = 24 * 60
ALWAYS_OPEN: dict[str, list[str]] = {d: ["00:00-24:00"] for d in DAYS}
SPAN_EXPECTED = '"HH:MM-HH:MM" (24-hour clock, e.g. "08:00-12:00")'

_HHMM = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")


def parse_hhmm(text: str, *, end: bool = False) -> int:
    """``"08:30"`` -> 510 minutes after midnight; ``"24:00"`` only as an end."""
    m = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not a time of day")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > DAY_MINUTES or (minutes == DAY_MINUTES and not end):
        raise ValueError(f"{text!r} is past midnight (24:00 is the latest end)")
    return minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_span(text: str) -> tuple[int, int]:
    """``"08:00-12:00"`` -> (480, 720); ValueError saying what is wrong."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"{text!r} is not a span")
    start_text, end_text = text.split("-")
    start, stop = parse_hhmm(start_text), parse_hhmm(end_text, end=True)
    if stop <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, stop


@dataclass(frozen=True)
class Hours:
    """Opening spans per weekday (0 = Monday), each a tuple of ``(start_min, end_min)``."""

    days: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Hours:
        """From the profile/event form; raises ValueError on anything ``check_hours`` rejects."""
        problems = Problems("hours")
        checked = check_hours(value, "hours", problems)
        if checked is None:
            raise ValueError("; ".join(f"{p.path}: {p.message}" for p in problems.items))
        return cls(tuple(tuple(parse_span(s) for s in checked.get(d, ())) for d in DAYS))

    def to_json(self) -> dict[str, list[str]]:
        """The profile/event form; closed days are left out."""
        return {
            day: [f"{format_hhmm(a)}-{format_hhmm(b)}" for a, b in spans]
            for day, spans in zip(DAYS, self.days, strict=True)
            if spans
        }

    def spans(self, weekday: int) -> tuple[tuple[int, int], ...]:
        return self.days[weekday]

    def is_open(self, weekday: int, minute: int) -> bool:
        return any(a <= minute < b for a, b in self.days[weekday])


def check_hours(value: Any, path: str, problems: Problems) -> dict[str, list[str]] | None:
    """Validate one ``Hours`` table; report every problem under ``path``; None if any."""
    if not isinstance(value, Mapping):
        problems.add(path, f"wrong type: got {toml_type(value)}; expected a table of weekdays")
        return None
    before = len(problems.items)
    out: dict[str, list[str]] = {}
    for day, spans in value.items():
        where = join(path, day)
        if day not in DAYS:
            unknown_key(problems, path, day, DAYS)
            continue
        if not isinstance(spans, list) or not all(isinstance(s, str) for s in spans):
            problems.add(
                where,
                f"wrong type: got {toml_type(spans)}; expected a list of spans such as "
                f"{SPAN_EXPECTED} ([] = closed)",
            )
            continue
        previous: tuple[str, int] | None = None
        for i, text in enumerate(spans):
            try:
                start, stop = parse_span(text)
            except ValueError as exc:
                problems.add(join(where, i), f"{exc}; expected {SPAN_EXPECTED}")
                continue
            if previous is not None and start < previous[1]:
                problems.add(
                    join(where, i),
                    f"{text!r} starts before {previous[0]!r} ends; expected spans in order, "
                    "without overlap (a gap is a break)",
                )
            previous = (text, stop)
        if spans:
            out[day] = [s.strip() for s in spans]
    return None if len(problems.items) > before else out


__all__ = [
    "ALWAYS_OPEN",
    "DAYS",
    "Hours",
    "check_hours",
    "format_hhmm",
    "parse_hhmm",
    "parse_span",
]
