"""Values of the queue domain: frozen dataclasses and the ticket status enum.

Everything here is immutable so a fold can hand tickets to displays and HTTP handlers without
copying; a change is ``dataclasses.replace(ticket, ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TicketStatus(StrEnum):
    """Where a ticket is in its life; transitions live in ``core.queue.TRANSITIONS``."""

    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    VOID = "void"


LIVE_STATES: frozenset[TicketStatus] = frozenset({TicketStatus.WAITING, TicketStatus.CALLED})
FINAL_STATES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.SERVED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED, TicketStatus.VOID}
)

TICKET_MODES = ("online", "lease", "prefix")


@dataclass(frozen=True)
class Agency:
    """A government office or bank present in the mall (Dukcapil, BPJS, ...)."""

    id: str
    name: str


@dataclass(frozen=True)
class Service:
    """One queue: its tickets are labelled ``<prefix>-NNN``."""

    id: str
    prefix: str
    name: str
    agency: str
    daily_quota: int | None = None
    avg_service_min: float = 10.0


@dataclass(frozen=True)
class Counter:
    """A configured counter; ``number`` is what the hall hears ("loket tiga")."""

    id: str
    name: str
    number: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class Ticket:
    """One visitor's ticket as the fold currently sees it.

    ``order`` is the queue placement key ``(priority, est_ms, hseq)``: it is set at issue and
    survives transfers, so a transferred visitor keeps the place they arrived at.
    ``callers`` holds every counter that ever called it, accepted or not, because a ``done``
    from any of them is evidence that beats a mere call (docs/sync.md §4).
    ``ghost`` marks a hub-issued ticket whose kiosk printed another number for the same
    request; it is voided as soon as it would (re-)enter a queue.
    ``called_ms`` is the latest accepted call (start of service at a counter);
    ``transfers`` lists the services it was transferred to, in order.
    """

    key: str
    day: str
    service: str
    label: str
    number: int | None
    status: TicketStatus
    order: tuple
    issued_by: str
    issue_req: str | None
    mode: str
    priority: int = 0
    holder: str | None = None
    call_id: str | None = None
    served_by: str | None = None
    callers: frozenset[str] = frozenset()
    ghost: bool = False
    issued_ms: int = 0
    called_ms: int | None = None
    finished_ms: int | None = None
    recalls: int = 0
    rating: int | None = None
    surveyed: bool = False  # an SKM questionnaire was accepted for it (once per ticket)
    transfers: tuple[str, ...] = ()
    public: str | None = None
    # The priority lane's category (C3: lansia, disabilitas, ...); None = the normal lane.
    category: str | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATES

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (sets become sorted lists, tuples lists)."""
        return {
            "key": self.key,
            "day": self.day,
            "service": self.service,
            "label": self.label,
            "number": self.number,
            "status": str(self.status),
            "order": list(self.order),
            "issued_by": self.issued_by,
            "issue_req": self.issue_req,
            "mode": self.mode,
            "priority": self.priority,
            "holder": self.holder,
            "call_id": self.call_id,
            "served_by": self.served_by,
            "callers": sorted(self.callers),
            "ghost": self.ghost,
            "issued_ms": self.issued_ms,
            "called_ms": self.called_ms,
            "finished_ms": self.finished_ms,
            "recalls": self.recalls,
            "rating": self.rating,
            "surveyed": self.surveyed,
            "transfers": list(self.transfers),
            "public": self.public,
            "category": self.category,
        }


@dataclass(frozen=True)
class CounterState:
    """What a counter is doing according to the fold: the LED shows ``label``.

    Counter displays are derived from this and nothing else (docs/sync.md §8.4 bug 9).
    ``last_done`` is the ticket it served last, the one an SKM rating button refers to.
    """

    id: str
    services: tuple[str, ...] = ()
    open: bool = True
    current: str | None = None
    call_id: str | None = None
    label: str | None = None
    last_done: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "services": list(self.services),
            "open": self.open,
            "current": self.current,
            "call_id": self.call_id,
            "label": self.label,
            "last_done": self.last_done,
        }
