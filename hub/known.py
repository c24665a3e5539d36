"""Which events and requests the hub has logged, without holding closed days id by id.

The push route must answer a re-pushed event as known and never log it twice, and a command
repeated with its ``req`` must not run again. Holding every id ever logged did that, and
after a year it was most of the hub's RAM. Open days are still held id by id (with each
event's digest, so the same id with another body raises the alarm); when a day closes its
events leave that map and are covered by sequence numbers instead (docs/archive.md "What
the hub remembers of a closed day"):

* **events**: ids are ``origin:inc:seq``. A node's events are logged in gapless ``seq``
  order (``hub.pushgate``: every ``seq`` up to the gate's ``acked_through`` is logged, or
  was refused and voided), and the hub's own are numbered gaplessly as it logs them; so
  once a closed day's event is dropped, ``closed[(origin, inc)]`` records that every
  ``seq`` up to it is settled, and an id at or below it that is not in the map is known. An
  event is dropped only when its ``seq`` is inside that gapless prefix (a past epoch's hub
  events carried after a restore may have gaps: those above a gap stay in the map). A
  closed day's derived events are dropped outright: the fold never derives anything for a
  ticket that has left it.
* **requests**: the nodes' ``req`` are ``node:inc:r<n>``, counted up per incarnation
  (``node.outbox``); ``req_closed[(node, inc)]`` is the highest ``n`` whose event left with
  a closed day. A repeat at or below it is answered "done on a closed day" (409), never run
  again. Other ``req`` strings (a browser's, a script's) are simply forgotten with their day.

What is lost: a closed day's event re-pushed with a *changed* body is answered as known
without the alarm (the digest left with the day); the journal's copy stays the one logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.events import is_derived_id

_NODE_REQ = re.compile(r"(.+):([^:]+):r(\d+)")


def split_id(event_id: str) -> tuple[str, str, int] | None:
    """``origin:inc:seq`` -> ``(origin, inc, seq)``; None for a derived or malformed id."""
    if is_derived_id(event_id):
        return None
    origin, sep, rest = event_id.partition(":")
    inc, sep2, seq = rest.rpartition(":")
    if not (sep and sep2 and seq.isdigit()):
        return None
    return origin, inc, int(seq)


def split_req(req: str) -> tuple[tuple[str, str], int] | None:
    """A node's ``node:inc:r<n>`` -> ``((node, inc), n)``; None for any other string."""
    m = _NODE_REQ.fullmatch(req)
    return None if m is None else ((m.group(1), m.group(2)), int(m.group(3)))


class Known:
    """Logged event ids (open days: with digests; closed days: by sequence) and the
    highest node ``req`` numbers of closed days. Pickled into the start-up checkpoint."""

    def __init__(self) -> None:
        self.ids: dict[str, bytes] = {}  # event id -> digest of its canonical text
        self.closed: dict[tuple[str, str], int] = {}  # every seq <= this is logged
        self.req_closed: dict[tuple[str, str], int] = {}
        # The hub's own events by epoch: the gapless prefix logged, and what came above a gap.
        self.hub_through: dict[str, int] = {}
        self.hub_ahead: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __eq__(self, other: object) -> bool:  # a checkpoint's image equals a replay's
        return isinstance(other, Known) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def add(self, event_id: str, origin: str, inc: str, seq: int, event_digest: bytes) -> None:
        """Account for one logged event."""
        self.ids[event_id] = event_digest
        if origin == "hub" and seq > 0:
            through = self.hub_through.get(inc, 0)
            if seq == through + 1:
                ahead = self.hub_ahead.get(inc, set())
                through = seq
                while through + 1 in ahead:
                    through += 1
                    ahead.discard(through)
                if not ahead:
                    self.hub_ahead.pop(inc, None)
                self.hub_through[inc] = through
            elif seq > through:
                self.hub_ahead.setdefault(inc, set()).add(seq)

    def digest(self, event_id: str) -> bytes | None:
        """The digest of an open day's (or undated) logged event, else None."""
        return self.ids.get(event_id)

    def of_closed_day(self, event_id: str) -> bool:
        """Whether ``event_id`` is settled by a closed day's sequence numbers."""
        parts = split_id(event_id)
        return parts is not None and parts[2] <= self.closed.get(parts[:2], 0)

    def __contains__(self, event_id: str) -> bool:
        return event_id in self.ids or self.of_closed_day(event_id)

    def forget(
        self, event_id: str, req: str | None, acked_through: Callable[[str, str], int]
    ) -> None:
        """A closed day's event leaves the map if its sequence number can stand for it.

        ``acked_through(origin, inc)``: the gate's gapless prefix of a node's events.
        """
        if is_derived_id(event_id):
            self.ids.pop(event_id, None)
            return
        parts = split_id(event_id)
        if parts is None:
            return
        origin, inc, seq = parts
        through = self.hub_through.get(inc, 0) if origin == "hub" else acked_through(origin, inc)
        if seq <= through:
            self.ids.pop(event_id, None)
            key = (origin, inc)
            if seq > self.closed.get(key, 0):
                self.closed[key] = seq
        node_req = split_req(req) if req else None
        if node_req is not None and node_req[1] > self.req_closed.get(node_req[0], 0):
            self.req_closed[node_req[0]] = node_req[1]

    def req_of_closed_day(self, req: str) -> bool:
        """Whether a node's ``req`` (not held for an open day) was used on a closed day."""
        node_req = split_req(req)
        return node_req is not None and node_req[1] <= self.req_closed.get(node_req[0], 0)
