"""The only hub module that touches storage: the event journal and the TinyDB documents.

Two stores because they have opposite shapes (DESIGN.md "Storage"):
- the **journal** (``core.journal``): hub records ``{hseq, recv_ms, est_ms, event}``, one
  write per commit and one fsync per group of commits (``append`` + ``sync``), a new segment
  per service day;
- **TinyDB** (through :class:`hub.tinystore.AtomicJSONStorage`): small documents rewritten
  rarely - ``settings`` (hub_epoch, the recovery barrier), ``nodes`` (token hashes, last seen),
  ``users`` (admin password hashes).

One re-entrant lock guards both; the Authority holds it while a command decides and writes;
the fsync (``sync``) runs outside it and covers every command written before it (group
commit). TinyDB and the journal are used from one process only: the store holds the data
folder's lock (:mod:`hub.folderlock`) from open to close, so a second hub, or a CLI tool
writing behind the running hub's back, is refused before it reads anything.

A failed write or fsync (``ENOSPC``, ``EROFS``) leaves the journal refusing writes;
:attr:`fault` says why and :meth:`reopen` (the Authority tries it by itself) cuts what was
not durable and accepts writes again once the disk does.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Document

from core.errors import DataFolderLocked, JournalError
from core.journal import FileLayer, Journal
from hub.folderlock import FolderLock, holder_pid, is_locked
from hub.tinystore import AtomicJSONStorage

log = logging.getLogger(__name__)

JOURNAL_DIR = "journal"
DB_FILE = "hub.json"


def new_epoch() -> str:
    """A fresh hub epoch: random, so a restored hub never reuses its event ids."""
    return secrets.token_hex(4)


class Store:
    """Journal + documents of one hub data folder, behind one lock."""

    def __init__(self, data_dir: str | os.PathLike[str], *, fs: FileLayer | None = None):
        """Open (and lock) the folder; ``fs`` is the journal's file layer (tests inject faults)."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.folder_lock = FolderLock(self.data_dir)
        self.folder_lock.acquire()  # raises DataFolderLocked before anything is read
        try:
            self.lock = threading.RLock()
            self.journal = Journal(self.data_dir / JOURNAL_DIR, prefix="events", fs=fs)
            self.db = TinyDB(self.data_dir / DB_FILE, storage=AtomicJSONStorage)
            self._by_token: dict[str, dict] | None = None  # token hash -> token doc (cache)
            fresh = {}
            if self.setting("hub_epoch") is None:
                fresh["hub_epoch"] = new_epoch()
            if self.setting("receipt_key") is None:
                # Seals the events this hub logs (hub.receipts); in hub.json, so a backup and
                # the hub restored from it share it.
                fresh["receipt_key"] = secrets.token_hex(32)
            if fresh:
                self.set_settings(**fresh)
        except BaseException:
            self.folder_lock.release()
            raise

    # -- journal ------------------------------------------------------------------------------

    def records(self, start: int = 0) -> Iterator[dict]:
        """Hub records from the 0-based journal index ``start`` on, oldest first."""
        return self.journal.iter_from(start)

    def record_texts(self, start: int, stop: int) -> list[bytes]:
        """The JSON texts of the records at 0-based journal indexes ``start .. stop-1``."""
        return self.journal.read_texts(start, stop)

    def append(self, records: Iterable[dict]) -> None:
        """Write one batch of records (one write, no fsync); raises JournalError.

        Not durable until :meth:`sync`: the Authority answers nothing about them before that.
        """
        with self.lock:
            self.journal.write(records)

    def sync(self) -> None:
        """fsync every record written so far (the group commit); raises JournalError.

        Deliberately not under :attr:`lock`: commands go on writing while the disk syncs.
        """
        self.journal.sync()

    @property
    def fault(self) -> str | None:
        """Why the journal refuses writes (a disk full or read-only), or None."""
        return self.journal.broken

    def reopen(self) -> None:
        """Make a faulted journal writable again at its durable prefix; JournalError if not yet."""
        with self.lock:
            self.journal.reopen()

    def rotate(self) -> None:
        """Start a new journal segment (the Authority calls this at the service-day change)."""
        with self.lock:
            self.journal.rotate()

    # -- settings -----------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """All settings (one TinyDB document: every change is one atomic file replacement)."""
        with self.lock:
            doc = self.db.table("settings").get(doc_id=1)
            return dict(doc) if doc else {}

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings().get(key, default)

    def set_settings(self, **values: Any) -> None:
        with self.lock:
            merged = {**self.settings(), **values}
            self.db.table("settings").upsert(Document(merged, doc_id=1))

    # -- nodes --------------------------------------------------------------------------------

    def node(self, node_id: str) -> dict | None:
        with self.lock:
            return self.db.table("nodes").get(Query().id == node_id)

    def nodes(self) -> list[dict]:
        with self.lock:
            return list(self.db.table("nodes").all())

    def node_by_token_hash(self, token_hash: str) -> dict | None:
        """The paired node with this token hash (every API request asks: an index, no query)."""
        with self.lock:
            if self._by_token is None:
                self._by_token = {
                    doc["token_hash"]: doc
                    for doc in self.db.table("nodes").all()
                    if doc.get("token_hash")
                }
            doc = self._by_token.get(token_hash)
            return dict(doc) if doc is not None else None

    def upsert_node(self, node_id: str, **fields: Any) -> None:
        with self.lock:
            self._by_token = None
            self.db.table("nodes").upsert({"id": node_id, **fields}, Query().id == node_id)

    def save_node_seen(self, seen: dict[str, dict]) -> None:
        """Persist last-seen/sync state of several paired nodes in one write."""
        with self.lock:
            self._by_token = None
            q = Query()
            self.db.table("nodes").update_multiple(
                [(fields, q.id == node_id) for node_id, fields in seen.items()]
            )

    # -- one-time pairing codes (hub.pairing) ----------------------------------------------

    def pairing_codes(self) -> list[dict]:
        with self.lock:
            return list(self.db.table("pairing_codes").all())

    def put_pairing_code(self, doc: dict) -> None:
        with self.lock:
            self.db.table("pairing_codes").upsert(doc, Query().hash == doc["hash"])

    def drop_pairing_codes(self, hashes: Iterable[str]) -> None:
        hashes = set(hashes)
        if hashes:
            with self.lock:
                self.db.table("pairing_codes").remove(Query().hash.one_of(sorted(hashes)))

    # -- users --------------------------------------------------------------------------------

    def user(self, username: str) -> dict | None:
        with self.lock:
            return self.db.table("users").get(Query().username == username)

    def users(self) -> list[dict]:
        with self.lock:
            return list(self.db.table("users").all())

    def upsert_user(self, username: str, **fields: Any) -> None:
        with self.lock:
            self.db.table("users").upsert(
                {"username": username, **fields}, Query().username == username
            )

    # -- admin sessions (hub.sessions) ------------------------------------------------------

    def sessions(self) -> list[dict]:
        with self.lock:
            return list(self.db.table("sessions").all())

    def put_session(self, doc: dict) -> None:
        with self.lock:
            self.db.table("sessions").upsert(doc, Query().id == doc["id"])

    def drop_sessions(self, ids: Iterable[str]) -> None:
        ids = set(ids)
        if not ids:
            return
        with self.lock:
            self.db.table("sessions").remove(Query().id.one_of(sorted(ids)))

    # -- backup and restore ------------------------------------------------------------------

    def backup_to(
        self, dest: str | os.PathLike[str], link_from: str | os.PathLike[str] | None = None
    ) -> Path:
        """Copy the journal and documents to ``dest``, consistent as of one moment.

        Sealed segments never change, so they are copied without holding the writer's lock
        (a first backup of a year copies hundreds of MB; commands must not wait for it);
        the open segment and the documents are copied under it. ``link_from``: the journal
        folder of an earlier backup; a sealed segment found there with the same size is
        hard-linked, not copied."""
        dest = Path(dest)
        with self.lock:
            self._sync_for_backup()
            sealed = self.journal.segments[:-1]
        (dest / JOURNAL_DIR).mkdir(parents=True, exist_ok=False)
        for seg in sealed:
            target = dest / JOURNAL_DIR / seg.name
            earlier = Path(link_from) / seg.name if link_from is not None else None
            if earlier is not None and _same_size(earlier, seg):
                os.link(earlier, target)
            else:
                shutil.copy2(seg, target)
        with self.lock:
            self._sync_for_backup()
            for seg in self.journal.segments:
                if seg not in sealed:  # the open one, and any sealed since
                    shutil.copy2(seg, dest / JOURNAL_DIR / seg.name)
            shutil.copy2(self.data_dir / DB_FILE, dest / DB_FILE)
        return dest

    def _sync_for_backup(self) -> None:
        try:
            self.journal.sync()  # what the copy holds is durable here too
        except JournalError:
            log.warning("backup of a journal that cannot sync", exc_info=True)

    def close(self) -> None:
        with self.lock:
            try:
                self.journal.close()
                self.db.close()
            finally:
                self.folder_lock.release()


