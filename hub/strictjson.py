"""Request bodies parsed as strictly as the journal writes them.

Python's ``json`` accepts what the journal (``allow_nan=False``, UTF-8) cannot store: ``NaN``
and ``Infinity`` (also ``1e999``), lone surrogates (``"\\ud800"``), and nesting deep enough
to raise ``RecursionError`` later, in an encoder. Accepted into an event, such a value makes
the journal write fail *after* the fold applied it, so the hub rebuilds its state from the
journal: one malformed request would cost a full replay. Everything is refused here instead,
before any work, as a reason the caller can read (``hub.errors.json_body`` makes it a 400).

Pushes carry hundreds of events, so the checks are cheap: numbers are checked by the parser's
hooks, depth by a walk over the containers only, and strings only when the text holds a
surrogate escape at all. String lengths are the callers' business (``hub.errors.field`` caps
fields, ``hub.pushcheck`` caps events, ``MAX_CONTENT_LENGTH`` the body).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class BadJSON(ValueError):
    """The body is not JSON the hub accepts; the message says why."""


def _no_constants(name: str) -> Any:
    raise BadJSON(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON(f"{text} is out of range for a number")
    return value


def loads(data: bytes) -> Any:
    """Parse UTF-8 JSON with finite numbers, valid strings and bounded depth only."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJSON(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except RecursionError:
        raise BadJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except BadJSON:
        raise
    except ValueError as exc:
        raise BadJSON(f"not valid JSON: {exc}") from None
    _check_depth(value)
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)  # a pair is fine, a lone half is not: look closer
    return value


def _check_depth(value: Any) -> None:
    """Iteratively, over containers only (scalars are never pushed on the stack)."""
    if not isinstance(value, dict | list):
        return
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadJSON(f"nested deeper than {MAX_DEPTH} levels")
        for sub in item.values() if isinstance(item, dict) else item:
            if isinstance(sub, dict | list):
                stack.append((sub, depth + 1))


def _check_strings(value: Any) -> None:
    """Every key and string of ``value`` encodes to UTF-8 (iterative: no recursion limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict):
            for key, sub in item.items():
                _encodable(key)
                stack.append(sub)
        elif isinstance(item, list):
            stack.extend(item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("a string holds a lone surrogate (invalid Unicode)") from None
