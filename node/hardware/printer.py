"""Kiosk ticket printer: the interface, the shipped fake and the backend factory.

Every backend renders the whole ticket into bytes first (``ticket_layout.render_ticket``) and
sends them in one write, so a rendering failure never prints half a ticket.
The real backends (python-escpos) live in ``printer_escpos`` and are imported only when
``make_printer`` selects one: nothing touches hardware at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from core.health import DeviceStatus
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

BACKENDS = ("usb", "serial", "network", "file", "fake")


@dataclass(frozen=True)
class TicketPrint:
    """What goes on one printed ticket; every field is already formatted for people."""

    label: str
    service_name: str
    agency_name: str
    mpp_name: str
    issued_at: str  # local date and time as it should be printed, e.g. "28-11-2026 09:15"
    people_ahead: int | None
    est_wait_min: int | None
    status_url: str | None  # the QR code target (/t/<public>); None prints no QR code
    offline: bool
    lang: str = "id"
    counter_hint: str | None = None  # e.g. "Loket 3, 4"


class PrinterStatus(StrEnum):
    """Best-effort printer state; compares equal to the plain strings of the contract."""

    OK = "ok"
    LOW = "low"  # paper near end
    OUT = "out"  # no paper
    UNKNOWN = "unknown"  # reachable but no (valid) reply: many cheap printers never answer
    OFFLINE = "offline"  # the device cannot be opened / connected


# The technician's line for each status, when the backend has nothing more precise.
DETAIL = {
    PrinterStatus.OK: "",
    PrinterStatus.LOW: "paper near end",
    PrinterStatus.OUT: "out of paper",
    PrinterStatus.UNKNOWN: "the printer does not answer status queries",
    PrinterStatus.OFFLINE: "the printer cannot be reached",
}


def printer_status(status: str, detail: str | None = None) -> DeviceStatus:
    """``(status, detail)`` for a printer; ``detail`` defaults to the words above."""
    status = PrinterStatus(status)
    return DeviceStatus(status, DETAIL[status] if detail is None else detail)


@runtime_checkable
class TicketPrinter(Protocol):
    """A ticket printer. ``print_ticket`` raises ``HardwareError`` if nothing was printed."""

    def print_ticket(self, ticket: TicketPrint) -> None: ...

    def status(self) -> DeviceStatus:
        """``(status, detail)``: status in ``PrinterStatus``; a kiosk asks before it takes
        a number, the heartbeat carries it to the hub (contract C4)."""
        ...

    def close(self) -> None: ...


class FakePrinter:
    """Shipped fake: renders real ESC/POS bytes and keeps them in ``.jobs`` (the demo uses it).

    ``.tickets`` keeps the ``TicketPrint`` objects too. Tests set ``.paper`` to change
    ``status()`` and ``.fail`` to an exception to make the next prints fail (nothing recorded).
    """

    def __init__(self, profile: str | None = "TM-T20II") -> None:
        self.profile = profile
        self.jobs: list[bytes] = []
        self.tickets: list[TicketPrint] = []
        self.paper: str = PrinterStatus.OK
        self.fail: Exception | None = None
        self.closed = False

    def print_ticket(self, ticket: TicketPrint) -> None:
        from node.hardware.ticket_layout import render_ticket

        buf = render_ticket(ticket, self.profile)
        if self.fail is not None:
            raise self.fail
        if self.paper == PrinterStatus.OUT:
            raise HardwareError("printer is out of paper")
        self.jobs.append(buf)
        self.tickets.append(ticket)

    def status(self) -> DeviceStatus:
        return printer_status(self.paper)

    def close(self) -> None:
        self.closed = True


def make_printer(section: Any) -> TicketPrinter:
    """Build the printer chosen by ``section.backend`` (the ``[printer]`` config section).

    Keys: ``backend`` (usb|serial|network|file|fake), ``profile`` (python-escpos profile
    name, e.g. "TM-T20II", "POS-5890"), ``timeout`` (seconds) and per backend:
    usb ``vendor_id, product_id`` (int or "0x0416"), ``in_ep, out_ep``;
    serial ``device, baudrate``; network ``host, port``; file ``path``.
    """
    backend = setting(section, "backend", "fake")
    if backend == "fake":
        return FakePrinter(setting(section, "profile", "TM-T20II"))
    if backend not in BACKENDS:
        raise HardwareError(f"unknown printer backend {backend!r}; expected one of {BACKENDS}")
    from node.hardware.printer_escpos import make_escpos_printer

    return make_escpos_printer(section)
