"""Online booking codes (stdlib only): made on the regional server, checked at a kiosk.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
``ABCD-2345`` and in a QR code. Only its SHA-256 travels down to the hub (``booking.made``
``{code_hash, service, date, session}``), so a copy of a hub's log does not let anyone check
in as someone else. Typed or scanned input is normalised first (case, dashes, spaces).
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize(text: str) -> str:
    """What a citizen typed or a scanner sent -> the bare code (upper case, no separators)."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def code_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("ascii", "replace")).hexdigest()
