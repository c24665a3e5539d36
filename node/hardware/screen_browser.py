"""The hall screen as Chromium in kiosk mode on the hub's ``/board`` (``[screen] backend =
"browser"``), the alternative to the pygame board (trade-offs in ``docs/hall.md``).

Nothing runs in the node agent for it: ``loket node board`` (started by
``firmware_config/systemd/loket-board.service`` under the cage kiosk compositor) replaces
itself with Chromium, so systemd watches Chromium itself and restarts it when it dies. The
board page speaks with the hub's clips (``hub/static/board_sound.js``) and selects what it
shows with ``?display=<this node's id>``: the zone, services and counters of the display's
catalogue entry, the same rule a pygame display node follows (``core.zones``).

The flags live here, in one place, so the unit, the README and the hall board tests
(``tests/hub/ui/chromium.py``) run the same Chromium.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from node.hardware.errors import HardwareError
from node.hardware.settings import setting

# What an unattended board needs: sound without anyone touching the screen, and no dialog,
# bar or bubble that a TV without a keyboard could never close.
UNATTENDED_FLAGS = (
    "--noerrdialogs",
    "--disable-infobars",
    "--autoplay-policy=no-user-gesture-required",
)
KIOSK_FLAGS = (
    "--kiosk",
    *UNATTENDED_FLAGS,
    "--no-first-run",
    "--disable-session-crashed-bubble",  # a power cut is normal in a hall, not a crash to report
    "--disable-features=Translate,TranslateUI",  # an Indonesian page is not to be translated
    "--check-for-update-interval=31536000",  # no update nagging: apt updates it
    "--password-store=basic",  # no keyring prompt
    "--disable-pinch",  # a touch TV must not zoom the board away
    "--overscroll-history-navigation=0",  # nor swipe back to a blank page
    "--ozone-platform-hint=auto",  # Wayland under cage, X11 under an X session
)
BROWSERS = ("chromium", "chromium-browser")


def board_url(node: Any, section: Any) -> str:
    """``<hub_url>/board?display=<id>`` (+ ``lang=en``, ``sound=0``), or ``[screen] url``."""
    url = setting(section, "url", None)
    if url:
        return str(url)
    query = {"display": node.id}
    if setting(section, "lang", "id") == "en":
        query["lang"] = "en"
    if not setting(section, "sound", True):
        query["sound"] = "0"
    return f"{node.hub_url}/board?{urlencode(query, quote_via=quote)}"


def chromium_argv(config: Any) -> list[str]:
    """The full Chromium command line for a display profile with ``[screen] backend =
    "browser"``; its profile folder is ``<data_dir>/chromium`` (kept: the clips stay cached)."""
    section = config.screen
    if section is None or setting(section, "backend") != "browser":
        raise HardwareError(
            'this profile has no [screen] backend = "browser"; expected a hall display '
            "profile such as firmware_config/node/display-browser.toml"
        )
    browser = str(setting(section, "browser", "") or "")
    found = find_browser(section)
    if found is None:
        raise HardwareError(
            f"Chromium not found ({browser or ' or '.join(BROWSERS)}); install it with "
            "`sudo apt install chromium cage` (or set [screen] browser to its path)"
        )
    profile_dir = Path(config.node.data_dir) / "chromium"
    return [
        found,
        *KIOSK_FLAGS,
        f"--user-data-dir={profile_dir}",
        board_url(config.node, section),
    ]


def find_browser(section: Any) -> str | None:
    """The Chromium to run: ``[screen] browser`` (a name or path), else the first of
    ``BROWSERS`` on the PATH; None when there is none."""
    browser = str(setting(section, "browser", "") or "")
    if browser:
        return shutil.which(browser)
    return next(filter(None, map(shutil.which, BROWSERS)), None)


def exec_chromium(argv: list[str]) -> None:
    """Become Chromium (never returns): systemd then supervises the browser itself."""
    Path(argv[-2].split("=", 1)[1]).mkdir(parents=True, exist_ok=True)
    os.execv(argv[0], argv)
