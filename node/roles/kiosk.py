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
from datetime import datetime
from zoneinfo import ZoneInfo

from core import calendar, quota
from core.health import as_status
from core.numbering import LeaseBook, format_label, prefix_label, service_day, ticket_key
from core.priority import priority_value
from node.roles.base import Context, Role, config_value

log = logging.getLogger(__name__)

# Simulation keypad: a, b, c, d ... -> the kiosk's services in configured order.
KEYPAD = string.ascii_lowercase


class IssueRefused(Exception):
    """No ticket: ``code`` (``core.calendar.CODES``), ``message`` in the visitor's words,
    ``reopens_ms`` when the service takes numbers again (None: unknown)."""

    def __init__(self, code: str, message: str, reopens_ms: int | None = None, detail: str = ""):
        super().__init__(message)
        self.code, self.message, self.reopens_ms, self.detail = code, message, reopens_ms, detail

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "reopens_ms": self.reopens_ms}


class KioskRole(Role):
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
        try:
            self.issue(service)
        except IssueRefused as refused:
            self.last_refusal = refused.to_dict()
            self.last_error = f"{refused.code}: {refused.detail or refused.message}"
            log.info("kiosk %s: %s refused: %s", self.ctx.node_id, service, self.last_error)
            notice = self.ctx.devices.notices
            if notice is not None:
                notice(refused.message)
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

    def issue(self, service: str, category: str | None = None) -> dict | None:
        """Issue, log (fsync) and print one ticket; returns its ``ticket.issued`` event.

        ``category``: the priority lane (C3), a catalogue ``mpp.priority.categories`` id.
        Raises ``IssueRefused`` when the calendar, quota or capacity says no (C2)."""
        ctx = self.ctx
        req = ctx.outbox.new_req()
        public = secrets.token_urlsafe(12)
        payload = {"req": req, "service": service, "kiosk": ctx.node_id, "public": public}
        if category is not None:
            payload["category"] = category
        answer = ctx.rpc("POST", "/api/v1/tickets", payload)
        if answer is not None:
            status, body = answer
            if status in (200, 201) and isinstance(body.get("event"), dict):
                event = body["event"]
                ctx.outbox.store_foreign(event)  # durable before it is printed
                self.last_refusal = None
                self._print(event, body, offline=False)
                return event
            if status == 409 and body.get("error") in calendar.CODES:
                raise self._refusal(body["error"], body.get("reopens_ms"), body.get("detail"))
            self.last_error = f"{body.get('error')}: {body.get('message')}"
            log.warning("hub refused a ticket for %s: %s", service, self.last_error)
            return None
        now = self._now_ms()  # one reading for the service day and the printed time
        event = self._issue_offline(service, req, public, now, category)
        self.last_refusal = None
        ctx.sync.wake()
        self._print(event, None, offline=True, now_ms=now)
        return event

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

    def _issue_offline(
        self, service: str, req: str, public: str, now_ms: int, category: str | None = None
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
        printer = self.ctx.devices.printer
        try:
            printer_status = as_status(printer.status()).status if printer is not None else None
        except Exception as err:
            printer_status = f"error: {err}"
        day = service_day(self._now_ms(), self._tz())
        book = LeaseBook.from_events(self.ctx.node_id, self.ctx.outbox.events())
        return {
            "printer": printer_status,
            "last_ticket": self.last_ticket,
            "lease_remaining": {s: book.remaining(day, s) for s in self.services},
            "last_error": self.last_error,
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
