"""Who is calling: bearer tokens (devices, operators), admin users, and the route guards.

Three kinds of token document live in the store's ``nodes`` table, each
``{id, kind, role, token_hash, issued_ms, revoked_ms}`` (``paired_ms`` = ``issued_ms`` for
older readers):

- ``kind="device"``: issued by ``loket hub pair <node-id>`` for a node id of the catalogue
  (contract C1: the catalogue is in the log, so a kiosk added in the admin pairs at once); it
  acts as that one node, in the role the catalogue gives it (kiosk, counter, display). The
  role is stored at pairing and checked against the catalogue on every request, so a node id
  that became something else needs pairing again. A retired node keeps its device role (it
  may still push what it logged; the commands refuse it new numbers and calls).
- ``kind="operator"``: an API credential for a person or a tool (the demo's curl lines, a front
  desk), carrying a user role (``hub.roles``); never a node id.
- a token whose ``revoked_ms`` is set is refused on its next request (``hub.pairing.revoke``,
  from the admin or ``loket hub revoke``); one-time pairing codes (``hub.pairing``) end in a
  device token issued here.

A token is 32 random bytes shown once; only its SHA-256 is stored (a random 256-bit secret
needs no slow hash, and the lookup happens on every request). Admin passwords are
human-chosen, so they get ``hashlib.scrypt`` with a per-user salt.

Routes declare who may call them with one decorator each: :func:`public` (read-only pages and
feeds), :func:`require_device` (device tokens, optionally operator tokens with a role),
:func:`require_role` (a logged-in admin session with a role; CSRF is checked for every POST by
``hub.csrf``) or :func:`require_control` (the CLI on the hub, ``hub.control``). Each leaves an
:class:`Access` on the view as ``loket_access``, which the route-walking test reads: a route
without one fails that test.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, jsonify, redirect, render_template, request, url_for

from core.catalogue import Catalogue
from core.passwords import DUMMY_HASH, check_password, hash_password, token_hash
from hub import identity, roles, strictjson
from hub.errors import parsed_body
from hub.store import Store

F = TypeVar("F", bound=Callable[..., Any])

CONTROL_HEADER = "X-Loket-Control"
TOKEN_HINT_CHARS = 6


@dataclass(frozen=True)
class Access:
    """Who may call a route (read by the route-walking test and ``docs/contracts.md`` C5).

    ``kind``: ``public`` | ``device`` | ``role`` | ``control`` | ``login`` | ``code`` |
    ``ticket``.
    ``devices``: the device roles a device token needs; ``role``: the least user role (for
    ``role``, and for operator tokens on a device route; None = no operator tokens);
    ``own_arg`` / ``own_field``: the URL argument / JSON body field that must name the calling
    device itself; ``tokens``: a ``role`` route for JSON callers (``require_role(role,
    api=True)``), which also takes operator tokens of that role and wants the CSRF token in a
    header.
    """

    kind: str
    devices: tuple[str, ...] = ()
    role: str | None = None
    own_arg: str | None = None
    own_field: str | None = None
    tokens: bool = False


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: ``kind`` device|operator|user|control, its id and role."""

    kind: str
    id: str
    role: str


def _declare(view: Callable[..., Any], access: Access) -> None:
    view.loket_access = access  # type: ignore[attr-defined]


def access_of(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "loket_access", None)


# -- tokens -------------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"ids are letters, digits, '-', '_' or '.', got {name!r}")
    if len(name) > 32:
        raise ValueError(f"ids have at most 32 characters, got {name!r}")


def _issue(store: Store, doc: dict[str, Any], now_ms: int | None) -> str:
    token = secrets.token_urlsafe(32)
    issued = now_ms if now_ms is not None else int(time.time() * 1000)
    store.upsert_node(
        doc["id"],
        kind=doc["kind"],
        role=doc["role"],
        token_hash=token_hash(token),
        # The first characters only, so a technician can name a token to revoke by what is
        # in the node's token file; 6 of 43 characters leave 220 random bits unknown.
        hint=token[:TOKEN_HINT_CHARS],
        issued_ms=issued,
        paired_ms=issued,
        revoked_ms=None,
    )
    return token


