"""``loket node run``, ``loket node status`` and ``loket node board``.

``run(args)``: load the node profile (every error reported before any device is opened),
build the node and run until Ctrl-C. ``--simulate`` replaces the devices with the shipped
fakes: the keyboard plays the buttons (counter: n/r/s/d/t, capitals = hold, 1-4 = rating;
kiosk: a, b, c ... = its services) and the LED is drawn in the terminal.

``status(args)``: what the node last wrote to its data folder (``status.json`` and the
checkpoint), so it works without the node process and without the hub.

``board(args)``: a hall display with ``[screen] backend = "browser"`` becomes Chromium in
kiosk mode on the hub's board (``node.hardware.screen_browser``); ``--print`` shows the
command line instead.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from node.outbox import INC_FILE, LOG_PREFIX, last_seq_vouched, own_folder
from node.replica import CHECKPOINT_FILE, read_json
from node.sync import STATUS_FILE


def _load_config(args: Any):
    from core.config import load_node_config

    return load_node_config(args.config)


def run(args: Any) -> int:
    """Run a node until Ctrl-C (or EOF / 'q' in simulation)."""
    from node.app import build_node

    config = _load_config(args)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    simulate = bool(getattr(args, "simulate", False))
    hardware = _simulated_devices(config) if simulate else None
    node = build_node(config, hardware=hardware)
    role = config.node.role
    panel = None
    if simulate and role == "counter":
        from node.hardware.buttons import FakeButtonPanel

        # Keys go through the same debounce/hold path as real buttons.
        panel = node.ctx.devices.buttons = FakeButtonPanel(on_event=node.press)
    node.start()
    from core import sdnotify

    # READY once the role has booted; the pings stop if the worker thread dies, and
    # systemd (WatchdogSec) restarts the agent.
    watchdog = sdnotify.ready(node.alive)
    screen = node.ctx.devices.screen
    try:
        if simulate:
            _keyboard_loop(node, role, sys.stdin, sys.stdout, panel)
        elif role == "kiosk" and hasattr(screen, "run"):
            screen.run(threading.Event())  # the touchscreen's loop owns the main thread
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        watchdog.stop()
        node.stop()
    return 0


def board(args: Any, out: TextIO | None = None) -> int:
    """Exec Chromium on this display's board (or print its command line)."""
    import shlex

    from node.hardware.screen_browser import chromium_argv, exec_chromium

    config = _load_config(args)
    argv = chromium_argv(config)
    if getattr(args, "print", False):
        print(shlex.join(argv), file=out or sys.stdout)
        return 0
    from node.board_heartbeat import start_companion

    start_companion(args.config, config)  # the heartbeat Chromium cannot send
    exec_chromium(argv)
    return 1  # not reached: exec replaced this process


def _simulated_devices(config: Any):
    from node.hardware.console import ConsoleAnnouncer, ConsolePrinter, ConsoleScreen
    from node.hardware.display import ConsoleDisplay
    from node.hardware.printer import FakePrinter
    from node.hardware.screen import FakeScreen
    from node.hardware.sound import FakeAnnouncer
    from node.roles.base import Devices

    role = config.node.role
    if role == "counter":
        return Devices(display=ConsoleDisplay(8, ticker=True, label=f"{config.node.id} "))
    if role == "kiosk":
        return Devices(
            printer=ConsolePrinter(FakePrinter()),
            notices=lambda text: print(f"[kiosk] {text}", flush=True),
        )
    return Devices(announcer=ConsoleAnnouncer(FakeAnnouncer()), screen=ConsoleScreen(FakeScreen()))


def _keyboard_loop(node: Any, role: str, stdin: TextIO, stdout: TextIO, panel: Any = None) -> None:
    from node.hardware.buttons import KEY_HELP, key_to_press

    if role == "counter":
        stdout.write(f"keys: {KEY_HELP}; q = quit (then Enter)\n")
    elif role == "kiosk":
        services = list(getattr(node.role, "services", []))
        keys = ", ".join(f"{chr(97 + i)} = {s}" for i, s in enumerate(services))
        stdout.write(f"keys: {keys}; a booking code (ABCD-2345) checks in; q = quit\n")
    else:
        stdout.write("hall display: shows and announces calls; q = quit (then Enter)\n")
    stdout.flush()
    for line in stdin:
        if role == "kiosk" and "-" in line.strip():
            node.scan(line.strip())  # a keyboard-wedge scanner types the code and Enter
            continue
        for key in line.strip():
            if key == "q":
                return
            if role == "counter":
                pressed = key_to_press(key)
                if pressed is not None:
                    name, hold = pressed
                    if panel is not None and name in panel.names:
                        panel.press(name, hold=hold)
                    else:
                        node.press(name, "hold" if hold else "press")
            elif role == "kiosk":
                node.press(key)


