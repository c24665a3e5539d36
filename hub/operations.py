"""The online commands the hub decides: issue a ticket, counter buttons, lease blocks.

Each function runs with the Authority's lock held, checks the request against the folded
state (refusing with a slug and an HTTP status), makes ONE hub event and commits it together
with whatever the fold derives from it, through the Authority's public command surface
(``hub_event``, ``commit``, ``event_for_req``, ``issue_id``, ``last_call_id``). Every command
is idempotent by ``req``: a repeat returns the answer for the event that ``req`` already
produced and appends nothing (notes/sync.md §5.3). Answers carry the *logged* event dict, with
the hub's receipt (``hub.receipts``), which the node keeps in case it must carry it later.
What the catalogue says about kiosks and services comes from ``hub.identity``.
"""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING, Any

from core.model import TicketStatus
from core.numbering import format_label, ticket_key
from core.queue import choose_next, residues
from hub import identity
from hub.errors import Refused, invalid, unknown
from hub.views import ticket_json

if TYPE_CHECKING:
    from hub.authority import Authority

ACTIONS = ("next", "recall", "skip", "done", "transfer", "rate")
_FINISH = {"recall": "ticket.recalled", "skip": "ticket.skipped", "done": "ticket.done"}
_TYPE_OF = {"next": "ticket.called", "transfer": "ticket.transferred", "rate": "ticket.rated"}


def _service(auth: Authority, service_id: Any) -> Any:
    svc = identity.service(auth.state.catalogue, service_id)
    if svc is None:
        raise unknown("service", service_id)
    return svc


def _check_barrier(auth: Authority) -> None:
    pending = auth.barrier()
    if pending:
        raise Refused(
            "recovery_barrier",
            "hub restored from a backup: no new numbers until every kiosk has re-synced",
            503,
            waiting_for=pending,
        )


def _repeat(auth: Authority, req: str, expect_type: str) -> dict | None:
    """The event an earlier request with this ``req`` produced (None if it is new)."""
    event = auth.event_for_req(req)
    if event is None:
        return None
    if event["type"] != expect_type:
        raise Refused("req_reused", f"req {req!r} already names a {event['type']}", 409)
    return event


# -- tickets -----------------------------------------------------------------------------------


def issue(
    auth: Authority, req: str, service: str, kiosk: str, priority: int, public: str | None
) -> tuple[int, dict]:
    earlier = _repeat(auth, req, "ticket.issued")
    if earlier is not None:
        return 200, _issue_answer(auth, earlier)
    svc = _service(auth, service)
    _check_kiosk(auth, kiosk, svc.id)
    _check_barrier(auth)
    day = auth.today()
    number = auth.state.next_number(day, svc.id)
    if svc.daily_quota is not None and number > svc.daily_quota:
        raise Refused(
            "quota_reached", f"service {svc.id} reached its daily quota of {svc.daily_quota}", 409
        )
    label = format_label(svc.prefix, number)
    event = auth.hub_event(
        "ticket.issued",
        ticket=ticket_key(day, label),
        req=req,
        deps=(),
        body={
            "service": svc.id,
            "number": number,
            "label": label,
            "day": day,
            "mode": "online",
            "kiosk": kiosk,
            "priority": priority,
            "lease": None,
            "public": public or secrets.token_urlsafe(12),
        },
    )
    return 201, _issue_answer(auth, _commit_one(auth, event))


def _check_kiosk(auth: Authority, kiosk: str, service_id: str) -> None:
    """A catalogue kiosk issues only its own services, and a retired one nothing (its
    token is still a device's); an operator/API name is not a kiosk and is not limited."""
    catalogue = auth.state.catalogue
    offers = identity.kiosk(catalogue, kiosk)
    if offers is None and identity.is_device(catalogue, kiosk):
        raise Refused("retired_node", f"{kiosk} is no longer in the catalogue", 409)
    if offers is not None and service_id not in offers.services:
        raise Refused("service_not_at_kiosk", f"kiosk {kiosk} does not offer {service_id}", 409)


def _issue_answer(auth: Authority, event: dict) -> dict:
    key = event["ticket"]
    ticket = auth.state.tickets.get(key)
    ahead = auth.state.position(key) if ticket is not None else 0
    waiting = ticket is not None and ticket.status == TicketStatus.WAITING
    return {
        "ticket": ticket_json(ticket),
        "event": event,
        "people_ahead": ahead,
        "est_wait_min": est_wait_min(auth, event["body"]["service"], ahead) if waiting else 0,
        "status_url": f"/t/{event['body'].get('public')}",
    }


def est_wait_min(auth: Authority, service_id: str, ahead: int) -> int:
    """avg_service_min x people ahead / counters open for the service (at least one)."""
    svc = _service(auth, service_id)
    open_counters = sum(
        1 for cs in auth.state.counters.values() if cs.open and service_id in cs.services
    )
    return math.ceil(svc.avg_service_min * ahead / max(1, open_counters))


def _commit_one(auth: Authority, event: Any) -> dict:
    """Commit one hub event; the logged dict (with its receipt) for the answer."""
    return auth.commit([event])[0]["event"]


# -- counters ----------------------------------------------------------------------------------


def _next_for(state: Any, counter_id: str, day: str, away: frozenset[str]) -> Any:
    """The queue's head, unless a peer serving one of this counter's services is away
    (``hub.presence``): it calls its residue class offline, so this counter takes from its
    own class first and the two do not call the same visitor."""
    services = set(state.counter_view(counter_id).services)
    if any(services & set(state.counter_view(p).services) for p in away if p != counter_id):
        ticket = choose_next(state, counter_id, residues(state, counter_id), day=day)
        if ticket is not None:
            return ticket
    return choose_next(state, counter_id, day=day)


