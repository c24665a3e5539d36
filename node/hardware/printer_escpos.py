"""Real ticket printers through python-escpos: usb, serial, network and file (e.g. /dev/usb/lp0).

Imported only when ``make_printer`` selects one of these backends. Each ticket is rendered
whole first and sent with a single ``_raw``; any transport failure closes the device (the
next print reopens it) and raises ``HardwareError`` so the kiosk knows nothing came out.

Status is best effort, two real-time queries with a short timeout each: DLE EOT 2 (why the
printer is offline: cover open, an error) and DLE EOT 4 (the paper sensors). Many cheap
printers never answer, and escpos' own ``paper_status()`` reads "no reply" as "paper OK":
we report UNKNOWN instead (and a kiosk still prints: no answer is not a fault).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from node.hardware.errors import HardwareError, missing_driver
from node.hardware.printer import (
    DETAILS,
    NoticePrint,
    PrinterStatus,
    StatusReport,
    TicketPrint,
    printer_status,
)
from node.hardware.settings import setting
from node.hardware.ticket_layout import render_notice, render_ticket

log = logging.getLogger(__name__)

PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4: transmit paper sensor status
OFFLINE_CAUSE_QUERY = b"\x10\x04\x02"  # DLE EOT 2: transmit offline cause status
DEFAULT_TIMEOUT_S = 5.0


def _status_byte(reply: bytes) -> int | None:
    if not reply:
        return None
    byte = reply[-1]  # the latest answer if stale bytes were waiting
    if byte & 0x93 != 0x12:  # bits 1 and 4 always 1, bits 0 and 7 always 0
        return None
    return byte


def offline_cause_from_reply(reply: bytes) -> PrinterStatus:
    """Decode a DLE EOT 2 reply byte: 0x04 cover open, 0x40 an error; else OK (as far as
    this query can tell: paper end is the other query's)."""
    byte = _status_byte(reply)
    if byte is None:
        return PrinterStatus.UNKNOWN
    if byte & 0x04:
        return PrinterStatus.COVER_OPEN
    if byte & 0x40:
        return PrinterStatus.FAULT
    return PrinterStatus.OK


def paper_status_from_reply(reply: bytes) -> PrinterStatus:
    """Decode a DLE EOT 4 reply byte: fixed bits 0x12 set, 0x60 paper end, 0x0C near end."""
    byte = _status_byte(reply)
    if byte is None:
        return PrinterStatus.UNKNOWN
    if byte & 0x60:
        return PrinterStatus.OUT
    if byte & 0x0C:
        return PrinterStatus.LOW
    return PrinterStatus.OK


class EscposPrinter:
    """A ``TicketPrinter`` over any python-escpos device, opened lazily and reopened on error.

    ``open_device`` returns a connected escpos printer object (``Usb``, ``Serial``...);
    it raises on failure. Tests may pass their own. ``keep_open=False`` (network printers)
    connects for each job and each status query, as raw port-9100 printing expects: an idle
    connection the printer dropped would otherwise fail the next ticket, and a printer that
    takes one client at a time stays free for others.
    """

    def __init__(
        self,
        open_device: Callable[[], Any],
        profile: str | None,
        name: str,
        *,
        style: Any = None,
        can_read: bool = True,
        keep_open: bool = True,
        status_timeout: float = 0.5,
    ) -> None:
        self._keep_open = keep_open
        self.style = style
        self.status_timeout = status_timeout
        self._open_device = open_device
        self.profile = profile
        self.name = name
        self._can_read = can_read
        self._device: Any = None
        self._lock = threading.Lock()  # status polls and prints may come from two threads

    def _ensure_open(self) -> Any:
        if self._device is None:
            self._device = self._open_device()
        return self._device

    def _drop(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a broken device may fail too
                log.debug("closing printer %s failed", self.name, exc_info=True)

    def print_ticket(self, ticket: TicketPrint) -> None:
        self._send(render_ticket(ticket, self.profile, self.style), ticket.label)

    def print_notice(self, notice: NoticePrint) -> None:
        self._send(render_notice(notice, self.profile), "notice")

    def _send(self, buf: bytes, what: str) -> None:
        # Rendered whole before this: a layout error never prints half a ticket.
        with self._lock:
            try:
                self._ensure_open()._raw(buf)
            except Exception as exc:
                self._drop()
                raise HardwareError(f"printer {self.name}: {what} not printed: {exc}") from exc
            if not self._keep_open:
                self._drop()

    def status(self) -> StatusReport:
        """``(status, detail)``: cover and error first (a printer with its cover open may
        still report paper present), then the paper sensors."""
        with self._lock:
            try:
                return printer_status(*self._status())
            finally:
                if not self._keep_open:
                    self._drop()

    def _status(self) -> tuple[str, str]:
        try:
            device = self._ensure_open()
        except Exception as exc:  # noqa: BLE001 - any failure to open means "offline"
            log.debug("printer %s offline: %s", self.name, exc)  # polled: the role logs changes
            self._drop()
            return PrinterStatus.OFFLINE, f"{self.name}: {exc}"
        if not self._can_read:
            return PrinterStatus.UNKNOWN, f"{self.name}: cannot be asked"
        try:
            cause = offline_cause_from_reply(self._ask(device, OFFLINE_CAUSE_QUERY))
            if cause in (PrinterStatus.COVER_OPEN, PrinterStatus.FAULT):
                return cause, DETAILS[cause]
            paper = paper_status_from_reply(self._ask(device, PAPER_STATUS_QUERY))
        except TimeoutError:
            return PrinterStatus.UNKNOWN, DETAILS[PrinterStatus.UNKNOWN]
        except Exception as exc:  # noqa: BLE001 - a write failure: the link is gone
            if "Timeout" in type(exc).__name__:  # pyusb's USBTimeoutError: no reply
                return PrinterStatus.UNKNOWN, DETAILS[PrinterStatus.UNKNOWN]
            log.info("printer %s status query failed: %s", self.name, exc)
            self._drop()
            return PrinterStatus.OFFLINE, f"{self.name}: {exc}"
        return paper, DETAILS.get(paper, "")

    def _ask(self, device: Any, query: bytes) -> bytes:
        device._raw(query)
        try:
            return bytes(_read_reply(device, self.status_timeout) or b"")
        except TimeoutError:  # a printer that knows one query but not the other
            return b""

    def close(self) -> None:
        with self._lock:
            self._drop()


def _read_reply(device: Any, timeout: float) -> bytes:
    """Read a status reply with a short timeout (a silent printer must not stall the kiosk)."""
    link = device.device
    if isinstance(link, socket.socket):
        saved = link.gettimeout()
        link.settimeout(timeout)
        try:
            return device._read()
        finally:
            link.settimeout(saved)
    if hasattr(link, "reset_input_buffer"):  # pyserial: returns b"" when the timeout expires
        saved = link.timeout
        link.timeout = timeout
        try:
            return device._read()
        finally:
            link.timeout = saved
    return device._read()  # usb: bounded by the device's own timeout


def _int(value: Any) -> int:
    return int(value, 0) if isinstance(value, str) else int(value)


def _open_network(host: str, port: int, timeout: float, profile: str | None) -> Any:
    from escpos.printer import Network

    printer = Network(host, port, timeout=timeout, profile=profile)
    # Connect ourselves: Network.open() leaks its socket when the connection is refused
    # (a ResourceWarning), while create_connection closes it before raising.
    printer.device = socket.create_connection((host, port), timeout=timeout)
    return printer


def _open_serial(device: str, baudrate: int, timeout: float, profile: str | None) -> Any:
    from escpos.printer import Serial

    # dsrdtr=False: most ticket printers do not wire DSR, and a pty has no modem lines.
    printer = Serial(
        devfile=device, baudrate=baudrate, timeout=timeout, dsrdtr=False, profile=profile
    )
    printer.open()
    # escpos only sets a read timeout; without a write timeout a printer holding CTS/XOFF
    # would block the kiosk forever.
    printer.device.write_timeout = timeout
    return printer


def _open_usb(ids: dict[str, int], timeout: float, profile: str | None) -> Any:
    try:
        import usb.core  # noqa: F401 - escpos needs it; import here for a clear message
    except ImportError as exc:
        raise missing_driver(
            "usb", "pip install 'python-escpos[usb]' and apt install libusb-1.0-0"
        ) from exc
    from escpos.printer import Usb

    printer = Usb(
        ids["vendor_id"],
        ids["product_id"],
        timeout=int(timeout * 1000),  # pyusb counts milliseconds; 0 would mean "wait forever"
        in_ep=ids["in_ep"],
        out_ep=ids["out_ep"],
        profile=profile,
    )
    try:
        printer.open()
    except Exception as exc:
        # The usual causes, in the words a technician needs (notes/hardware.md).
        raise HardwareError(
            f"{exc} (check: libusb installed - apt install libusb-1.0-0; a udev rule giving the "
            "service user access to this vendor/product id; 'Resource busy' means usblp, CUPS "
            "or ipp-usb holds the printer)"
        ) from exc
    return printer


def _open_file(path: str, profile: str | None) -> Any:
    from escpos.printer import File

    printer = File(devfile=path, profile=profile)
    printer.open()
    return printer


def make_escpos_printer(section: Any, style: Any = None) -> EscposPrinter:
    """Build the escpos-backed printer for ``section.backend`` in usb|serial|network|file."""
    try:
        import escpos.printer  # noqa: F401
    except ImportError as exc:
        raise missing_driver("escpos", "pip install 'python-escpos[usb,serial]'") from exc
    backend = setting(section, "backend")
    profile = setting(section, "profile", None)
    timeout = float(setting(section, "timeout", DEFAULT_TIMEOUT_S))
    try:
        if backend == "network":
            host, port = setting(section, "host"), int(setting(section, "port", 9100))
            return EscposPrinter(
                lambda: _open_network(host, port, timeout, profile),
                profile,
                f"{host}:{port}",
                style=style,
                keep_open=False,
            )
        if backend == "serial":
            try:
                import serial  # noqa: F401
            except ImportError as exc:
                raise missing_driver("serial", "pip install pyserial") from exc
            device, baud = setting(section, "device"), int(setting(section, "baudrate", 9600))
            return EscposPrinter(
                lambda: _open_serial(device, baud, timeout, profile), profile, device, style=style
            )
        if backend == "usb":
            ids = {
                "vendor_id": _int(setting(section, "vendor_id")),
                "product_id": _int(setting(section, "product_id")),
                "in_ep": _int(setting(section, "in_ep", 0x82)),
                "out_ep": _int(setting(section, "out_ep", 0x01)),
            }
            name = f"usb {ids['vendor_id']:04x}:{ids['product_id']:04x}"
            return EscposPrinter(
                lambda: _open_usb(ids, timeout, profile), profile, name, style=style
            )
        if backend == "file":
            path = setting(section, "path")
            # A device file cannot answer a status query: status is "unknown" while it opens.
            return EscposPrinter(
                lambda: _open_file(path, profile), profile, path, style=style, can_read=False
            )
    except KeyError as exc:
        raise HardwareError(f"printer backend {backend!r} needs the setting {exc}") from exc
    raise HardwareError(f"unknown printer backend {backend!r}")
