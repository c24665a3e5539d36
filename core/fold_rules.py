"""The fold's rules: the one transition table and one handler per primary event type.

Every rule is docs/sync.md §4 / §5.6 applied to one event in hub order. Handlers never raise
for an illegal transition: they leave the ticket as it is, record a notice in
``state.rejections`` and, where the protocol defines one, emit a derived event so that no
outcome is silent. Derived events get deterministic ids, so a hub that re-derives them at
start-up appends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from core import priority
from core.events import Event, make_derived
from core.model import CounterState, Ticket, TicketStatus

if TYPE_CHECKING:
    from core.queue import QueueState

W, C, S = TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVED
N, X, V = TicketStatus.NO_SHOW, TicketStatus.CANCELLED, TicketStatus.VOID

# (status, what happens) -> new status. Primary event types are the inputs; the two derived
# types name side effects the fold applies on its own (a retracted call, a voided ghost).
TRANSITIONS: dict[tuple[TicketStatus, str], TicketStatus] = {
    (W, "ticket.called"): C,
    (C, "ticket.recalled"): C,
    # A no-show who turns up: only a counter that called them may recall (a new live call).
    (N, "ticket.recalled"): C,
    (C, "ticket.skipped"): N,
    (C, "ticket.done"): S,
    # Evidence beats a no-show: the counter pressed done, so the visitor was served.
    (N, "ticket.done"): S,
    (C, "ticket.transferred"): W,
    (W, "ticket.cancelled"): X,
    (C, "ticket.cancelled"): X,
    (S, "ticket.rated"): S,
    (S, "survey.answered"): S,
    (C, "call.retracted"): W,
    (W, "ticket.void_ghost"): V,
}

RECENT_CALLS = 10
DEFAULT_GRACE_S = 600  # before a catalogue says otherwise (core.catalogue_values.Mpp)


@dataclass
class Step:
    """One event being applied: where it sits in hub order, and what it derives."""

    event: Event
    hseq: int
    est_ms: int
    out: list[Event] = field(default_factory=list)

    def emit(self, type_: str, body: dict) -> None:
        # One cause can derive two events of one type (a ghost call and a held ticket both
        # retracted); the suffix keeps their ids distinct and still deterministic.
        same = sum(1 for d in self.out if d.type == type_)
        kind = type_ if same == 0 else f"{type_}.{same + 1}"
        self.out.append(make_derived(self.event, kind, type_, body))


def step_to(ticket: Ticket, what: str) -> TicketStatus | None:
    return TRANSITIONS.get((ticket.status, what))


def _reject(st: QueueState, step: Step, reason: str) -> None:
    e = step.event
    st.rejections.append({"event": e.id, "type": e.type, "ticket": e.ticket, "reason": reason})


def _put(st: QueueState, ticket: Ticket) -> Ticket:
    return st.put(ticket)  # keeps the queue's indexes in step


def _release_counter(st: QueueState, counter_id: str | None, call_id: str | None) -> None:
    """Clear a counter's display only if it shows this very call (§8.4 bug 8)."""
    if counter_id is None:
        return
    cs = st.counters.get(counter_id)
    if cs is not None and cs.call_id is not None and cs.call_id == call_id:
        st.counters[counter_id] = replace(cs, current=None, call_id=None, label=None)


def _requeue(st: QueueState, step: Step, t: Ticket, what: str, **changes) -> Ticket:
    """Put a called ticket back into a queue, or void it there if it is a ghost (§8.4 bug 6)."""
    _release_counter(st, t.holder, t.call_id)
    t = replace(t, status=TRANSITIONS[(t.status, what)], holder=None, call_id=None, **changes)
    if t.ghost:
        t = replace(t, status=TRANSITIONS[(t.status, "ticket.void_ghost")])
        step.emit("ticket.void_ghost", {"ticket": t.key, "req": t.issue_req})
    return _put(st, t)


def _retract(st: QueueState, step: Step, t: Ticket) -> None:
    """Undo a live call nobody acted on: the visitor keeps their place (order key)."""
    call, counter = t.call_id, t.holder
    st.recent_calls[:] = [r for r in st.recent_calls if r["call"] != call]
    _requeue(st, step, t, "call.retracted")
    step.emit("call.retracted", {"call": call, "counter": counter, "ticket": t.key})