def _same_size(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size
    except OSError:
        return False


def read_epoch(data_dir: str | os.PathLike[str]) -> str | None:
    """The hub epoch of a data folder, read without opening it (another process may own it)."""
    import json

    try:
        db = json.loads((Path(data_dir) / DB_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    settings = (db.get("settings") or {}).get("1") or {}
    epoch = settings.get("hub_epoch")
    return epoch if isinstance(epoch, str) else None


def restore_from(backup_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]) -> str:
    """Replace ``data_dir`` with a backup and start a new hub epoch; returns the new epoch.

    The hub must be stopped. The old data folder is kept next to it (``<name>.before-restore-N``).
    A new epoch makes nodes re-push every primary event and re-pull from 0 (docs/sync.md §5.4);
    the ``restored`` flag raises the recovery barrier (§3): no new numbers until every kiosk has
    pushed in the new epoch or an admin lifts it.
    """
    backup_dir, data_dir = Path(backup_dir), Path(data_dir)
    if not (backup_dir / DB_FILE).exists() or not (backup_dir / JOURNAL_DIR).is_dir():
        raise FileNotFoundError(f"{backup_dir} is not a hub backup (needs {DB_FILE} and journal/)")
    if is_locked(data_dir):
        # Moving the folder from under a running hub would leave it writing into the old one.
        raise DataFolderLocked(str(data_dir), holder_pid(data_dir))
    if data_dir.exists():
        n = 1
        while (aside := data_dir.with_name(f"{data_dir.name}.before-restore-{n}")).exists():
            n += 1
        data_dir.rename(aside)
    shutil.copytree(backup_dir, data_dir)
    store = Store(data_dir)
    try:
        epoch = new_epoch()
        store.set_settings(hub_epoch=epoch, restored=True, barrier={"epoch": epoch, "done": []})
    finally:
        store.close()
    return epoch
