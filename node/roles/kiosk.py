"""Kiosk: a service button prints a ticket, online from the hub or offline from a lease.

Online (docs/sync.md §5.8): ``POST /api/v1/tickets {req, service, kiosk, priority, public}``
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

Before a number is taken the printer is asked whether it can print (``status()``, a short
timeout): out of paper, cover open, a fault or unplugged means no number, the visitor is told
why (screen, LED, ``Outcome``) and the hub's device list shows the fault at once. A print that
fails after the number was taken is retried once; then a kiosk with a screen shows the number
and offers a reprint, one without cancels it (nobody holds it). Every request ends in one
``kiosk_outcome.Outcome`` handed to ``listeners`` (the touchscreen, the button LEDs).

Whether a service may issue now is ``core.calendar`` (contract C2), asked by the hub online
and here over the local view offline: outside hours, on a holiday, past the cut-off or the
capacity, ``issue`` raises ``IssueRefused`` with the code and the visitor's words (the kiosk
screen shows them; the console kiosk prints them). Offline a service with a quota prints only
numbers of its leases inside the current session's range, never prefix numbers
(``core.quota``: the quota is split by leases, so offline kiosks together never pass it); with
none left it refuses ``offline_quota``.

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
from collections.abc import Callable
from zoneinfo import ZoneInfo

from core import booking as bookings
from core import calendar, quota
from core.numbering import LeaseBook, format_label, prefix_label, service_day, ticket_key
from core.priority import priority_value
from node.roles.base import Context, Role, config_value
from node.roles.kiosk_outcome import Outcome, PrinterReporter
from node.roles.kiosk_printer import PrinterCare
from node.roles.kiosk_ticket import TicketContent

log = logging.getLogger(__name__)

# Simulation keypad: a, b, c, d ... -> the kiosk's services in configured order.
KEYPAD = string.ascii_lowercase
REPRINT = "reprint"  # the hidden staff button (held) and the screen's reprint key
STATUS_POLL_S = 5.0


class IssueRefused(Exception):
    """No ticket: ``code`` (``core.calendar.CODES``), ``message`` in the visitor's words,
    ``reopens_ms`` when the service takes numbers again (None: unknown)."""

    def __init__(self, code: str, message: str, reopens_ms: int | None = None, detail: str = ""):
        super().__init__(message)
        self.code, self.message, self.reopens_ms, self.detail = code, message, reopens_ms, detail

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "reopens_ms": self.reopens_ms}


class KioskRole(PrinterCare, TicketContent, Role):
    """Issues and prints tickets for the services the catalogue gives this kiosk."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.profile_services: list[str] = list(
            config_value(ctx.config, "node", "services", None) or []
        )
        self.last_ticket: dict | None = None
        self.last_error: str | None = None
        self.last_refusal: dict | None = None
        self.print_failures = 0
        self.last_outcome: Outcome | None = None
        self.listeners: list[Callable[[Outcome], None]] = []
        self.printer_listeners: list[Callable[[tuple[str, str]], None]] = []
        self.printer_state: tuple[str, str] = ("unknown", "not asked yet")
        self.reporter = PrinterReporter(ctx)
        self.tick_s = float(config_value(ctx.config, "printer", "status_poll_s", STATUS_POLL_S))
        self._last_print: tuple | None = None  # (TicketPrint, event) of the latest ticket
        # service -> the day we last asked a lease for (RAM only: it limits requests, the
        # numbers themselves always come from the log).
        self._asked: dict[str, str] = {}
        # Staff reprints (``kiosk.reprint`` from the admin) count from this boot on: one the
        # hub recorded before it asked for a ticket printed before a restart, which is gone.
        self._boot_ms = ctx.clock.wall_ms()
        self._reprint_hseq = 0

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
        if name == REPRINT:
            if kind == "hold":  # a press on the hidden staff button means nothing
                self.reprint()
            return
        self.request(name)

    def request(self, name: str, category: str | None = None) -> Outcome:
        """A visitor asks for a number of service ``name`` (id or keypad letter)."""
        service = self.service_for(name)
        if service is None:
            if not self.services:
                self.last_error = f"kiosk {self.ctx.node_id} offers no service in the catalogue"
            log.info("kiosk %s: no service on button %r", self.ctx.node_id, name)
            return self._tell(Outcome("no_service", message=self.last_error or ""))
        problems = self.config_problems(service)
        if problems:
            self.last_error = problems[0]
            log.error("kiosk %s: not issuing %s: %s", self.ctx.node_id, service, problems[0])
            return self._tell(Outcome("no_service", service, message=problems[0]))
        state = self.check_printer()
        if not self.can_print(state):
            self.last_error = f"printer cannot print: {state[0]} ({state[1]})"
            return self._tell(Outcome("printer", service, code=state[0], message=state[1]))
        outcome = self._issue(service, category)
        self.maintain()
        return self._tell(outcome)

    def _tell(self, outcome: Outcome) -> Outcome:
        self.last_outcome = outcome
        for listener in list(self.listeners):
            try:
                listener(outcome)
            except Exception:  # the screen failing must not lose the next visitor's number
                log.exception("kiosk outcome listener failed")
        return outcome

    def start(self) -> None:
        """Ask the printer once at boot, so the LEDs light (the hub hears at the first idle
        poll: boot stays free of hub calls)."""
        self.check_printer(report=False)

    def attach_buttons(self, buttons) -> None:
        """Service buttons with LEDs: tell visitors through them (``kiosk_feedback``)."""
        from node.roles.kiosk_feedback import ButtonFeedback

        feedback = ButtonFeedback(self, buttons)
        self.listeners.append(feedback.on_outcome)
        self.printer_listeners.append(feedback.on_printer)

    def lang(self) -> str:
        return config_value(self.ctx.config, "sound", "lang", "id") or "id"

    def now_ms(self) -> int:
        return self._now_ms()

    def timezone(self) -> ZoneInfo:
        return self._tz()

    # -- the printer (kiosk_printer.PrinterCare) ----------------------------------------

    def reprint(self) -> Outcome | None:
        """Print the latest ticket again (staff hold, or the screen after a failed print)."""
        if self._last_print is None:
            return None
        ticket, event = self._last_print
        body = event["body"]
        state = self.check_printer()
        if not self.can_print(state):
            return self._tell(Outcome("printer", body["service"], code=state[0]))
        kind = "printed" if self._print_twice(ticket) else "print_failed"
        return self._tell(
            Outcome(
                kind,
                body["service"],
                label=body["label"],
                offline=ticket.offline,
                ticket=event["ticket"],
                category=body.get("category"),
            )
        )

    def on_records(self, records: list[dict]) -> None:
        """The feed: a staff reprint for this kiosk, recorded since its boot, reprints once."""
        for rec in records:
            ev = rec["event"]
            if ev.get("type") != "kiosk.reprint" or (ev.get("body") or {}).get("kiosk") != (
                self.ctx.node_id
            ):
                continue
            if rec["hseq"] <= self._reprint_hseq or (rec.get("recv_ms") or 0) < self._boot_ms:
                continue
            self._reprint_hseq = rec["hseq"]
            log.info("kiosk %s: staff reprint (%s)", self.ctx.node_id, ev["body"].get("by"))
            self.reprint()

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

    def issue(self, service: str, category: str | None = None) -> dict | None:
        """Issue, log (fsync) and print one ticket; returns its ``ticket.issued`` event.

        ``category``: the priority lane (C3), a catalogue ``mpp.priority.categories`` id.
        Raises ``IssueRefused`` when the calendar, quota or capacity says no (C2)."""
        outcome = self._issue(service, category)
        if outcome.kind == "refused" and self.last_refusal is not None:
            raise IssueRefused(
                outcome.code or "closed", outcome.message, outcome.reopens_ms, self.last_error or ""
            )
        if outcome.ticket is None:
            return None
        return next(
            (e for e in reversed(self.ctx.outbox.events()) if e.get("ticket") == outcome.ticket),
            None,
        )

    def _issue(self, service: str, category: str | None) -> Outcome:
        ctx = self.ctx
        req = ctx.outbox.new_req()
        public = secrets.token_urlsafe(12)
        payload = {"req": req, "service": service, "kiosk": ctx.node_id, "public": public}
        if category is not None:
            payload["category"] = category  # the priority lane (C3): the hub derives the rest
        answer = ctx.rpc("POST", "/api/v1/tickets", payload)
        if answer is not None:
            status, body = answer
            if status in (200, 201) and isinstance(body.get("event"), dict):
                event = body["event"]
                ctx.outbox.store_foreign(event)  # durable before it is printed
                self.last_refusal = None
                return self._print(event, body, offline=False, category=category)
            if status == 409 and body.get("error") in calendar.CODES:
                refused = self._refusal(body["error"], body.get("reopens_ms"), body.get("detail"))
                return self._refused(service, refused, category)
            self.last_error = f"{body.get('error')}: {body.get('message')}"
            log.warning("hub refused a ticket for %s: %s", service, self.last_error)
            reopens = body.get("reopens_ms")
            return Outcome(
                "refused",
                service,
                code=str(body.get("error") or "other"),
                message=str(body.get("message") or ""),
                reopens_ms=reopens if isinstance(reopens, int) else None,
                category=category,
            )
        now = self._now_ms()  # one reading for the service day and the printed time
        try:
            event = self._issue_offline(service, req, public, now, category)
        except IssueRefused as refused:  # the calendar or the quota, over the local view (C2)
            return self._refused(service, refused, category)
        self.last_refusal = None
        ctx.sync.wake()
        return self._print(event, None, offline=True, now_ms=now, category=category)

    def _refused(self, service: str, refused: IssueRefused, category: str | None) -> Outcome:
        """A refusal the visitor is told in words (screen, slip, LED; the console prints it)."""
        self.last_refusal = refused.to_dict()
        self.last_error = f"{refused.code}: {refused.detail or refused.message}"
        log.info("kiosk %s: %s refused: %s", self.ctx.node_id, service, self.last_error)
        notice = self.ctx.devices.notices
        if notice is not None:
            notice(refused.message)
        return Outcome(
            "refused",
            service,
            code=refused.code,
            message=refused.message,
            reopens_ms=refused.reopens_ms,
            category=category,
        )

    def _refusal(self, code: str, reopens_ms: int | None, detail: str | None = "") -> IssueRefused:
        lang = config_value(self.ctx.config, "sound", "lang", "id") or "id"
        words = calendar.describe(code, reopens_ms, self._tz(), lang, self._now_ms())
        return IssueRefused(code, words, reopens_ms, detail or "")

    def _offline_numbers(self, service: str, now_ms: int) -> quota.Range | None:
        """C2 over the local view (raises ``IssueRefused``); the number range offline
        tickets of this service must stay in (None: no quota, a prefix number may do)."""
        state = self.ctx.view.state()
        if service not in state.catalogue.services:
            return None  # no catalogue yet: nothing to check against (the hub checks the push)
        # The quota is not counted here: the leases this kiosk holds are its share of it.
        allowed = calendar.check(state, service, now_ms, count_numbers=False)
        if not allowed.ok:
            raise self._refusal(allowed.code or "closed", allowed.reopens_ms, allowed.detail)
        numbers = allowed.numbers
        return numbers if numbers is not None and numbers.hi is not None else None

    # -- online bookings (issue 12) ------------------------------------------------------

    def on_scan(self, text: str) -> dict | None:
        """What a USB scanner (a keyboard) or the touchscreen's code field sent: a booking
        code checks in; anything else is told as ``not_a_booking_code``, never a ticket."""
        if len(bookings.normalize(text)) != bookings.LENGTH:
            log.info("scan %r is not a booking code; ignored", text[:40])
            self._booking_refused(None, "not_a_booking_code")
            return None
        return self.check_in(text)

    def check_in(self, code: str) -> dict | None:
        """Check a booked citizen in: a ticket that joins the queue now, like a walk-in.

        Decided from the kiosk's own fold (the hub's ``booking.made`` events it received,
        its own check-ins), so it works while the hub or the internet is down for every
        booking synced before. The ticket is a node event carrying the booking's hash
        (``ticket.issued`` from a lease, or a prefix number), logged before it is printed.
        Refusals (``last_error``, and an ``Outcome("refused", code=...)`` to the screen or
        the refusal slip): unknown_booking, wrong_day, booking_expired, already_checked_in,
        service_not_here, or a calendar code (closed now, no lease number left). A printer
        that cannot print takes no number: the booking stays unused.
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
            self._booking_refused(found["service"] if found else None, problem)
            return None
        service = found["service"]
        printer = self.check_printer()
        if not self.can_print(printer):
            self.last_error = f"printer cannot print: {printer[0]} ({printer[1]})"
            self._tell(
                Outcome("printer", service, code=printer[0], message=printer[1], booking=True)
            )
            return None
        req = ctx.outbox.new_req()
        public = secrets.token_urlsafe(12)
        try:
            event = self._issue_offline(service, req, public, now, booking=key)
        except IssueRefused as refused:  # closed now, or no lease number left (C2)
            outcome = self._refused(service, refused, None)
            self._tell(Outcome(**{**outcome.__dict__, "booking": True}))
            return None
        self.last_refusal = None
        ctx.sync.wake()
        # Printed like any ticket the hub has not confirmed yet (its small offline mark).
        outcome = self._print(event, None, offline=True, now_ms=now)
        self._tell(Outcome(**{**outcome.__dict__, "booking": True}))
        return event

    def _booking_refused(self, service: str | None, code: str) -> None:
        self.last_error = code
        self.last_refusal = {"code": code, "message": code, "reopens_ms": None}
        log.info("booking check-in refused: %s", code)
        self._tell(Outcome("refused", service, code=code, booking=True))

    def _issue_offline(
        self,
        service: str,
        req: str,
        public: str,
        now_ms: int,
        category: str | None = None,
        booking: str | None = None,
    ) -> dict:
        ctx = self.ctx
        numbers = self._offline_numbers(service, now_ms)
        day = service_day(now_ms, self._tz())
        prefix = ctx.service_info(service).get("prefix") or service
        book = LeaseBook.from_events(ctx.node_id, ctx.outbox.events())
        free = _usable(book, day, service, numbers)
        if free:
            number, lease_id = free[0]
            label, mode, deps = format_label(prefix, number), "lease", [lease_id]
        elif numbers is not None:
            raise self._refusal("offline_quota", None, f"no lease numbers left in {numbers}")
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
            "priority": priority_value(category),
            "lease": lease_id,
            "public": public,
        }
        if category is not None:
            body["category"] = category
        if booking is not None:
            body["booking"] = booking
        return ctx.outbox.append_own(
            "ticket.issued", body, ticket=ticket_key(day, label), req=req, deps=deps
        )

    def _print(
        self,
        event: dict,
        answer: dict | None,
        *,
        offline: bool,
        now_ms: int | None = None,
        category: str | None = None,
    ) -> Outcome:
        ctx = self.ctx
        body = event["body"]
        ticket = self.ticket_print(event, answer, offline=offline, now_ms=now_ms, category=category)
        self.last_ticket = {"label": body["label"], "mode": body["mode"], "offline": offline}
        self._last_print = (ticket, event)
        done = Outcome(
            "printed",
            body["service"],
            label=body["label"],
            offline=offline,
            ticket=event["ticket"],
            category=category,
        )
        if ctx.devices.printer is None or self._print_twice(ticket):
            return done
        self.print_failures += 1
        if self.has_screen:
            # The number is on the screen with a reprint key: the visitor holds it.
            return Outcome(**{**done.__dict__, "kind": "print_failed", "message": self.last_error})
        # Logged but not printed and nowhere shown: nobody holds this number, so take it out
        # of the queue rather than leave a ticket staff would call in vain.
        log.error("printing %s failed: %s; cancelling it", body["label"], self.last_error)
        self._last_print = None
        ctx.outbox.append_own(
            "ticket.cancelled",
            {"by": ctx.node_id, "reason": "print_failed"},
            ticket=event["ticket"],
            req=ctx.outbox.new_req(),
            deps=[event["id"]],
        )
        ctx.sync.wake()
        return Outcome(
            "printer",
            body["service"],
            code=self.printer_state[0] if not self.can_print(self.printer_state) else "fault",
            message=self.last_error or "",
        )

    @property
    def has_screen(self) -> bool:
        """A touchscreen shows the number when the paper did not: see node.kiosk_ui."""
        return getattr(self.ctx.devices.screen, "shows_numbers", False)

    # -- leases --------------------------------------------------------------------------

    def maintain(self) -> None:
        """Top up standby leases while online (fewer than half of the last block left)."""
        ctx = self.ctx
        if ctx.sync.online is not True:
            return
        now = self._now_ms()
        day = service_day(now, self._tz())
        book = LeaseBook.from_events(ctx.node_id, ctx.outbox.events())
        for service in self.services:
            latest = self._latest_lease(service)
            if latest is not None and latest["day"] == day:
                # Numbers of a session that is over do not count: offline they print nothing.
                left = len(_usable(book, day, service, self._numbers_now(service, now)))
                if left * 2 >= latest["hi"] - latest["lo"] + 1:
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

    def _numbers_now(self, service: str, now_ms: int) -> quota.Range | None:
        catalogue = self.ctx.catalogue()
        svc = catalogue.services.get(service)
        if svc is None:
            return None
        return quota.current_range(svc, calendar.local_minute(catalogue, now_ms)[1])

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
        # status() runs while the status file is written: it asks the printer, never the hub.
        printer = self.ctx.devices.printer
        printer_status = self.check_printer(report=False)[0] if printer else None
        day = service_day(self._now_ms(), self._tz())
        book = LeaseBook.from_events(self.ctx.node_id, self.ctx.outbox.events())
        return {
            "printer": printer_status,
            "last_ticket": self.last_ticket,
            "lease_remaining": {s: book.remaining(day, s) for s in self.services},
            "last_error": self.last_error,
            "printer_detail": self.printer_state[1] if printer_status else None,
            "last_outcome": self.last_outcome.kind if self.last_outcome else None,
            "last_refusal": self.last_refusal,
            "config_problems": self.config_problems() or None,
        }


def _usable(
    book: LeaseBook, day: str, service: str, numbers: quota.Range | None
) -> list[tuple[int, str]]:
    """Free lease numbers this kiosk may print now: inside the session's range if any."""
    free = book.free(day, service)
    if numbers is None or numbers.hi is None:
        return free
    return [(n, lease) for n, lease in free if n in numbers]