def _note_call(st: QueueState, t: Ticket, counter: str, step: Step, kind: str) -> None:
    st.recent_calls.insert(
        0,
        {
            "ticket": t.key,
            "label": t.label,
            "service": t.service,
            "counter": counter,
            "call": t.call_id,
            "kind": kind,
            "est_ms": step.est_ms,
            "hseq": step.hseq,
        },
    )
    del st.recent_calls[RECENT_CALLS:]


def _finishes_its_call(t: Ticket, counter: str, e: Event) -> bool:
    # A finish event names the call it ends in deps; without deps it ends the live call.
    return t.status == C and t.holder == counter and (not e.deps or t.call_id in e.deps)


def on_issued(st: QueueState, step: Step) -> None:
    e, b = step.event, step.event.body
    number = b["number"]
    if number is not None:
        st.note_number(b["day"], b["service"], number)
    if e.ticket in st.tickets:
        _reject(st, step, "duplicate_ticket")
        return
    t = Ticket(
        key=e.ticket,
        day=b["day"],
        service=b["service"],
        label=b["label"],
        number=number,
        status=W,
        order=(b["priority"], step.est_ms, step.hseq),
        issued_by=b["kiosk"],
        issue_req=e.req,
        mode=b["mode"],
        priority=b["priority"],
        issued_ms=step.est_ms,
        public=b.get("public"),
        category=b.get("category"),
    )
    booking = st.bookings.get(b.get("booking") or "")
    if booking is not None and booking["ticket"] is None:
        booking["ticket"] = t.key
    if e.req is not None:
        # Same req twice = one button press: the ticket the kiosk printed is real; a ticket the
        # hub issued online for it (reply lost, never printed) is a ghost.
        if t.mode == "online":
            if e.req in st.printed_reqs:
                t = replace(t, ghost=True, status=TRANSITIONS[(W, "ticket.void_ghost")])
                step.emit("ticket.void_ghost", {"ticket": t.key, "req": e.req})
            else:
                st.online_reqs.setdefault(e.req, t.key)
        else:
            st.printed_reqs.setdefault(e.req, t.key)
            ghost_key = st.online_reqs.get(e.req)
            ghost = st.tickets.get(ghost_key) if ghost_key else None
            if ghost is not None and not ghost.ghost:
                ghost = _put(st, replace(ghost, ghost=True))
                if ghost.status == W:
                    _put(st, replace(ghost, status=TRANSITIONS[(W, "ticket.void_ghost")]))
                    step.emit("ticket.void_ghost", {"ticket": ghost.key, "req": e.req})
    _put(st, t)


def on_called(st: QueueState, step: Step) -> None:
    e, b = step.event, step.event.body
    counter = b["counter"]
    if e.req is not None:
        earlier = st.online_calls.get(e.req)
        if earlier is not None and earlier != e.id:
            # The counter's fallback call reuses the req of a hub call it never saw.
            ghost_call = st.tickets.get(st.call_tickets.get(earlier, ""))
            if ghost_call is not None and ghost_call.status == C and ghost_call.call_id == earlier:
                _retract(st, step, ghost_call)
        elif b["mode"] == "online":
            st.online_calls[e.req] = e.id
    t = st.tickets.get(e.ticket)
    if t is None or step_to(t, e.type) is None or t.service != b["expect_service"]:
        winner = None
        if t is not None:
            winner = t.holder if t.status == C else t.served_by
            _put(st, replace(t, callers=t.callers | {counter}))
        _reject(st, step, "call_lost")
        step.emit(
            "call.superseded",
            {"call": e.id, "counter": counter, "winner": winner, "ticket": e.ticket},
        )
        return
    _accept_call(st, step, t, counter, "called")


