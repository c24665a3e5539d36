"""Hall display: shows and speaks calls from this node's own replica.

Because it works from its replica, the hall keeps showing the board and the last calls while
the hub restarts (DESIGN.md "Sync"). For each ``ticket.called`` / ``ticket.recalled`` the feed
brings, the screen is rendered first and the announcement is queued after it: the announcer
plays one at a time from its own worker, so the picture never waits for the audio.

Only calls the fold accepted are announced (a call that lost to another counter is not), and
nothing older than what was on the board when this node started: a fresh replica pulling the
whole day must not read out every call since the morning. Each call goes to the announcer with
its age (this node's best time minus the hub record's time of the call), so the hall's
scheduling rule (``core.announce_queue``) drops what a catch-up after an outage brings late.

A floor's screen shows and speaks only its zone (``core.zones``, the rule the hub's
``/board?zone=`` follows too): what this display's catalogue entry selects (``zone``,
``services``, ``counters``: an admin's edit applies live), narrowed further by the node
profile's ``[node] zone`` and ``services`` when they are set.
"""

from __future__ import annotations

import logging
from datetime import datetime

from core import zones
from core.announce import call_clips
from core.model import TicketStatus
from node.roles.base import Context, Role, config_value

log = logging.getLogger(__name__)

RECENT = 8


