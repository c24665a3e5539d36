"""Pairing by code: a technician gets a short one-time code on the hub, types it on the Pi.

Typing a 43-character token into a profile over SSH is where provisioning went wrong: a
character lost, a token pasted into the wrong Pi, a token left in shell history. Instead the
admin page (``hub.admin_pairing``) or ``loket hub device add ID`` makes a code for one live
node of the catalogue, ``loket provision --code`` on the Pi sends it to ``POST
/api/v1/pair`` once, and the answer carries the device token (straight into a 0600 file) and
what the catalogue says about the device, from which the node's profile is written.

The code: 8 characters of an alphabet without 0/O and 1/I (``ABCD-EFGH`` when shown, any
case, with or without the dash when typed): 40 bits, against an exchange limited to
``ATTEMPTS_PER_MIN`` per address and a life of 15 minutes. Only its SHA-256 is stored (a
random code needs no slow hash). A code is spent by its first successful use; a used,
expired or replaced code is kept for ``KEEP_MS`` so a second try says which of these it is
rather than "unknown". A new code for a device replaces its earlier unused ones. The token
the exchange issues replaces the device's previous token (``hub.auth.pair_node``): the Pi
that was provisioned last is the device.

Tokens are listed (:func:`token_rows`) and revoked (:func:`revoke`, by id, by the first
characters of the token, or by the whole token); ``hub.auth`` refuses a revoked token on
its very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from core.catalogue import Catalogue
from core.errors import LoketError
from hub import auth, identity
from hub.errors import Refused, field, invalid, json_body
from hub.ratelimit import RateLimiter
from hub.store import Store

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I: read aloud, typed on a Pi
CODE_CHARS = 8
DEFAULT_TTL_MIN = 15
MAX_TTL_MIN = 24 * 60
ATTEMPTS_PER_MIN = 10
KEEP_MS = 24 * 3600 * 1000
MIN_HINT_CHARS = 4  # a shorter token prefix names too many tokens to be a deliberate choice
CODE_EXAMPLE = "ABCD-EFGH"


class PairingRefused(LoketError, ValueError):
    """A pairing code or a revocation that cannot be carried out (``.code``, ``.status``)."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# -- codes ------------------------------------------------------------------------------------


def normalize(text: str) -> str | None:
    """The code as stored (8 capitals of :data:`ALPHABET`), or None if ``text`` is not one."""
    if not isinstance(text, str):
        return None
    code = text.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_CHARS or any(c not in ALPHABET for c in code):
        return None
    return code


def shown(code: str) -> str:
    """``ABCDEFGH`` -> ``ABCD-EFGH`` (two groups a person reads and types without losing one)."""
    half = CODE_CHARS // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def new_code(
    store: Store,
    node_id: str,
    *,
    catalogue: Catalogue,
    now_ms: int,
    ttl_min: int = DEFAULT_TTL_MIN,
    by: str = "admin",
) -> dict[str, Any]:
    """Make a one-time code for the live node ``node_id``; ``{code, node, role, expires_ms,
    ttl_min}`` with ``code`` shown grouped. Earlier unused codes of that node stop working."""
    role = identity.role_of(catalogue, node_id)
    if role is None:
        known = ", ".join(identity.node_ids(catalogue)) or "(none)"
        raise PairingRefused(
            "unknown_device",
            f"{node_id!r} is not a counter, kiosk or display of the catalogue; expected one "
            f"of: {known}",
            404,
        )
    if isinstance(ttl_min, bool) or not isinstance(ttl_min, int) or not 1 <= ttl_min <= MAX_TTL_MIN:
        raise PairingRefused(
            "invalid_field", f"minutes must be a whole number from 1 to {MAX_TTL_MIN}", 422
        )
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    with store.lock:
        _forget_old(store, now_ms)
        for doc in store.pairing_codes():
            if doc["node"] == node_id and _state(doc, now_ms) == "live":
                store.put_pairing_code({**doc, "replaced_ms": now_ms})
        store.put_pairing_code(
            {
                "hash": code_hash(code),
                "node": node_id,
                "role": role,
                "by": by,
                "created_ms": now_ms,
                "expires_ms": now_ms + ttl_min * 60_000,
                "used_ms": None,
                "replaced_ms": None,
            }
        )
    return {
        "code": shown(code),
        "node": node_id,
        "role": role,
        "expires_ms": now_ms + ttl_min * 60_000,
        "ttl_min": ttl_min,
    }


