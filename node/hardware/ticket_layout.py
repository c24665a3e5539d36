"""Lay out one queue ticket as ESC/POS bytes, rendered whole into an escpos ``Dummy``.

Rendering into memory first means a failure (bad QR data, image too wide...) raises before a
single byte reaches the printer: the backend sends the finished buffer with one ``_raw``.

What the printer can do comes from its python-escpos profile: a native QR code (``GS ( k``,
~70 bytes) when the profile declares ``qrCode``, otherwise the same QR as a raster image
(~3 KB, cheap 58 mm printers like the POS-5890); a cut only if the profile has a cutter,
otherwise extra feed so the ticket clears the tear bar.

Text is folded to ASCII before it is wrapped (``ticket_text``). What a deployment adds to every
ticket (a logo, a header line, its own footer, the SKM and LAPOR! lines) is a ``TicketStyle``
built once from the ``[printer]`` section: a bad logo file is a start-up error, never a
ticket that fails at the first visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.hardware.errors import HardwareError, missing_driver
from node.hardware.printer import NoticePrint, TicketPrint
from node.hardware.settings import setting
from node.hardware.ticket_text import fold_text, readable

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
        "counters": "Menuju loket {c}",
        "category": "Prioritas: {c}",
        "service_fallback": "Layanan {p}",
        "qr": "Pindai untuk cek status antrian",
        "footer": "Terima kasih. Mohon tunggu panggilan nomor Anda.",
        "survey": "Setelah dilayani, mohon isi Survei Kepuasan Masyarakat (SKM).",
        "complaints": "Pengaduan: LAPOR! lapor.go.id / SMS 1708",
    },
    "en": {
        "number": "QUEUE NUMBER",
        "offline": " OFFLINE ",
        "offline_note": "Temporary number: called in order of arrival",
        "ahead": "People ahead of you: {n}",
        "wait": "Estimated wait: about {n} min",
        "counter": "Go to: {c}",
        "counters": "Go to counter {c}",
        "category": "Priority: {c}",
        "service_fallback": "Service {p}",
        "qr": "Scan to check your queue status",
        "footer": "Thank you. Please wait for your number to be called.",
        "survey": "After your visit, please fill in the satisfaction survey (SKM).",
        "complaints": "Complaints: LAPOR! lapor.go.id / SMS 1708",
    },
}


FONT_A_DOTS = 12  # width of one font-A column: the dot width of a profile that does not say


@dataclass(frozen=True)
class TicketStyle:
    """What a deployment prints on every ticket beside the number (``[printer]`` keys)."""

    header: str = ""  # a line under the MPP's name, e.g. its address
    footer: tuple[str, ...] = ()  # replaces the thank-you line
    survey: bool = True  # the SKM invitation
    complaints: str | None = None  # None: the LAPOR! line of the language table; "": none
    logo: Any = None  # a 1-bit PIL image (``load_logo``), printed at the top


def style_from_section(section: Any) -> TicketStyle:
    """The ``TicketStyle`` of a ``[printer]`` section (dict or DeviceSection); loads the logo."""
    logo_path = setting(section, "logo", None)
    width = setting(section, "logo_width", None)
    return TicketStyle(
        header=setting(section, "header", "") or "",
        footer=tuple(setting(section, "footer", ()) or ()),
        survey=bool(setting(section, "survey", True)),
        complaints=setting(section, "complaints", None),
        logo=load_logo(logo_path, width) if logo_path else None,
    )


def load_logo(path: str | Path, width_px: int | None = None) -> Any:
    """The logo as a 1-bit image, dithered (Floyd-Steinberg) so greys print as dot density
    rather than as solid black; scaled down to ``width_px`` (default 256 dots, room on 58 mm)."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow comes with python-escpos
        raise missing_driver("PIL", "pip install pillow") from exc
    try:
        with Image.open(path) as img:
            img.load()
            grey = _on_white(img).convert("L")
    except OSError as exc:
        raise HardwareError(f"printer.logo: cannot read {str(path)!r} ({exc})") from exc
    width_px = width_px or 256
    if grey.width > width_px:
        height = max(1, round(grey.height * width_px / grey.width))
        grey = grey.resize((width_px, height), Image.Resampling.LANCZOS)
    return grey.convert("1", dither=Image.Dither.FLOYDSTEINBERG)


def _on_white(img: Any) -> Any:
    # A transparent PNG logo would turn its transparent area black: paper is white.
    if img.mode in ("RGBA", "LA", "P"):
        from PIL import Image

        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba)
    return img


def fold_ascii(text: str) -> bytes:
    """``ticket_text.fold_text`` as the bytes that are sent."""
    return fold_text(text).encode("ascii")


