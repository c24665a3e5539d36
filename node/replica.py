"""The node's copy of the hub log, and the checkpoint that says how far it goes.

Records are the hub's ``{"hseq", "recv_ms", "est_ms", "event"}`` and are kept in hub order in a
journal of their own, one folder per ``hub_epoch`` (a restored hub restarts its numbering, so
records of two epochs must never mix). The checkpoint (``checkpoint.json``) holds
``hub_epoch``, ``since`` (last hseq applied) and ``acked_through`` (the hub's answer to our
pushes); it is written with ``write_atomic`` and only *after* the records it covers are
fsync'd: the PouchDB #1240 failure is a checkpoint ahead of its data (docs/sync.md §1, §5.4).
If the process dies between the two writes, the replica is ahead of the checkpoint; records at
or below the replica's own last hseq are skipped on the next pull, so nothing is doubled.

The **carry set** (``carry.json``) outlives an epoch change: the other nodes' and the hub's
primary events this node re-pushed to a restored hub. The restored hub may hold one back
(its deps are not in yet) in RAM only, so the node keeps them durably until the new replica
holds each of them, and :class:`node.sync.SyncClient` re-pushes what is still missing
(docs/sync.md §5.4 step 4). Own events need no carrying: the outbox keeps them and
``acked_through`` says what the hub has.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from core.errors import JournalCorruptError
from core.journal import Journal, write_atomic

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.json"
CARRY_FILE = "carry.json"
REPLICA_DIR = "replica"


def read_json(path: Path, default: dict | None = None) -> dict:
    """A small JSON state file (written atomically), or ``default`` when absent."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return dict(default or {})


def write_json(path: Path, value: dict) -> None:
    write_atomic(path, json.dumps(value, sort_keys=True).encode("utf-8"))


def _epoch_dir(epoch: str) -> str:
    # The epoch is the hub's random id; keep the folder name boring whatever it contains.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", epoch) or "_"


