"""What this node believes the queue looks like right now.

Local view = fold(replica in hub order) + this node's events the replica does not hold yet,
applied on top (docs/sync.md §5.4 step 5: the rebase Replicache does). It is the *same*
``core.queue`` fold the hub runs, never ad-hoc scanning of the log: bug 9 in §8.4 was an LED
derived by scanning that disagreed with the hub after two restores.

The replica part is folded incrementally and cached; the pending part is re-applied on a copy
each time :meth:`state` is asked for (it is small: what was done since the last pull).

The catalogue is folded like everything else. While the replica holds no catalogue event
yet (a fresh folder, a new hub epoch), the ``fallback`` - the catalogue and roster this node
cached last time (``node.hub_info``) - stands in, so a kiosk that boots offline still knows
its services and a counter which ones it calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from core.catalogue import Catalogue, fold_catalogue
from core.model import Counter
from core.queue import QueueState
from node.outbox import Outbox
from node.replica import Replica

# Records read at a time when folding the catalogue alone: a kiosk keeps none of them, so
# its memory does not have to hold the day's log at once.
CATALOGUE_PAGE = 2000


class LocalView:
    """Fold of replica + pending own events; rebuilt when the replica is replaced."""

    def __init__(
        self,
        replica: Replica,
        outbox: Outbox,
        roster: Callable[[], Iterable[Counter]] | None = None,
        fallback: Callable[[], tuple[Catalogue | None, Mapping[str, Any]]] | None = None,
    ):
        self.replica = replica
        self.outbox = outbox
        # Counters seeding the fold before any roster.updated (tests, older callers).
        self._roster = roster or (lambda: ())
        self._fallback = fallback or (lambda: (None, {}))
        self._lock = threading.Lock()
        self._base = QueueState(self._roster())
        self._folded = 0  # replica records folded into _base (= the hseq it reached)
        self._generation = -1  # never the replica's: the first use loads its base
        # ticket key -> id of the event that issued it: the ``deps`` of an offline call, so
        # the hub never applies a call before the ticket it calls (bug 4 in §8.4).
        self._issued_by: dict[str, str] = {}
        self._view: QueueState | None = None  # the last state() answer and what it was made of
        self._view_key: tuple = ()
        # The catalogue alone, folded from catalogue events (a kiosk online never needs the
        # whole queue in memory): how far, and over which replica generation.
        self._cat = Catalogue()
        self._cat_folded = 0
        self._cat_generation = -1

    def _catch_up(self) -> None:
        # The sync thread may replace the replica (epoch change) while we fold: check the
        # generation again afterwards and start over rather than mix two epochs' records.
        while True:
            generation = self.replica.generation
            if self._generation != generation:
                # A pruned replica (or one started from the hub's snapshot) holds only the
                # records after its base: start from what the ones before it folded to.
                self._base, self._issued_by = self.replica.load_base(self._roster())
                self._folded = self.replica.base_hseq
                self._generation = generation
            for rec in self.replica.records(self._folded):
                ev = rec["event"]
                self._base.apply(ev, hseq=rec["hseq"], est_ms=rec.get("est_ms"))
                self._note(ev)
                self._folded += 1
            if self.replica.generation == generation:
                return

    def _note(self, ev: dict) -> None:
        if ev.get("type") == "ticket.issued" and ev.get("ticket"):
            self._issued_by.setdefault(ev["ticket"], ev["id"])

    def pending(self) -> list[dict]:
        """Events this node logged that the replica does not hold yet, in log order."""
        return [e for e in self.outbox.events() if e["id"] not in self.replica]

    def state(self) -> QueueState:
        """The local view, read-only: callers (any thread) must not change it.

        Built on a copy of the hub-ordered fold with this node's pending events on top, and
        kept until either changes, instead of copying the whole fold on every call (a render,
        a button, a status write each asked for one).
        """
        with self._lock:
            self._catch_up()
            pending = self.pending()
            cached, roster = (None, {}) if self._base.catalogue.hseq else self._fallback()
            key = (self._generation, self._folded, tuple(e["id"] for e in pending), id(cached))
            if self._view is not None and self._view_key == key:
                return self._view
            state = self._base.copy()
            if cached is not None:
                _adopt(state, cached, roster)
            for ev in pending:
                state.apply(ev, hseq=None, est_ms=_wall(ev))
                self._note(ev)
            self._view, self._view_key = state, key
            return state

    def catalogue(self) -> Catalogue:
        """The catalogue this node works with: folded from the replica (without the tickets
        unless :meth:`state` folded them already), or the fallback while the log has none."""
        with self._lock:
            while True:
                generation = self.replica.generation
                if self._cat_generation != generation:
                    self._cat, self._cat_folded = Catalogue(), 0
                    if self.replica.base_hseq:
                        self._cat = self.replica.load_base()[0].catalogue
                        self._cat_folded = self.replica.base_hseq
                    self._cat_generation = generation
                if self._generation == generation and self._folded > self._cat_folded:
                    self._cat, self._cat_folded = self._base.catalogue, self._folded
                while records := self.replica.records(self._cat_folded, CATALOGUE_PAGE):
                    self._cat = fold_catalogue(records, self._cat)
                    self._cat_folded += len(records)
                if self.replica.generation == generation:
                    break
            if self._cat.hseq:
                return self._cat
        cached, _ = self._fallback()
        return cached if cached is not None else self._cat

    def folded_roster(self) -> dict[str, Any] | None:
        """The counters' live roster as far as the queue is folded, or None when it is not
        (a kiosk online folds only the catalogue)."""
        with self._lock:
            if self._generation != self.replica.generation or not self._folded:
                return None
            return {
                cid: {"services": list(cs.services), "open": cs.open}
                for cid, cs in self._base.counters.items()
            }

    def invalidate(self) -> None:
        """Fold again from scratch on next use (e.g. the roster seed changed)."""
        with self._lock:
            self._generation = -1

    def issued_by(self, ticket_key: str) -> str | None:
        with self._lock:
            return self._issued_by.get(ticket_key)


def _adopt(state: QueueState, catalogue: Catalogue, roster: Mapping[str, Any]) -> None:
    """Use a cached catalogue in a state whose log gave none: its counters serve what the
    cached roster says (else what the catalogue configures); calls in progress stay."""
    state.catalogue = catalogue
    for cid, counter in catalogue.counters.items():
        live = roster.get(cid) or {}
        services = tuple(live.get("services", counter.services))
        cs = state.counter(cid)
        state.counters[cid] = replace(cs, services=services, open=bool(live.get("open", True)))


def _wall(ev: dict) -> int | None:
    clock = ev.get("clock") or {}
    return clock.get("wall_ms")