def counters_text(numbers: tuple[int, ...] | list[int]) -> str:
    """Counter numbers as people write them: (1, 2) -> "1-2", (1, 2, 3, 7) -> "1-3, 7"."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


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


def render_ticket(
    ticket: TicketPrint, profile: str | None = None, style: TicketStyle | None = None
) -> bytes:
    """Return the complete ESC/POS byte stream of ``ticket`` for the given escpos profile.

    Raises ``HardwareError`` when the ticket cannot be laid out (unknown profile, a QR code
    too large for the paper...): nothing has been sent at that point.
    """
    try:
        from escpos.printer import Dummy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise missing_driver("escpos", "pip install 'python-escpos[usb,serial]'") from exc
    try:
        return _render(Dummy, ticket, profile, style or TicketStyle())
    except HardwareError:
        raise
    except Exception as exc:
        raise HardwareError(f"cannot lay out ticket {ticket.label}: {exc!r}") from exc


def _render(Dummy: type, ticket: TicketPrint, profile: str | None, style: TicketStyle) -> bytes:  # noqa: N803
    text = _TEXT.get(ticket.lang, _TEXT["id"])
    p = Dummy(profile=profile)
    columns = p.profile.get_columns("a")
    features = p.profile.features

    def line(s: str) -> None:
        # Folded first, then wrapped: the widths counted are the printed ones. Text goes out
        # through _raw: escpos' text() would add code-page switches (ESC t) we do not want.
        for part in _wrap(fold_text(s), columns) or [""]:
            p._raw(part.encode("ascii") + b"\n")

    p._raw(INIT + ALIGN_CENTER)
    if style.logo is not None:
        if style.logo.width > columns * FONT_A_DOTS:
            raise HardwareError(
                f"printer.logo is {style.logo.width} dots wide; this printer prints "
                f"{columns * FONT_A_DOTS}: set logo_width"
            )
        p.image(style.logo)
    p._raw(BOLD_ON)
    line(ticket.mpp_name)
    p._raw(BOLD_OFF)
    if style.header:
        line(style.header)
    line(ticket.agency_name)
    service = fold_text(ticket.service_name)
    # A name in a script with no ASCII form would print as "????": say which service it is.
    line(service if readable(service) else text["service_fallback"].format(p=_prefix(ticket)))
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
    if ticket.category:
        p._raw(BOLD_ON)
        line(text["category"].format(c=ticket.category))
        p._raw(BOLD_OFF)
    if ticket.counter_hint:
        line(text["counter"].format(c=ticket.counter_hint))
    elif ticket.counters:
        line(text["counters"].format(c=counters_text(ticket.counters)))
    if ticket.status_url:
        if features.get("qrCode"):
            # escpos refuses center=True for native QR; the ALIGN_CENTER above centres it.
            p.qr(ticket.status_url, size=6, native=True)
            p._raw(b"\n")
        else:
            p.qr(ticket.status_url, size=4, native=False, center=True)
        line(text["qr"])
    p._raw(b"\n")
    for footer in style.footer or (text["footer"],):
        line(footer)
    if style.survey:
        line(text["survey"])
    complaints = text["complaints"] if style.complaints is None else style.complaints
    if complaints:
        line(complaints)
    _finish(p)
    return p.output


def render_notice(notice: NoticePrint, profile: str | None = None) -> bytes:
    """A short slip (no number, no QR): the MPP, the service, why, the time; then cut/feed."""
    try:
        from escpos.printer import Dummy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise missing_driver("escpos", "pip install 'python-escpos[usb,serial]'") from exc
    try:
        p = Dummy(profile=profile)
        columns = p.profile.get_columns("a")

        def line(s: str) -> None:
            for part in _wrap(fold_text(s), columns) or [""]:
                p._raw(part.encode("ascii") + b"\n")

        p._raw(INIT + ALIGN_CENTER + BOLD_ON)
        line(notice.mpp_name)
        p._raw(BOLD_OFF)
        line(notice.title)
        p._raw(b"\n" + SIZE_DOUBLE + BOLD_ON)
        for text in notice.lines[:1]:
            line(text)
        p._raw(BOLD_OFF + SIZE_NORMAL)
        for text in notice.lines[1:]:
            line(text)
        p._raw(b"\n")
        line(notice.printed_at)
        if notice.footer:
            line(notice.footer)
        _finish(p)
        return p.output
    except Exception as exc:
        raise HardwareError(f"cannot lay out the notice {notice.title!r}: {exc!r}") from exc


def _finish(p: Any) -> None:
    features = p.profile.features
    if features.get("paperFullCut") or features.get("paperPartCut"):
        p.cut()
    else:
        p.print_and_feed(4)  # no cutter: feed past the tear bar


def _prefix(ticket: TicketPrint) -> str:
    return fold_text(ticket.label.split("-")[0])
