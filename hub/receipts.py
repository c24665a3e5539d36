"""The hub's receipt on every primary event it logs: the proof that lets a node carry it.

After a restore from a backup the hub has lost what happened after the backup, and nodes
re-push every primary event they hold (docs/sync.md §5.4): their own, but also hub events and
other nodes' events they pulled. A node may only write as itself, so a *foreign* event is
accepted only with proof that this hub logged it before: ``receipt`` =
HMAC-SHA256(``receipt_key``, canonical event text), 128 bits in hex, set by the hub in the
logged event dict (``event["receipt"]``) and so carried along everywhere the event goes
(changes feed, RPC answers, a node's replica and carry set). No node can make one: the key
lives only in the hub's ``hub.json`` (and its backups, so a hub restored from a backup checks
the receipts of the epoch it replaces).

The receipt is not part of the event (``Event.from_dict`` ignores it, so digests and the
"same id, different body" alarm are unchanged); it binds the exact canonical text, so an event
altered in transit no longer matches.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

RECEIPT_FIELD = "receipt"
_HEX_CHARS = 32


def receipt(key: bytes, canonical_text: str) -> str:
    """The receipt of an event given its canonical text (``hub.pushgate.canonical``)."""
    mac = hmac.new(key, canonical_text.encode("utf-8"), hashlib.sha256).hexdigest()
    return mac[:_HEX_CHARS]


def verify(key: bytes, canonical_text: str, raw: Any) -> bool:
    """Whether the pushed dict ``raw`` carries this hub's receipt for that canonical text."""
    sent = raw.get(RECEIPT_FIELD) if isinstance(raw, dict) else None
    if not isinstance(sent, str) or len(sent) != _HEX_CHARS:
        return False
    return hmac.compare_digest(sent, receipt(key, canonical_text))


def key_from_hex(text: str) -> bytes:
    return bytes.fromhex(text)
