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
    counter_hint: str | None = None  # free text instead of ``counters``, e.g. "Loket 3, 4"
    counters: tuple[int, ...] = ()  # the counters serving the service: "Menuju loket 1-2"
    category: str | None = None  # the priority category's name as printed, None = normal


@dataclass(frozen=True)
class NoticePrint:
    """A short slip that is not a ticket: why no number was issued (a button-only kiosk)."""

    title: str
    lines: tuple[str, ...]
    mpp_name: str
    printed_at: str
    footer: str = ""


class PrinterStatus(StrEnum):
    """Best-effort printer state; compares equal to the plain strings of the contract."""

    OK = "ok"
    LOW = "low"  # paper near end
    OUT = "out"  # no paper
    COVER_OPEN = "cover_open"
    FAULT = "fault"  # the printer reports an error (cutter jam, head too hot...)
    UNKNOWN = "unknown"  # reachable but no (valid) reply: many cheap printers never answer
    OFFLINE = "offline"  # the device cannot be opened / connected


# States in which a ticket cannot come out: the kiosk takes no number (LOW still prints).
CANNOT_PRINT = frozenset(
    {PrinterStatus.OUT, PrinterStatus.COVER_OPEN, PrinterStatus.FAULT, PrinterStatus.OFFLINE}
)
# What a technician reads beside a status when the printer says no more.
DETAILS = {
    PrinterStatus.OUT: "paper out",
    PrinterStatus.LOW: "paper near end",
    PrinterStatus.COVER_OPEN: "cover open",
    PrinterStatus.FAULT: "printer reports an error",
    PrinterStatus.OFFLINE: "not connected",
    PrinterStatus.UNKNOWN: "no status reply",
}
# (status, detail): ``detail`` is a short English note for technicians ("" when nothing to add);
# the heartbeat's device status (contract C4), so kiosk and hub read one shape.
StatusReport = DeviceStatus


def printer_status(status: str, detail: str | None = None) -> DeviceStatus:
    """``(status, detail)`` for a printer; ``detail`` defaults to the words above."""
    status = PrinterStatus(status)
    return DeviceStatus(status, DETAILS.get(status, "") if detail is None else detail)


@runtime_checkable
class TicketPrinter(Protocol):
    """A ticket printer. ``print_ticket`` raises ``HardwareError`` if nothing was printed."""

    def print_ticket(self, ticket: TicketPrint) -> None: ...

    def print_notice(self, notice: NoticePrint) -> None: ...

    def status(self) -> StatusReport: ...

    def close(self) -> None: ...


class FakePrinter:
    """Shipped fake: renders real ESC/POS bytes and keeps them in ``.jobs`` (the demo uses it).

    ``.tickets`` keeps the ``TicketPrint`` objects too. Tests set ``.paper`` to change
    ``status()`` and ``.fail`` to an exception to make the next prints fail (nothing recorded).
    """

    def __init__(self, profile: str | None = "TM-T20II", style: Any = None) -> None:
        self.profile = profile
        self.style = style
        self.jobs: list[bytes] = []
        self.tickets: list[TicketPrint] = []
        self.notices: list[NoticePrint] = []
        self.paper: str = PrinterStatus.OK
        self.fail: Exception | None = None
        self.closed = False

    def print_ticket(self, ticket: TicketPrint) -> None:
        from node.hardware.ticket_layout import render_ticket

        buf = render_ticket(ticket, self.profile, self.style)
        if self.fail is not None:
            raise self.fail
        if self.paper in CANNOT_PRINT:
            raise HardwareError(f"printer cannot print: {DETAILS[PrinterStatus(self.paper)]}")
        self.jobs.append(buf)
        self.tickets.append(ticket)

    def print_notice(self, notice: NoticePrint) -> None:
        from node.hardware.ticket_layout import render_notice

        buf = render_notice(notice, self.profile)
        if self.fail is not None:
            raise self.fail
        if self.paper in CANNOT_PRINT:
            raise HardwareError(f"printer cannot print: {DETAILS[PrinterStatus(self.paper)]}")
        self.jobs.append(buf)
        self.notices.append(notice)

    def status(self) -> StatusReport:
        return printer_status(self.paper)

    def close(self) -> None:
        self.closed = True


def make_printer(section: Any) -> TicketPrinter:
    """Build the printer chosen by ``section.backend`` (the ``[printer]`` config section).

    Keys: ``backend`` (usb|serial|network|file|fake), ``profile`` (python-escpos profile
    name, e.g. "TM-T20II", "POS-5890"), ``timeout`` (seconds) and per backend:
    usb ``vendor_id, product_id`` (int or "0x0416"), ``in_ep, out_ep``;
    serial ``device, baudrate``; network ``host, port``; file ``path``. What the ticket says
    besides the number (logo, header, footer) is ``ticket_layout.style_from_section``.
    """
    from node.hardware.ticket_layout import style_from_section

    backend = setting(section, "backend", "fake")
    style = style_from_section(section)
    if backend == "fake":
        return FakePrinter(setting(section, "profile", "TM-T20II"), style)
    if backend not in BACKENDS:
        raise HardwareError(f"unknown printer backend {backend!r}; expected one of {BACKENDS}")
    from node.hardware.printer_escpos import make_escpos_printer

    return make_escpos_printer(section, style)
