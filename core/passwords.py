"""Secrets people and machines present: admin passwords and bearer tokens (stdlib only).

Shared by the hub and the regional server so both check a login the same way. Tokens are 32
random bytes shown once; only their SHA-256 is stored (a random 256-bit secret needs no slow
hash, and the lookup happens on every request). Passwords are human-chosen, so they get
``hashlib.scrypt`` with a per-user salt, its cost stored with each hash so it can be raised.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# scrypt cost: 16 MiB of memory, ~50 ms on a Pi 4.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8

# Checked against when a user is unknown, so timing does not reveal which names exist.
DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(got.hex(), digest)
