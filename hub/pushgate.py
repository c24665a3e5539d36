"""Which pushed events may enter the hub log now (docs/sync.md §5.3, §8.4 bug 4).

Causal delivery: an event is appended only when every id in its ``deps`` is already in the
log, and a *node's* event ``(origin, inc, seq)`` only right after its predecessor ``seq - 1``
(per-node FIFO). Anything else waits here.

Hub events (``hub:<epoch>:<n>``) are gated on their ``deps`` alone, never on gapless ``n``. The
only hub events that can be pushed are those of a past epoch (re-pushed after a restore; an
unknown id of the current epoch is refused as forged before it gets here), and the old hub log
may hold events no node kept: an issue or a call whose every reply was lost, or events nobody
pulled before the restore. A gapless rule would hold every later hub event of that epoch
forever (a printed ticket lost, its number issued again). Causality does not need the rule:
a node keeps every event its own events depend on (its replica is a prefix of the hub log and
RPC answers are logged), and the hub's events name what they act on in ``deps`` (a call its
ticket's issue, a finish its call), so ``deps`` gating alone still holds a call back until the
ticket it calls is in (bug 4 of docs/sync.md §8.4).

A node's own event the hub *rejects* (``hub.pushcheck``) still used up its ``seq``: the gate
marks it void, and the per-node FIFO moves past it, or one refused event would hold every
later one of that node forever. Voids are in memory too: after a restart the node, told a
lower ``acked_through``, pushes the refused event again and it is refused again.

Held events are kept **in memory**: the node still has them (own events in its outbox until
``acked_through`` covers them; re-pushed hub and other-node events in its carry set until its
new replica holds them, ``node.replica``), so losing this buffer in a restart loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from core.errors import EventError
from core.events import Event


def canonical(event: Event | dict[str, Any]) -> str:
    """The comparable form of an event: same id + different canonical text = alarm."""
    d = event.to_dict() if isinstance(event, Event) else Event.from_dict(event).to_dict()
    return json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parse_pushed(raw: Any) -> tuple[Event | None, str | None]:
    """``(event, None)`` or ``(None, reason)`` for one pushed event; reasons are shown to people."""
    try:
        event = Event.from_dict(raw)
    except EventError as exc:
        return None, f"invalid: {exc}"
    if event.is_derived:
        # Old-epoch compensations re-pushed into a new epoch made displays disagree (§8.4 bug 7).
        return None, "derived: derived events are made by the hub and never pushed"
    return event, None


def fifo(origin: str) -> bool:
    """Whether events of ``origin`` must arrive with gapless ``seq`` (nodes, not the hub)."""
    return origin != "hub"


class PushGate:
    """Per ``(origin, inc)`` sequence numbers, ``deps`` gating and the events held back."""

    MAX_VOID_AHEAD = 10_000  # a refused seq further ahead than this is not remembered

    def __init__(self) -> None:
        self.acked: dict[tuple[str, str], int] = {}
        self.held: dict[str, Event] = {}
        self.void: dict[tuple[str, str], set[int]] = {}

    def note_logged(self, event: Event | dict[str, Any]) -> None:
        """Account for an event in the log (at replay and after each commit)."""
        origin, inc, seq = _key(event)
        if seq > 0 and self.acked.get((origin, inc), 0) < seq:
            self.acked[(origin, inc)] = seq
            self._advance((origin, inc))
        self.held.pop(event.id if isinstance(event, Event) else event["id"], None)

    def skip(self, origin: str, inc: str, seq: int) -> None:
        """A node's own event was refused: its ``seq`` is used up (see the module doc)."""
        key = (origin, inc)
        acked = self.acked.get(key, 0)
        if fifo(origin) and acked < seq <= acked + self.MAX_VOID_AHEAD:
            self.void.setdefault(key, set()).add(seq)
            self._advance(key)

    def _advance(self, key: tuple[str, str]) -> None:
        void = self.void.get(key)
        if not void:
            return
        acked = self.acked.get(key, 0)
        while acked + 1 in void:
            acked += 1
        self.acked[key] = acked
        void.difference_update([s for s in void if s <= acked])
        if not void:
            del self.void[key]

    def acked_through(self, origin: str, inc: str) -> int:
        return self.acked.get((origin, inc), 0)

    def hold(self, events: Iterable[Event]) -> None:
        for event in events:
            self.held.setdefault(event.id, event)

    def releasable(
        self, is_logged: Callable[[str], bool], gone: Callable[[str], bool] | None = None
    ) -> list[Event]:
        """Held events that can be appended now, in an order that satisfies seq and deps.

        Within one call they come in ``(origin, inc, seq)`` order as far as deps allow, so the
        hub events one node re-pushes keep their old relative order. ``gone(dep)`` says a dep
        is lost for good (e.g. a past epoch's hub event once every node has re-pushed all it
        holds): it counts as met, and the fold answers the event with a notice instead.

        Does not mutate: the caller commits them and then calls :meth:`note_logged`.
        """
        acked = dict(self.acked)
        taken: set[str] = set()
        order: list[Event] = []
        pending = sorted(self.held.values(), key=lambda e: (e.origin, e.inc, e.seq))
        progress = True
        while progress:
            progress = False
            for event in pending:
                if event.id in taken:
                    continue
                key = (event.origin, event.inc)
                if fifo(event.origin) and event.seq != acked.get(key, 0) + 1:
                    continue
                if not all(
                    dep in taken or is_logged(dep) or (gone is not None and gone(dep))
                    for dep in event.deps
                ):
                    continue
                taken.add(event.id)
                order.append(event)
                acked[key] = max(acked.get(key, 0), event.seq)
                while acked[key] + 1 in self.void.get(key, ()):
                    acked[key] += 1
                progress = True
        return order


def _key(event: Event | dict[str, Any]) -> tuple[str, str, int]:
    if isinstance(event, Event):
        return event.origin, event.inc, event.seq
    return event["origin"], event["inc"], int(event.get("seq", 0))
