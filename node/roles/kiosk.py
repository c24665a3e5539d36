"""Kiosk: a service button prints a ticket, online from the hub or offline from a lease.

Online (notes/sync.md §5.8): ``POST /api/v1/tickets {req, service, kiosk, priority, public}``
with retries that reuse the req; the hub's ``ticket.issued`` event is logged here *before* the
ticket is printed, so after a hub restore it can be re-pushed (§5.5, last rule).
Offline, or when the reply is lost: the next free number of a standby lease, taken from a
``LeaseBook`` derived from the durable log (never from RAM, §8.5), logged as
``ticket.issued mode=lease`` with the same req (the hub then voids its ghost), then printed
with the offline mark. No lease left: a prefix number (``B-K1-1``), ugly on purpose.
Leases are topped up while online when fewer than half of the last block remain.

Which services the buttons offer is the catalogue's (``kiosk`` entry, contract C1): an admin
edit reaches the kiosk through the feed and the keypad follows it at the next press. The node
profile's ``services`` only stand in while the catalogue it knows has no entry for it (first
boot with the hub never reached, a cache from an older release). A retired kiosk offers nothing.

A node profile can only check its services' syntax; whether they exist, and are offered at
this kiosk, the catalogue says. Once it is known, a profile service the hub does not know or
offer here is a config problem: shown by ``loket node status``, and while the profile's list
stands in, its button issues nothing (an offline ticket for it would be printed, then refused
by the hub: a visitor holding a number nobody calls).
"""

from __future__ import annotations

import logging
import secrets
import string
from datetime import datetime
from zoneinfo import ZoneInfo

from core import booking as bookings
from core.numbering import LeaseBook, format_label, prefix_label, service_day, ticket_key
from node.roles.base import Context, Role, config_value

log = logging.getLogger(__name__)

# Simulation keypad: a, b, c, d ... -> the kiosk's services in configured order.
KEYPAD = string.ascii_lowercase


