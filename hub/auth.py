"""Who may write: per-node bearer tokens and admin users.

Nodes and API clients send ``Authorization: Bearer <token>``. A token is 32 random bytes issued
once by ``loket hub pair <node-id>``; only its SHA-256 is stored (a random 256-bit secret needs
no slow hash, and the lookup happens on every request). Admin passwords are human-chosen, so
they get ``hashlib.scrypt`` with a per-user salt. The admin login views and CSRF live in the UI
blueprints; this module only hashes and verifies.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, jsonify, request

from hub.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# scrypt cost: 16 MiB of memory, ~50 ms on a Pi 4; stored with each hash so it can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def pair_node(store: Store, node_id: str, *, now_ms: int | None = None) -> str:
    """Issue a new token for ``node_id`` (replacing any previous one) and return it.

    The token is shown once; the hub keeps only its hash, so a lost token means pairing again.
    """
    if not node_id or not node_id.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"node id must be letters, digits, '-' or '_', got {node_id!r}")
    token = secrets.token_urlsafe(32)
    paired = now_ms if now_ms is not None else int(time.time() * 1000)
    store.upsert_node(node_id, token_hash=token_hash(token), paired_ms=paired)
    return token


def node_for_token(store: Store, token: str) -> str | None:
    """The node id a bearer token belongs to, or None."""
    if not token:
        return None
    doc = store.node_by_token_hash(token_hash(token))
    return doc["id"] if doc else None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_node(view: F) -> F:
    """Refuse the request with 401 unless it carries a valid node token; sets ``g.node_id``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authority = current_app.extensions["loket"]
        node_id = node_for_token(authority.store, bearer_token() or "")
        if node_id is None:
            body = {"error": "unauthorized", "message": "a valid 'Authorization: Bearer' token"}
            return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="loket"'}
        g.node_id = node_id
        authority.touch(node_id)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- admin users -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex), the format :func:`check_password` reads."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(store: Store, username: str, password: str, role: str = "admin") -> None:
    """Create or update an admin user (``loket hub adduser``)."""
    if not username or len(password) < 8:
        raise ValueError("username must not be empty and the password needs 8+ characters")
    store.upsert_user(username, password_hash=hash_password(password), role=role)


def verify_user(store: Store, username: str, password: str) -> dict | None:
    """The user document (without the hash) if the password is right, else None.

    An unknown user costs one scrypt as well, so timing does not reveal which names exist.
    """
    doc = store.user(username)
    if doc is None:
        check_password(_DUMMY_HASH, password)
        return None
    if not check_password(doc.get("password_hash", ""), password):
        return None
    return {k: v for k, v in doc.items() if k != "password_hash"}


_DUMMY_HASH = (
    f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"  # never matches in practice
)