class Replica:
    """Hub records in hub order + the checkpoint (thread-safe)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.checkpoint = read_json(
            self.data_dir / CHECKPOINT_FILE,
            {"hub_epoch": None, "since": 0, "acked_through": 0},
        )
        # Bumped whenever the records are replaced wholesale (epoch change), so views
        # folded incrementally know to start over.
        self.generation = 0
        self._journal: Journal | None = None
        # Only what lookups need stays in RAM; the records themselves are read back from the
        # journal (a day's 20k records held parsed cost a counter node ~50 MB).
        self._count = 0
        self._last_hseq = 0
        self._ids: set[str] = set()
        # ids of the carried events (the events themselves stay in carry.json until needed)
        self._carry: set[str] = {e["id"] for e in self._read_carry()}
        if self.hub_epoch is not None:
            self._open(self.hub_epoch)

    # -- state ---------------------------------------------------------------------------

    @property
    def hub_epoch(self) -> str | None:
        return self.checkpoint.get("hub_epoch")

    @property
    def since(self) -> int:
        return int(self.checkpoint.get("since") or 0)

    @property
    def acked_through(self) -> int:
        return int(self.checkpoint.get("acked_through") or 0)

    @property
    def last_hseq(self) -> int:
        with self._lock:
            return self._last_hseq

    def records(self, start: int = 0, limit: int | None = None) -> list[dict]:
        """Records from index ``start`` on (for incremental folds), read from the journal;
        at most ``limit`` of them (a reader that keeps none of them reads a day in pages)."""
        with self._lock:
            if self._journal is None or start >= self._count:
                return []
            return list(itertools.islice(self._journal.iter_from(start), limit))

    def __len__(self) -> int:
        return self._count

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    # -- the carry set ---------------------------------------------------------------------

    @property
    def carrying(self) -> int:
        """How many carried events this replica does not hold yet."""
        with self._lock:
            return sum(1 for eid in self._carry if eid not in self._ids)

    def carried(self) -> list[dict]:
        """The carried events this replica does not hold yet, in the order they were carried."""
        with self._lock:
            if not self.carrying:
                return []
            return [e for e in self._read_carry() if e["id"] not in self._ids]

    def drop_carried(self, ids: Iterable[str] = ()) -> None:
        """Forget the carried events this replica holds now, and ``ids`` (refused by the hub)."""
        with self._lock:
            gone = {eid for eid in self._carry if eid in self._ids} | (self._carry & set(ids))
            if gone:
                self._write_carry([e for e in self._read_carry() if e["id"] not in gone])

    def _read_carry(self) -> list[dict]:
        return list(read_json(self.data_dir / CARRY_FILE, {"events": []}).get("events") or [])

    def _write_carry(self, events: list[dict], epoch: str | None = None) -> None:
        path = self.data_dir / CARRY_FILE
        if events:
            write_json(path, {"hub_epoch": epoch or self.hub_epoch, "events": events})
        else:
            path.unlink(missing_ok=True)
        self._carry = {e["id"] for e in events}

    # -- writing -------------------------------------------------------------------------

    def _open(self, epoch: str) -> None:
        folder = self.data_dir / REPLICA_DIR / _epoch_dir(epoch)
        try:
            self._journal = Journal(folder, prefix="hub")
        except JournalCorruptError as err:
            # A bad record followed by good ones: never skip it silently. The replica is
            # only a copy of the hub log, so set the folder aside and pull it again from 0
            # (docs/sync.md §5.5); the node's own log gets no such treatment.
            n = 1
            while (aside := folder.with_name(f"{folder.name}.corrupt-{n}")).exists():
                n += 1
            folder.rename(aside)
            log.error("replica corrupt (%s); moved to %s, pulling again from 0", err, aside)
            self.checkpoint["since"] = 0
            self._save_checkpoint()
            self._journal = Journal(folder, prefix="hub")
        self._count, self._last_hseq, self._ids = 0, 0, set()
        for record in self._journal:
            self._note(record)

    def _note(self, record: dict) -> None:
        self._count += 1
        self._last_hseq = record["hseq"]
        self._ids.add(record["event"]["id"])

    def _save_checkpoint(self) -> None:
        write_json(self.data_dir / CHECKPOINT_FILE, self.checkpoint)

    def adopt_epoch(self, epoch: str) -> None:
        """First contact: record the hub's epoch (nothing to rebuild yet)."""
        with self._lock:
            if self.hub_epoch is None:
                self.checkpoint["hub_epoch"] = epoch
                self._open(epoch)
                self._save_checkpoint()

    def apply(self, records: list[dict]) -> list[dict]:
        """Append records newer than what is held, fsync, then move the checkpoint.

        Returns the records that were new (in hseq order) for the listeners.
        """
        with self._lock:
            if self._journal is None:
                raise RuntimeError("replica has no hub epoch yet; call adopt_epoch first")
            last = self.last_hseq
            fresh = []
            for rec in sorted(records, key=lambda r: r["hseq"]):
                if rec["hseq"] > last:
                    fresh.append(rec)
                    last = rec["hseq"]
            if fresh:
                self._journal.append(fresh)  # durable before the checkpoint names it
                for rec in fresh:
                    self._note(rec)
            if last != self.since:
                self.checkpoint["since"] = last
                self._save_checkpoint()
            return fresh

    def set_acked(self, acked_through: int) -> None:
        with self._lock:
            if int(acked_through) != self.acked_through:
                self.checkpoint["acked_through"] = int(acked_through)
                self._save_checkpoint()

    def reset(self, epoch: str, acked_through: int = 0, carry: Iterable[dict] = ()) -> None:
        """A new hub epoch: start an empty replica for it and pull from 0 again.

        Called only after every primary event of the old replica was re-pushed. ``carry``
        (the re-pushed events that are not this node's own) replaces the carry set and is
        durable before the new checkpoint; the old folder is removed after that checkpoint
        is durable. A crash in between leaves the old epoch in the checkpoint: the switch
        runs again, and its re-push includes the carry set, so nothing is dropped.
        """
        with self._lock:
            old = self.hub_epoch
            events, seen = [], set()
            for e in carry:
                if e["id"] not in seen:
                    seen.add(e["id"])
                    events.append(e)
            self._write_carry(events, epoch)
            if self._journal is not None:
                self._journal.close()
            self.checkpoint = {"hub_epoch": epoch, "since": 0, "acked_through": acked_through}
            self._open(epoch)
            if self._count:
                # A folder left over from an earlier visit to this epoch: start clean.
                self._journal.close()
                shutil.rmtree(self.data_dir / REPLICA_DIR / _epoch_dir(epoch))
                self._open(epoch)
            self._save_checkpoint()
            self.generation += 1
            if old is not None and _epoch_dir(old) != _epoch_dir(epoch):
                shutil.rmtree(self.data_dir / REPLICA_DIR / _epoch_dir(old), ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()
