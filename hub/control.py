"""The CLI's way into a running hub: ``loket hub pair|adduser|backup|lift-barrier|
import-profile|device add|tokens|revoke|close-day``.

While ``loket hub serve`` runs it holds the data folder's lock (``hub.folderlock``), so a CLI
tool cannot open the store itself: writing TinyDB behind the hub's back would be overwritten
by the hub's next write (a paired token silently lost). Instead the tool asks the running hub
over HTTP, on these routes, and the hub does the write in its own process.

Who may: ``serve`` makes a random secret at start and writes it with the URL to
``<data_dir>/control.json`` (mode 0600: root and the hub's user can read it, as they can read
the data folder anyway), and the routes answer only requests that carry it in the
``X-Loket-Control`` header and come from this machine (loopback, or the address the hub is
bound to). They act as an admin (``hub.roles``). Without a configured secret (tests, the
demo) they refuse everything.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from core.catalogue import normalized
from hub import auth, catalogue_ops, pairing
from hub.errors import Refused, field, json_body

bp = Blueprint("loket_control", __name__, url_prefix="/control")

CONTROL_FILE = "control.json"


def _authority():
    return current_app.extensions["loket"]


@bp.post("/pair")
@auth.require_control
def pair() -> Response:
    body = json_body()
    name = field(body, "node_id", str)
    role = field(body, "role", str, required=False)
    authority = _authority()
    try:
        token = auth.issue_token(authority.store, name, role, catalogue=authority.catalogue())
    except ValueError as exc:
        raise Refused("invalid_field", str(exc), 422, field="node_id") from None
    return jsonify({"id": name, "token": token, "kind": "operator" if role else "device"})


@bp.post("/adduser")
@auth.require_control
def adduser() -> Response:
    body = json_body()
    username = field(body, "username", str)
    password = field(body, "password", str)
    role = field(body, "role", str, required=False) or "admin"
    try:
        auth.add_user(_authority().store, username, password, role=role)
    except ValueError as exc:
        raise Refused("invalid_field", str(exc), 422, field="password") from None
    # A changed password or role ends the sessions opened with the old one.
    current_app.extensions["loket_sessions"].close_user(username)
    return jsonify({"username": username, "role": role})


@bp.post("/backup")
@auth.require_control
def backup() -> Response:
    body = json_body()
    dest = Path(field(body, "dest", str))
    if not dest.is_absolute():
        raise Refused("invalid_field", "'dest' must be an absolute path", 422, field="dest")
    try:
        written = _authority().store.backup_to(dest)
    except FileExistsError:
        raise Refused("dest_exists", f"{dest} already holds a backup", 409) from None
    except OSError as exc:
        raise Refused("backup_failed", f"cannot write {dest}: {exc}", 500) from None
    return jsonify({"dest": str(written)})


@bp.post("/barrier/lift")
@auth.require_control
def lift_barrier() -> Response:
    body = json_body()
    by = field(body, "by", str, required=False) or "cli"
    _authority().lift_barrier(by=f"cli:{by}")
    return jsonify({"barrier": None})


@bp.post("/day/close")
@auth.require_control
def close_day() -> Response:
    """``{day?, by?}``: ``loket hub close-day [DAY]`` (422/409 say why a day cannot close)."""
    from hub import day_close

    body = json_body()
    day = field(body, "day", str, required=False)
    by = field(body, "by", str, required=False) or "cli"
    doc = day_close.close_day(_authority(), day, by=f"cli:{by}")
    return jsonify({"day": doc["day"], "not_served": doc["not_served"], "summary": doc["summary"]})


@bp.post("/import-profile")
@auth.require_control
def import_profile() -> Response:
    """``{catalogue, dry_run?}``: the CLI's profile catalogue in ``Catalogue.to_dict()``
    shape (checked there, and again here by the validator an admin's edit goes through; 422
    ``invalid_catalogue`` with every problem), applied by this hub in one commit."""
    body = json_body()
    target = body.get("catalogue")
    if not isinstance(target, dict):
        raise Refused("invalid_field", "'catalogue' must be an object", 422, field="catalogue")
    dry_run = field(body, "dry_run", bool, required=False) or False
    changes = catalogue_ops.import_profile(
        _authority(), normalized(target), by=catalogue_ops.IMPORT_BY, dry_run=dry_run
    )
    return jsonify({"changes": changes, "dry_run": dry_run})


@bp.post("/device-code")
@auth.require_control
def device_code() -> Response:
    """``{node_id, minutes?}`` -> a one-time pairing code (``loket hub device add``)."""
    body = json_body()
    node_id = field(body, "node_id", str)
    minutes = field(body, "minutes", int, required=False) or pairing.DEFAULT_TTL_MIN
    authority = _authority()
    try:
        made = pairing.new_code(
            authority.store,
            node_id,
            catalogue=authority.catalogue(),
            now_ms=authority.now_ms(),
            ttl_min=minutes,
            by="cli",
        )
    except pairing.PairingRefused as exc:
        raise _cli_refusal(exc) from None
    return jsonify(made)


@bp.post("/tokens")
@auth.require_control
def tokens() -> Response:
    """Every token (``loket hub tokens``), with the hub's fresh last-seen times."""
    authority = _authority()
    seen = {n["id"]: n.get("last_seen_ms") for n in authority.node_status()}
    rows = pairing.token_rows(authority.store, authority.catalogue(), seen)
    return jsonify({"tokens": rows})


@bp.post("/revoke")
@auth.require_control
def revoke() -> Response:
    """``{target}`` (id or token prefix) -> the revoked token's ``{id, kind, role}``."""
    target = field(json_body(), "target", str)
    authority = _authority()
    try:
        return jsonify(pairing.revoke(authority.store, target, now_ms=authority.now_ms()))
    except pairing.PairingRefused as exc:
        raise _cli_refusal(exc) from None


def _cli_refusal(exc: Any) -> Refused:
    # The CLI reads 409/422 as "you asked for something unusable" (exit 2) and any other
    # status as a hub that failed; an unknown id is the former.
    return Refused(exc.code, exc.message, 422 if exc.status == 404 else exc.status)


# -- the control file ----------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def write_file(data_dir: Path, url: str, secret: str) -> Path:
    """``control.json`` for the CLI: created 0600 before anything is written into it."""
    path = Path(data_dir) / CONTROL_FILE
    tmp = path.with_name(f".{CONTROL_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, json.dumps({"url": url, "secret": secret, "pid": os.getpid()}).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def read_file(data_dir: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((Path(data_dir) / CONTROL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def remove_file(data_dir: Path) -> None:
    try:
        (Path(data_dir) / CONTROL_FILE).unlink()
    except FileNotFoundError:
        pass
