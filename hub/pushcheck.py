"""Push authorised by content: what a node may write, event by event.

A device token proves *who* pushes; this module decides whether *what* it pushes is that
device's to write. ``check`` answers None (accept) or a reason ``"<code>: <detail>"`` that the
push answer carries back; a rejected event never enters the log.

**The carry rule.** A node writes as itself: ``origin`` must be the pushing node. The one
exception is a *carry*: after a hub restore, nodes re-push every primary event they hold,
also hub events and other nodes' events they pulled (docs/sync.md §5.4), because the restored
hub lost them. Such a foreign event is accepted only with this hub's receipt
(``hub.receipts``): proof that this hub logged exactly this event before. An event the hub
already holds is a no-op whoever pushes it (the caller checks that first). A current-epoch
hub event the hub does not hold is forged (it could not have been lost). So an event with
``origin = "hub"`` or another node's id and no valid receipt is refused
(``foreign_event``), and so is every derived type (``hub.pushgate.parse_pushed``).

**Own events**, by role (:data:`ROLE_TYPES`; anything else is ``type_not_allowed``):

- kiosk: ``ticket.issued`` in ``lease`` mode (a number inside a ``lease.granted`` the hub gave
  *this* kiosk for that service and day, the label ``format_label(prefix, number)``, ``deps``
  naming the lease) or ``prefix`` mode (label ``<prefix>-<kiosk id>-<n>``), for a service the
  kiosk offers, ``body.kiosk`` itself; a check-in (``body.booking``) of a booking the hub
  holds for that service and day, not used before (``unknown_booking``, ``booking_used``);
  ``ticket.cancelled`` of a ticket this kiosk issued (``by`` itself, ``deps`` naming the
  issue: a print that failed); ``node.hello``. Online numbers, leases, releases and roster
  changes are the hub's.
- counter: ``ticket.called`` (``mode`` offline), ``ticket.recalled|skipped|done|transferred|
  rated`` with ``body.counter`` its own counter, services that exist, a well-formed ticket key
  of a plausible day; ``counter.paused|resumed`` of its own counter (an offline pause);
  ``node.hello``.
- display: ``node.hello`` only.

**Domains** for every event: bounded envelope strings, a ticket key ``YYYY-MM-DD/LABEL`` whose
day is between 2020-01-01 and the hub's service day + :data:`MAX_DAYS_AHEAD`, priorities
-9..9, clock fields (``wall_ms``, ``mono_ms``, ``boot_id``, the HLC) in range: a ``mono_ms``
of 1e17 would otherwise become the boot's clock anchor and place every later event of that
boot in the year -3 million.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.clock import MAX_MONO_MS, MAX_WALL_MS
from core.events import HUB_ONLY_TYPES, Event
from core.numbering import format_label, parse_key
from hub import identity

ROLE_TYPES: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"ticket.issued", "ticket.cancelled", "node.hello"}),
    "counter": frozenset(
        {
            "ticket.called",
            "ticket.recalled",
            "ticket.skipped",
            "ticket.done",
            "ticket.transferred",
            "ticket.rated",
            # an offline pause/resume (a button hold) of its own counter; online the hub
            # writes roster.updated (hub-only) instead
            "counter.paused",
            "counter.resumed",
            "node.hello",
        }
    ),
    "display": frozenset({"node.hello"}),
}
"""What each device role may push as its own (``device.status``, ``lease.*``, every derived
type and :data:`core.events.HUB_ONLY_TYPES` - ``catalogue.*``, ``roster.updated`` - are the
hub's alone)."""
assert not any(HUB_ONLY_TYPES & types for types in ROLE_TYPES.values())

MAX_NUMBER = 99_999
MAX_EVENT_CHARS = 4096  # an honest event is ~500 characters
FIRST_DAY = date(2020, 1, 1)
MAX_DAYS_AHEAD = 2
"""How far after the hub's service day a ticket key may be. A kiosk dates an offline ticket
by the hub's time carried on by its boot clock (``node.outbox.Outbox.now_ms``), so a ticket
ahead of the hub's day means the hub's own clock stepped back after the kiosk last heard it,
or a kiosk a little fast at midnight: one day for each. Such a ticket was printed and is
logged (its estimate flagged ``est_clamped`` for the supervisor); refusing it would lose a
ticket a visitor holds. Further ahead is poison: refused (``bad_day``)."""
_ORIGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_INC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_HLC = re.compile(r"\d{13}\.\d{5}\.[!-~]{1,64}")
_PUBLIC = re.compile(r"[A-Za-z0-9_-]{12,64}")
_BOOT = re.compile(r"[!-~]{1,64}")
_CLOCK_KEYS = frozenset({"wall_ms", "mono_ms", "boot_id"})


@dataclass(frozen=True)
class Context:
    """What a check may look at: the folded catalogue, the hub's service day, earlier
    events (``find(id)``: logged, held, or earlier in the same push), the online bookings the
    hub holds (``QueueState.bookings``) and the booking hashes checked in by events held or
    accepted earlier in this push (``checked_in``: :func:`check` adds to it)."""

    catalogue: Any
    today: str
    find: Callable[[str], dict | None]
    bookings: Mapping[str, dict] = field(default_factory=dict)
    checked_in: set[str] = field(default_factory=set)
    # (kiosk, service, ticket day) -> taken off that kiosk on or after that day (hub.withdrawn)
    withdrawn: Callable[[str, str, str], bool] = lambda kiosk, service, day: False


def hub_only(raw: Any) -> str | None:
    """A pushed event of a type only the hub writes (:data:`core.events.HUB_ONLY_TYPES`:
    the catalogue and the live roster) under any origin but the hub's, refused before it is
    parsed; the hub's own, carried after a restore, go on to the receipt check."""
    etype = raw.get("type") if isinstance(raw, dict) else None
    # a type that is not a string (a fuzzed {} or []) is not hashable: parsing refuses it
    if isinstance(etype, str) and etype in HUB_ONLY_TYPES and raw.get("origin") != "hub":
        return f"hub_only: {etype} is written by the hub only; a node never pushes it"
    return None


def envelope(event: Event, text: str) -> str | None:
    """Bounds every pushed event must respect, carried or own (cheap; runs first); ``text``
    is its canonical text (``hub.pushgate.canonical``)."""
    if len(text) > MAX_EVENT_CHARS:
        return f"too_large: an event longer than {MAX_EVENT_CHARS} characters"
    if len(event.id) > 160 or (event.req is not None and len(event.req) > 160):
        return "bad_envelope: id or req longer than 160 characters"
    if not _ORIGIN.fullmatch(event.origin) or not _INC.fullmatch(event.inc):
        return "bad_envelope: origin or inc is not an id"
    if event.seq > 2**53:
        return "bad_envelope: seq out of range"
    if event.ticket is not None and len(event.ticket) > 80:
        return "bad_envelope: ticket longer than 80 characters"
    if len(event.deps) > 16 or any(len(d) > 160 for d in event.deps):
        return "bad_envelope: more than 16 deps or a dep longer than 160 characters"
    if event.hlc and not _HLC.fullmatch(event.hlc):
        return "bad_clock: hlc must be <13 digits>.<5 digits>.<node>"
    problem = _clock_problem(event.clock, "clock")
    if problem:
        return problem
    return None


def _clock_problem(clock: dict, where: str) -> str | None:
    extra = set(clock) - _CLOCK_KEYS
    if extra:
        return f"bad_clock: {where} has unknown keys {', '.join(sorted(map(str, extra)))}"
    if "wall_ms" in clock and not 0 <= clock["wall_ms"] <= MAX_WALL_MS:
        return f"bad_clock: {where}.wall_ms out of range 0..{MAX_WALL_MS}"
    if "mono_ms" in clock and not 0 <= clock["mono_ms"] <= MAX_MONO_MS:
        return f"bad_clock: {where}.mono_ms out of range 0..{MAX_MONO_MS}"
    boot = clock.get("boot_id")
    if boot is not None and (not isinstance(boot, str) or not _BOOT.fullmatch(boot)):
        return f"bad_clock: {where}.boot_id must be 1-64 printable characters"
    return None


def check(ctx: Context, node: str, event: Event) -> str | None:
    """None if ``node`` may write ``event`` as its own, else the reason (see the module doc)."""
    if event.origin != node:
        return (
            f"foreign_event: {event.id} is {event.origin}'s and carries no receipt of this "
            f"hub; a node writes only as itself"
        )
    role = identity.device_role(ctx.catalogue, node)  # a retired node still pushes its log
    if role is None or event.type not in ROLE_TYPES[role]:
        return f"type_not_allowed: a {role or 'unknown node'} may not write {event.type}"
    if event.type == "node.hello":
        return _clock_problem(event.body, "body")
    if event.ticket is not None:
        problem = _ticket_key_problem(event.ticket, ctx.today)
        if problem:
            return problem
    if role == "kiosk":
        return _kiosk(ctx, node, event)
    return _counter(ctx, node, event)


def _ticket_key_problem(key: str, today: str) -> str | None:
    try:
        day, _label = parse_key(key)
        parsed = date.fromisoformat(day)
    except ValueError:
        return f"bad_ticket: {key!r} is not a ticket key YYYY-MM-DD/LABEL"
    latest = date.fromisoformat(today) + timedelta(days=MAX_DAYS_AHEAD)
    if not FIRST_DAY <= parsed <= latest:
        return f"bad_day: {day} is not between {FIRST_DAY} and {latest}"
    return None


def _kiosk(ctx: Context, node: str, event: Event) -> str | None:
    body = event.body
    if event.type == "ticket.cancelled":
        return _own_print(ctx, node, event)
    if body["kiosk"] != node:
        return f"other_kiosk: {node} may not issue as kiosk {body['kiosk']}"
    service = body["service"]
    if identity.known_service(ctx.catalogue, service) is None:
        return f"unknown_service: no service {service!r}"
    if service not in identity.kiosk_services(ctx.catalogue, node) and not ctx.withdrawn(
        node, service, body["day"]
    ):
        return f"service_not_at_kiosk: kiosk {node} does not offer {service}"
    if not -9 <= body["priority"] <= 9:
        return "bad_priority: an integer -9..9"
    category = body.get("category")
    if category is not None and (
        ctx.catalogue.mpp is None or ctx.catalogue.mpp.priority.category(category) is None
    ):
        return f"unknown_category: {category!r} is not a priority category of the catalogue"
    public = body.get("public")
    if public is not None and (not isinstance(public, str) or not _PUBLIC.fullmatch(public)):
        return "bad_public: a url-safe id of 12-64 characters"
    prefix = identity.prefix_of(ctx.catalogue, service) or ""
    if body["mode"] == "online":
        return "online_by_hub: online numbers are issued by the hub, never pushed"
    if body["mode"] == "prefix":
        head = f"{prefix}-{node}-"
        tail = body["label"][len(head) :]
        if not body["label"].startswith(head) or not tail.isdigit() or not 1 <= int(tail):
            return f"bad_label: a prefix ticket of {node} reads {head}<n>"
    else:
        problem = _lease_number(ctx, node, event, prefix)
        if problem:
            return problem
    return _booking(ctx, body)


def _booking(ctx: Context, body: dict) -> str | None:
    """A check-in (``body.booking``) names a booking the hub holds (a ``booking.made``), for
    this ticket's service and day, that no ticket has used: a kiosk cannot mint check-ins, and
    two kiosks offline at once cannot both check the same code in. Expiry is the kiosk's call
    (its clock at check-in): the citizen already holds the ticket when the push arrives."""
    key = body.get("booking")
    if key is None:
        return None
    booking = ctx.bookings.get(key)
    if booking is None:
        return "unknown_booking: no booking.made with this code hash reached this hub"
    if (booking["service"], booking["date"]) != (body["service"], body["day"]):
        return (
            f"unknown_booking: the booking is for {booking['service']} on {booking['date']}, "
            f"not {body['service']} on {body['day']}"
        )
    if booking.get("ticket") is not None or key in ctx.checked_in:
        used = booking.get("ticket") or "an earlier event of this push"
        return f"booking_used: the booking was checked in already ({used})"
    ctx.checked_in.add(key)
    return None


def _lease_number(ctx: Context, node: str, event: Event, prefix: str) -> str | None:
    body = event.body
    number = body["number"]
    if not 1 <= number <= MAX_NUMBER:
        return f"bad_number: 1..{MAX_NUMBER}"
    if body["label"] != format_label(prefix, number):
        expected = format_label(prefix, number)
        return f"bad_label: number {number} of service {body['service']} reads {expected}"
    lease_id = body["lease"]
    if not isinstance(lease_id, str) or lease_id not in event.deps:
        return "lease_unknown: a lease ticket names its lease in body.lease and deps"
    lease = ctx.find(lease_id)
    if lease is None or lease.get("type") != "lease.granted":
        return f"lease_unknown: {lease_id} is not a lease this hub granted"
    granted = lease.get("body") or {}
    if granted.get("kiosk") != node:
        return f"lease_not_yours: {lease_id} was granted to {granted.get('kiosk')}"
    if (granted.get("service"), granted.get("day")) != (body["service"], body["day"]):
        return f"outside_lease: {lease_id} is for {granted.get('service')} on {granted.get('day')}"
    if not granted.get("lo", 1) <= number <= granted.get("hi", 0):
        return f"outside_lease: {number} is not in {granted.get('lo')}..{granted.get('hi')}"
    return None


def _own_print(ctx: Context, node: str, event: Event) -> str | None:
    """A kiosk cancels only a ticket it issued itself (its printer failed)."""
    if event.body["by"] != node:
        return f"not_own_ticket: {node} cancels only as itself"
    if len(event.body["reason"]) > 64:
        return "bad_reason: at most 64 characters"
    issue = ctx.find(event.deps[0]) if event.deps else None
    if (
        issue is None
        or issue.get("type") != "ticket.issued"
        or issue.get("ticket") != event.ticket
        or (issue.get("body") or {}).get("kiosk") != node
    ):
        return f"not_own_ticket: {node} may cancel only a ticket it issued (deps = its issue)"
    return None


def _counter(ctx: Context, node: str, event: Event) -> str | None:
    body = event.body
    if body["counter"] != identity.counter_of(ctx.catalogue, node):
        return f"other_counter: {node} may act only at its own counter, not {body['counter']}"
    if event.type == "ticket.called":
        if body["mode"] != "offline":
            return "online_by_hub: online calls are made by the hub, never pushed"
        if identity.known_service(ctx.catalogue, body["expect_service"]) is None:
            return f"unknown_service: no service {body['expect_service']!r}"
    if event.type == "ticket.transferred" and identity.service(ctx.catalogue, body["to"]) is None:
        return f"unknown_service: no service {body['to']!r}"
    return None
