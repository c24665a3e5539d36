"""Lay out one queue ticket as ESC/POS bytes, rendered whole into an escpos ``Dummy``.

Rendering into memory first means a failure (bad QR data, image too wide...) raises before a
single byte reaches the printer: the backend sends the finished buffer with one ``_raw``.

What the printer can do comes from its python-escpos profile: a native QR code (``GS ( k``,
~70 bytes) when the profile declares ``qrCode``, otherwise the same QR as a raster image
(~3 KB, cheap 58 mm printers like the POS-5890); a cut only if the profile has a cutter,
otherwise extra feed so the ticket clears the tear bar.
"""

from __future__ import annotations

import unicodedata

from node.hardware.errors import HardwareError, missing_driver
from node.hardware.printer import TicketPrint

# Raw ESC/POS commands we emit ourselves (escpos.constants has them too; spelled out here so
# the tests and this file read the same bytes).
INIT = b"\x1b@"
ALIGN_CENTER = b"\x1ba\x01"
BOLD_ON, BOLD_OFF = b"\x1bE\x01", b"\x1bE\x00"
INVERT_ON, INVERT_OFF = b"\x1dB\x01", b"\x1dB\x00"
SIZE_NORMAL = b"\x1d!\x00"
SIZE_DOUBLE = b"\x1d!\x11"  # 2x width, 2x height
SIZE_QUAD = b"\x1d!\x33"  # 4x width, 4x height: the ticket number

_TEXT = {
    "id": {
        "number": "NOMOR ANTRIAN",
        "offline": " OFFLINE ",
        "offline_note": "Nomor sementara: dipanggil sesuai urutan datang",
        "ahead": "Antrian di depan Anda: {n} orang",
        "wait": "Perkiraan tunggu: +/- {n} menit",
        "counter": "Menuju: {c}",
        "qr": "Pindai untuk cek status antrian",
        "footer": "Terima kasih. Mohon tunggu panggilan nomor Anda.",
    },
    "en": {
        "number": "QUEUE NUMBER",
        "offline": " OFFLINE ",
        "offline_note": "Temporary number: called in order of arrival",
        "ahead": "People ahead of you: {n}",
        "wait": "Estimated wait: about {n} min",
        "counter": "Go to: {c}",
        "qr": "Scan to check your queue status",
        "footer": "Thank you. Please wait for your number to be called.",
    },
}


def fold_ascii(text: str) -> bytes:
    """Fold text to plain ASCII (NFKD, accents dropped): no code-page surprises on any printer."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore")


def _wrap(text: str, columns: int) -> list[str]:
    """Greedy word wrap; a word longer than a line is cut rather than overflowing."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > columns:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:columns])
            word = word[columns:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= columns:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def render_ticket(ticket: TicketPrint, profile: str | None = None) -> bytes:
    """Return the complete ESC/POS byte stream of ``ticket`` for the given escpos profile.

    Raises ``HardwareError`` when the ticket cannot be laid out (unknown profile, a QR code
    too large for the paper...): nothing has been sent at that point.
    """
    try:
        from escpos.printer import Dummy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise missing_driver("escpos", "pip install 'python-escpos[usb,serial]'") from exc
    try:
        return _render(Dummy, ticket, profile)
    except HardwareError:
        raise
    except Exception as exc:
        raise HardwareError(f"cannot lay out ticket {ticket.label}: {exc!r}") from exc


def _render(Dummy: type, ticket: TicketPrint, profile: str | None) -> bytes:  # noqa: N803
    text = _TEXT.get(ticket.lang, _TEXT["id"])
    p = Dummy(profile=profile)
    columns = p.profile.get_columns("a")
    features = p.profile.features

    def line(s: str) -> None:
        # Text goes out as folded ASCII through _raw: escpos' text() would add code-page
        # switches (ESC t) that we neither need nor want in the exact bytes.
        for part in _wrap(s, columns) or [""]:
            p._raw(fold_ascii(part) + b"\n")

    p._raw(INIT + ALIGN_CENTER)
    p._raw(BOLD_ON)
    line(ticket.mpp_name)
    p._raw(BOLD_OFF)
    line(ticket.agency_name)
    line(ticket.service_name)
    p._raw(b"\n")
    line(text["number"])
    # Quad size fits 8 characters even on a 58 mm printer (32 columns); longer labels
    # (prefix mode "B-K12-104") drop to double size so they never wrap.
    big = SIZE_QUAD if len(ticket.label) * 4 <= columns else SIZE_DOUBLE
    p._raw(big + BOLD_ON + fold_ascii(ticket.label) + b"\n" + BOLD_OFF + SIZE_NORMAL)
    if ticket.offline:
        p._raw(INVERT_ON + BOLD_ON + SIZE_DOUBLE + fold_ascii(text["offline"]) + b"\n")
        p._raw(SIZE_NORMAL + BOLD_OFF + INVERT_OFF)
        line(text["offline_note"])
    p._raw(b"\n")
    line(ticket.issued_at)
    if ticket.people_ahead is not None:
        line(text["ahead"].format(n=ticket.people_ahead))
    if ticket.est_wait_min is not None:
        line(text["wait"].format(n=ticket.est_wait_min))
    if ticket.counter_hint:
        line(text["counter"].format(c=ticket.counter_hint))
    if ticket.status_url:
        if features.get("qrCode"):
            # escpos refuses center=True for native QR; the ALIGN_CENTER above centres it.
            p.qr(ticket.status_url, size=6, native=True)
            p._raw(b"\n")
        else:
            p.qr(ticket.status_url, size=4, native=False, center=True)
        line(text["qr"])
    p._raw(b"\n")
    line(text["footer"])
    if features.get("paperFullCut") or features.get("paperPartCut"):
        p.cut()
    else:
        p.print_and_feed(4)  # no cutter: feed past the tear bar
    return p.output