def pair_node(
    store: Store, node_id: str, *, catalogue: Catalogue | None = None, now_ms: int | None = None
) -> str:
    """Issue a new device token for ``node_id`` (replacing any previous one) and return it.

    With ``catalogue`` (the folded one, C1), ``node_id`` must be a live node of it and its
    role is bound into the token. The token is shown once; the hub keeps only its hash, so a
    lost token means pairing again.
    """
    _check_name(node_id)
    role = None
    if catalogue is not None:
        role = identity.role_of(catalogue, node_id)
        if role is None:
            known = ", ".join(sorted(identity.node_ids(catalogue))) or "(none)"
            raise ValueError(
                f"{node_id!r} is not a counter, kiosk or display of the catalogue; expected one "
                f"of: {known} (an operator/API token needs --role)"
            )
    return _issue(store, {"id": node_id, "kind": "device", "role": role}, now_ms)


def issue_operator_token(
    store: Store,
    name: str,
    role: str,
    *,
    catalogue: Catalogue | None = None,
    now_ms: int | None = None,
) -> str:
    """Issue an operator/API token ``name`` with a user role (``hub.roles``) and return it."""
    _check_name(name)
    if not roles.is_role(role):
        raise ValueError(f"role must be one of {', '.join(roles.USER_ROLES)}, got {role!r}")
    if catalogue is not None and identity.is_device(catalogue, name):
        raise ValueError(f"{name!r} is a node of the catalogue: pair it without --role")
    return _issue(store, {"id": name, "kind": "operator", "role": role}, now_ms)


def issue_token(store: Store, name: str, role: str | None, *, catalogue: Catalogue) -> str:
    """What ``loket hub pair`` and the admin's pairing form do: a device token for a node of
    the catalogue (``role`` None), else an operator token with that user role."""
    if role is None:
        return pair_node(store, name, catalogue=catalogue)
    return issue_operator_token(store, name, role, catalogue=catalogue)


def node_for_token(store: Store, token: str) -> str | None:
    """The id a (non-revoked) bearer token belongs to, or None."""
    doc = token_doc(store, token)
    return doc["id"] if doc else None


def token_doc(store: Store, token: str) -> dict | None:
    if not token or len(token) > 256:
        return None
    doc = store.node_by_token_hash(token_hash(token))
    if doc is None or doc.get("revoked_ms"):
        return None
    return doc


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _kind_and_role(doc: dict, catalogue: Catalogue) -> tuple[str, str | None]:
    """A token document's kind and role; documents from before kinds existed are read as
    device tokens for catalogue node ids and supervisor operator tokens otherwise (what they
    could do then, less pairing, which never went through a token)."""
    kind = doc.get("kind")
    if kind is None:
        kind = "device" if identity.is_device(catalogue, doc["id"]) else "operator"
        return kind, (None if kind == "device" else "supervisor")
    return kind, doc.get("role")


def caller_from_token(
    store: Store, catalogue: Catalogue, token: str | None
) -> Caller | tuple[str, str]:
    """The caller a bearer token stands for, or ``(error code, message)``."""
    doc = token_doc(store, token or "")
    if doc is None:
        return "unauthorized", "a valid 'Authorization: Bearer' token"
    kind, role = _kind_and_role(doc, catalogue)
    if kind == "device":
        actual = identity.device_role(catalogue, doc["id"])
        if actual is None:
            return "unknown_device", f"{doc['id']!r} is not a node of the catalogue"
        if role is not None and role != actual:
            return "token_role_mismatch", f"{doc['id']!r} was paired as a {role}: pair it again"
        return Caller("device", doc["id"], actual)
    if kind == "operator" and identity.is_device(catalogue, doc["id"]):
        # one namespace: a node's id never carries a person's role, whatever its document says
        return "token_role_mismatch", f"{doc['id']!r} is a node of the catalogue: pair it again"
    if kind == "operator" and roles.is_role(role):
        return Caller("operator", doc["id"], role)  # type: ignore[arg-type]
    return "unauthorized", "this token has no usable role"


def optional_caller() -> Caller | None:
    """The caller of this request if it sent a valid token (public routes that show more to
    authenticated callers); never refuses."""
    token = bearer_token()
    if not token:
        return None
    authority = current_app.extensions["loket"]
    found = caller_from_token(authority.store, authority.catalogue_now(), token)
    return found if isinstance(found, Caller) else None


