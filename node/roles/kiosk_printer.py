"""How a kiosk looks after its printer: asked before every number, polled while idle, a
failed print retried once, every change of state told to the screen, the LEDs and the hub.

A mixin of ``KioskRole`` (split off to keep the role small); needs ``self.ctx``,
``self.printer_state``, ``self.printer_listeners``, ``self.reporter``, ``self.last_error``.
"""

from __future__ import annotations

import logging

log = logging.getLogger("node.roles.kiosk")


class PrinterCare:
    """The printer half of the kiosk role."""

    @staticmethod
    def can_print(state: tuple[str, str]) -> bool:
        from node.hardware.printer import CANNOT_PRINT

        return state[0] not in CANNOT_PRINT

    def check_printer(self, *, report: bool = True) -> tuple[str, str]:
        """Ask the printer now (short timeout); a change reaches the hub (``report``) and
        the screen."""
        printer = self.ctx.devices.printer
        if printer is None:
            state = ("offline", "no printer configured")
        else:
            try:
                raw = printer.status()
                state = (str(raw[0]), str(raw[1])) if isinstance(raw, tuple) else (str(raw), "")
            except Exception as err:  # noqa: BLE001 - a driver bug is a fault, not a crash
                state = ("fault", f"status query failed: {err}")
        self._printer_is(state, report=report)
        return state

    def _printer_is(self, state: tuple[str, str], *, report: bool = True) -> None:
        changed = state != self.printer_state
        self.printer_state = state
        if changed:
            log.info("kiosk %s: printer %s %s", self.ctx.node_id, *state)
            for listener in list(self.printer_listeners):
                try:
                    listener(state)
                except Exception:
                    log.exception("printer listener failed")
        if report and state != self.reporter.sent:
            self.reporter.report(state)

    def tick(self) -> None:
        """Idle poll (node worker): the printer's state, so a fault shows before a press."""
        self.check_printer()

    def _print_twice(self, ticket) -> bool:
        """Print, and once more if that failed; False (and the printer's new state told to
        the hub) when both failed. A network printer takes the bytes even without paper:
        a printer that says "out" right after the job did not print it whole."""
        printer = self.ctx.devices.printer
        for attempt in (1, 2):
            if attempt == 2 and not self.can_print(self.check_printer()):
                break  # no point sending it again into an empty printer
            try:
                printer.print_ticket(ticket)
            except Exception as err:
                self.last_error = f"print failed: {err}"
                log.warning("printing %s failed (try %d): %s", ticket.label, attempt, err)
                continue
            after = self.check_printer()
            if after[0] in ("out", "cover_open", "fault"):
                self.last_error = f"print failed: printer {after[0]} after the job"
                log.warning("printing %s failed (try %d): %s", ticket.label, attempt, after)
                continue
            return True
        state = self.check_printer()
        if self.can_print(state):
            self._printer_is(("fault", self.last_error or "print failed"))
        return False
