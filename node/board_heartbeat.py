"""The browser display's heartbeat (contract C4): a small companion process that
``loket node board`` starts just before it becomes Chromium.

Chromium on the hub's ``/board`` has no node agent behind it, so without this the admin
device page would list the TV's Pi as never reporting, and nobody would see its SD card
filling with Chromium's cache, its under-voltage or its clock drifting. The companion sends
the same heartbeat a node agent does (version, uptime, address, clock offset, free disk, CPU
temperature, under-voltage) with one device, the ``screen``: ``ok`` while the hub answers
the board's URL, ``fault`` when it does not (the TV then shows Chromium's error page).

It lives exactly as long as Chromium: its parent is the process that execs Chromium, so
when Chromium ends the parent changes and the companion stops; systemd also ends it with the
unit (the whole control group). It needs the display's token (``[node] token``, from
``loket provision``); a profile without one sends nothing and says so once.

Run by hand: ``python -m node.board_heartbeat --config /etc/loket/node.toml``.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from core.health import DeviceStatus
from node.heartbeat import Heartbeat
from node.transport import HubUnreachable, Transport

log = logging.getLogger(__name__)

PARENT_CHECK_S = 1.0  # how soon after Chromium ends the companion notices


class NoSync:
    """A browser display keeps no replica: nothing waits to be sent, nothing syncs."""

    def status(self) -> dict:
        return {"backlog": 0, "last_sync_ms": None}


class BoardScreen:
    """The ``screen`` slot of the heartbeat (and the self-test's screen row): does the hub
    serve this display's board? Asked as ``/board/view.json`` with the board URL's query,
    which the hub checks like the page itself (an unknown zone is a 400 there too)."""

    def __init__(self, transport: Transport, board_url: str) -> None:
        self.transport = transport
        parts = urlsplit(board_url)
        self.board = parts.path + (f"?{parts.query}" if parts.query else "")
        self.probe = "/board/view.json" + (f"?{parts.query}" if parts.query else "")

    def status(self) -> DeviceStatus:
        try:
            code, body = self.transport.request("GET", self.probe, timeout=3.0)
        except HubUnreachable as exc:
            return DeviceStatus("fault", f"chromium kiosk: the hub does not answer ({exc})")
        if code != 200:
            why = body.get("message") or body.get("error") or ""
            return DeviceStatus("fault", f"chromium kiosk: {self.board} answers {code} {why}")
        return DeviceStatus("ok", f"chromium kiosk on {self.board}")


def beat_for(config: Any, transport: Transport | None = None, clock: Any = None) -> Heartbeat:
    """The heartbeat of a ``[screen] backend = "browser"`` display profile."""
    from core.clock import SystemClock
    from node.hardware.screen_browser import board_url
    from node.transport import HttpTransport

    node = config.node
    transport = transport or HttpTransport(node.hub_url, node.token, timeout=3.0)
    ctx = SimpleNamespace(
        node_id=node.id,
        clock=clock or SystemClock(),
        sync=NoSync(),
        devices=SimpleNamespace(screen=BoardScreen(transport, board_url(node, config.screen))),
        transport=transport,
        data_dir=Path(node.data_dir),
        hub_url=node.hub_url,
    )
    return Heartbeat(ctx, "display")


def start_companion(config_path: str | Path, config: Any) -> subprocess.Popen | None:
    """Start the companion for this profile (None, with a warning, when it has no token).
    Called by ``loket node board`` before it execs Chromium: this process's id then becomes
    Chromium's, which is how the companion knows when to stop."""
    if not getattr(config.node, "token", None):
        print(
            f"loket node board: {config.node.id} has no [node] token, so it sends no "
            "heartbeat (pair it with `loket provision`; docs/provisioning.md)",
            file=sys.stderr,
            flush=True,
        )
        return None
    argv = [sys.executable, "-m", "node.board_heartbeat", "--config", str(config_path)]
    return subprocess.Popen([*argv, "--parent", str(os.getpid())], stdin=subprocess.DEVNULL)


def run(beat: Heartbeat, parent: int | None, stop: threading.Event | None = None) -> None:
    """Beat until ``parent`` is no longer our parent (Chromium ended) or ``stop`` is set."""
    stop = stop or threading.Event()
    waited = beat.poll_s
    while not stop.is_set() and (parent is None or os.getppid() == parent):
        if waited >= beat.poll_s:
            waited = 0.0
            try:
                beat.tick()
            except Exception:  # noqa: BLE001 - health reporting must never end the board
                log.exception("heartbeat failed")
        stop.wait(PARENT_CHECK_S)
        waited += PARENT_CHECK_S


def main(argv: Sequence[str] | None = None) -> int:
    from core.config import load_node_config

    p = argparse.ArgumentParser(prog="python -m node.board_heartbeat")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--parent", type=int, default=None, help="stop when this is not our parent")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run(beat_for(load_node_config(args.config)), args.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
