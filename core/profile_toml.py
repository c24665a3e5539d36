"""Write a hub profile as TOML: ``loket hub export-profile`` turns the log's catalogue back
into the file a technician keeps (the stdlib reads TOML but does not write it).

Only what profiles hold is written: strings, integers, floats, booleans, lists of those,
tables and arrays of tables; ``None`` (JSON null, TOML has none) is left out, which the
validator reads as "absent". Tables come after a table's plain keys, as TOML requires, so
``[[services]]`` is followed by its ``[services.hours]`` and ``[[services.sessions]]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def dump_profile(sections: Mapping[str, Any], *, header: str = "") -> str:
    """``sections`` = top-level tables (dict) and arrays of tables (list of dicts), in order."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    for name, value in sections.items():
        if isinstance(value, Mapping):
            _table(lines, name, value, array=False)
        elif isinstance(value, list):
            if not value:
                lines += [f"# no [[{name}]]", ""]
            for row in value:
                _table(lines, name, row, array=True)
        else:
            raise TypeError(f"top-level {name!r} must be a table or an array of tables")
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(lines: list[str], path: str, table: Mapping[str, Any], *, array: bool) -> None:
    lines.append(f"[[{path}]]" if array else f"[{path}]")
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        if (isinstance(value, Mapping) and not _small(value)) or _is_table_list(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    lines.append("")
    for key, value in nested:
        sub = f"{path}.{_key(key)}"
        if isinstance(value, Mapping):
            _table(lines, sub, value, array=False)
        else:
            for row in value:
                _table(lines, sub, row, array=True)


def _small(table: Mapping[str, Any]) -> bool:
    """A few plain values read best inline: ``name = { id = "Lansia", en = "Elderly" }``."""
    return len(table) <= 3 and all(isinstance(v, str | int | float) for v in table.values())


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else _string(key)


def _string(text: str) -> str:
    # A JSON string is a valid TOML basic string for everything a profile holds (\\uXXXX
    # escapes included); control characters are escaped by json.dumps.
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML profiles hold finite numbers, got {value}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value if v is not None) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} into a TOML profile")


__all__ = ["dump_profile"]
