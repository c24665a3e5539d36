"""Counter actions beyond the buttons' basics: NEXT that finishes, a specific call, a late
recall, pause/resume, and the audit record every out-of-order call leaves.

Runs inside the Authority's lock like ``hub.operations`` (which dispatches here). An
out-of-order call is committed together with its ``audit.out_of_order`` record (the audit
event names the action in ``deps``), so the log never holds one without the other: the
supervisor's list (``hub.audit``) is complete by construction. A reason is required for
each; the fold itself refuses a late recall that carries none (``core.fold_rules``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import fold_rules
from core.events import AUDIT_KINDS
from core.model import TicketStatus
from core.priority import is_priority
from core.queue import choose_next, residues
from hub import catalogue_ops
from hub.errors import Refused, unknown
from hub.views import ticket_json

if TYPE_CHECKING:
    from hub.authority import Authority

MAX_REASON = 200


def finish_shown(auth: Authority, cs: Any, counter_id: str, shown: str | None) -> list:
    """The done that ends the visit this counter shows, as a list of 0 or 1 hub events.

    ``shown`` is the call id the counter's LED shows ("" = none; None = not said, e.g. an
    operator's client, which sees the current call). A call whose answer the counter never
    received was never shown: nobody was served, so the one-live-call rule gives that
    visitor back their place instead (notes/sync.md §8.4 bug 5).
    """
    serving = auth.state.tickets.get(cs.current) if cs.current else None
    if serving is None or serving.status != TicketStatus.CALLED or shown not in (None, cs.call_id):
        return []
    # No req: the call owns this request's req, and a retry answers with the call.
    return [
        auth.hub_event(
            "ticket.done",
            ticket=serving.key,
            req=None,
            deps=(cs.call_id,),
            body={"counter": counter_id},
        )
    ]


def next_for(state: Any, counter_id: str, day: str, away: frozenset[str]) -> Any:
    """The queue's head, unless a peer serving one of this counter's services is away
    (``hub.presence``): it calls its residue class offline, so this counter takes from its
    own class first and the two do not call the same visitor."""
    services = set(state.counter_view(counter_id).services)
    if any(services & set(state.counter_view(p).services) for p in away if p != counter_id):
        ticket = choose_next(state, counter_id, residues(state, counter_id), day=day)
        if ticket is not None:
            return ticket
    return choose_next(state, counter_id, day=day)


def next_call(
    auth: Authority,
    cs: Any,
    counter_id: str,
    req: str,
    shown: str | None,
    away: frozenset[str] = frozenset(),
) -> dict:
    """NEXT: finish the visitor this counter is serving (done), then call the next one.

    Both in one commit, the done first: the fold's one-live-call rule would otherwise hand
    the current visitor back to the queue, where they are first again, and two visitors
    would swap for ever.
    """
    events = finish_shown(auth, cs, counter_id, shown)
    ticket = next_for(auth.state, counter_id, auth.today(), away)
    if ticket is not None:
        events.append(_call(auth, ticket, counter_id, req, offset=len(events)))
    logged = commit(auth, events)
    if ticket is None:
        reason = "queue_empty" if cs.open else "counter_closed"
        return {"ticket": None, "event": None, "reason": reason, "events": logged}
    return answer(auth, logged[-1], logged)


def call_ticket(
    auth: Authority, cs: Any, counter_id: str, req: str, ticket: str, reason: str, by: str
) -> dict:
    """Call one waiting ticket out of queue order (a supervisor's or the counter's choice),
    finishing the visit shown first, like NEXT; audited unless it was next anyway."""
    reason = check_reason(reason)
    t = _find(auth, ticket)
    if not cs.open:
        raise Refused("counter_closed", f"counter {counter_id} is paused", 409)
    if t.status != TicketStatus.WAITING or t.day != auth.today():
        raise Refused("not_waiting", f"{t.label} is {t.status}, not waiting today", 409)
    if t.service not in cs.services:
        raise Refused("not_served_here", f"counter {counter_id} does not serve {t.service}", 409)
    head = choose_next(auth.state, counter_id, day=auth.today())
    events = finish_shown(auth, cs, counter_id, None)
    call = _call(auth, t, counter_id, req, offset=len(events))
    events.append(call)
    if head is None or head.key != t.key:
        kind = out_of_order_kind(head, t)
        events.append(audit(auth, kind, call, counter_id, by, reason, len(events)))
    logged = commit(auth, events)
    return answer(auth, next(e for e in logged if e["id"] == call.id), logged)


def out_of_order_kind(head: Any, called: Any) -> str:
    """``priority_beyond_rule`` when a priority ticket is called while the priority rule
    would have called a normal one (the head is normal, so the rule held the priority lane
    back); otherwise a plain ``specific_call``. One record per call, the most specific kind,
    so the per-counter counts stay one per out-of-order call."""
    if head is not None and is_priority(called) and not is_priority(head):
        return "priority_beyond_rule"
    return "specific_call"


def recall_no_show(
    auth: Authority, counter_id: str, req: str, key: str, reason: str | None, by: str
) -> list:
    """A skipped visitor turned up: within the grace window the counter that called them
    calls them again; after it only with a reason, audited as a late recall."""
    t = _find(auth, key)
    key = t.key
    if t.status != TicketStatus.NO_SHOW or counter_id not in t.callers:
        raise Refused(
            "not_recallable",
            f"{t.label} is {t.status}; only a no-show this counter called comes back",
            409,
        )
    body: dict[str, Any] = {"counter": counter_id}
    late = not fold_rules.in_grace(auth.state, t, auth.clock.wall_ms())
    if late:
        if not reason:
            grace_s = fold_rules.grace_ms(auth.state) // 1000
            raise Refused(
                "grace_over",
                f"{t.label} was skipped more than {grace_s} s ago; recalling it now is an "
                "out-of-order call and needs a reason",
                409,
            )
        body.update(reason=check_reason(reason), by=by)
    recall = auth.hub_event(
        "ticket.recalled", ticket=key, req=req, deps=(auth.last_call_id(key),), body=body
    )
    if not late:
        return [recall]
    return [recall, audit(auth, "late_recall", recall, counter_id, by, body["reason"], 1)]


def pause(auth: Authority, counter_id: str, open_: bool, by: str) -> dict:
    """Pause (``open_`` False) or resume a counter: the hub's ``roster.updated``. A paused
    counter calls nobody, drops out of every residue class and of the waiting estimates.
    A repeat changes nothing (``event`` None): the state, not the req, makes it idempotent."""
    event = catalogue_ops.roster(auth, counter_id, None, open_, by)
    return {"ticket": None, "event": event, "open": open_}


def audit(
    auth: Authority, kind: str, action: Any, counter: str | None, by: str, reason: str, offset: int
) -> Any:
    """The ``audit.out_of_order`` record of ``action`` (a hub Event of the same commit)."""
    if kind not in AUDIT_KINDS:
        raise ValueError(f"audit kind {kind!r}; expected one of {AUDIT_KINDS}")
    return auth.hub_event(
        "audit.out_of_order",
        ticket=action.ticket,
        req=None,
        deps=(action.id,),
        body={"kind": kind, "counter": counter, "by": by, "reason": reason},
        offset=offset,
    )


def check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(
            "missing_field", "a reason is required for an out-of-order call", 422, field="reason"
        )
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise Refused(
            "invalid_field", f"reason: at most {MAX_REASON} characters", 422, field="reason"
        )
    return reason


def commit(auth: Authority, events: list) -> list[dict]:
    """Commit ``events`` in one commit; their logged dicts (receipts), derived ones left out."""
    if not events:
        return []
    ids = {e.id for e in events}
    return [r["event"] for r in auth.commit(events) if r["event"]["id"] in ids]


def answer(auth: Authority, event: dict, events: list[dict]) -> dict:
    return {
        "ticket": ticket_json(auth.state.tickets.get(event["ticket"])),
        "event": event,
        "events": events,
    }


def _call(auth: Authority, t: Any, counter_id: str, req: str, offset: int) -> Any:
    return auth.hub_event(
        "ticket.called",
        ticket=t.key,
        req=req,
        deps=(auth.issue_id(t.key),),
        body={"counter": counter_id, "expect_service": t.service, "mode": "online"},
        offset=offset,
    )


def _find(auth: Authority, ticket: str) -> Any:
    key = ticket if "/" in ticket else f"{auth.today()}/{ticket.strip().upper()}"
    t = auth.state.tickets.get(key)
    if t is None:
        raise unknown("ticket", ticket)
    return t