def _accept_call(st: QueueState, step: Step, t: Ticket, counter: str, kind: str) -> None:
    """Make ``step.event`` the live call of ``t`` at ``counter``."""
    e = step.event
    cs = st.counter(counter)
    held = st.tickets.get(cs.current) if cs.current else None
    if held is not None and held.key != t.key and held.status == C and held.holder == counter:
        # One live call per counter (§8.4 bug 5): whatever else it "holds" was never shown.
        _retract(st, step, held)
    t = _put(
        st,
        replace(
            t,
            status=TRANSITIONS[(t.status, e.type)],
            holder=counter,
            call_id=e.id,
            callers=t.callers | {counter},
            called_ms=step.est_ms,
            finished_ms=None,
            recalls=t.recalls + (kind == "recalled"),
        ),
    )
    st.call_tickets[e.id] = t.key
    st.counters[counter] = replace(st.counter(counter), current=t.key, call_id=e.id, label=t.label)
    if kind == "called":
        # The priority rule counts the calls each counter made in each lane (core.priority).
        st.lanes[counter] = priority.after_call(st.lanes.get(counter), priority.is_priority(t))
    _note_call(st, t, counter, step, kind)


def _ticket_or_reject(st: QueueState, step: Step) -> Ticket | None:
    t = st.tickets.get(step.event.ticket)
    if t is None:
        _reject(st, step, "unknown_ticket")
    return t


def on_recalled(st: QueueState, step: Step) -> None:
    e, counter = step.event, step.event.body["counter"]
    t = _ticket_or_reject(st, step)
    if t is None:
        return
    if t.status == N and counter in t.callers:
        # The skipped visitor turned up after all: a counter that called them calls again,
        # and the recall becomes the live call that later finish events name in deps.
        # Only within the grace window; after it the no-show is final, except for a recall
        # the hub made with a reason (audited as an out-of-order call).
        if not in_grace(st, t, step.est_ms) and not (e.origin == "hub" and e.body.get("reason")):
            _reject(st, step, "grace_over")
            return
        _accept_call(st, step, t, counter, "recalled")
        return
    if not _finishes_its_call(t, counter, e):
        _reject(st, step, "not_holder")
        return
    t = _put(st, replace(t, status=TRANSITIONS[(t.status, e.type)], recalls=t.recalls + 1))
    _note_call(st, t, counter, step, "recalled")


def grace_ms(st: QueueState) -> int:
    """How long after SKIP a no-show may still be recalled (catalogue mpp.no_show_grace_s)."""
    mpp = st.catalogue.mpp
    return 1000 * (mpp.no_show_grace_s if mpp is not None else DEFAULT_GRACE_S)


def in_grace(st: QueueState, t: Ticket, at_ms: int) -> bool:
    """Whether the no-show ``t`` may still be recalled at ``at_ms`` (its skip's time + grace)."""
    return t.status == N and at_ms - (t.finished_ms or 0) <= grace_ms(st)


def on_skipped(st: QueueState, step: Step) -> None:
    e, counter = step.event, step.event.body["counter"]
    t = _ticket_or_reject(st, step)
    if t is None:
        return
    if not _finishes_its_call(t, counter, e):
        _reject(st, step, "not_holder")
        return
    _release_counter(st, counter, t.call_id)
    _put(
        st,
        replace(
            t,
            status=TRANSITIONS[(t.status, e.type)],
            holder=None,
            call_id=None,
            finished_ms=step.est_ms,
        ),
    )


def on_done(st: QueueState, step: Step) -> None:
    e, counter = step.event, step.event.body["counter"]
    t = _ticket_or_reject(st, step)
    if t is None:
        return
    if t.status == S:
        if t.served_by != counter:
            step.emit(
                "anomaly.double_service",
                {"ticket": t.key, "first": t.served_by, "second": counter},
            )
        _reject(st, step, "already_served")
        return
    own_call = _finishes_its_call(t, counter, e)
    # A done from any counter that called this ticket is evidence it served the visitor,
    # even if its call lost or was skipped since (§4: "evidence beats a call").
    if not own_call and not (counter in t.callers and step_to(t, e.type) is not None):
        _reject(st, step, "not_holder")
        return
    other = t.holder if t.status == C and t.holder != counter else None
    if other is not None:
        step.emit(
            "call.superseded",
            {"call": t.call_id, "counter": other, "winner": counter, "ticket": t.key},
        )
    _release_counter(st, t.holder, t.call_id)
    t = _put(
        st,
        replace(
            t,
            status=TRANSITIONS[(t.status, e.type)],
            holder=None,
            call_id=None,
            served_by=counter,
            finished_ms=step.est_ms,
        ),
    )
    cs = st.counter(counter)
    if cs.current == t.key:
        cs = replace(cs, current=None, call_id=None, label=None)
    st.counters[counter] = replace(cs, last_done=t.key)
    if own_call and t.called_ms is not None:
        st.note_service_time(t.service, step.est_ms - t.called_ms)


