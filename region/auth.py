"""Who may call the regional server: hubs (site tokens), people (roles), the public.

Same model as the hub (C5): every route declares one guard, read by the route-walking test
(``access_of(view)``). Hubs push and pull with ``Authorization: Bearer <site token>`` (issued
by ``loket region add-site``, stored as its SHA-256) and act only as their own site. People
log in with a password (``core.passwords``) and a role of ``core.roles``:

==========================  ==========  ==============================================
action                      least role  where
==========================  ==========  ==============================================
read the dashboard, CSV     viewer      ``GET /region/``, ``/region/dashboard[.csv]``
sites, users                admin       ``loket region add-site``, ``adduser`` (CLI)
==========================  ==========  ==============================================

Every POST of a logged-in page carries the session's CSRF token (``csrf_token`` field).
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for

from core import roles

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    kind: str  # public | site | role | login | citizen
    role: str | None = None


def access_of(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "region_access", None)


def _declare(view: Any, access: Access) -> None:
    view.region_access = access


def public(view: F) -> F:
    """Read-only for anyone, or the citizen's own booking form (validated, rate-limited)."""
    _declare(view, Access("public"))
    return view


def citizen_form(view: F) -> F:
    """The public booking form: anyone, but a POST needs the page's CSRF token (no login)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_csrf()
        return view(*args, **kwargs)

    _declare(wrapper, Access("citizen"))
    return wrapper  # type: ignore[return-value]


def login_route(view: F) -> F:
    _declare(view, Access("login"))
    return view


def refuse(code: str, message: str, status: int) -> Any:
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    return response


def require_site(view: F) -> F:
    """A hub's site token; the site named by the request (``site`` in the JSON body or the
    query) must be the token's (403 ``forbidden_site``). Sets ``g.site``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token:
            return refuse("unauthorized", "a site token is required (Bearer)", 401)
        from region.sites import site_for_token

        with current_app.extensions["region_pool"].connection() as conn:
            site = site_for_token(conn, token)
        if site is None:
            return refuse("unauthorized", "unknown or revoked site token", 401)
        body = request.get_json(silent=True) if request.method == "POST" else None
        named = (body or {}).get("site") if isinstance(body, dict) else request.args.get("site")
        if named is not None and named != site:
            return refuse("forbidden_site", f"this token belongs to site {site!r}", 403)
        g.site = site
        return view(*args, **kwargs)

    _declare(wrapper, Access("site"))
    return wrapper  # type: ignore[return-value]


def current_user() -> dict | None:
    user = session.get("user")
    return user if isinstance(user, dict) and roles.is_role(user.get("role")) else None


def require_role(role: str) -> Callable[[F], F]:
    """A logged-in person with at least ``role``; POSTs also need the session's CSRF token."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("region_pages.login", next=request.full_path))
            if not roles.at_least(user["role"], role):
                abort(403)
            check_csrf()
            return view(*args, **kwargs)

        _declare(wrapper, Access("role", role))
        return wrapper  # type: ignore[return-value]

    return decorate


def csrf_token() -> str:
    value = session.get("_csrf")
    if not value:
        value = session["_csrf"] = secrets.token_urlsafe(32)
    return value


def check_csrf() -> None:
    if request.method in ("GET", "HEAD"):
        return
    sent, expected = request.form.get("csrf_token", ""), session.get("_csrf", "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="CSRF token missing or invalid; reload the page and try again.")
