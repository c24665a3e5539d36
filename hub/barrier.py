"""The recovery barrier after a hub restore (docs/sync.md §5.4).

A hub restored from a backup starts a new epoch and issues no online numbers until every
configured kiosk has pushed in it (each re-pushes what it printed meanwhile, so no number is
issued twice), or an admin lifts the barrier (a kiosk broken for good). The same record also
says which nodes have re-pushed since the restore: once every node has, a past epoch's hub
event that nobody holds any more can never come back, and events waiting for it are released.

State lives in the store's ``barrier`` setting ``{epoch, done, repushed, lifted, lifted_by}``;
this object is its in-memory view. Callers hold the Authority's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hub import identity

log = logging.getLogger(__name__)


class RecoveryBarrier:
    def __init__(self, store: Any, epoch: str, catalogue: Callable[[], Any]):
        self.store = store
        self.epoch = epoch
        self.catalogue = catalogue
        self.pending = self._load_pending()
        self.repushed = self._load_repushed()

    def _record(self) -> dict:
        return dict(self.store.setting("barrier") or {})

    def _load_pending(self) -> set[str] | None:
        settings = self.store.settings()
        barrier = settings.get("barrier")
        if not settings.get("restored") or not barrier or barrier.get("epoch") != self.epoch:
            return None
        if barrier.get("lifted"):
            return None
        pending = identity.kiosk_ids(self.catalogue()) - set(barrier.get("done", []))
        return pending or None

    def _load_repushed(self) -> set[str] | bool | None:
        """Nodes that pushed since the restore into this epoch (True: barrier lifted; None:
        this epoch did not start with a restore)."""
        barrier = self._record()
        if barrier.get("epoch") != self.epoch:
            return None
        return True if barrier.get("lifted") else set(barrier.get("repushed", []))

    def waiting_for(self) -> list[str] | None:
        """Kiosks that must still push in this epoch before online numbers resume (or None)."""
        return sorted(self.pending) if self.pending else None

    def holds(self, node_id: str) -> bool:
        return node_id in (self.pending or ())

    def past_hub_event_gone(self, dep: str) -> bool:
        """``dep`` is a past epoch's hub event no node can bring back any more: every
        configured node has pushed in this epoch (a node does that only after re-pushing all
        it holds), or an admin lifted the barrier."""
        parts = dep.split(":")
        if self.repushed is None or len(parts) < 3 or parts[0] != "hub":
            return False
        if parts[1] == self.epoch:
            return False
        nodes = set(identity.node_ids(self.catalogue()))
        return self.repushed is True or nodes <= self.repushed

    def pushed(self, node: str) -> None:
        """``node`` pushed in this epoch (after the push is durable)."""
        if isinstance(self.repushed, set) and node not in self.repushed:
            self.repushed.add(node)
            self.store.set_settings(barrier={**self._record(), "repushed": sorted(self.repushed)})
        if not self.pending or node not in self.pending:
            return
        self.pending.discard(node)
        barrier = self._record()
        barrier["done"] = sorted(set(barrier.get("done", [])) | {node})
        self.store.set_settings(barrier=barrier)
        if not self.pending:
            log.warning("recovery barrier passed: every kiosk pushed in epoch %s", self.epoch)
            self.pending = None

    def lift(self, by: str) -> None:
        """An admin ends the barrier early (e.g. a kiosk is broken for good)."""
        barrier = dict(self.store.setting("barrier") or {"epoch": self.epoch})
        barrier.update(lifted=True, lifted_by=by)
        self.store.set_settings(barrier=barrier)
        self.pending = None
        if self.repushed is not None:
            self.repushed = True


__all__ = ["RecoveryBarrier"]
