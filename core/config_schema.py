"""A small declarative validator for TOML profiles: keys, types, ranges, choices.

Every problem is collected, none stops the check (the Mopidy way): a technician fixing a
profile on a Pi over SSH wants the whole list at once, each line with its dotted key path and
what was expected. ``core.config`` declares the schemas and the cross-references.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core import glyphs
from core.errors import ConfigError, ConfigProblem

# Ids end up in event ids ("origin:inc:seq") and URLs: no ':' '/' or spaces.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"
RESERVED_NODE_IDS = frozenset({"hub"})  # derived events are "hub:comp:..."
ID_EXPECTED = "1-32 letters, digits, '_', '.', '-' (starting with a letter or digit)"


class Problems:
    """Collects ConfigProblems for one file; ``raise_if_any`` raises them all together."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[ConfigProblem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(ConfigProblem(self.file, path, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def toml_type(value: Any) -> str:
    """The TOML name of a parsed value's type, for messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return "date/time"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_pin(v: Any) -> bool:
    # gpiozero accepts BCM numbers and names like "GPIO17", "BOARD11", "J8:11".
    return (_is_int(v) and 0 <= v <= 53) or (
        isinstance(v, str) and re.fullmatch(r"(GPIO|BCM)\d{1,2}|BOARD\d{1,2}|J8:\d{1,2}", v)
    )


def is_pin(value: Any) -> bool:
    """A value gpiozero takes as a pin (the ``pin`` key type; for tables with free keys)."""
    return bool(_is_pin(value))


# type name -> (accepts, what we say we expected)
_TYPES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (_is_int, "an integer"),
    "float": (lambda v: _is_int(v) or isinstance(v, float), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "str_list": (
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of strings",
    ),
    "pin": (_is_pin, 'a GPIO pin: BCM number 0-53 or a name like "GPIO17" / "BOARD11"'),
    "int_or_str": (lambda v: _is_int(v) or isinstance(v, str), "an integer or a string"),
    # USB vendor/product ids: 0x0416 (a TOML integer) or "0x0416" as lsusb users write it.
    "usb_id": (
        lambda v: (
            (_is_int(v) and 0 <= v <= 0xFFFF)
            or (isinstance(v, str) and re.fullmatch(r"0x[0-9A-Fa-f]{1,4}", v) is not None)
        ),
        'a USB id: 0x0416 or "0x0416"',
    ),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "table_list": (
        lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
        "an array of tables",
    ),
    # TOML local dates arrive as datetime.date, JSON edits as "YYYY-MM-DD" (checked later).
    "date": (lambda v: isinstance(v, str | _date), 'a date such as 2026-08-17 or "2026-08-17"'),
}


@dataclass(frozen=True)
class Key:
    """One allowed key: its type, whether required, default, and value constraints."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    choices: tuple = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False  # "> min" instead of ">= min" (e.g. minutes > 0)
    pattern: str | None = None
    pattern_expected: str = ""
    nonempty: bool = False
    keys: tuple[Key, ...] | None = None  # for type "table": its own keys (strict)
    expected: str = ""  # overrides the generated description

    def describe(self) -> str:
        if self.expected:
            return self.expected
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = _TYPES[self.type][1]
        if self.min is not None and self.max is not None:
            what += f" from {_num(self.min)} to {_num(self.max)}"
        elif self.min is not None:
            what += f" {'>' if self.min_exclusive else '>='} {_num(self.min)}"
        if self.pattern_expected:
            what += f" ({self.pattern_expected})"
        if self.nonempty:
            what = "a non-empty " + what.removeprefix("a ").removeprefix("an ")
        return what


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def join(path: str, key: str | int) -> str:
    """Dotted path: join("counters[2]", "id") -> "counters[2].id"; ints index arrays."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown_key(problems: Problems, path: str, key: str, allowed: Iterable[str]) -> None:
    allowed = sorted(allowed)
    problems.add(
        join(path, key),
        f"unknown key; expected one of: {', '.join(allowed)}{did_you_mean(key, allowed)}",
    )


def check_value(key: Key, value: Any, path: str, problems: Problems) -> tuple[bool, Any]:
    """Validate one value; report and return (False, None) when it is wrong."""
    accepts, _ = _TYPES[key.type]
    if not accepts(value):
        shown = f" {value!r}" if isinstance(value, (str, int, float)) else ""
        problems.add(path, f"wrong type: got {toml_type(value)}{shown}; expected {key.describe()}")
        return False, None
    if key.type == "float":
        value = float(value)
    if key.choices and value not in key.choices:
        problems.add(
            path, f"{value!r} is not allowed; expected {key.describe()}{_dym_value(value, key)}"
        )
        return False, None
    too_low = key.min is not None and (value <= key.min if key.min_exclusive else value < key.min)
    if too_low or key.max is not None and value > key.max:
        problems.add(path, f"{value!r} is out of range; expected {key.describe()}")
        return False, None
    if key.nonempty and len(value) == 0:
        problems.add(path, f"must not be empty; expected {key.describe()}")
        return False, None
    if key.pattern:
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if not re.fullmatch(key.pattern, item):
                where = join(path, i) if isinstance(value, list) else path
                problems.add(where, f"{item!r} is not valid; expected {key.describe()}")
                return False, None
    if key.type == "table" and key.keys is not None:
        value = check_table(value, key.keys, path, problems)
    return True, value


def _dym_value(value: Any, key: Key) -> str:
    if isinstance(value, str):
        return did_you_mean(value, [c for c in key.choices if isinstance(c, str)])
    return ""


def check_table(
    raw: Mapping[str, Any],
    keys: Iterable[Key],
    path: str,
    problems: Problems,
    *,
    report_unknown: bool = True,
) -> dict[str, Any]:
    """Validate a table against ``keys``; return every key's value (default when absent/bad).

    Unknown keys are reported with a "did you mean"; a bad value is reported and replaced by
    its default so later checks can go on.
    """
    keys = list(keys)
    by_name = {k.name: k for k in keys}
    out: dict[str, Any] = {}
    if report_unknown:
        for name in raw:
            if name not in by_name:
                unknown_key(problems, path, name, by_name)
    for key in keys:
        where = join(path, key.name)
        if key.name not in raw:
            if key.required:
                problems.add(where, f"missing; expected {key.describe()}")
            out[key.name] = key.default
            continue
        ok, value = check_value(key, raw[key.name], where, problems)
        out[key.name] = value if ok else key.default
    return out


def check_array(raw: Any, path: str, problems: Problems) -> list[tuple[str, dict]]:
    """An array of tables (``[[counters]]``) as (path, table) pairs; reports anything else."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.add(path, f"wrong type: got {toml_type(raw)}; expected an array of tables")
        return []
    return [(join(path, i), t) for i, t in enumerate(raw)]


