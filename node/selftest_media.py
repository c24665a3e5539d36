"""The self-test's checks of what a node shows, prints and says: the ticket printer, the
speaker, the pygame screen and a browser display's board (``node.selftest_checks`` holds the
rows, the seams, the display, buttons, hub and disk checks). Same rules: each check returns
rows and never raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.announce import call_clips
from core.health import as_status
from node.roles.base import config_value
from node.selftest_checks import FAIL, PASS, SKIP, Ask, Check, Seams, fail_open, verdict

# -- printer -----------------------------------------------------------------------------


def check_printer(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """Ask the paper sensor, print a test ticket, ask again."""
    from node.hardware.printer import TicketPrint, make_printer

    try:
        printer = seams.printer or (
            _seam_printer(config.printer, seams.printer_device)
            if seams.printer_device is not None
            else make_printer(config.printer)
        )
    except Exception as exc:  # noqa: BLE001
        return fail_open("printer", exc)
    try:
        before = as_status(printer.status())
        if before.fault:
            return [Check("printer", FAIL, f"{before.status}: {before.detail}")]
        ticket = TicketPrint(
            label="TES-001",
            service_name="Uji printer / printer test",
            agency_name="Loket selftest",
            mpp_name=str(config_value(config, "mpp", "name", "") or "Mal Pelayanan Publik"),
            issued_at=time.strftime("%d-%m-%Y %H:%M"),
            people_ahead=0,
            est_wait_min=0,
            status_url="http://loket.invalid/t/selftest-ticket",
            offline=False,
        )
        try:
            printer.print_ticket(ticket)
        except Exception as exc:  # noqa: BLE001
            return [Check("printer", FAIL, f"test ticket not printed: {exc}")]
        after = as_status(printer.status())
        detail = f"test ticket printed; paper {after.status}"
        if after.detail:
            detail += f" ({after.detail})"
        person = ask.confirm("Did a test ticket come out, with a readable QR code?")
        return [verdict("printer", not after.fault, detail, person)]
    finally:
        if seams.printer is None:
            printer.close()


def _seam_printer(section: Any, open_device: Callable[[], Any]) -> Any:
    """The profile's printer (escpos profile, ticket style) on a device the caller opens: an
    escpos ``Dummy`` in tests, where the profile names a USB or serial printer."""
    from node.hardware.printer_escpos import EscposPrinter
    from node.hardware.settings import setting
    from node.hardware.ticket_layout import style_from_section

    profile = setting(section, "profile", None)
    style = style_from_section(section)
    return EscposPrinter(open_device, profile, "test device", style=style, can_read=False)


# -- sound and screen --------------------------------------------------------------------


def check_sound(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """Play the chime, then a sample call ("A-001 to counter 1")."""
    from node.hardware.sound import make_announcer

    try:
        announcer = make_announcer(config.sound)
    except Exception as exc:  # noqa: BLE001
        return fail_open("speaker", exc)
    try:
        lang = config_value(config, "sound", "lang", "id") or "id"
        outcomes = [str(announcer.announce(["chime"], label="selftest chime"))]
        outcomes.append(str(announcer.announce(call_clips("A-001", 1, lang), label="selftest")))
        wait = getattr(announcer, "wait_idle", None)
        if wait is not None and not wait(30):
            return [Check("speaker", FAIL, "the sample call did not finish within 30 s")]
        status = as_status(announcer.status())
        ok = outcomes == ["queued", "queued"] and not status.fault
        detail = "chime and sample call A-001 played" if ok else f"{outcomes} {status.detail}"
        person = ask.confirm("Did you hear the chime and 'nomor antrian A nol nol satu'?")
        return [verdict("speaker", ok, detail, person)]
    finally:
        announcer.close()


def check_screen(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """Draw a board with a sample call on the hall screen."""
    from node.hardware.screen import make_screen

    try:
        screen = make_screen(config.screen)
    except Exception as exc:  # noqa: BLE001
        return fail_open("screen", exc)
    try:
        screen.render(
            {
                "title": "Loket selftest",
                "now": {"label": "A-001", "counter": 1},
                "recent": [],
                "waiting": [],
                "offline": False,
                "lang": "id",
            }
        )
        wait = getattr(screen, "wait_drawn", None)
        drawn = wait(30) if wait is not None else True
        status = as_status(screen.status())
        ok = drawn and not status.fault
        detail = f"sample board drawn {status.detail}".strip() if ok else "board not drawn"
        person = ask.confirm("Does the screen show A-001 -> loket 1?")
        return [verdict("screen", ok, detail, person)]
    finally:
        screen.close()


def check_board(config: Any, seams: Seams, ask: Ask) -> list[Check]:
    """A browser display: the hub serves this display's board, and Chromium is here to show
    it (SKIP, saying how to install it, when not: the board is the hub's, not this Pi's)."""
    from node.board_heartbeat import BoardScreen
    from node.hardware.screen_browser import board_url, find_browser
    from node.transport import HttpTransport

    url = board_url(config.node, config.screen)
    token = config_value(config, "node", "token") or None
    transport = seams.transport or HttpTransport(config.node.hub_url, token, timeout=3.0)
    status = BoardScreen(transport, url).status()
    ok = status.status == "ok"
    detail = f"the hub serves {url}" if ok else status.detail
    rows = [Check("board page", PASS if ok else FAIL, detail)]
    found = find_browser(config.screen)
    if found is None:
        rows.append(Check("chromium", SKIP, "not installed here: sudo apt install chromium cage"))
    else:
        person = ask.confirm("Does the TV show the board (run `systemctl start loket-board`)?")
        rows.append(verdict("chromium", True, f"{found} (loket-board.service runs it)", person))
    return rows
