"""Counter: NEXT / RECALL / SKIP / DONE / TRANSFER and the SKM rating buttons.

Online, every action is an RPC to ``/api/v1/counters/<id>/<action>`` with a req reused on
retries; the hub's event is logged here before the LED changes. Offline (or reply lost) the
counter decides from its local view and logs its own event with the *same* req, so a hub
call whose reply was lost gets retracted (docs/sync.md §4). An offline NEXT only takes
tickets of this counter's residue class (``core.queue.residues``), which removed every
collision in the simulated outage (§8.3); when its class is empty it takes the tail of the
queue, where its peers (calling their classes from the head) come last
(``core.queue.choose_away_from_peers``), and lets the fold settle the rare conflict.

The LED always shows ``counter_view`` of the local view (never a value remembered in RAM):
after a restart it shows what the logs say. When the feed brings a ``call.superseded`` for
this counter's latest call, the counter calls the next ticket by itself and flashes the lost
number ("called elsewhere").

Button meanings (node/hardware/buttons.py): NEXT while serving finishes that visit and
calls the next (as the hub does online); hold DONE = done and call next; hold SKIP = recall
the last skipped ticket (NO_SHOW -> CALLED) while its grace window lasts (catalogue
``mpp.no_show_grace_s``; after it the LED says no); hold RECALL (``pause_hold_ms``) = pause /
resume this counter (online the hub's roster.updated, offline a ``counter.paused`` /
``counter.resumed`` of its own; the fold honours both); TRANSFER cycles through the
counter's catalogue ``transfer_to`` targets with the target's letter on the LED, hold
TRANSFER sends it to the target shown (the first one if none is shown); with a single
target the second press sends it. A rating
(rate_1..rate_4) is accepted once, for the ticket this counter finished last, within
``RATING_WINDOW_MS`` of that DONE. A rating, a transfer, a pause and every refusal flash on
the LED: the clerk never has to read a log to know what happened.
"""

from __future__ import annotations

import logging
from typing import Any

from core import fold_rules
from core.model import TicketStatus
from core.queue import choose_away_from_peers, choose_next, residues
from node.roles.base import Context, Role, config_value

log = logging.getLogger(__name__)

