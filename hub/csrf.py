"""CSRF protection for the admin forms: one random token per session.

Every POST to a UI blueprint must carry the session's token in the form field
``csrf_token``; a missing or wrong token is a 400 before the view runs. A
synchroniser token (not a double-submit cookie) because the session is already
server-signed and SameSite=Lax alone does not cover same-site attackers on the LAN.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"  # JSON routes a page script calls (``hub.auth.require_role(api=True)``)
_SESSION_KEY = "_csrf"


def token() -> str:
    """The session's CSRF token, created on first use (templates call this)."""
    value = session.get(_SESSION_KEY)
    if not value:
        value = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = value
    return value


def rotate() -> None:
    """Forget the token (at login and logout) so a token seen before login is useless."""
    session.pop(_SESSION_KEY, None)


def check() -> None:
    """Abort with 400 unless a POST/PUT/PATCH/DELETE carries the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(FIELD, "")
    expected = session.get(_SESSION_KEY, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="CSRF token missing or invalid; reload the page and try again.")


def header_ok() -> bool:
    """Whether the request carries the session's token in the :data:`HEADER` header."""
    sent = request.headers.get(HEADER, "")
    expected = session.get(_SESSION_KEY, "")
    return bool(sent and expected and hmac.compare_digest(sent, expected))


def protect(bp: Blueprint) -> None:
    """Check every unsafe request to bp, and offer csrf_token() to its templates."""
    bp.before_request(check)
    bp.app_context_processor(lambda: {"csrf_token": token})