def _state(doc: dict, now_ms: int) -> str:
    if doc.get("used_ms"):
        return "used"
    if doc.get("replaced_ms"):
        return "replaced"
    if now_ms >= doc["expires_ms"]:
        return "expired"
    return "live"


def _forget_old(store: Store, now_ms: int) -> None:
    store.drop_pairing_codes(
        d["hash"]
        for d in store.pairing_codes()
        if now_ms - max(d["expires_ms"], d.get("used_ms") or 0) > KEEP_MS
    )


def pending(store: Store, now_ms: int) -> list[dict]:
    """Codes that still work, soonest to expire first (the admin page lists them)."""
    live = [d for d in store.pairing_codes() if _state(d, now_ms) == "live"]
    return sorted(live, key=lambda d: d["expires_ms"])


def _ago(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    return "less than a minute ago" if minutes < 1 else f"{minutes} min ago"


AGAIN = "make a new one with `loket hub device add {node}` or on the admin page"


def exchange(
    store: Store,
    catalogue: Catalogue,
    text: Any,
    *,
    now_ms: int,
    role: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """Spend the code ``text``: ``{node, role, token}`` (a new device token for its node).

    ``role``: what the caller will set the device up as (``loket provision`` sends its
    template's role); a code for another role is refused and stays unspent. ``address``:
    who spent it, kept with the code (which Pi took the token).
    """
    code = normalize(text)
    if code is None:
        raise PairingRefused(
            "invalid_code",
            f"a pairing code is {CODE_CHARS} characters such as {CODE_EXAMPLE} (letters and "
            "digits 2-9, no 0, O, 1 or I)",
            422,
        )
    with store.lock:
        doc = next((d for d in store.pairing_codes() if d["hash"] == code_hash(code)), None)
        if doc is None:
            again = AGAIN.format(node="ID")
            raise PairingRefused("unknown_code", f"no such pairing code; check it or {again}", 404)
        again = AGAIN.format(node=doc["node"])
        state = _state(doc, now_ms)
        if state == "used":
            raise PairingRefused(
                "code_used",
                f"this code was used {_ago(now_ms - doc['used_ms'])} (a code works once); {again}",
                409,
            )
        if state == "replaced":
            raise PairingRefused(
                "code_replaced",
                f"a newer code was made for {doc['node']}; use that or {again}",
                409,
            )
        if state == "expired":
            raise PairingRefused(
                "code_expired",
                f"this code expired {_ago(now_ms - doc['expires_ms'])}; {again}",
                410,
            )
        live_role = identity.role_of(catalogue, doc["node"])
        if live_role != doc["role"]:
            raise PairingRefused(
                "unknown_device",
                f"the code is for {doc['node']}, which is no longer a {doc['role']} of the "
                f"catalogue; {again}",
                409,
            )
        if role is not None and role != live_role:
            raise PairingRefused(
                "wrong_role",
                f"the code is for {doc['node']}, a {live_role}, not a {role}: choose a "
                f"{live_role} template (the code was not spent)",
                409,
            )
        store.put_pairing_code({**doc, "used_ms": now_ms, "used_by": address})
        token = auth.pair_node(store, doc["node"], catalogue=catalogue, now_ms=now_ms)
    return {"node": doc["node"], "role": live_role, "token": token}


def device_record(catalogue: Catalogue, node_id: str) -> dict[str, Any]:
    """What a node's profile is written from: the catalogue's entry for it, as JSON."""
    role = identity.role_of(catalogue, node_id)
    value = catalogue.get(role, node_id) if role else None
    mpp = catalogue.mpp
    record: dict[str, Any] = {
        "id": node_id,
        "role": role,
        "name": getattr(value, "name", None) or node_id,
        "zone": getattr(value, "zone", None),
        "mpp": {
            "name": getattr(mpp, "name", None),
            "timezone": getattr(mpp, "timezone", None),
            "lang": getattr(mpp, "lang", None),
        },
    }
    services = list(getattr(value, "services", None) or ())
    if role == "counter":
        record["counter"] = {
            "id": node_id,
            "number": value.number,
            "display": value.display,
            "transfer_to": list(value.transfer_to or ()),
        }
    elif role == "kiosk":
        record["lease_size"] = value.lease_size
    elif role == "display":
        record["display"] = {"services": value.services, "counters": value.counters}
    record["services"] = services
    record["prefixes"] = [identity.prefix_of(catalogue, s) for s in services]
    return record


# -- tokens -----------------------------------------------------------------------------------


def token_rows(
    store: Store, catalogue: Catalogue, seen: dict[str, int | None] | None = None
) -> list[dict[str, Any]]:
    """Every token document as the admin and ``loket hub tokens`` list it (no hashes):
    ``{id, kind, role, hint, issued_ms, last_seen_ms, revoked_ms}``; ``seen`` = fresher
    last-seen times (the Authority's, persisted only in batches)."""
    rows = []
    for doc in sorted(store.nodes(), key=lambda d: d["id"]):
        if not doc.get("token_hash"):
            continue
        device = identity.is_device(catalogue, doc["id"])
        kind = doc.get("kind") or ("device" if device else "operator")
        rows.append(
            {
                "id": doc["id"],
                "kind": kind,
                "role": doc.get("role") or identity.device_role(catalogue, doc["id"]),
                "hint": doc.get("hint"),
                "issued_ms": doc.get("issued_ms") or doc.get("paired_ms"),
                "last_seen_ms": (seen or {}).get(doc["id"]) or doc.get("last_seen_ms"),
                "revoked_ms": doc.get("revoked_ms"),
            }
        )
    return rows


def revoke(store: Store, target: str, *, now_ms: int) -> dict[str, Any]:
    """Revoke the token named by ``target``: a token id, the token itself, or its first
    characters (at least :data:`MIN_HINT_CHARS`). Returns ``{id, kind, role}``."""
    target = (target or "").strip()
    if not target:
        raise PairingRefused("invalid_field", "name a token: its id or its first characters", 422)
    with store.lock:
        docs = [d for d in store.nodes() if d.get("token_hash")]
        found = [d for d in docs if d["id"] == target]
        if not found:
            found = [d for d in docs if d["token_hash"] == auth.token_hash(target)]
        if not found and len(target) >= MIN_HINT_CHARS:
            found = [d for d in docs if _hint_matches(d.get("hint"), target)]
        if not found:
            raise PairingRefused(
                "unknown_token",
                f"no token with the id or the first characters {target!r} (`loket hub tokens` "
                f"lists them; a prefix needs {MIN_HINT_CHARS}+ characters)",
                404,
            )
        if len(found) > 1:
            ids = ", ".join(sorted(d["id"] for d in found))
            raise PairingRefused(
                "ambiguous_token", f"{target!r} starts the tokens of {ids}; name one by id", 409
            )
        doc = found[0]
        if doc.get("revoked_ms"):
            raise PairingRefused(
                "already_revoked", f"the token of {doc['id']} is already revoked", 409
            )
        store.upsert_node(doc["id"], revoked_ms=now_ms)
    return {"id": doc["id"], "kind": doc.get("kind"), "role": doc.get("role")}


def _hint_matches(hint: str | None, target: str) -> bool:
    if not hint:
        return False
    return target.startswith(hint) if len(target) >= len(hint) else hint.startswith(target)


# -- HTTP: the exchange -----------------------------------------------------------------------

bp = Blueprint("pairing", __name__)


def register(app: Flask) -> None:
    """The exchange route and its per-address limiter (in RAM: a restart refills it)."""
    app.register_blueprint(bp)
    clock = app.extensions["loket"].clock
    app.extensions["loket_pair_limits"] = RateLimiter(ATTEMPTS_PER_MIN, clock.mono_ms)


def refused(exc: PairingRefused) -> Refused:
    return Refused(exc.code, exc.message, exc.status)


@bp.post("/api/v1/pair")
@auth.one_time_code
def pair() -> Response:
    """``{code, role?}`` -> ``{token, device, hub}``; the token is in no other answer."""
    wait = current_app.extensions["loket_pair_limits"].take("pair", request.remote_addr or "?")
    if wait:
        raise Refused(
            "too_many_attempts",
            f"too many pairing attempts from this address; try again in {wait:g} s",
            429,
            retry_after_s=wait,
        )
    body = json_body()
    text = field(body, "code", str)
    role = field(body, "role", str, required=False)
    if role is not None and role not in identity.DEVICE_ROLES:
        raise invalid("role", " or ".join(identity.DEVICE_ROLES))
    authority = current_app.extensions["loket"]
    catalogue = authority.catalogue()
    try:
        paired = exchange(
            authority.store,
            catalogue,
            text,
            now_ms=authority.now_ms(),
            role=role,
            address=request.remote_addr,
        )
    except PairingRefused as exc:
        raise refused(exc) from None
    return jsonify(
        {
            "token": paired["token"],
            "device": device_record(catalogue, paired["node"]),
            "hub": {"url": request.host_url.rstrip("/"), "epoch": authority.epoch},
        }
    )