class DisplayRole(Role):
    """Renders the hall board and announces calls."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.lang = config_value(ctx.config, "sound", "lang", "id") or "id"
        # Calls at or below this hseq were on the board before we started: show, don't speak.
        # None = not known yet (first start with the hub unreachable).
        self.floor: int | None = ctx.sync.replica.last_hseq or None
        self.calls: list[dict] = []
        self.announced = 0

    def start(self) -> None:
        if self.floor is None:
            # First start: the board may already be busy; speak only what happens from now.
            answer = self.ctx.refresh_hub_info()
            if answer is not None:
                self.floor = int(answer.get("last_hseq") or 0)
        self.render()

    def on_epoch_changed(self, old: str | None, new: str) -> None:
        # A restored hub numbers from scratch; what it replays was already on the board.
        self.floor = None

    def on_online(self, online: bool) -> None:
        self.render()

    def on_records(self, records: list[dict]) -> None:
        if self.floor is None:
            # Catching up without a known starting point: everything up to where the hub
            # stood at this pull is history, not news.
            self.floor = self.ctx.sync.hub_last_hseq or max(r["hseq"] for r in records)
        state = self.ctx.view.state()
        only = self.selection()
        to_speak: list[tuple[str, int, int]] = []  # label, counter number, call time
        # The hub appends a losing call and its call.superseded in one commit, so both
        # arrive in the same batch.
        lost = {
            (r["event"].get("body") or {}).get("call")
            for r in records
            if r["event"].get("type") == "call.superseded"
        }
        for rec in records:
            ev = rec["event"]
            if ev.get("type") not in ("ticket.called", "ticket.recalled"):
                continue
            counter = (ev.get("body") or {}).get("counter")
            ticket = state.tickets.get(ev.get("ticket") or "")
            if ticket is None or counter is None:
                continue
            if ev["type"] == "ticket.called":
                accepted = ev["id"] not in lost
            else:
                accepted = ticket.holder == counter or ticket.status != TicketStatus.CALLED
            if not accepted:
                continue  # a call that lost: never shown or announced
            if not only.shows_call(ticket.service, counter):
                # Another zone's call: another screen says it, and a visitor sent there
                # (a transfer upstairs) is no longer expected at this zone's counter.
                self.calls = [c for c in self.calls if c["label"] != ticket.label]
                continue
            number = self.ctx.counter_number(counter)
            self.calls.insert(
                0, {"label": ticket.label, "counter": counter, "counter_number": number}
            )
            del self.calls[RECENT:]
            if rec["hseq"] > (self.floor or 0):
                to_speak.append((ticket.label, number, rec.get("est_ms") or rec.get("recv_ms")))
        if records:
            self.floor = max(self.floor or 0, max(r["hseq"] for r in records))
        self.render(state, only)  # the picture first ...
        announcer = self.ctx.devices.announcer
        now = self.ctx.outbox.now_ms()
        for label, number, at_ms in to_speak:  # ... then the voice, queued, one at a time
            if announcer is not None:
                try:
                    announcer.announce(
                        call_clips(label, number, self.lang),
                        age_ms=max(0, now - at_ms) if at_ms else 0,
                        label=f"{label} -> loket {number}",
                    )
                    self.announced += 1
                except Exception:
                    log.exception("announcing %s failed", label)

    def selection(self) -> zones.Selection:
        """What this screen shows: its catalogue entry, narrowed by the node profile."""
        cat = self.ctx.catalogue()
        node = getattr(self.ctx.config, "node", None)
        zone = getattr(node, "zone", None)
        services = tuple(getattr(node, "services", ()) or ())
        if not cat:
            # Nothing folded or cached yet: the profile's service ids are all there is.
            ids = frozenset(services)
            return zones.Selection(tiles=ids, services=ids, zone=zone) if ids else zones.EVERYTHING
        sel = zones.for_display(cat, self.ctx.node_id, strict=False)
        if zone or services:
            sel = sel.narrow(zones.select(cat, zone=zone, services=services, strict=False))
        return sel

    def config_problems(self) -> list[str]:
        """Profile settings the catalogue does not know (shown in ``status()``)."""
        cat = self.ctx.catalogue()
        node = getattr(self.ctx.config, "node", None)
        if not cat or node is None:
            return []
        problems = []
        try:
            zones.select(cat, zone=getattr(node, "zone", None), services=node.services)
        except zones.UnknownSelector as exc:
            problems.append(exc.message)
        return problems

    def render(self, state=None, only: zones.Selection | None = None) -> None:
        """Screen view as docs/contracts.md fixes it (node.hardware screen)."""
        screen = self.ctx.devices.screen
        if screen is None:
            return
        state = state or self.ctx.view.state()
        only = only or self.selection()
        recent = [{"label": c["label"], "counter": c["counter_number"]} for c in self.calls]
        now_ms = self.ctx.outbox.now_ms()
        tz = self.ctx.timezone()
        local = datetime.fromtimestamp(now_ms / 1000, tz)
        view = {
            "title": self.ctx.mpp_name(),
            "clock": local.strftime("%H:%M"),
            "clock_ms": now_ms,
            "utc_offset_min": int(local.utcoffset().total_seconds() // 60),
            "now": recent[0] if recent else None,
            "recent": recent,
            "waiting": [w for w in self.waiting(state) if only.shows_tile(w["service"])],
            "running_text": self.running_text(state, only),
            "offline": self.ctx.sync.online is False,
            "lang": self.lang,
        }
        try:
            screen.render(view)
        except Exception:
            log.exception("screen render failed")

    def running_text(self, state, only: zones.Selection) -> str:
        mpp = self.ctx.catalogue().mpp
        fallback = getattr(mpp, "running_text", "") or ""
        return zones.running_text(getattr(state, "running_text", {}), fallback, only.zone)

    def waiting(self, state) -> list[dict]:
        """The waiting count of every service, in the hub's order, letter first.

        Counted over the replica's whole fold, not "today" by this Pi's clock: a display
        node's clock may run a day off while the tickets are the hub's.
        """
        counts = {service: len(tickets) for service, tickets in state.snapshot()["waiting"].items()}
        known = list(self.ctx.catalogue().services)
        order = known + sorted(set(counts) - set(known))
        out = []
        for service in order:
            info = self.ctx.service_info(service)
            out.append(
                {
                    "service": service,
                    "letter": info.get("prefix") or service,
                    "name": info.get("name") or service,
                    "count": counts.get(service, 0),
                }
            )
        return out

    def status(self) -> dict:
        dropped = getattr(self.ctx.devices.announcer, "dropped", None)
        return {
            "announced": self.announced,
            "announce_dropped": len(dropped) if dropped is not None else None,
            "showing": self.calls[:1],
            "zone": self.selection().to_dict(),
            "config_problems": self.config_problems(),
        }
