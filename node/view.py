"""What this node believes the queue looks like right now.

Local view = fold(replica in hub order) + this node's events the replica does not hold yet,
applied on top (notes/sync.md §5.4 step 5: the rebase Replicache does). It is the *same*
``core.queue`` fold the hub runs, never ad-hoc scanning of the log: bug 9 in §8.4 was an LED
derived by scanning that disagreed with the hub after two restores.

The replica part is folded incrementally and cached; the pending part is re-applied on a copy
each time :meth:`state` is asked for (it is small: what was done since the last pull).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from core.model import Counter
from core.queue import QueueState
from node.outbox import Outbox
from node.replica import Replica


class LocalView:
    """Fold of replica + pending own events; rebuilt when the replica is replaced."""

    def __init__(
        self,
        replica: Replica,
        outbox: Outbox,
        roster: Callable[[], Iterable[Counter]] | None = None,
    ):
        self.replica = replica
        self.outbox = outbox
        # The hub's configured counters seed the fold, so a counter knows its services
        # before any roster.updated event reached it (roster events still override).
        self._roster = roster or (lambda: ())
        self._lock = threading.Lock()
        self._base = QueueState(self._roster())
        self._folded = 0  # number of replica records folded into _base
        self._generation = replica.generation
        # ticket key -> id of the event that issued it: the ``deps`` of an offline call, so
        # the hub never applies a call before the ticket it calls (bug 4 in §8.4).
        self._issued_by: dict[str, str] = {}
        self._view: QueueState | None = None  # the last state() answer and what it was made of
        self._view_key: tuple = ()

    def _catch_up(self) -> None:
        # The sync thread may replace the replica (epoch change) while we fold: check the
        # generation again afterwards and start over rather than mix two epochs' records.
        while True:
            generation = self.replica.generation
            if self._generation != generation:
                self._base = QueueState(self._roster())
                self._folded = 0
                self._issued_by = {}
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
            key = (self._generation, self._folded, tuple(e["id"] for e in pending))
            if self._view is not None and self._view_key == key:
                return self._view
            state = self._base.copy()
            for ev in pending:
                state.apply(ev, hseq=None, est_ms=_wall(ev))
                self._note(ev)
            self._view, self._view_key = state, key
            return state

    def invalidate(self) -> None:
        """Fold again from scratch on next use (e.g. the roster seed changed)."""
        with self._lock:
            self._generation = -1

    def issued_by(self, ticket_key: str) -> str | None:
        with self._lock:
            return self._issued_by.get(ticket_key)


def _wall(ev: dict) -> int | None:
    clock = ev.get("clock") or {}
    return clock.get("wall_ms")
