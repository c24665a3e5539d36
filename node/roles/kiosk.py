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

from core.numbering import LeaseBook, format_label, prefix_label, service_day, ticket_key
from node.roles.base import Context, Role, config_value
from node.roles.kiosk_outcome import Outcome, PrinterReporter
from node.roles.kiosk_printer import PrinterCare
from node.roles.kiosk_ticket import TicketContent

log = logging.getLogger(__name__)

# Simulation keypad: a, b, c, d ... -> the kiosk's services in configured order.
KEYPAD = string.ascii_lowercase
REPRINT = "reprint"  # the hidden staff button (held) and the screen's reprint key
# The numeric priority the hub orders by until it reads ``category`` (contract C3).
CATEGORY_PRIORITY = -1
STATUS_POLL_S = 5.0


class KioskRole(PrinterCare, TicketContent, Role):
    """Issues and prints tickets for the services the catalogue gives this kiosk."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.profile_services: list[str] = list(
            config_value(ctx.config, "node", "services", None) or []
        )
        self.last_ticket: dict | None = None
        self.last_error: str | None = None
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
        """Issue, log (fsync) and print one ticket; returns its ``ticket.issued`` event."""
        outcome = self._issue(service, category)
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
        priority = CATEGORY_PRIORITY if category else 0
        answer = ctx.rpc(
            "POST",
            "/api/v1/tickets",
            {
                "req": req,
                "service": service,
                "kiosk": ctx.node_id,
                "priority": priority,
                "category": category,
                "public": public,
            },
        )
        if answer is not None:
            status, body = answer
            if status in (200, 201) and isinstance(body.get("event"), dict):
                event = body["event"]
                ctx.outbox.store_foreign(event)  # durable before it is printed
                return self._print(event, body, offline=False, category=category)
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
        event = self._issue_offline(service, req, public, now, category)
        ctx.sync.wake()
        return self._print(event, None, offline=True, now_ms=now, category=category)

    def _issue_offline(
        self, service: str, req: str, public: str, now_ms: int, category: str | None = None
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
            "priority": CATEGORY_PRIORITY if category else 0,
            "category": category,
            "lease": lease_id,
            "public": public,
        }
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
            "config_problems": self.config_problems() or None,
        }
