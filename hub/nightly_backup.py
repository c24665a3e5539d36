"""A backup after every daily close, to ``[hub] backup_dir`` (a USB stick, a NAS mount).

Nodes drop a closed day's records once the hub holds them (docs/archive.md), so a restore
from a backup taken *before* a close cannot get that day back from them: the backup that
matters is the one right after the close. With ``backup_dir`` set, the hub writes it itself:

- ``<backup_dir>/loket-<day>/`` is what ``loket hub backup`` writes (journal + documents,
  taken under the writer's lock) and what ``loket hub restore`` reads;
- built in ``.loket-<day>.partial`` and renamed when complete, so a power cut or a pulled
  stick leaves no half backup under a real name;
- sealed journal segments never change, so each one already in the previous backup is
  hard-linked instead of copied: every folder is a whole backup, a year of them costs the
  journal once;
- the newest ``backup_keep`` are kept.

The outcome (``backup.json`` in the data folder) is shown on ``/admin/archive``: a stick
that is full or missing is the supervisor's to see, not only a log line. A failed backup
never undoes or blocks the close.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from core.journal import read_json_atomic, write_json_atomic

log = logging.getLogger(__name__)

STATUS_FILE = "backup.json"
PREFIX = "loket-"


def after_close(authority: Any, day: str) -> dict[str, Any] | None:
    """Back up after ``day`` was closed, when ``[hub] backup_dir`` is set; the outcome."""
    root = authority.config.hub.backup_dir
    if root is None:
        return None
    status: dict[str, Any] = {"day": day, "at_ms": authority.now_ms(), "dest": str(root)}
    try:
        dest = write(authority.store, Path(root), day, authority.config.hub.backup_keep)
    except OSError as exc:
        log.error("backup after closing %s to %s failed: %s", day, root, exc)
        # the page says it in its own language by the errno's name; the log keeps the text
        code = errno.errorcode.get(exc.errno or 0, "other")
        status.update(ok=False, error=f"{type(exc).__name__}: {exc}", code=code)
    else:
        log.info("backup after closing %s written to %s", day, dest)
        status.update(ok=True, dest=str(dest))
    write_json_atomic(Path(authority.store.data_dir) / STATUS_FILE, status)
    return status


def last_status(data_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    return read_json_atomic(Path(data_dir) / STATUS_FILE)


def backups(root: Path) -> list[Path]:
    """Complete backups under ``root``, oldest first (their names sort by day)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def write(store: Any, root: Path, day: str, keep: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    dest, partial = root / f"{PREFIX}{day}", root / f".{PREFIX}{day}.partial"
    shutil.rmtree(partial, ignore_errors=True)  # what a cut left
    previous = [p for p in backups(root) if p != dest]
    store.backup_to(partial, link_from=previous[-1] / "journal" if previous else None)
    if dest.exists():  # the day backed up again (a re-run): the new copy wins
        shutil.rmtree(dest)
    os.replace(partial, dest)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for old in backups(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return dest


__all__ = ["after_close", "backups", "last_status", "write"]
