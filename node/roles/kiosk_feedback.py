"""A button-only kiosk tells visitors with its LEDs and a short slip, never only a log line.

- printer cannot print: every LED flashes, then stays off until the printer is back;
- the hub refused (closed, quota...): that button's LED flashes (``refusal = "flash"``) and/or
  a slip with the reason and the reopening time is printed (``"slip"``, the default);
- a ticket printed: its LED stays lit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from node.roles.kiosk_outcome import Outcome

log = logging.getLogger(__name__)


class ButtonFeedback:
    def __init__(self, role: Any, buttons: Any):
        self.role = role
        self.buttons = buttons

    def on_printer(self, state: tuple[str, str]) -> None:
        ok = self.role.can_print(state)
        self.buttons.light(None, ok)
        if not ok:
            self.buttons.flash(None)

    def on_outcome(self, outcome: Outcome) -> None:
        if outcome.kind == "printed":
            self.buttons.light(outcome.service, True)
        elif outcome.kind in ("printer", "print_failed"):
            self.buttons.flash(None)
        elif outcome.kind == "refused":
            mode = getattr(self.buttons, "refusal", "slip")
            if mode in ("flash", "both"):
                self.buttons.flash(outcome.service)
            if mode in ("slip", "both"):
                self.print_slip(outcome)

    def print_slip(self, outcome: Outcome) -> None:
        from node.hardware.printer import NoticePrint
        from node.kiosk_ui.words import refusal_text, reopens_text, words

        role, ctx = self.role, self.role.ctx
        printer = ctx.devices.printer
        if printer is None or not role.can_print(role.printer_state):
            self.buttons.flash(outcome.service)
            return
        lang = role.lang()
        info = ctx.service_info(outcome.service or "")
        now = role.now_ms()
        lines = [refusal_text(outcome.code, lang)]
        when = reopens_text(outcome.reopens_ms, now, role.timezone(), lang)
        if when:
            lines.append(when)
        notice = NoticePrint(
            title=info.get("name") or outcome.service or "",
            lines=tuple(lines),
            mpp_name=ctx.mpp_name(),
            printed_at=datetime.fromtimestamp(now / 1000, role.timezone()).strftime(
                "%d-%m-%Y %H:%M"
            ),
            footer=words(lang)["call_staff"],
        )
        try:
            printer.print_notice(notice)
        except Exception as err:  # the LED still says no
            log.warning("refusal slip not printed: %s", err)
            self.buttons.flash(outcome.service)