def on_transferred(st: QueueState, step: Step) -> None:
    e, b = step.event, step.event.body
    t = st.tickets.get(e.ticket)
    if t is None or not _finishes_its_call(t, b["counter"], e):
        _reject(st, step, "not_holder" if t else "unknown_ticket")
        step.emit("transfer.rejected", {"event": e.id, "counter": b["counter"], "ticket": e.ticket})
        return
    order = t.order
    if b.get("first"):
        # Put first (the counter's catalogue transfer_first): ahead of everyone of the same
        # priority who was not put first too; among those, in transfer order.
        order = (*t.order[:-2], -1, step.hseq)
    _requeue(st, step, t, e.type, service=b["to"], transfers=(*t.transfers, b["to"]), order=order)


def on_cancelled(st: QueueState, step: Step) -> None:
    e = step.event
    t = _ticket_or_reject(st, step)
    if t is None:
        return
    new = step_to(t, e.type)
    if new is None:
        _reject(st, step, f"not_live:{t.status}")
        return
    _release_counter(st, t.holder, t.call_id)
    _put(st, replace(t, status=new, holder=None, call_id=None, finished_ms=step.est_ms))


def on_rated(st: QueueState, step: Step) -> None:
    e, b = step.event, step.event.body
    t = st.tickets.get(e.ticket)
    if t is None:
        reason = "unknown_ticket"
    elif step_to(t, e.type) is None:
        reason = "not_served"
    elif t.served_by != b["counter"]:
        reason = "not_served_here"
    elif t.rating is not None:
        reason = "already_rated"
    else:
        _put(st, replace(t, rating=b["score"]))
        return
    _reject(st, step, reason)
    step.emit("rating.rejected", {"event": e.id, "reason": reason, "ticket": e.ticket})


def on_survey_answered(st: QueueState, step: Step) -> None:
    """Marks the ticket surveyed; the hub checked the answers before writing (hub-only)."""
    e = step.event
    t = st.tickets.get(e.ticket)
    if t is None:
        _reject(st, step, "unknown_ticket")
    elif step_to(t, e.type) is None:
        _reject(st, step, f"not_served:{t.status}")
    elif t.surveyed:
        _reject(st, step, "already_surveyed")
    else:
        _put(st, replace(t, surveyed=True))


def on_lease_granted(st: QueueState, step: Step) -> None:
    b = step.event.body
    st.note_number(b["day"], b["service"], b["hi"])
    st.leases[step.event.id] = {**b, "released": False}


def on_lease_released(st: QueueState, step: Step) -> None:
    b = step.event.body
    for lease in st.leases.values():
        if (lease["kiosk"], lease["service"], lease["day"]) == (b["kiosk"], b["service"], b["day"]):
            lease["released"] = True


def on_roster(st: QueueState, step: Step) -> None:
    b = step.event.body
    cs: CounterState = st.counter(b["counter"])
    st.counters[cs.id] = replace(cs, services=tuple(b["services"]), open=b["open"])


def on_paused(st: QueueState, step: Step) -> None:
    """A counter paused (or resumed) itself offline: it calls nobody meanwhile, drops out of
    the residue classes and the waiting estimates, like a roster.updated with open=false."""
    cs: CounterState = st.counter(step.event.body["counter"])
    st.counters[cs.id] = replace(cs, open=step.event.type == "counter.resumed")


