"""Which pushed events may enter the hub log now (notes/sync.md §5.3, §8.4 bug 4).

Causal FIFO delivery: an event of ``(origin, inc)`` is appended only right after its
predecessor ``seq - 1`` and only when every id in its ``deps`` is already in the log. Anything
else waits here. Held events are kept **in memory**: the node still has them in its outbox and
re-pushes until ``acked_through`` covers them, so losing this buffer in a restart loses nothing.
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


class PushGate:
    """Per ``(origin, inc)`` gapless sequence numbers and the events held back for now."""

    def __init__(self) -> None:
        self.acked: dict[tuple[str, str], int] = {}
        self.held: dict[str, Event] = {}

    def note_logged(self, event: Event | dict[str, Any]) -> None:
        """Account for an event in the log (at replay and after each commit)."""
        origin, inc, seq = _key(event)
        if seq > 0 and self.acked.get((origin, inc), 0) < seq:
            self.acked[(origin, inc)] = seq
        self.held.pop(event.id if isinstance(event, Event) else event["id"], None)

    def acked_through(self, origin: str, inc: str) -> int:
        return self.acked.get((origin, inc), 0)

    def hold(self, events: Iterable[Event]) -> None:
        for event in events:
            self.held.setdefault(event.id, event)

    def releasable(self, is_logged: Callable[[str], bool]) -> list[Event]:
        """Held events that can be appended now, in an order that satisfies seq and deps.

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
                if event.seq != acked.get((event.origin, event.inc), 0) + 1:
                    continue
                if not all(dep in taken or is_logged(dep) for dep in event.deps):
                    continue
                taken.add(event.id)
                order.append(event)
                acked[(event.origin, event.inc)] = event.seq
                progress = True
        return order


def _key(event: Event | dict[str, Any]) -> tuple[str, str, int]:
    if isinstance(event, Event):
        return event.origin, event.inc, event.seq
    return event["origin"], event["inc"], int(event.get("seq", 0))
