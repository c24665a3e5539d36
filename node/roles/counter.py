"""Counter: NEXT / RECALL / SKIP / DONE / TRANSFER and the SKM rating buttons.

Online, every action is an RPC to ``/api/v1/counters/<id>/<action>`` with a req reused on
retries; the hub's event is logged here before the LED changes. Offline (or reply lost) the
counter decides from its local view and logs its own event with the *same* req, so a hub
call whose reply was lost gets retracted (notes/sync.md §4). An offline NEXT only takes
tickets of this counter's residue class (``core.queue.residues``), which removed every
collision in the simulated outage (§8.3); when its class is empty it takes the tail of the
queue, where its peers (calling their classes from the head) come last
(``core.queue.choose_away_from_peers``), and lets the fold settle the rare conflict.

The LED always shows ``counter_view`` of the local view (never a value remembered in RAM):
after a restart it shows what the logs say. When the feed brings a ``call.superseded`` for
this counter's latest call, the counter calls the next ticket by itself and flashes the lost
number ("called elsewhere").

Button meanings (node/hardware/buttons.py): hold DONE = done and call next; hold SKIP =
recall the last skipped ticket (NO_SHOW -> CALLED); other holds = presses. A rating
(rate_1..rate_4) is accepted once, for the ticket this counter finished last, within
``RATING_WINDOW_MS`` of that DONE.
"""

from __future__ import annotations

import logging
from typing import Any

from core.model import TicketStatus
from core.queue import choose_away_from_peers, choose_next, residues
from node.roles.base import Context, Role, config_value

log = logging.getLogger(__name__)

RATING_WINDOW_MS = 120_000
FLASH_SECONDS = 3.0


_UNREACHABLE = object()  # _ask_hub's answer when the hub could not be reached


