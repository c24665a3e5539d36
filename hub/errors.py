"""HTTP mapping of refusals: every 4xx/5xx answer is ``{"error": slug, "message": text}``.

The Authority raises :class:`Refused` (a ``core.errors.CommandRejected``) with the status it
means; anything else that reaches the API as ``CommandRejected`` is a state conflict (409).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from core.errors import CommandRejected, ConfigError, JournalError
from hub import strictjson


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


def parsed_body() -> Any:
    """The request's JSON body parsed strictly, once per request (guards and views share it);
    raises ``strictjson.BadJSON``."""
    if "loket_body" not in g:
        try:
            g.loket_body = strictjson.loads(request.get_data(cache=True))
        except strictjson.BadJSON as exc:
            g.loket_body = exc
    if isinstance(g.loket_body, strictjson.BadJSON):
        raise g.loket_body
    return g.loket_body


def json_body() -> dict[str, Any]:
    """The request's JSON object or a 400 ``bad_json`` naming what was wrong.

    Parsed by :mod:`hub.strictjson` (finite numbers, valid Unicode, bounded depth): what the
    journal cannot store never gets near the fold. The size cap is the app's
    ``MAX_CONTENT_LENGTH`` (413 before a byte is parsed).
    """
    if not request.get_data(cache=True):
        raise bad_json("empty body; send a JSON object")
    try:
        body = parsed_body()
    except strictjson.BadJSON as exc:
        raise bad_json(f"body is not acceptable JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_json("the body must be a JSON object, not " + type(body).__name__)
    return body


MAX_FIELD_CHARS = 200  # ids, reqs, service and counter ids: far below; a reason is short too


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
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        raise invalid(name, f"{_kind_name(kind)} of at most {MAX_FIELD_CHARS} characters")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise invalid(name, "an integer within +-2**53")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a non-empty string", int: "an integer", list: "a list", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def register(app: Flask) -> None:
    """JSON answers for refusals and storage failures, whichever blueprint raised them."""

    @app.errorhandler(CommandRejected)
    def _rejected(exc: CommandRejected) -> tuple[Response, int]:
        status = getattr(exc, "status", 409)
        extra = getattr(exc, "extra", {})
        return jsonify(error_body(exc.code, exc.message, **extra)), status

    @app.errorhandler(ConfigError)
    def _invalid(exc: ConfigError) -> tuple[Response, int]:
        # A catalogue edit or import with problems (C1): every one at its path, nothing written.
        problems = [{"path": p.path, "message": p.message} for p in exc.problems]
        message = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
        return jsonify(error_body("invalid_catalogue", message, problems=problems)), 422

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        # API callers get JSON for 404/405/413...; people get a page in their language.
        if not _wants_json():
            return _page(app, exc)
        code = _HTTP_CODES.get(exc.code or 500, "http_error")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code

    @app.errorhandler(500)
    def _broken(exc: Any) -> Any:
        if _wants_json():
            return jsonify(error_body("internal_error", "the hub hit an error")), 500
        return _page(app, InternalServerError())

    @app.errorhandler(JournalError)
    def _journal(exc: JournalError) -> tuple[Response, int]:
        # Nothing was acknowledged: the client retries with the same req.
        app.logger.error("journal failure: %s", exc)
        return jsonify(error_body("storage_error", str(exc))), 503


PAGE_CODES = (400, 403, 404, 405, 500)


def _wants_json() -> bool:
    # The API, the control route and a page script's ``.json`` fetches keep JSON answers.
    return request.path.startswith(("/api/", "/control/")) or request.path.endswith(".json")


def _page(app: Flask, exc: HTTPException) -> Any:
    """A 4xx/5xx answer for a person: the error page in the page's language (the hub's own
    words, never Werkzeug's English), or Werkzeug's page when no UI is registered."""
    code = exc.code or 500
    if code < 400 or not app.config.get("LOKET_UI", True):
        return exc
    from flask import render_template

    shown = code if code in PAGE_CODES else (500 if code >= 500 else 400)
    return render_template("admin_error.html", code=shown), code
