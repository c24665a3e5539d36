"""The online commands the hub decides: issue a ticket, counter buttons, lease blocks.

Each function runs with the Authority's lock held, checks the request against the folded
state (refusing with a slug and an HTTP status), makes ONE hub event and commits it together
with whatever the fold derives from it, through the Authority's public command surface
(``hub_event``, ``commit``, ``event_for_req``, ``issue_id``, ``last_call_id``). Every command
is idempotent by ``req``: a repeat returns the answer for the event that ``req`` already
produced and appends nothing (docs/sync.md §5.3). Answers carry the *logged* event dict, with
the hub's receipt (``hub.receipts``), which the node keeps in case it must carry it later.
What the catalogue says about kiosks and services comes from ``hub.identity``.
"""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING, Any

from core import calendar, quota
from core.model import TicketStatus
from core.numbering import format_label, ticket_key
from core.priority import priority_value
from hub import floor_ops, identity
from hub.errors import Refused, invalid, unknown
from hub.views import ticket_json

if TYPE_CHECKING:
    from hub.authority import Authority

ACTIONS = ("next", "recall", "skip", "done", "transfer", "rate", "call_ticket", "pause", "resume")
_FINISH = {"recall": "ticket.recalled", "skip": "ticket.skipped", "done": "ticket.done"}
_TYPE_OF = {
    "next": "ticket.called",
    "call_ticket": "ticket.called",
    "transfer": "ticket.transferred",
    "rate": "ticket.rated",
    "pause": "roster.updated",
    "resume": "roster.updated",
}


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
    auth: Authority,
    req: str,
    service: str,
    kiosk: str,
    priority: int,
    public: str | None,
    category: str | None = None,
) -> tuple[int, dict]:
    earlier = _repeat(auth, req, "ticket.issued")
    if earlier is not None:
        return 200, _issue_answer(auth, earlier)
    svc = _service(auth, service)
    _check_kiosk(auth, kiosk, svc.id)
    _check_barrier(auth)
    day = auth.today()
    if category is not None:
        _check_category(auth.state.catalogue, category)
        priority = priority_value(category)
    allowed = _available(auth, svc.id)
    issued = auth.state.next_number(day, svc.id) - 1
    number = allowed.numbers.next_after(issued) if allowed.numbers else issued + 1
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
            "category": category,
        },
    )
    return 201, _issue_answer(auth, _commit_one(auth, event))


def _available(auth: Authority, service_id: str) -> calendar.Availability:
    """C2 at the hub: 409 ``{error: code, message, reopens_ms}``, the message in the words a
    visitor reads (the mall's language), ``detail`` the rule's reason for staff."""
    now = auth.clock.wall_ms()
    allowed = calendar.check(auth.state, service_id, now)
    if not allowed.ok:
        catalogue = auth.state.catalogue
        lang = catalogue.mpp.lang if catalogue.mpp is not None else "id"
        raise Refused(
            allowed.code or "closed",
            calendar.describe(allowed.code, allowed.reopens_ms, auth.tz, lang, now),
            409,
            reopens_ms=allowed.reopens_ms,
            detail=allowed.detail,
        )
    return allowed


def _check_category(catalogue: Any, category: str) -> None:
    known = [c.id for c in catalogue.mpp.priority.categories] if catalogue.mpp else []
    if category not in known:
        raise invalid("category", f"a priority category of the catalogue: {', '.join(known)}")


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
    by = kw.get("by") or counter_id
    if action == "next":
        return floor_ops.next_call(
            auth, cs, counter_id, req, kw.get("serving"), kw.get("away") or frozenset()
        )
    if action == "call_ticket":
        return floor_ops.call_ticket(
            auth, cs, counter_id, req, kw.get("ticket") or "", kw.get("reason"), by
        )
    if action in ("pause", "resume"):
        return floor_ops.pause(auth, counter_id, action == "resume", by)
    if action == "rate":
        event = _rate(auth, cs, counter_id, req, kw.get("score"))
    elif action == "recall" and kw.get("ticket") and kw["ticket"] != cs.current:
        events = floor_ops.recall_no_show(auth, counter_id, req, kw["ticket"], kw.get("reason"), by)
        logged = floor_ops.commit(auth, events)
        return floor_ops.answer(auth, logged[0], logged)
    else:
        if cs.current is None:
            raise Refused("no_current_ticket", f"counter {counter_id} is not serving anyone", 409)
        body: dict[str, Any] = {"counter": counter_id}
        if action == "transfer":
            to = kw.get("to")
            _service(auth, to)
            if auth.state.tickets[cs.current].service == to:
                raise Refused("same_service", f"ticket is already in service {to}", 409)
            if not any(c.open and to in c.services for c in auth.state.counters.values()):
                # the visitor would wait for nobody: refused, and the counter's LED says so
                raise Refused("no_open_counter", f"no open counter serves {to} now", 409)
            body["to"] = to
            mine = identity.counter(auth.state.catalogue, counter_id)
            if getattr(mine, "transfer_first", False):
                body["first"] = True
        event = auth.hub_event(
            _TYPE_OF.get(action) or _FINISH[action],
            ticket=cs.current,
            req=req,
            deps=(cs.call_id,),
            body=body,
        )
    return _answer(auth, _commit_one(auth, event))


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
    """A standby block of ``lease_size`` numbers from the one allocator (docs/sync.md §3)."""
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
    issued = auth.state.next_number(day, svc.id) - 1
    # A standby block may be taken while the service is closed (kiosks top up before
    # opening), but never past the quota of the session it is taken in (core.quota).
    _, minute = calendar.local_minute(auth.state.catalogue, auth.clock.wall_ms())
    numbers = quota.current_range(svc, minute)
    lo = numbers.next_after(issued) if numbers is not None else issued + 1
    if lo is None:
        raise Refused("quota_reached", f"service {svc.id}: {numbers.describe()} used up", 409)
    hi = lo + max(1, int(kiosk_cfg.lease_size)) - 1
    if numbers is not None and numbers.hi is not None:
        hi = min(hi, numbers.hi)
    event = auth.hub_event(
        "lease.granted",
        ticket=None,
        req=req,
        deps=(),
        body={"kiosk": kiosk, "service": svc.id, "day": day, "lo": lo, "hi": hi},
    )
    return {"event": _commit_one(auth, event)}
