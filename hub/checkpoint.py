"""The start-up checkpoint: the Authority's replayed memory at a journal position.

Written after a daily close (``hub.day_close``), when the closed day has left the live state,
so it holds open state only; at start the Authority loads it and replays only the records
after its position. It is a cache, never a source of truth:

* written atomically (``core.journal.write_atomic``: tmp + fsync + rename + dir fsync), so a
  power cut leaves the old file or the new one;
* sealed with HMAC-SHA256 under the hub's ``receipt_key`` (hub.json) and loaded only if the
  seal, the format version, the hub epoch and the journal record at its position (id and
  digest) all match; the payload is a pickle, so nothing unsealed is ever unpickled;
* anything else - missing, torn, foreign, ahead of the journal (records lost in a crash
  after it was written), a journal restored from a backup - means a full replay, said in
  the log. Deleting the file is always safe.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import pickle
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.errors import JournalError
from core.journal import write_atomic
from hub import receipts
from hub.pushgate import canonical

log = logging.getLogger(__name__)

FILE = "checkpoint.bin"
VERSION = 3  # 2: event ids as hub.known.Known (closed days by sequence); 3: hub.withdrawn
MAGIC = b"LOKETCP1"
SEAL_BYTES = 32


def record_digest(store: Any, hseq: int) -> str | None:
    """``<id> <blake2b-128>`` of logged record ``hseq``: names it for a later start-up."""
    if hseq < 1:
        return None
    event = json.loads(store.record_texts(hseq - 1, hseq)[0])["event"]
    text = canonical(event).encode("utf-8")
    return f"{event['id']} {hashlib.blake2b(text, digest_size=16).hexdigest()}"


def key_of(store: Any) -> bytes:
    return receipts.key_from_hex(store.setting("receipt_key"))


def path_of(data_dir: str | Path) -> Path:
    return Path(data_dir) / FILE


def seal(key: bytes, payload: bytes) -> bytes:
    return MAGIC + hmac.new(key, payload, hashlib.sha256).digest() + payload


def unseal(key: bytes, blob: bytes) -> bytes | None:
    """The payload if ``blob`` was sealed with ``key``, else None."""
    head = len(MAGIC) + SEAL_BYTES
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    mac, payload = blob[len(MAGIC) : head], blob[head:]
    good = hmac.new(key, payload, hashlib.sha256).digest()
    return payload if hmac.compare_digest(mac, good) else None


def save(authority: Any) -> int:
    """Write the checkpoint of ``authority`` now; returns the journal position it covers."""
    with authority.store.lock:
        image = authority.replay_image()
        payload = dumps({"version": VERSION, **image})
    write_atomic(path_of(authority.store.data_dir), seal(key_of(authority.store), payload))
    log.info("checkpoint written at hseq %d (%d bytes)", image["hseq"], len(payload))
    return image["hseq"]


def save_or_log(authority: Any) -> int | None:
    """:func:`save`, or a log line if the disk refuses (the checkpoint is only a cache)."""
    try:
        return save(authority)
    except JournalError as exc:
        log.warning("start-up checkpoint not written: %s", exc)
        return None


def proxy(mapping: dict) -> MappingProxyType:
    """How a pickled read-only mapping (the catalogue's) is rebuilt."""
    return MappingProxyType(mapping)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, MappingProxyType):
            return proxy, (dict(obj),)
        return NotImplemented


def dumps(value: Any) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


def load(authority: Any) -> dict[str, Any] | None:
    """The checkpoint image for ``authority``'s journal, or None (then: full replay)."""
    path = path_of(authority.store.data_dir)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        log.info("no start-up checkpoint in %s: replaying the whole journal", path.parent)
        return None
    except OSError as exc:
        return _refuse(path, f"unreadable ({exc})")
    payload = unseal(key_of(authority.store), blob)
    if payload is None:
        return _refuse(path, "its seal does not match this hub's key (torn, edited or foreign)")
    try:
        image = pickle.loads(payload)  # sealed by this hub: its own bytes
    except Exception as exc:  # an older code's classes: the cache is simply stale
        return _refuse(path, f"does not load ({type(exc).__name__}: {exc})")
    if not isinstance(image, dict) or image.get("version") != VERSION:
        return _refuse(path, "written by another version")
    if image.get("epoch") != authority.epoch:
        return _refuse(path, "written in another hub epoch (a restore)")
    hseq = image.get("hseq")
    if not isinstance(hseq, int) or hseq > authority.store.journal.count:
        return _refuse(path, f"ahead of the journal (hseq {hseq})")
    if hseq and record_digest(authority.store, hseq) != image.get("last"):
        return _refuse(path, f"the journal's record {hseq} is not the one it covered")
    return image


def _refuse(path: Path, why: str) -> None:
    log.warning("start-up checkpoint %s ignored: %s; replaying the whole journal", path, why)
    return None
