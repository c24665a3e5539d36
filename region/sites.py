"""Sites (one per hub, i.e. per mall) and their push tokens; admin users of the region."""

from __future__ import annotations

import re

import psycopg

from core import roles
from core.config_schema import ID_EXPECTED, ID_PATTERN
from core.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD,
    check_password,
    hash_password,
    new_token,
    token_hash,
)


def add_site(conn: psycopg.Connection, site: str, name: str) -> str:
    """Register a site (or give an existing one a new token); returns the token, shown once."""
    if not re.fullmatch(ID_PATTERN, site or ""):
        raise ValueError(f"site id {site!r} is not valid; expected {ID_EXPECTED}")
    if not name:
        raise ValueError("a site needs a name (the mall's, as people know it)")
    token = new_token()
    with conn.transaction():
        conn.execute(
            "INSERT INTO sites (id, name, token_hash) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            " token_hash = excluded.token_hash, revoked_at = NULL",
            (site, name, token_hash(token)),
        )
        conn.execute("INSERT INTO site_state (site) VALUES (%s) ON CONFLICT DO NOTHING", (site,))
    return token


def site_for_token(conn: psycopg.Connection, token: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM sites WHERE token_hash = %s AND revoked_at IS NULL", (token_hash(token),)
    ).fetchone()
    return row[0] if row else None


def sites(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT s.id, s.name, st.events, st.last_hseq, st.last_push_at FROM sites s"
        " LEFT JOIN site_state st ON st.site = s.id WHERE s.revoked_at IS NULL ORDER BY s.id"
    ).fetchall()
    keys = ("id", "name", "events", "last_hseq", "last_push_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def add_user(conn: psycopg.Connection, username: str, password: str, role: str = "admin") -> None:
    if not username or len(password) < MIN_PASSWORD:
        raise ValueError(
            f"username must not be empty and the password needs {MIN_PASSWORD}+ characters"
        )
    if not roles.is_role(role):
        raise ValueError(f"role must be one of {', '.join(roles.USER_ROLES)}, got {role!r}")
    with conn.transaction():
        conn.execute(
            "INSERT INTO users (username, password_hash, role) VALUES (%s, %s, %s)"
            " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,"
            " role = excluded.role",
            (username, hash_password(password), role),
        )


def verify_user(conn: psycopg.Connection, username: str, password: str) -> dict | None:
    """``{username, role}`` when the password is right; an unknown name costs one scrypt too."""
    row = conn.execute(
        "SELECT password_hash, role FROM users WHERE username = %s", (username,)
    ).fetchone()
    if row is None:
        check_password(DUMMY_HASH, password)
        return None
    if not check_password(row[0], password):
        return None
    return {"username": username, "role": row[1]}
