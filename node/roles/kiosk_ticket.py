"""What a kiosk's ticket says: everything ``TicketPrint`` carries beyond the number.

A mixin of ``KioskRole`` (split off to keep the role small). The QR code points at the hub's
``public_url`` (the address visitors' phones reach, e.g. the MPP's visitor Wi-Fi), never at the
kiosk's own hub address: without one no QR is printed, and ``loket config check`` says why.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from node.replica import read_json, write_json
from node.roles.base import config_value

PUBLIC_URL_FILE = "public_url.json"


class TicketContent:
    """Builds the ``TicketPrint`` of an issued ticket from the event, the hub's answer and
    the catalogue; needs ``self.ctx``, ``self._tz()`` and ``self._now_ms()``."""

    def ticket_print(
        self,
        event: dict,
        answer: dict | None,
        *,
        offline: bool,
        now_ms: int | None = None,
        category: str | None = None,
    ):
        """The ``TicketPrint`` of a ``ticket.issued`` event (and the hub's answer, online)."""
        from node.hardware.printer import TicketPrint

        ctx = self.ctx
        body = event["body"]
        info = ctx.service_info(body["service"])
        people_ahead = est_wait = None
        if answer is not None:
            people_ahead = answer.get("people_ahead")
            est_wait = answer.get("est_wait_min")
        else:
            state = ctx.view.state()
            if event["ticket"] in state.tickets:
                people_ahead = state.position(event["ticket"])
        # The hub's event carries the hub's (trusted) time; offline, the HLC-corrected time.
        wall = (event.get("clock") or {}).get("wall_ms") if not offline else now_ms
        issued = datetime.fromtimestamp((wall or self._now_ms()) / 1000, self._tz())
        lang = config_value(ctx.config, "sound", "lang", "id") or "id"
        return TicketPrint(
            label=body["label"],
            service_name=info.get("name") or body["service"],
            agency_name=ctx.agency_name(info.get("agency")),
            mpp_name=ctx.mpp_name(),
            issued_at=issued.strftime("%d-%m-%Y %H:%M"),
            people_ahead=people_ahead,
            est_wait_min=est_wait,
            status_url=self.status_url(body.get("public"), answer),
            offline=offline,
            lang=lang,
            counters=self.counter_numbers(body["service"]),
            # The hub's body carries it once it reads categories (C3); until then, the asked one.
            category=self.category_name(body.get("category") or category, lang),
        )

    def public_url(self, answer: dict | None = None) -> str | None:
        """Where visitors' phones reach the status pages (the hub's ``[hub] public_url``):
        from the hub's answer, else the one it last told us (kept in the data folder, so an
        offline ticket after a restart still carries its QR)."""
        path = Path(self.ctx.data_dir) / PUBLIC_URL_FILE
        url = (answer or {}).get("public_url") if answer is not None else None
        if answer is not None and "public_url" in answer:
            known = read_json(path, {}).get("public_url")
            if url != known:
                write_json(path, {"public_url": url})
            return url if isinstance(url, str) and url else None
        known = read_json(path, {}).get("public_url")
        return known if isinstance(known, str) and known else None

    def status_url(self, public: str | None, answer: dict | None) -> str | None:
        """The QR target: ``public_url`` + ``/t/<public>``; None (no QR) without a
        public_url, since the kiosk's own hub address is rarely one a phone can reach."""
        base = self.public_url(answer)
        if not base or not public:
            return None
        return f"{base.rstrip('/')}/t/{public}"

    def counter_numbers(self, service: str) -> tuple[int, ...]:
        """The numbers of the counters that serve ``service`` ("Menuju loket 1-2")."""
        catalogue = self.ctx.catalogue()
        return tuple(
            sorted(
                c.number
                for c in catalogue.counters.values()
                if service in c.services and isinstance(c.number, int)
            )
        )

    def category_name(self, category: str | None, lang: str) -> str | None:
        if not category:
            return None
        from node.kiosk_ui.words import categories

        return dict(categories(self.ctx.catalogue(), lang)).get(category, category)