class CounterRole(Role):
    """Drives one counter's buttons and LED display."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.counter_id: str = config_value(ctx.config, "node", "counter", None) or ctx.node_id
        self.transfer_to: str | None = config_value(ctx.config, "node", "transfer_to", None)
        self.last_error: str | None = None
        # (ticket key, mono_ms) of this process's last DONE: the rating window is measured
        # on the monotonic clock, never the wall clock a Pi may have wrong.
        self._done_at: tuple[str, int] | None = None
        self._shown: tuple | None = None
        # Feed records at or below this hseq are history (already reacted to in an earlier
        # run or epoch): a replayed call.superseded must not call a visitor again.
        self._react_floor: int | None = ctx.sync.replica.last_hseq

    # -- display -------------------------------------------------------------------------

    def start(self) -> None:
        self.render(force=True)

    def render(self, force: bool = False) -> None:
        """Show ``counter_view(counter)`` of the local view and the offline indicator."""
        display = self.ctx.devices.display
        if display is None:
            return
        cs = self.ctx.view.state().counter_view(self.counter_id)
        offline = self.ctx.sync.online is False
        shown = (cs.open, cs.label, offline)
        if shown == self._shown and not force:
            return
        self._shown = shown
        if cs.label:
            display.show(cs.label)
        elif cs.open:
            display.show_idle()
        else:
            display.show_closed()
        display.set_offline(offline)

    def on_online(self, online: bool) -> None:
        self.render()

    def on_epoch_changed(self, old: str | None, new: str) -> None:
        self._react_floor = None  # the new epoch replays the whole log
        self.render()

    # -- buttons -------------------------------------------------------------------------

    def on_button(self, name: str, kind: str = "press") -> None:
        if name.startswith("rate_") and name[5:].isdigit():
            self.rate(int(name[5:]))
        elif name == "done" and kind == "hold":
            self.act("done")
            self.act("next")
        elif name == "skip" and kind == "hold":
            self.recall_skipped()
        elif name in ("next", "recall", "skip", "done", "transfer"):
            self.act(name)
        else:
            log.info("counter %s: unknown button %r", self.counter_id, name)
        self.render()

    # -- actions -------------------------------------------------------------------------

    def act(self, action: str) -> dict | None:
        """One counter action, online first; returns the event logged (None if nothing)."""
        ctx = self.ctx
        state = ctx.view.state()
        cs = state.counter_view(self.counter_id)
        if action != "next" and cs.current is None:
            return None  # nothing to recall/skip/finish/transfer: no RPC, no event
        req = ctx.outbox.new_req()
        body: dict = {"req": req}
        to = None
        if action == "transfer":
            to = self._transfer_target(state, cs)
            if to is None:
                self.last_error = "transfer: no target service configured"
                if ctx.devices.display is not None:
                    ctx.devices.display.flash("----", FLASH_SECONDS)
                return None
            body["to"] = to
        answered = self._ask_hub(action, body)
        if answered is not _UNREACHABLE:
            if answered is not None:
                self._after(action, answered, cs.current)
            return answered
        event = self._offline(action, req, state, cs, to)
        if event is not None:
            ctx.sync.wake()
            self._after(action, event, cs.current)
        return event

    def _ask_hub(self, action: str, body: dict) -> Any:
        """POST ``action`` to the hub: its event (logged before anything shows it), None when
        the hub answered without one (refused; NEXT on an empty queue), or _UNREACHABLE."""
        answer = self.ctx.rpc("POST", f"/api/v1/counters/{self.counter_id}/{action}", body)
        if answer is None:
            return _UNREACHABLE
        status, reply = answer
        event = reply.get("event")
        if status == 200 and isinstance(event, dict):
            self.ctx.outbox.store_foreign(event)
            return event
        if status != 200:
            self.last_error = f"{reply.get('error')}: {reply.get('message')}"
            log.info("hub refused %s at %s: %s", action, self.counter_id, self.last_error)
        return None

    def _after(self, action: str, event: dict, previous: str | None) -> None:
        if action == "done":
            self._done_at = (event.get("ticket") or previous or "", self.ctx.clock.mono_ms())

    def _offline(self, action, req, state, cs, to) -> dict | None:
        out = self.ctx.outbox
        if action == "next":
            day = self.ctx.service_day()  # yesterday's leftovers are never called
            ticket = choose_next(state, self.counter_id, residues(state, self.counter_id), day=day)
            if ticket is None:
                ticket = choose_away_from_peers(state, self.counter_id, day=day)
            if ticket is None:
                return None
            deps = [d for d in (self.ctx.view.issued_by(ticket.key),) if d]
            return out.append_own(
                "ticket.called",
                {"counter": self.counter_id, "expect_service": ticket.service, "mode": "offline"},
                ticket=ticket.key,
                req=req,
                deps=deps,
            )
        body = {"counter": self.counter_id}
        event_type = {
            "recall": "ticket.recalled",
            "skip": "ticket.skipped",
            "done": "ticket.done",
            "transfer": "ticket.transferred",
        }[action]
        if action == "transfer":
            body["to"] = to
        # deps = the call being finished (§8.4 bug 8: it ends *this* call, not any call).
        return out.append_own(
            event_type, body, ticket=cs.current, req=req, deps=[cs.call_id] if cs.call_id else []
        )

    def _transfer_target(self, state, cs) -> str | None:
        # The catalogue's transfer targets of this counter, first (cycling through them on
        # repeated presses is the counter-actions work); then the older profile key.
        mine = state.catalogue.counters.get(self.counter_id)
        if mine is not None and mine.transfer_to:
            return mine.transfer_to[0]
        if self.transfer_to:
            return self.transfer_to
        ticket = state.tickets.get(cs.current)
        others = [s for s in cs.services if ticket is None or s != ticket.service]
        return others[0] if others else None

    def recall_skipped(self) -> dict | None:
        """Hold SKIP: the no-show this counter skipped last turned up after all.

        ``ticket.recalled`` on a NO_SHOW ticket this counter called makes it the live call
        again (core fold); online it is the hub's ``recall`` with ``ticket``.
        """
        ctx = self.ctx
        state = ctx.view.state()
        skipped = [
            t
            for t in state.tickets.values()
            if t.status == TicketStatus.NO_SHOW and self.counter_id in t.callers
        ]
        if not skipped:
            return None
        last = max(skipped, key=lambda t: (t.finished_ms or 0, t.order))
        req = ctx.outbox.new_req()
        answered = self._ask_hub("recall", {"req": req, "ticket": last.key})
        if answered is not _UNREACHABLE:
            return answered
        calls = [cid for cid, key in state.call_tickets.items() if key == last.key]
        event = ctx.outbox.append_own(
            "ticket.recalled",
            {"counter": self.counter_id},
            ticket=last.key,
            req=req,
            deps=calls[-1:],
        )
        ctx.sync.wake()
        return event

    def rate(self, score: int) -> dict | None:
        """SKM rating for the ticket served last here, once, within the window."""
        ctx = self.ctx
        if self._done_at is None:
            return None
        key, at = self._done_at
        if ctx.clock.mono_ms() - at > RATING_WINDOW_MS:
            self._done_at = None
            return None
        state = ctx.view.state()
        ticket = state.tickets.get(key)
        if ticket is None or ticket.rating is not None or ticket.served_by != self.counter_id:
            return None
        self._done_at = None  # once, whatever the hub answers
        req = ctx.outbox.new_req()
        answered = self._ask_hub("rate", {"req": req, "score": score})
        if answered is not _UNREACHABLE:
            return answered
        event = ctx.outbox.append_own(
            "ticket.rated", {"counter": self.counter_id, "score": score}, ticket=key, req=req
        )
        ctx.sync.wake()
        return event

    # -- the feed ------------------------------------------------------------------------

    def on_records(self, records: list[dict]) -> None:
        if self._react_floor is None:
            self._react_floor = self.ctx.sync.hub_last_hseq or 0
        for rec in records:
            ev = rec["event"]
            body = ev.get("body") or {}
            if ev.get("type") != "call.superseded" or body.get("counter") != self.counter_id:
                continue
            if rec["hseq"] <= self._react_floor:
                continue  # replayed history
            if body.get("call") != self._latest_call_id():
                continue  # an old loss (replayed feed): already reacted to
            state = self.ctx.view.state()
            lost = state.tickets.get(body.get("ticket") or "")
            log.warning(
                "counter %s: call %s lost to %s; calling next",
                self.counter_id,
                body.get("call"),
                body.get("winner"),
            )
            if state.counter_view(self.counter_id).current is None:
                self.act("next")
            self._shown = None
            self.render()
            if self.ctx.devices.display is not None:
                self.ctx.devices.display.flash(lost.label if lost else "----", FLASH_SECONDS)
        self.render()

    def _latest_call_id(self) -> str | None:
        """This counter's newest call, own or made by the hub for it (from the logs)."""
        for ev in reversed(self.ctx.outbox.events()):
            if (
                ev.get("type") == "ticket.called"
                and (ev.get("body") or {}).get("counter") == self.counter_id
            ):
                return ev["id"]
        return None

    def status(self) -> dict:
        cs = self.ctx.view.state().counter_view(self.counter_id)
        return {"counter": self.counter_id, "showing": cs.label, "last_error": self.last_error}
