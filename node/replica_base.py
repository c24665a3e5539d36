"""The base of a pruned replica: the fold of the hub records it no longer holds.

After a daily close the node keeps only the hub records after the ``day.closed`` record
(``node.replica``); what the dropped records built is kept here instead, in ``base.json``
inside the replica folder that starts after them:

* ``hseq``: the last hub record the base covers (the replica's records start at ``hseq + 1``);
* ``state``: ``core.queue.QueueState.dump()`` of the fold at ``hseq`` (open days only: the
  fold dropped the closed days' tickets);
* ``issued``: ticket key -> id of the event that issued it, for the open tickets (an offline
  call names it in its ``deps``, docs/sync.md §8.4 bug 4);
* ``through``: ``"<origin>:<inc>"`` -> highest ``seq`` covered. The hub logs each origin's
  events in ``seq`` order, so an event id with a ``seq`` at or below it is in the base: that
  is how the replica still answers "do you hold this event?" for the records it dropped (the
  view must not apply an own event of a dropped day on top again).

The same document comes from the hub's ``GET /api/v1/sync/snapshot`` for a node that has no
replica, so a new node starts where a pruned one stands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import EventError, JournalError
from core.journal import write_atomic
from core.queue import QueueState

BASE_FILE = "base.json"


class BaseError(JournalError):
    """A base file that is missing, torn or of another format."""


def event_key(event_id: str) -> tuple[str, int] | None:
    """``("<origin>:<inc>", seq)`` of a primary event id, None for any other id."""
    head, _, tail = str(event_id).rpartition(":")
    if not head or not tail.isdigit() or head.count(":") < 1 or head.startswith("hub:comp:"):
        return None
    return head, int(tail)


def covers(through: Mapping[str, int], event_id: str) -> bool:
    key = event_key(event_id)
    return key is not None and key[1] <= through.get(key[0], 0)


def new_base() -> dict[str, Any]:
    return {"hseq": 0, "state": None, "issued": {}, "through": {}}


def fold_into(base: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The base that covers ``records`` too (they follow ``base["hseq"]``, in hub order)."""
    state = load_state(base)
    issued = dict(base.get("issued") or {})
    through = dict(base.get("through") or {})
    hseq = int(base.get("hseq") or 0)
    for rec in records:
        ev = rec["event"]
        state.apply(ev, hseq=rec["hseq"], est_ms=rec.get("est_ms"))
        hseq = rec["hseq"]
        if ev.get("type") == "ticket.issued" and ev.get("ticket"):
            issued.setdefault(ev["ticket"], ev["id"])
        key = event_key(ev["id"])
        if key is not None and key[1] > through.get(key[0], 0):
            through[key[0]] = key[1]
    # Keys of closed days left the state: so do their issuing events.
    issued = {k: v for k, v in issued.items() if k in state.tickets}
    return {"hseq": hseq, "state": state.dump(), "issued": issued, "through": through}


def load_state(base: Mapping[str, Any]) -> QueueState:
    """A fresh (mutable) fold of the base."""
    dump = base.get("state")
    return QueueState() if dump is None else QueueState.load(dump)


def write(folder: Path, base: Mapping[str, Any]) -> None:
    write_atomic(folder / BASE_FILE, json.dumps(base, sort_keys=True).encode("utf-8"))


def read(folder: Path, hseq: int) -> dict[str, Any]:
    """The base of ``folder``; BaseError unless it is whole and covers exactly ``hseq``."""
    path = folder / BASE_FILE
    try:
        base = json.loads(path.read_bytes())
        if int(base["hseq"]) != hseq:
            raise ValueError(f"covers hseq {base['hseq']}, the checkpoint says {hseq}")
        QueueState.load(base["state"])  # refuse now what could not be folded later
        base["through"] = {str(k): int(v) for k, v in base["through"].items()}
        base["issued"] = dict(base["issued"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EventError) as exc:
        raise BaseError(f"replica base {path}: {exc}") from exc
    return base


def checked(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A base received from the hub (its snapshot), checked like one read from disk."""
    try:
        base = {
            "hseq": int(snapshot["hseq"]),
            "state": dict(snapshot["state"]),
            "issued": {str(k): str(v) for k, v in dict(snapshot.get("issued") or {}).items()},
            "through": {str(k): int(v) for k, v in dict(snapshot.get("through") or {}).items()},
        }
        QueueState.load(base["state"])
    except (ValueError, KeyError, TypeError, AttributeError, EventError) as exc:
        raise BaseError(f"hub snapshot: {exc}") from exc
    return base