def _json_refusal(code: str, message: str, status: int) -> Any:
    headers = {"WWW-Authenticate": 'Bearer realm="loket"'} if status == 401 else {}
    return jsonify({"error": code, "message": message}), status, headers


# -- route guards -------------------------------------------------------------------------------


def public(view: F) -> F:
    """A read-only route anyone may call (board, status page, state, healthz)."""
    _declare(view, Access("public"))
    return view


def require_ticket_code(view: F) -> F:
    """A write whose credential is a ticket's public id (its QR code), checked by the view
    (the SKM survey, hub.skm_survey): unknown ids change nothing and answer 404."""
    _declare(view, Access("ticket"))
    return view


def require_device(
    *device_roles: str,
    operator: str | None = None,
    own_arg: str | None = None,
    own_field: str | None = None,
) -> Callable[[F], F]:
    """Device tokens of ``device_roles`` (acting only as themselves), and operator tokens of at
    least role ``operator`` when given. Sets ``g.caller`` and ``g.node_id``.

    ``own_arg`` names a URL argument and ``own_field`` a JSON body field that must be the
    device's own id when a device calls (a counter token cannot press another counter's
    buttons); operators may name any.
    """
    for role in device_roles:
        if role not in identity.DEVICE_ROLES:
            raise ValueError(f"unknown device role {role!r}")
    if operator is not None and not roles.is_role(operator):
        raise ValueError(f"unknown user role {operator!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authority = current_app.extensions["loket"]
            found = caller_from_token(authority.store, authority.catalogue_now(), bearer_token())
            if not isinstance(found, Caller):
                return _json_refusal(*found, 401 if found[0] == "unauthorized" else 403)
            refusal = _refuse_device(found, device_roles, operator, own_arg, own_field, kwargs)
            if refusal is not None:
                return _json_refusal(*refusal, 403)
            g.caller, g.node_id = found, found.id
            if found.kind == "device":
                authority.touch(found.id)
            return view(*args, **kwargs)

        _declare(wrapper, Access("device", tuple(device_roles), operator, own_arg, own_field))
        return wrapper  # type: ignore[return-value]

    return decorate


def _refuse_device(
    caller: Caller,
    device_roles: tuple[str, ...],
    operator: str | None,
    own_arg: str | None,
    own_field: str | None,
    kwargs: dict[str, Any],
) -> tuple[str, str] | None:
    if caller.kind == "operator":
        if operator is None:
            return "devices_only", "only a paired device may call this"
        if not roles.at_least(caller.role, operator):
            return "forbidden_role", f"needs role {operator} or higher (token is {caller.role})"
        return None
    if caller.role not in device_roles:
        wanted = " or ".join(device_roles) or "an operator"
        return "forbidden_role", f"{caller.id} is a {caller.role}; this needs {wanted}"
    if own_arg is not None and kwargs.get(own_arg) != caller.id:
        return "forbidden_node", f"{caller.id} may act only as itself, not {kwargs.get(own_arg)}"
    if own_field is not None and request.method == "POST":
        try:
            body = parsed_body()
        except strictjson.BadJSON:
            return None  # the view answers 400 with the reason
        named = body.get(own_field) if isinstance(body, dict) else None
        if named is not None and named != caller.id:
            return "forbidden_node", f"{caller.id} may act only as itself, not {named!r}"
    return None


def require_role(role: str, *, api: bool = False) -> Callable[[F], F]:
    """A logged-in admin session whose user has at least ``role``; sets ``g.caller``.

    Not logged in (or the session ended: logout, expiry): to the login page. Logged in with a
    lower role: 403 with a page saying which role it needs.

    ``api=True`` is the same rule for a JSON route a page script or a tool calls (the
    catalogue edit): refusals are JSON (401 ``unauthorized``, 403 ``forbidden_role``, 400
    ``csrf``), a session's POST carries the page's CSRF token in the ``X-CSRF-Token`` header
    (a JSON body has no form field), and an operator token of at least ``role`` may call it
    too. A device token never may, whatever its document claims: a kiosk configures nothing.
    """
    if not roles.is_role(role):
        raise ValueError(f"unknown user role {role!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if api:
                found = _api_caller(role)
                if not isinstance(found, Caller):
                    return _json_refusal(*found)
                g.caller = found
                return view(*args, **kwargs)
            from hub import sessions

            user = sessions.current_user()
            if user is None:
                target = url_for("admin.login", next=request.full_path.rstrip("?"))
                return redirect(target, 303 if request.method == "POST" else 302)
            if not roles.at_least(user.role, role):
                return render_template("admin_forbidden.html", needed=role, user=user), 403
            g.caller = user
            return view(*args, **kwargs)

        _declare(wrapper, Access("role", role=role, tokens=api))
        return wrapper  # type: ignore[return-value]

    return decorate


def _api_caller(role: str) -> Caller | tuple[str, str, int]:
    """The caller of an ``api=True`` role route, or ``(code, message, status)``."""
    from hub import csrf, sessions

    token = bearer_token()
    if token is not None:
        authority = current_app.extensions["loket"]
        found = caller_from_token(authority.store, authority.catalogue_now(), token)
        if not isinstance(found, Caller):
            return found[0], found[1], 401 if found[0] == "unauthorized" else 403
        if found.kind != "operator" or not roles.at_least(found.role, role):
            return "forbidden_role", f"needs an operator token of role {role} or higher", 403
        return found
    user = sessions.current_user()
    if user is None:
        return "unauthorized", f"log in as {role} or send an operator token of that role", 401
    if not roles.at_least(user.role, role):
        return "forbidden_role", f"needs role {role} or higher ({user.id} is {user.role})", 403
    if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf.header_ok():
        return "csrf", f"missing or wrong {csrf.HEADER} header; reload the page", 400
    return user


def require_control(view: F) -> F:
    """The CLI on the hub machine: the control secret (``hub.control``) from loopback only."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        secret = current_app.config.get("LOKET_CONTROL_SECRET")
        sent = request.headers.get(CONTROL_HEADER, "")
        if not secret or not _local(request.remote_addr):
            return _json_refusal("forbidden", "the control route answers the hub machine only", 403)
        if not sent or not hmac.compare_digest(sent, secret):
            return _json_refusal("unauthorized", "a valid control secret", 401)
        g.caller = Caller("control", "cli", "admin")
        return view(*args, **kwargs)

    _declare(wrapper, Access("control", role="admin"))
    return wrapper  # type: ignore[return-value]


def one_time_code(view: F) -> F:
    """A write anyone may try with a one-time code in the body (``POST /api/v1/pair``): the
    code is the credential, rate-limited per address and spent by its first use."""
    _declare(view, Access("code"))
    return view


def login_route(view: F) -> F:
    """The login form itself (anyone may try; throttled and CSRF-checked)."""
    _declare(view, Access("login"))
    return view


def _local(addr: str | None) -> bool:
    """A request from this machine: loopback, or the address the hub is bound to."""
    if not addr:
        return False
    try:
        if ipaddress.ip_address(addr).is_loopback:
            return True
    except ValueError:
        return False
    host = getattr(getattr(current_app.extensions["loket"].config, "hub", None), "host", None)
    return addr == host


# -- admin users -------------------------------------------------------------------------------


def add_user(store: Store, username: str, password: str, role: str = "admin") -> None:
    """Create or update an admin user (``loket hub adduser``) with a role of ``hub.roles``."""
    if not username or len(password) < 8:
        raise ValueError("username must not be empty and the password needs 8+ characters")
    if not roles.is_role(role):
        raise ValueError(f"role must be one of {', '.join(roles.USER_ROLES)}, got {role!r}")
    store.upsert_user(username, password_hash=hash_password(password), role=role)


def verify_user(store: Store, username: str, password: str) -> dict | None:
    """The user document (without the hash) if the password is right, else None.

    An unknown user costs one scrypt as well, so timing does not reveal which names exist.
    """
    doc = store.user(username)
    if doc is None:
        check_password(DUMMY_HASH, password)
        return None
    if not check_password(doc.get("password_hash", ""), password):
        return None
    return {k: v for k, v in doc.items() if k != "password_hash"}
