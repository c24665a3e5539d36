"""Frame encoders for serial / RS-485 LED number panels.

Every vendor frames text differently, so the encoder is pluggable: the serial display takes
any object with ``encode(text, *, offline) -> bytes`` and chooses it by the ``framing`` key —
a name from :data:`ENCODERS` or ``"package.module:ClassName"`` for a vendor encoder shipped
outside this repo (constructed with ``address`` and ``width`` keywords).

The generic framing we ship (``encoder = "ascii_stx"``), all ASCII so a technician can read
it on a serial monitor::

    STX  A A  T T T ... T  ETX  C C
    0x02 |    |            0x03 checksum
         |    text: exactly `width` printable ASCII characters, right-aligned with spaces;
         |    a "." follows the text when the node is offline (on 7-segment panels it lights
         |    the last digit's decimal point; dot-matrix panels draw a dot)
         address: two decimal digits "01".."99" (panel DIP switches; "00" = all panels)

    checksum: XOR of every byte after STX up to and including ETX, sent as two upper-case
    hex digits.

Example: address 1, width 6, "A-001", online -> ``b"\\x0201 A-001\\x037F"``.
Characters outside printable ASCII are sent as "?" (config validation refuses them earlier).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from core.numbering import fit_label
from node.hardware.errors import HardwareError

STX = 0x02
ETX = 0x03


class FrameEncoder(Protocol):
    def encode(self, text: str, *, offline: bool) -> bytes: ...


def ascii_fit(text: str, width: int) -> str:
    """Printable ASCII, right-aligned in ``width``; too long: the shortest unambiguous form
    of a label (``core.numbering.fit_label``), else dashes dropped, then left chars."""
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return fit_label(text, lambda s: len(s) <= width).rjust(width) if width > 0 else ""


def xor_checksum(data: bytes) -> int:
    out = 0
    for byte in data:
        out ^= byte
    return out


class GenericAsciiFraming:
    """STX, address, text, ETX, XOR checksum (see the module docstring)."""

    def __init__(self, address: int | str = 1, width: int = 8) -> None:
        try:
            address = int(address)
        except ValueError:
            raise HardwareError(f"display.address {address!r}: expected 0..99") from None
        if not 0 <= address <= 99:
            raise HardwareError(f"display.address {address}: expected 0..99")
        if width < 1:
            raise HardwareError(f"display.digits {width}: expected at least 1")
        self.address = address
        self.width = width

    def encode(self, text: str, *, offline: bool) -> bytes:
        body = ascii_fit(text, self.width) + ("." if offline else "")
        payload = f"{self.address:02d}{body}".encode("ascii") + bytes([ETX])
        return bytes([STX]) + payload + f"{xor_checksum(payload):02X}".encode("ascii")


ENCODERS: dict[str, type] = {"ascii_stx": GenericAsciiFraming}


def make_encoder(name: str, *, address: int | str = 1, width: int = 8) -> Any:
    """The encoder called ``name`` (or imported from ``"module:Class"``)."""
    if name in ENCODERS:
        return ENCODERS[name](address=address, width=width)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise HardwareError(f"display.encoder {name!r} cannot be loaded: {exc}") from exc
        return cls(address=address, width=width)
    known = ", ".join(sorted(ENCODERS))
    raise HardwareError(f"unknown display.encoder {name!r}; expected {known} or 'module:Class'")