def check_section(
    raw: Any,
    generic: Iterable[Key],
    backends: Mapping[str, Iterable[Key]],
    path: str,
    problems: Problems,
) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
    """A device section chosen by ``backend``: returns (backend, generic values, options).

    ``options`` holds only the backend keys present in the file plus declared defaults;
    a key that belongs to another backend is named as such.
    """
    if not isinstance(raw, dict):
        problems.add(path, f"wrong type: got {toml_type(raw)}; expected a table")
        return None, {}, {}
    generic = list(generic)
    backend_key = Key("backend", required=True, choices=tuple(backends))
    ok, backend = (
        check_value(backend_key, raw["backend"], join(path, "backend"), problems)
        if "backend" in raw
        else (False, None)
    )
    if "backend" not in raw:
        problems.add(join(path, "backend"), f"missing; expected {backend_key.describe()}")
    values = check_table(raw, generic, path, problems, report_unknown=False)
    specific = list(backends.get(backend, ())) if ok else []
    options = check_table(
        {k: v for k, v in raw.items() if k in {s.name for s in specific}},
        specific,
        path,
        problems,
        report_unknown=False,
    )
    options = {k: v for k, v in options.items() if v is not None}
    allowed = {"backend"} | {k.name for k in generic} | {k.name for k in specific}
    every_backend_key = {k.name for ks in backends.values() for k in ks}
    for name in raw:
        if name in allowed:
            continue
        if not ok:
            # Without a valid backend its own keys cannot be judged; only flag the hopeless.
            if name not in every_backend_key:
                unknown_key(problems, path, name, allowed | every_backend_key)
            continue
        owners = [b for b, ks in backends.items() if any(k.name == name for k in ks)]
        if owners:
            problems.add(
                join(path, name),
                f"not used by backend {backend!r} (it is a key of {', '.join(owners)}); "
                f"expected one of: {', '.join(sorted(allowed))}",
            )
        else:
            unknown_key(problems, path, name, allowed)
    return (backend if ok else None), values, options