def counter_command(auth: Authority, counter_id: str, action: str, req: str, **kw: Any) -> dict:
    if action not in ACTIONS:
        raise unknown("action", action)
    if identity.counter(auth.state.catalogue, counter_id) is None:
        raise unknown("counter", counter_id)
    earlier = _repeat(auth, req, _TYPE_OF.get(action) or _FINISH[action])
    if earlier is not None:
        if earlier["body"].get("counter") != counter_id:
            raise Refused("req_reused", f"req {req!r} was used by another counter", 409)
        return _answer(auth, earlier)
    cs = auth.state.counter_view(counter_id)
    if action == "next":
        ticket = _next_for(auth.state, counter_id, auth.today(), kw.get("away") or frozenset())
        if ticket is None:
            reason = "queue_empty" if cs.open else "counter_closed"
            return {"ticket": None, "event": None, "reason": reason}
        event = auth.hub_event(
            "ticket.called",
            ticket=ticket.key,
            req=req,
            deps=(auth.issue_id(ticket.key),),
            body={"counter": counter_id, "expect_service": ticket.service, "mode": "online"},
        )
    elif action == "rate":
        event = _rate(auth, cs, counter_id, req, kw.get("score"))
    elif action == "recall" and kw.get("ticket") and kw["ticket"] != cs.current:
        event = _recall_no_show(auth, counter_id, req, kw["ticket"])
    else:
        if cs.current is None:
            raise Refused("no_current_ticket", f"counter {counter_id} is not serving anyone", 409)
        body: dict[str, Any] = {"counter": counter_id}
        if action == "transfer":
            to = kw.get("to")
            _service(auth, to)
            if auth.state.tickets[cs.current].service == to:
                raise Refused("same_service", f"ticket is already in service {to}", 409)
            body["to"] = to
        event = auth.hub_event(
            _TYPE_OF.get(action) or _FINISH[action],
            ticket=cs.current,
            req=req,
            deps=(cs.call_id,),
            body=body,
        )
    return _answer(auth, _commit_one(auth, event))


def _recall_no_show(auth: Authority, counter_id: str, req: str, key: str) -> Any:
    """A skipped visitor turned up: a counter that called them calls them again."""
    ticket = auth.state.tickets.get(key)
    if ticket is None:
        raise unknown("ticket", key)
    if ticket.status != TicketStatus.NO_SHOW or counter_id not in ticket.callers:
        raise Refused(
            "not_recallable",
            f"{ticket.label} is {ticket.status}; only a no-show this counter called comes back",
            409,
        )
    return auth.hub_event(
        "ticket.recalled",
        ticket=key,
        req=req,
        deps=(auth.last_call_id(key),),
        body={"counter": counter_id},
    )


def _rate(auth: Authority, cs: Any, counter_id: str, req: str, score: Any) -> Any:
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 4:
        raise invalid("score", "an integer 1..4 (4 sangat puas ... 1 tidak puas)")
    ticket = auth.state.tickets.get(cs.last_done) if cs.last_done else None
    if ticket is None or ticket.status != TicketStatus.SERVED:
        raise Refused("nothing_to_rate", f"counter {counter_id} has no served ticket to rate", 409)
    if ticket.rating is not None:
        raise Refused("already_rated", f"{ticket.label} was already rated", 409)
    finished = ticket.finished_ms or 0
    if auth.clock.wall_ms() - finished > auth.rating_window_ms:
        raise Refused("rating_window_closed", f"{ticket.label} was finished too long ago", 409)
    return auth.hub_event(
        "ticket.rated",
        ticket=ticket.key,
        req=req,
        deps=(auth.last_call_id(ticket.key),),
        body={"counter": counter_id, "score": score},
    )


def _answer(auth: Authority, event: dict) -> dict:
    return {"ticket": ticket_json(auth.state.tickets.get(event["ticket"])), "event": event}


# -- lease blocks ------------------------------------------------------------------------------


def grant_lease(auth: Authority, req: str, kiosk: str, service: str) -> dict:
    """A standby block of ``lease_size`` numbers from the one allocator (notes/sync.md §3)."""
    earlier = _repeat(auth, req, "lease.granted")
    if earlier is not None:
        return {"event": earlier}
    kiosk_cfg = identity.kiosk(auth.state.catalogue, kiosk)
    if kiosk_cfg is None:
        raise unknown("kiosk", kiosk)
    svc = _service(auth, service)
    if svc.id not in tuple(kiosk_cfg.services):
        raise Refused("service_not_at_kiosk", f"kiosk {kiosk} does not offer {svc.id}", 409)
    _check_barrier(auth)
    day = auth.today()
    lo = auth.state.next_number(day, svc.id)
    hi = lo + max(1, int(kiosk_cfg.lease_size)) - 1
    if svc.daily_quota is not None:
        if lo > svc.daily_quota:
            raise Refused("quota_reached", f"service {svc.id} reached its daily quota", 409)
        hi = min(hi, svc.daily_quota)
    event = auth.hub_event(
        "lease.granted",
        ticket=None,
        req=req,
        deps=(),
        body={"kiosk": kiosk, "service": svc.id, "day": day, "lo": lo, "hi": hi},
    )
    return {"event": _commit_one(auth, event)}