# -- status ----------------------------------------------------------------------------------


def _data_dir(args: Any) -> Path:
    # `loket node status --data DIR` (loket.cli) or data_dir= (tests, other callers).
    explicit = getattr(args, "data", None) or getattr(args, "data_dir", None)
    if explicit:
        return Path(explicit)
    return Path(_load_config(args).node.data_dir)


def _timezone(data_dir: Path) -> tzinfo:
    """The MPP's timezone, from the catalogue the node cached (WIB before it ever had one):
    a technician reads local times, like every other screen of the mall."""
    from node import hub_info
    from node.roles.base import DEFAULT_TZ

    try:
        name = hub_info.catalogue_of(hub_info.load(data_dir)).timezone
    except Exception:  # noqa: BLE001 - an unreadable cache must not hide the status
        name = None
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _when(ms: int | None, now_ms: int, tz: tzinfo | None = None) -> str:
    if not ms:
        return "never"
    tz = tz or ZoneInfo("Asia/Jakarta")
    stamp = datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    ago = max(0, (now_ms - ms) // 1000)
    return f"{stamp} ({ago} s ago)"


def last_own_seq(data_dir: Path) -> int | None:
    """The newest own seq in the node's log, read-only (the node may be running: never
    repair or lock its files here; an unreadable last line is simply not counted)."""
    from core.journal import decode_line

    try:
        inc = (data_dir / INC_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    last = last_seq_vouched(data_dir)  # what a compaction left out of the log
    for path in sorted(own_folder(data_dir).glob(f"{LOG_PREFIX}-*.jsonl")):
        with open(path, "rb") as fh:
            for line in fh:
                rec = decode_line(line.rstrip(b"\n"))
                if rec and rec.get("inc") == inc and isinstance(rec.get("seq"), int):
                    last = max(last, rec["seq"])
    return last


def status(args: Any, out: TextIO | None = None) -> int:
    """Print online?, backlog, last sync, hub epoch and since from the data folder."""
    out = out or sys.stdout
    data_dir = _data_dir(args)
    st = read_json(data_dir / STATUS_FILE, {})
    cp = read_json(data_dir / CHECKPOINT_FILE, {})
    if not st and not cp:
        out.write(f"no node state in {data_dir} (never started?)\n")
        return 1
    now_ms = int(getattr(args, "now_ms", None) or time.time() * 1000)
    online = st.get("online")
    last_seq = last_own_seq(data_dir)
    acked = int(cp.get("acked_through") or 0)
    backlog = st.get("backlog", "?") if last_seq is None else max(0, last_seq - acked)
    tz = _timezone(data_dir)
    lines = [
        ("node", f"{st.get('node', '?')} ({st.get('role', '?')})"),
        ("online", {True: "yes", False: "NO (working offline)", None: "unknown"}[online]),
        ("backlog", f"{backlog} event(s) not yet acknowledged by the hub"),
        ("last sync", _when(st.get("last_sync_ms"), now_ms, tz)),
        ("hub epoch", cp.get("hub_epoch") or st.get("hub_epoch") or "never contacted"),
        ("since", str(cp.get("since", st.get("since", 0)))),
        ("status written", _when(st.get("updated_ms"), now_ms, tz)),
    ]
    keys = ("printer", "showing", "lease_remaining", "last_error", "last_rejected")
    for key in (*keys, "config_problems"):
        if st.get(key) is not None:
            value = st[key]
            lines.append(
                (key.replace("_", " "), value if isinstance(value, str) else json.dumps(value))
            )
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        out.write(f"{key.ljust(width)}  {value}\n")
    return 0