RATING_WINDOW_MS = 120_000
FLASH_SECONDS = 3.0
TRANSFER_ARM_MS = 10_000  # a shown transfer target is forgotten after this long
# What the LED flashes: 7-segment letters only (core.glyphs), so a TM1637 shows them too.
NO = "----"  # refused: nobody served, no target, grace over
PAUSED = "TUNDA"  # "ditunda": paused
RESUMED = "OPEN"
RATED = "- {score} -"
TARGET = "{letter}"  # TRANSFER pressed: where the visitor would go
SENT = "GO {letter}"  # TRANSFER held: sent there
NOBODY_THERE = "{letter} --"  # no open counter serves the target: not sent


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
        # (target service, mono_ms) of the transfer target shown on the LED, if any.
        self._armed: tuple[str, int] | None = None
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
            if self.rate(int(name[5:])) is not None:
                self._flash(RATED.format(score=name[5:]))
        elif name == "done" and kind == "hold":
            self.act("done")
            self.act("next")
        elif name == "skip" and kind == "hold":
            self.recall_skipped()
        elif name == "recall" and kind == "hold":
            self.toggle_pause()
        elif name == "transfer":
            self.transfer(confirm=kind == "hold")
        elif name in ("next", "recall", "skip", "done"):
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
        if action == "next":
            body["serving"] = cs.call_id  # the hub finishes only the visit this LED shows
        to = None
        if action == "transfer":
            to = self._armed[0] if self._armed else None
            if to is None:
                return None
            body["to"] = to
        answered = self._ask_hub(action, body)
        if answered is not _UNREACHABLE:
            if answered is not None or (action == "next" and cs.current is not None):
                self._after(action, answered or {}, cs.current)
            return answered
        event = self._offline(action, req, state, cs, to)
        if event is not None or (action == "next" and cs.current is not None):
            ctx.sync.wake()
            self._after(action, event or {}, cs.current)
        return event

    def _ask_hub(self, action: str, body: dict) -> Any:
        """POST ``action`` to the hub: its event (logged before anything shows it), None when
        the hub answered without one (refused; NEXT on an empty queue), or _UNREACHABLE."""
        answer = self.ctx.rpc("POST", f"/api/v1/counters/{self.counter_id}/{action}", body)
        if answer is None:
            return _UNREACHABLE
        status, reply = answer
        event = reply.get("event")
        if status == 200:
            # NEXT while serving answers the done it made too: keep every event, in order,
            # so the LED never shows the finished visitor handed back to the queue.
            extra = reply.get("events")
            for ev in extra if isinstance(extra, list) else []:
                if isinstance(ev, dict) and ev is not event:
                    self.ctx.outbox.store_foreign(ev)
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
        elif action == "next" and previous is not None:
            self._done_at = (previous, self.ctx.clock.mono_ms())  # NEXT finished that visit

    def _offline(self, action, req, state, cs, to) -> dict | None:
        out = self.ctx.outbox
        if action == "next":
            if cs.current is not None:
                # NEXT while serving finishes that visit first, as the hub does online.
                out.append_own(
                    "ticket.done",
                    {"counter": self.counter_id},
                    ticket=cs.current,
                    req=out.new_req(),
                    deps=[cs.call_id] if cs.call_id else [],
                )
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
            mine = state.catalogue.counters.get(self.counter_id)
            if mine is not None and mine.transfer_first:
                body["first"] = True
        # deps = the call being finished (§8.4 bug 8: it ends *this* call, not any call).
        return out.append_own(
            event_type, body, ticket=cs.current, req=req, deps=[cs.call_id] if cs.call_id else []
        )

    def transfer_targets(self, state, cs) -> list[str]:
        """Where the visitor being served may be sent: the catalogue's ``transfer_to`` of
        this counter (else the older profile key, else its other services), never the
        ticket's own service."""
        mine = state.catalogue.counters.get(self.counter_id)
        ticket = state.tickets.get(cs.current) if cs.current else None
        if mine is not None and mine.transfer_to:
            targets = list(mine.transfer_to)
        elif self.transfer_to:
            targets = [self.transfer_to]
        else:
            targets = list(cs.services)
        return [t for t in targets if ticket is None or t != ticket.service]

    def transfer(self, confirm: bool = False) -> dict | None:
        """TRANSFER pressed: show the next target's letter; held: send it there.

        A target no open counter serves is refused on the LED before anything is sent
        (the visitor would wait for nobody), and so is a press with nobody being served.
        """
        state = self.ctx.view.state()
        cs = state.counter_view(self.counter_id)
        targets = self.transfer_targets(state, cs)
        if cs.current is None or not targets:
            self.last_error = "transfer: " + ("nobody is being served" if targets else "no target")
            self._armed = None
            self._flash(NO)
            return None
        now = self.ctx.clock.mono_ms()
        armed = self._armed if self._armed and now - self._armed[1] <= TRANSFER_ARM_MS else None
        if len(targets) == 1 and armed is not None:
            confirm = True  # one target: the second press sends it (nothing to cycle)
        if not confirm:
            at = targets.index(armed[0]) + 1 if armed and armed[0] in targets else 0
            self._armed = (targets[at % len(targets)], now)
            self._flash(TARGET.format(letter=self._letter(state, self._armed[0])))
            return None
        to = armed[0] if armed and armed[0] in targets else targets[0]
        if not _served_anywhere(state, to):
            self.last_error = f"transfer: no open counter serves {to}"
            self._armed = None
            self._flash(NOBODY_THERE.format(letter=self._letter(state, to)))
            return None
        self._armed = (to, now)
        event = self.act("transfer")
        self._armed = None
        self._flash(SENT.format(letter=self._letter(state, to)) if event is not None else NO)
        return event

    def _letter(self, state, service: str) -> str:
        svc = state.catalogue.services.get(service)
        return svc.prefix if svc is not None else service

    def toggle_pause(self) -> dict | None:
        """Hold RECALL: pause this counter (nobody is called here; it leaves the waiting
        estimates and residue classes) or resume it. Online the hub writes roster.updated;
        offline the counter logs ``counter.paused``/``counter.resumed`` for its own counter."""
        ctx = self.ctx
        cs = ctx.view.state().counter_view(self.counter_id)
        action = "resume" if not cs.open else "pause"
        req = ctx.outbox.new_req()
        answered = self._ask_hub(action, {"req": req})
        if answered is _UNREACHABLE:
            answered = ctx.outbox.append_own(
                f"counter.{action}d", {"counter": self.counter_id}, req=req
            )
            ctx.sync.wake()
        self._shown = None
        self.render()
        self._flash(RESUMED if action == "resume" else PAUSED)
        return answered

    def _flash(self, text: str) -> None:
        if self.ctx.devices.display is not None:
            self.ctx.devices.display.flash(text, FLASH_SECONDS)

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
        now = ctx.outbox.now_ms()
        skipped = [t for t in skipped if fold_rules.in_grace(state, t, now)]
        if not skipped:
            # Nobody within the grace window: after it a no-show is final here (a supervisor
            # may still recall with a reason, audited).
            self.last_error = "recall: no skipped ticket within the grace window"
            self._flash(NO)
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


def _served_anywhere(state, service: str) -> bool:
    """Whether an open counter serves ``service`` now (the fold's roster)."""
    return any(cs.open and service in cs.services for cs in state.counters.values())