# -- shared checks ---------------------------------------------------------------------------


def load_profile(path: str | os.PathLike[str], from_dict: Callable[..., Any]) -> Any:
    """Read a TOML profile and hand it to ``from_dict``; unreadable -> ConfigError."""
    path = Path(path)
    problems = Problems(str(path))
    raw = read_toml(path, problems)
    problems.raise_if_any()
    return from_dict(raw, source=path)


def validated(
    raw: Mapping[str, Any],
    source: str | Path,
    build: Callable[[Mapping[str, Any], Problems, Path | None], Any],
) -> Any:
    """Run ``build`` collecting every problem; raise them all at once, else the config."""
    problems = Problems(str(source))
    config = build(raw, problems, Path(source) if source != "<dict>" else None)
    problems.raise_if_any()
    assert config is not None
    return config


def read_toml(path: Path, problems: Problems) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problems.add("(file)", "no such file; expected a TOML profile")
        return {}
    except IsADirectoryError:
        problems.add("(file)", "is a folder; expected a TOML profile")
        return {}
    except OSError as exc:
        problems.add("(file)", f"cannot read ({exc.strerror}); expected a readable TOML profile")
        return {}
    except UnicodeDecodeError as exc:
        problems.add("(file)", f"not UTF-8 ({exc.reason} at byte {exc.start}); expected UTF-8 text")
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"line {m.group(1)}" if m else "(syntax)"
        problems.add(where, f"TOML syntax error: {msg}; expected valid TOML (https://toml.io)")
        return {}


def unique(
    entries: list[tuple[str, dict]],
    key: str,
    problems: Problems,
    what: str = "id",
    skip_same_list: bool = False,
    note: str = "",
) -> None:
    first: dict[Any, str] = {}
    for path, entry in entries:
        value = entry.get(key)
        if value is None:
            continue
        if value in first:
            other = first[value]
            same_list = other.split("[")[0] == path.split("[")[0]
            if not (skip_same_list and same_list):  # already reported by the per-list check
                problems.add(
                    join(path, key),
                    f"duplicate {what} {value!r} (first at {other}{'; ' + note if note else ''}); "
                    "expected a unique value",
                )
        else:
            first[value] = path


def unique_in_list(values: Any, path: str, problems: Problems) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            problems.add(join(path, i), f"{v!r} listed twice; expected each once")
        seen.add(v)


def reference(value: Any, known: list[str], path: str, what: str, problems: Problems) -> None:
    if value is not None and value not in known:
        problems.add(
            path,
            f"unknown {what} {value!r}; expected one of: {', '.join(known) or '(none defined)'}"
            + did_you_mean(value, known),
        )


def renderable(text: str, kind: str, path: str, problems: Problems, subject: str) -> None:
    bad = glyphs.unrenderable(text, kind)
    if bad:
        letters = ", ".join(sorted(bad))
        problems.add(
            path,
            f"{subject} cannot be shown on a {kind} display ({letters}); expected characters "
            f"it can draw, for 7-segment: {glyphs.seven_segment_letters()}",
        )


def valid_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query


def abs_path(value: str | os.PathLike[str]) -> Path:
    # Relative to the working directory at load time (see the module docstring).
    return Path(os.path.abspath(Path(value).expanduser()))


def freeze(value: Any) -> Any:
    # Read-only views all the way down; absent optional keys (None) are left out so a
    # backend's own defaults apply (node.hardware.settings.setting).
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items() if v is not None})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value
