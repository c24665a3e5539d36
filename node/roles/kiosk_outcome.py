"""What became of one visitor's request at the kiosk, told to the screen, the LEDs and the hub.

A request ends in exactly one ``Outcome``; whoever shows the kiosk to people (the touchscreen,
the button LEDs, a refusal slip) reads only this, never a log line:

- ``printed``: a number was taken and its ticket came out (``offline``: from a lease);
- ``refused``: the hub (or the offline rules) said no (``code`` from contract C2);
- ``printer``: the printer cannot print (``code`` = its status), so no number was taken;
- ``print_failed``: a number was taken, printing failed twice: the number is shown on screen
  and ``reprint`` is offered (on a kiosk without a screen the number is cancelled);
- ``no_service``: the button or tile offers nothing (a retired kiosk, a config problem).

The printer's state reaches the hub's device list as a heartbeat (contract C4) at once when it
changes: ``PrinterReporter``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

KINDS = ("printed", "refused", "printer", "print_failed", "no_service")


@dataclass(frozen=True)
class Outcome:
    kind: str
    service: str | None = None
    label: str | None = None
    code: str | None = None  # refusal code or printer status
    message: str = ""  # the hub's or the printer's words for technicians (logs, status)
    reopens_ms: int | None = None
    offline: bool = False
    ticket: str | None = None  # the ticket key when a number was taken
    category: str | None = None


class PrinterReporter:
    """Tells the hub the printer's ``(status, detail)`` whenever it changes (C4 heartbeat
    ``devices.printer``); a report the hub did not take is sent again with the next one."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.sent: tuple[str, str] | None = None

    def report(self, state: tuple[str, str], *, force: bool = False) -> None:
        if state == self.sent and not force:
            return
        status, detail = str(state[0]), str(state[1])
        beat_now = self.ctx.beat_now
        if beat_now is None:
            return  # no heartbeat in this process (a bare role in a test)
        if beat_now({"printer": {"status": status, "detail": detail}}):
            self.sent = (status, detail)
