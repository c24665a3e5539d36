"""HTTP mapping of refusals: every 4xx/5xx answer is ``{"error": slug, "message": text}``.

The Authority raises :class:`Refused` (a ``core.errors.CommandRejected``) with the status it
means; anything else that reaches the API as ``CommandRejected`` is a state conflict (409).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from core.errors import CommandRejected, JournalError


class Refused(CommandRejected):
    """A command or request refused with an HTTP status and optional extra answer fields."""

    def __init__(self, code: str, message: str, status: int = 409, **extra: Any):
        super().__init__(code, message)
        self.status = status
        self.extra = extra


def bad_json(message: str = "the body must be a JSON object") -> Refused:
    return Refused("bad_json", message, 400)


def missing(field: str) -> Refused:
    return Refused("missing_field", f"'{field}' is required", 422, field=field)


def invalid(field: str, expected: str) -> Refused:
    return Refused("invalid_field", f"'{field}' must be {expected}", 422, field=field)


def unknown(kind: str, ident: object) -> Refused:
    return Refused(f"unknown_{kind}", f"no {kind} {ident!r}", 404)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def json_body() -> dict[str, Any]:
    """The request's JSON object or a 400 ``bad_json`` naming what was wrong."""
    if not request.data:
        raise bad_json("empty body; send a JSON object")
    try:
        body = request.get_json(force=True, silent=False)
    except HTTPException as exc:
        raise bad_json(f"body is not valid JSON: {exc.description}") from None
    if not isinstance(body, dict):
        raise bad_json("the body must be a JSON object, not " + type(body).__name__)
    return body


def field(
    body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True
) -> Any:
    """``body[name]`` checked for type; 422 ``missing_field``/``invalid_field`` otherwise."""
    if name not in body or body[name] is None:
        if required:
            raise missing(name)
        return None
    value = body[name]
    # bool is an int in Python, never a valid number here
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise invalid(name, _kind_name(kind))
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise invalid(name, _kind_name(kind))
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a non-empty string", int: "an integer", list: "a list", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def register(app: Flask) -> None:
    """JSON answers for refusals and storage failures, whichever blueprint raised them."""

    @app.errorhandler(CommandRejected)
    def _rejected(exc: CommandRejected) -> tuple[Response, int]:
        status = getattr(exc, "status", 409)
        extra = getattr(exc, "extra", {})
        return jsonify(error_body(exc.code, exc.message, **extra)), status

    @app.errorhandler(JournalError)
    def _journal(exc: JournalError) -> tuple[Response, int]:
        # Nothing was acknowledged: the client retries with the same req.
        app.logger.error("journal failure: %s", exc)
        return jsonify(error_body("storage_error", str(exc))), 503