class KioskRole(Role):
    """Issues and prints tickets for the services the catalogue gives this kiosk."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.profile_services: list[str] = list(
            config_value(ctx.config, "node", "services", None) or []
        )
        self.last_ticket: dict | None = None
        self.last_error: str | None = None
        self.print_failures = 0
        # service -> the day we last asked a lease for (RAM only: it limits requests, the
        # numbers themselves always come from the log).
        self._asked: dict[str, str] = {}

    @property
    def services(self) -> list[str]:
        """This kiosk's services now: the catalogue's, else (no catalogue yet) the profile's."""
        catalogue = self.ctx.catalogue()
        mine = catalogue.kiosks.get(self.ctx.node_id)
        if mine is not None:
            return list(mine.services)
        if self.ctx.node_id in catalogue.retired("kiosk"):
            return []
        return self.profile_services

    # -- time ----------------------------------------------------------------------------

    def _tz(self) -> ZoneInfo:
        return self.ctx.timezone()

    def _now_ms(self) -> int:
        return self.ctx.outbox.now_ms()

    # -- buttons -------------------------------------------------------------------------

    def service_for(self, name: str) -> str | None:
        services = self.services
        if name in services:
            return name
        if len(name) == 1 and name.lower() in KEYPAD:
            index = KEYPAD.index(name.lower())
            if index < len(services):
                return services[index]
        return None

    def on_button(self, name: str, kind: str = "press") -> None:
        service = self.service_for(name)
        if service is None:
            if not self.services:
                self.last_error = f"kiosk {self.ctx.node_id} offers no service in the catalogue"
            log.info("kiosk %s: no service on button %r", self.ctx.node_id, name)
            return
        problems = self.config_problems(service)
        if problems:
            self.last_error = problems[0]
            log.error("kiosk %s: not issuing %s: %s", self.ctx.node_id, service, problems[0])
            return
        self.issue(service)
        self.maintain()

    def config_problems(self, only: str | None = None) -> list[str]:
        """The profile's services (``[node] services``) the hub's catalogue does not know or
        does not offer at this kiosk (empty until the catalogue is known: then nothing can
        be said). ``only``: the problems of one service."""
        catalogue = self.ctx.catalogue()
        known = list(catalogue.services)
        if not known:
            return []
        mine = catalogue.kiosks.get(self.ctx.node_id)
        offered = list(mine.services) if mine is not None else None
        out = []
        for i, sid in enumerate(self.profile_services):
            if only is not None and sid != only:
                continue
            where = f"node.services[{i}]"
            if sid not in known:
                out.append(
                    f"{where}: service {sid!r} is not a service of the hub; "
                    f"expected one of: {', '.join(known)}"
                )
            elif offered is not None and sid not in offered:
                out.append(
                    f"{where}: the hub's catalogue does not offer {sid!r} at kiosk "
                    f"{self.ctx.node_id}; expected one of: {', '.join(offered) or '(none)'}"
                )
        return out

    # -- issuing -------------------------------------------------------------------------

    def issue(self, service: str) -> dict | None:
        """Issue, log (fsync) and print one ticket; returns its ``ticket.issued`` event."""
        ctx = self.ctx
        req = ctx.outbox.new_req()
        public = secrets.token_urlsafe(12)
        answer = ctx.rpc(
            "POST",
            "/api/v1/tickets",
            {"req": req, "service": service, "kiosk": ctx.node_id, "priority": 0, "public": public},
        )
        if answer is not None:
            status, body = answer
            if status in (200, 201) and isinstance(body.get("event"), dict):
                event = body["event"]
                ctx.outbox.store_foreign(event)  # durable before it is printed
                self._print(event, body, offline=False)
                return event
            self.last_error = f"{body.get('error')}: {body.get('message')}"
            log.warning("hub refused a ticket for %s: %s", service, self.last_error)
            return None
        now = self._now_ms()  # one reading for the service day and the printed time
        event = self._issue_offline(service, req, public, now)
        ctx.sync.wake()
        self._print(event, None, offline=True, now_ms=now)
        return event

    # -- online bookings (issue 12) ------------------------------------------------------

    def on_scan(self, text: str) -> dict | None:
        """What a USB scanner (a keyboard) or the touchscreen's code field sent: a booking
        code checks in; anything else is ignored (logged), never a ticket."""
        if len(bookings.normalize(text)) != bookings.LENGTH:
            log.info("scan %r is not a booking code; ignored", text[:40])
            self.last_error = "not_a_booking_code"
            return None
        return self.check_in(text)

    def check_in(self, code: str) -> dict | None:
        """Check a booked citizen in: a ticket that joins the queue now, like a walk-in.

        Decided from the kiosk's own fold (the hub's ``booking.made`` events it received,
        its own check-ins), so it works while the hub or the internet is down for every
        booking synced before. The ticket is a node event carrying the booking's hash
        (``ticket.issued`` from a lease, or a prefix number), logged before it is printed.
        Refusals (``last_error``): unknown_booking, wrong_day, booking_expired,
        already_checked_in, service_not_here.
        """
        ctx = self.ctx
        key = bookings.code_hash(code)
        state = ctx.view.state()
        found = state.bookings.get(key)
        now = self._now_ms()
        problem = None
        if found is None:
            problem = "unknown_booking"
        elif found["ticket"] is not None:
            problem = "already_checked_in"
        elif found["date"] != service_day(now, self._tz()):
            problem = "wrong_day"
        elif found.get("expires_ms") is not None and now > found["expires_ms"]:
            problem = "booking_expired"
        elif found["service"] not in self.services:
            problem = "service_not_here"
        if problem is not None:
            self.last_error = problem
            log.info("booking check-in refused: %s", problem)
            return None
        req = ctx.outbox.new_req()
        public = secrets.token_urlsafe(12)
        event = self._issue_offline(found["service"], req, public, now, booking=key)
        ctx.sync.wake()
        # Printed like any ticket the hub has not confirmed yet (its small offline mark).
        self._print(event, None, offline=True, now_ms=now)
        return event

    def _issue_offline(
        self, service: str, req: str, public: str, now_ms: int, booking: str | None = None
    ) -> dict:
        ctx = self.ctx
        day = service_day(now_ms, self._tz())
        prefix = ctx.service_info(service).get("prefix") or service
        book = LeaseBook.from_events(ctx.node_id, ctx.outbox.events())
        free = book.next_free(day, service)
        if free is not None:
            number, lease_id = free
            label, mode, deps = format_label(prefix, number), "lease", [lease_id]
        else:
            number, lease_id = None, None
            n = book.next_prefix_n(day, service)
            label, mode, deps = prefix_label(prefix, ctx.node_id, n), "prefix", []
        body = {
            "service": service,
            "number": number,
            "label": label,
            "day": day,
            "mode": mode,
            "kiosk": ctx.node_id,
            "priority": 0,
            "lease": lease_id,
            "public": public,
        }
        if booking is not None:
            body["booking"] = booking
        return ctx.outbox.append_own(
            "ticket.issued", body, ticket=ticket_key(day, label), req=req, deps=deps
        )

    def _print(
        self, event: dict, answer: dict | None, *, offline: bool, now_ms: int | None = None
    ) -> None:
        from node.hardware.printer import TicketPrint

        ctx = self.ctx
        body = event["body"]
        info = ctx.service_info(body["service"])
        people_ahead = est_wait = None
        status_url = None
        if answer is not None:
            people_ahead = answer.get("people_ahead")
            est_wait = answer.get("est_wait_min")
            status_url = answer.get("status_url")
        else:
            state = ctx.view.state()
            if event["ticket"] in state.tickets:
                people_ahead = state.position(event["ticket"])
        if status_url is None and body.get("public") and ctx.hub_url:
            status_url = f"{ctx.hub_url.rstrip('/')}/t/{body['public']}"
        if status_url and status_url.startswith("/") and ctx.hub_url:
            status_url = ctx.hub_url.rstrip("/") + status_url
        # The hub's event carries the hub's (trusted) time; offline, the HLC-corrected time.
        wall = (event.get("clock") or {}).get("wall_ms") if not offline else now_ms
        issued = datetime.fromtimestamp((wall or self._now_ms()) / 1000, self._tz())
        ticket = TicketPrint(
            label=body["label"],
            service_name=info.get("name") or body["service"],
            agency_name=ctx.agency_name(info.get("agency")),
            mpp_name=ctx.mpp_name(),
            issued_at=issued.strftime("%d-%m-%Y %H:%M"),
            people_ahead=people_ahead,
            est_wait_min=est_wait,
            status_url=status_url,
            offline=offline,
            lang=config_value(ctx.config, "sound", "lang", "id") or "id",
        )
        self.last_ticket = {"label": body["label"], "mode": body["mode"], "offline": offline}
        printer = ctx.devices.printer
        if printer is None:
            return
        try:
            printer.print_ticket(ticket)
        except Exception as err:
            # Logged but not printed: nobody holds this number, so take it out of the queue
            # rather than leave a ticket staff would call in vain.
            self.print_failures += 1
            self.last_error = f"print failed: {err}"
            log.error("printing %s failed: %s; cancelling it", body["label"], err)
            ctx.outbox.append_own(
                "ticket.cancelled",
                {"by": ctx.node_id, "reason": "print_failed"},
                ticket=event["ticket"],
                req=ctx.outbox.new_req(),
                deps=[event["id"]],
            )
            ctx.sync.wake()

    # -- leases --------------------------------------------------------------------------

    def maintain(self) -> None:
        """Top up standby leases while online (fewer than half of the last block left)."""
        ctx = self.ctx
        if ctx.sync.online is not True:
            return
        day = service_day(self._now_ms(), self._tz())
        book = LeaseBook.from_events(ctx.node_id, ctx.outbox.events())
        for service in self.services:
            latest = self._latest_lease(service)
            if latest is not None and latest["day"] == day:
                if book.remaining(day, service) * 2 >= latest["hi"] - latest["lo"] + 1:
                    continue
            elif self._asked.get(service) == day:
                # We asked for our day and the hub granted another one: the hub's clock
                # decides the service day; asking again would only burn numbers.
                continue
            self._asked[service] = day
            answer = ctx.rpc(
                "POST",
                "/api/v1/leases",
                {"req": ctx.outbox.new_req(), "kiosk": ctx.node_id, "service": service},
                attempts=1,
            )
            if answer is None:
                return
            status, body = answer
            if status in (200, 201) and isinstance(body.get("event"), dict):
                ctx.outbox.store_foreign(body["event"])
            else:
                log.info("no lease for %s: %s", service, body.get("error"))

    def _latest_lease(self, service: str) -> dict | None:
        latest = None
        for ev in self.ctx.outbox.events():
            b = ev.get("body") or {}
            if (
                ev.get("type") == "lease.granted"
                and b.get("kiosk") == self.ctx.node_id
                and b.get("service") == service
            ):
                latest = b
        return latest

    def status(self) -> dict:
        printer = self.ctx.devices.printer
        try:
            printer_status = str(printer.status()) if printer is not None else None
        except Exception as err:
            printer_status = f"error: {err}"
        day = service_day(self._now_ms(), self._tz())
        book = LeaseBook.from_events(self.ctx.node_id, self.ctx.outbox.events())
        return {
            "printer": printer_status,
            "last_ticket": self.last_ticket,
            "lease_remaining": {s: book.remaining(day, s) for s in self.services},
            "last_error": self.last_error,
            "config_problems": self.config_problems() or None,
        }
