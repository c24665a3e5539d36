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

**Pruning** (issue 11 item 4): once the replica holds a ``day.closed`` (so the hub holds it),
:meth:`Replica.prune` drops the records up to it. The records after the close are copied into
a new folder ``<epoch>.b<hseq>`` beside the fold of the dropped ones (``node.replica_base``),
both fsync'd; then the checkpoint names the new folder and its ``base`` (the switch, one
atomic write); then the old folder goes. At open, any folder the checkpoint does not name is
a leftover of a switch cut short by a power cut and is removed, so the node always opens
either the old folder or the new one, whole. Record positions stay hub hseqs:
``records(start)`` with ``start`` below the base starts at the base, and :meth:`load_base`
is what the records before it folded to. A node with no replica starts the same way from the
hub's snapshot (:meth:`start_from`).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.errors import JournalCorruptError
from core.journal import Journal, OsFiles, write_atomic
from core.model import CounterState
from core.queue import QueueState
from node import replica_base

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.json"
# Records copied into a pruned replica's new folder per write (bounded memory, few fsyncs).
COPY_BATCH = 1000
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


def _folder_name(epoch: str, base: int) -> str:
    return _epoch_dir(epoch) if base <= 0 else f"{_epoch_dir(epoch)}.b{base}"


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
        # Bumped whenever the records are replaced wholesale (epoch change, prune, a start
        # from the hub's snapshot), so views folded incrementally start over from the base.
        self.generation = 0
        self._journal: Journal | None = None
        # Only what lookups need stays in RAM; the records themselves are read back from the
        # journal (a day's 20k records held parsed cost a counter node ~50 MB).
        self._count = 0
        self._last_hseq = 0
        self._ids: set[str] = set()
        # The base: the hseq the folder's first record follows, and the dropped records'
        # per-origin seqs (the base state itself stays on disk until a view asks for it).
        self._base_hseq = 0
        self._through: dict[str, int] = {}
        self._closes: list[tuple[int, str]] = []  # (hseq, day) of the day.closed records held
        # ids of the carried events (the events themselves stay in carry.json until needed)
        self._carry: set[str] = {e["id"] for e in self._read_carry()}
        if self.hub_epoch is not None:
            self._open(self.hub_epoch)
        self._remove_leftovers()

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

    @property
    def base_hseq(self) -> int:
        """The last hub record folded into the base (0: the replica starts at record 1)."""
        with self._lock:
            return self._base_hseq

    @property
    def folder(self) -> Path | None:
        """The folder holding the records (None before the first contact)."""
        with self._lock:
            return None if self._journal is None else self._journal.directory

    def records(self, start: int = 0, limit: int | None = None) -> list[dict]:
        """Records from index ``start`` on (index = hseq - 1, for incremental folds), read
        from the journal; at most ``limit`` of them (a reader that keeps none of them reads a
        day in pages). Below the base it starts at the base: fold :meth:`base_state` first."""
        with self._lock:
            if self._journal is None or start >= len(self):
                return []
            local = max(0, start - self._base_hseq)
            return list(itertools.islice(self._journal.iter_from(local), limit))

    def __len__(self) -> int:
        return self._base_hseq + self._count

    def __contains__(self, event_id: str) -> bool:
        # The dropped records are known by their origins' seqs (node.replica_base).
        return event_id in self._ids or replica_base.covers(self._through, event_id)

    def dropped(self, event_id: str) -> bool:
        """The event is among the records folded into the base (logged before it)."""
        with self._lock:
            return replica_base.covers(self._through, event_id)

    def closed_days(self) -> set[str]:
        """The days closed in the base, and "" (what an event of no day counts as)."""
        with self._lock:
            state = self._read_base().get("state") or {}
        return {"", *state.get("closed_days", ())}

    def load_base(self, roster: Iterable[Any] = ()) -> tuple[QueueState, dict[str, str]]:
        """A fresh fold of the records before the base (empty when there are none) and its
        open tickets' issuing event ids. ``roster`` seeds the counters the base does not
        know, as ``QueueState(roster)`` does. The base changes only with :attr:`generation`."""
        with self._lock:
            base = self._read_base()
        state = replica_base.load_state(base)
        for counter in roster:
            if counter.id not in state.counters:
                state.counters[counter.id] = CounterState(
                    id=counter.id, services=tuple(counter.services)
                )
        return state, dict(base.get("issued") or {})

    def closes(self) -> list[tuple[int, str]]:
        """``(hseq, day)`` of every ``day.closed`` record held after the base, oldest first."""
        with self._lock:
            return list(self._closes)

    def _read_base(self) -> dict:
        if self._base_hseq == 0 or self._journal is None:
            return replica_base.new_base()
        return replica_base.read(self._journal.directory, self._base_hseq)

    # -- the carry set ---------------------------------------------------------------------

    @property
    def carrying(self) -> int:
        """How many carried events this replica does not hold yet."""
        with self._lock:
            return sum(1 for eid in self._carry if eid not in self)

    def carried(self) -> list[dict]:
        """The carried events this replica does not hold yet, in the order they were carried."""
        with self._lock:
            if not self.carrying:
                return []
            return [e for e in self._read_carry() if e["id"] not in self]

    def drop_carried(self, ids: Iterable[str] = ()) -> None:
        """Forget the carried events this replica holds now, and ``ids`` (refused by the hub)."""
        with self._lock:
            gone = {eid for eid in self._carry if eid in self} | (self._carry & set(ids))
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

    # -- opening -------------------------------------------------------------------------

    def _named_folder(self) -> Path:
        epoch = self.hub_epoch or ""
        name = self.checkpoint.get("replica") or _epoch_dir(epoch)
        return self.data_dir / REPLICA_DIR / name

    def _open(self, epoch: str) -> None:
        folder = self._named_folder()
        base = int(self.checkpoint.get("base") or 0)
        try:
            through = replica_base.read(folder, base)["through"] if base else {}
            self._journal = Journal(folder, prefix="hub")
        except (JournalCorruptError, replica_base.BaseError) as err:
            # A bad record followed by good ones: never skip it silently. The replica is
            # only a copy of the hub log, so set the folder aside and pull it again
            # (docs/sync.md §5.5); the node's own log gets no such treatment.
            aside = folder
            if folder.exists():
                n = 1
                while (aside := folder.with_name(f"{folder.name}.corrupt-{n}")).exists():
                    n += 1
                folder.rename(aside)
            log.error("replica corrupt (%s); moved to %s, pulling again from 0", err, aside)
            self.checkpoint.update(since=0, replica=_epoch_dir(epoch), base=0)
            self._save_checkpoint()
            folder, base, through = self._named_folder(), 0, {}
            if folder.exists():
                shutil.rmtree(folder)  # the base-0 name was a leftover: start clean
            self._journal = Journal(folder, prefix="hub")
        self._base_hseq, self._through = base, dict(through)
        self._count, self._last_hseq, self._ids, self._closes = 0, base, set(), []
        for record in self._journal:
            self._note(record)

    def _remove_leftovers(self) -> None:
        """Remove every replica folder the checkpoint does not name: what a switch (prune,
        epoch change) left when the power went (set-aside corrupt folders stay, to look at)."""
        root = self.data_dir / REPLICA_DIR
        keep = self._journal.directory.name if self._journal is not None else None
        for path in sorted(root.iterdir()) if root.is_dir() else ():
            if path.name != keep and path.is_dir() and ".corrupt-" not in path.name:
                log.warning("removing replica folder %s (not the checkpoint's)", path)
                shutil.rmtree(path, ignore_errors=True)

    def _note(self, record: dict) -> None:
        self._count += 1
        self._last_hseq = record["hseq"]
        ev = record["event"]
        self._ids.add(ev["id"])
        if ev.get("type") == "day.closed" and ev.get("origin") == "hub":
            self._closes.append((record["hseq"], str((ev.get("body") or {}).get("day"))))

    def _save_checkpoint(self) -> None:
        write_json(self.data_dir / CHECKPOINT_FILE, self.checkpoint)

    # -- writing -------------------------------------------------------------------------

    def adopt_epoch(self, epoch: str) -> None:
        """First contact: record the hub's epoch (nothing to rebuild yet)."""
        with self._lock:
            if self.hub_epoch is None:
                self.checkpoint.update(hub_epoch=epoch, replica=_epoch_dir(epoch), base=0)
                self._open(epoch)
                self._save_checkpoint()

    def start_from(self, epoch: str, base: dict) -> None:
        """Replace an empty replica by the hub's snapshot ``base`` (``node.replica_base``):
        records are then pulled from its hseq on, not from 1."""
        with self._lock:
            if len(self) or base["hseq"] <= 0:
                return
            self._switch(epoch, base, iter(()), since=base["hseq"])
            self.generation += 1

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

    def prune(self, through_hseq: int) -> bool:
        """Drop the records up to ``through_hseq`` (a ``day.closed`` the caller checked is
        safe to drop: see ``node.sync``), keeping their fold as the base. False when there
        is nothing to drop. See the module doc for why a power cut at any step is harmless."""
        with self._lock:
            if self._journal is None or through_hseq <= self._base_hseq:
                return False
            through_hseq = min(through_hseq, self._last_hseq)
            dropped = through_hseq - self._base_hseq
            base = replica_base.fold_into(
                self._read_base(), itertools.islice(self._journal.iter_from(0), dropped)
            )
            kept = self._journal.iter_from(dropped)
            self._switch(self.hub_epoch or "", base, kept, since=self.since)
            self.generation += 1  # views fold again from the new base
            log.info("replica pruned through hseq %d (%d records dropped)", through_hseq, dropped)
            return True

    def _switch(self, epoch: str, base: dict, records: Iterator[dict], *, since: int) -> None:
        """Write a new folder (``records`` after ``base``, then the base file), name it in
        the checkpoint, then remove the old folder. Caller holds the lock."""
        old = self._journal.directory if self._journal is not None else None
        folder = self.data_dir / REPLICA_DIR / _folder_name(epoch, base["hseq"])
        if folder == old:
            return
        if folder.exists():
            shutil.rmtree(folder)  # an earlier switch to it was cut short
        fresh = Journal(folder, prefix="hub")
        try:
            while batch := list(itertools.islice(records, COPY_BATCH)):
                fresh.append(batch)
            replica_base.write(folder, base)
            OsFiles().fsync_dir(folder.parent)  # the new folder's own entry
        except BaseException:
            fresh.close()
            raise
        self.checkpoint.update(hub_epoch=epoch, since=since, replica=folder.name, base=base["hseq"])
        self._save_checkpoint()  # the switch: from here on the new folder is the replica
        fresh.close()
        if self._journal is not None:
            self._journal.close()
        self._open(epoch)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def reset(self, epoch: str, acked_through: int = 0, carry: Iterable[dict] = ()) -> None:
        """A new hub epoch: start an empty replica for it and pull from 0 again (the sync
        client then asks for the hub's snapshot first: :meth:`start_from`).

        Called only after every primary event of the old replica was re-pushed. ``carry``
        (the re-pushed events that are not this node's own) replaces the carry set and is
        durable before the new checkpoint; the old folder is removed after that checkpoint
        is durable. A crash in between leaves the old epoch in the checkpoint: the switch
        runs again, and its re-push includes the carry set, so nothing is dropped.
        """
        with self._lock:
            events, seen = [], set()
            for e in carry:
                if e["id"] not in seen:
                    seen.add(e["id"])
                    events.append(e)
            self._write_carry(events, epoch)
            self.checkpoint["acked_through"] = acked_through
            if self._journal is not None and self._journal.directory.name == _epoch_dir(epoch):
                # A folder of an earlier visit to this very epoch: start it clean.
                self._journal.close()
                shutil.rmtree(self._journal.directory)
                self._journal = None
            self._switch(epoch, replica_base.new_base(), iter(()), since=0)
            self.generation += 1

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()