def on_audit(st: QueueState, step: Step) -> None:
    """A record for the supervisor (hub.audit counts them); the queue has nothing to change:
    the out-of-order action itself is its own event, committed with this one."""


def on_hello(st: QueueState, step: Step) -> None:
    """Clock anchoring is the hub's business; the queue has nothing to change."""


def on_booking_made(st: QueueState, step: Step) -> None:
    """An online booking the kiosk may check in (``ticket`` = the ticket it became)."""
    b = step.event.body
    st.bookings.setdefault(
        b["code_hash"],
        {
            "service": b["service"],
            "date": b["date"],
            "session": b["session"],
            "expires_ms": b.get("expires_ms"),
            "ticket": None,
        },
    )


def on_catalogue_set(st: QueueState, step: Step) -> None:
    """One entity created or replaced. A counter's configured services become its roster
    (its open flag stays: pausing is the roster's business, not the catalogue's)."""
    b = step.event.body
    if step.hseq <= st.catalogue.hseq:
        return  # already in a catalogue this state started from (a node's cache)
    try:
        st.catalogue = st.catalogue.with_set(b["kind"], b["id"], b["value"], step.hseq)
    except (TypeError, ValueError, KeyError) as exc:
        _reject(st, step, f"bad_catalogue_value: {exc}")
        return
    if b["kind"] == "counter":
        cs = st.counter(b["id"])
        services = st.catalogue.counters[b["id"]].services
        st.counters[cs.id] = replace(cs, services=tuple(services))


def on_catalogue_retired(st: QueueState, step: Step) -> None:
    """The entity is gone from now on; tickets naming it stay as they are. A retired
    counter serves nothing (it drops out of every residue class)."""
    b = step.event.body
    if step.hseq <= st.catalogue.hseq:
        return
    st.catalogue = st.catalogue.with_retired(b["kind"], b["id"], step.hseq)
    if b["kind"] == "counter" and b["id"] in st.counters:
        st.counters[b["id"]] = replace(st.counters[b["id"]], services=(), open=False)


def on_device_status(st: QueueState, step: Step) -> None:
    """The latest status of each node's devices (contract C4), for pages that follow the
    log: the supervisor sees "counter C3: display fault" without asking the hub's RAM."""
    b = step.event.body
    st.devices.setdefault(b["node"], {})[b["device"]] = {
        "status": b["status"],
        "detail": b["detail"],
        "hseq": step.hseq,
        "at_ms": step.est_ms,
    }


def on_running_text(st: QueueState, step: Step) -> None:
    """The hall's running text line of one zone (``"*"``: every screen); "" clears it."""
    b = step.event.body
    zone = b["zone"] or "*"
    if b["text"]:
        st.running_text[zone] = b["text"]
    else:
        st.running_text.pop(zone, None)


def on_kiosk_reprint(st: QueueState, step: Step) -> None:
    """A command to one kiosk's printer (node.roles.kiosk acts on it); no queue state."""


def on_day_closed(st: QueueState, step: Step) -> None:
    """The service day is over: its tickets leave the live state (the hub archived them and
    named the live ones in ``not_served``). A node folds the same, so it drops them too."""
    st.drop_day(step.event.body["day"])


HANDLERS = {
    "ticket.issued": on_issued,
    "ticket.called": on_called,
    "ticket.recalled": on_recalled,
    "ticket.skipped": on_skipped,
    "ticket.done": on_done,
    "ticket.transferred": on_transferred,
    "ticket.cancelled": on_cancelled,
    "ticket.rated": on_rated,
    "survey.answered": on_survey_answered,
    "lease.granted": on_lease_granted,
    "lease.released": on_lease_released,
    "roster.updated": on_roster,
    "node.hello": on_hello,
    "counter.paused": on_paused,
    "counter.resumed": on_paused,
    "audit.out_of_order": on_audit,
    "catalogue.set": on_catalogue_set,
    "catalogue.retired": on_catalogue_retired,
    "device.status": on_device_status,
    "hall.running_text": on_running_text,
    "kiosk.reprint": on_kiosk_reprint,
    "booking.made": on_booking_made,
    "day.closed": on_day_closed,
}
