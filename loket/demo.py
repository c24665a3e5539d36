"""``loket demo``: a whole MPP on one machine, on fake hardware.

The hub (the shipped Belitung profile) serves on 127.0.0.1 with waitress, and the kiosk K1,
the counters C1-C4 and the hall display D1 run as real nodes in this process, talking to it
over HTTP exactly as Pis would. Only their devices are fakes that report to the terminal.
Everything lives under ``--data`` (default ``./var/demo``), so a restart continues the day.

This module is part of the composition root (``loket``) that may see both ``hub`` and ``node``;
it imports them inside functions only, so ``import loket`` stays free of Flask and gpiozero.
"""

from __future__ import annotations

import secrets
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from core.paths import demo_hub_profile

DEFAULT_DATA = Path("var/demo")
ADMIN_USER = "admin"


@dataclass
class Demo:
    """What a running demo is made of (also used by the smoke test)."""

    base_url: str
    api_token: str
    admin_password: str
    app: Any
    server: Any
    nodes: dict[str, Any] = field(default_factory=dict)
    counters: dict[int, str] = field(default_factory=dict)  # loket number -> counter id
    kiosk_services: list[str] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _closing: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        # In parallel: each node may be parked in a long-poll for a few seconds.
        stoppers = [threading.Thread(target=n.stop) for n in self.nodes.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        self._closing.set()
        self.server.close()
        if self._thread is not None:
            # waitress keeps serving channels still open (a node's last long-poll); its
            # thread is a daemon and the store below is closed only for writes.
            self._thread.join(1)
        self.app.extensions["loket"].store.close()


def start(data: Path, port: int, *, out: TextIO = sys.stdout) -> Demo:
    """Start hub and nodes; return once every node has booted."""
    import waitress

    from core.config import load_hub_config, override_hub
    from hub import create_app
    from hub.auth import add_user, pair_node
    from hub.commands import threads_for

    data.mkdir(parents=True, exist_ok=True)
    config = load_hub_config(demo_hub_profile())
    config = override_hub(config, host="127.0.0.1", port=port, data_dir=str(data / "hub"))
    app = create_app(config)
    store = app.extensions["loket"].store
    server = waitress.create_server(
        app, host="127.0.0.1", port=port, threads=threads_for(config), ident="loket-demo"
    )
    base_url = f"http://127.0.0.1:{server.effective_port}"
    closing = threading.Event()
    thread = threading.Thread(
        target=_serve, args=(server, closing), name="loket-demo-hub", daemon=True
    )
    thread.start()

    password_file = data / "admin-password.txt"
    if password_file.exists():
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(9)
        add_user(store, ADMIN_USER, password)
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)

    demo = Demo(
        base_url=base_url,
        # A token of its own for the curl lines, so they never impersonate a device.
        api_token=pair_node(store, "api"),
        admin_password=password,
        app=app,
        server=server,
        _thread=thread,
        _closing=closing,
    )
    demo.kiosk_services = list(config.kiosks[0].services) if config.kiosks else []
    layout = [(k.id, "kiosk", k.services) for k in config.kiosks]
    layout += [(c.id, "counter", c.services) for c in config.counters]
    layout += [(d.id, "display", ()) for d in config.displays]
    for node_id, role, services in layout:
        token = pair_node(store, node_id)
        demo.nodes[node_id] = _start_node(node_id, role, base_url, token, data, out, services)
    demo.counters = {c.number: c.id for c in config.counters}
    return demo


def _serve(server, closing: threading.Event) -> None:
    try:
        server.run()
    except OSError:
        # close() from another thread pulls the loop's file descriptors from under it
        # (EBADF); anything else while it is still open is real.
        if not closing.is_set():
            raise


def _start_node(
    node_id: str, role: str, base_url: str, token: str, data: Path, out: TextIO, services=()
):
    from core.config_node import node_config_from_dict
    from node.app import build_node

    raw: dict[str, Any] = {
        "node": {
            "id": node_id,
            "role": role,
            "hub_url": base_url,
            "token": token,
            "data_dir": str(data / f"node-{node_id}"),
        }
    }
    if role == "counter":
        raw["node"]["counter"] = node_id
        raw["display"] = {"backend": "fake"}
        raw["buttons"] = {"backend": "fake"}
    elif role == "kiosk":
        raw["node"]["services"] = list(services)
        raw["printer"] = {"backend": "fake"}
    else:
        raw["sound"] = {"backend": "fake"}
        raw["screen"] = {"backend": "fake"}
    config = node_config_from_dict(raw, source=f"<demo {node_id}>")
    node = build_node(config, hardware=_devices(node_id, role, out))
    node.start()
    return node


def _devices(node_id: str, role: str, out: TextIO):
    """Shipped fakes that also tell the terminal what a person would see or hear."""
    from node.hardware.console import ConsoleAnnouncer, ConsolePrinter, ConsoleScreen
    from node.hardware.display import ConsoleDisplay
    from node.hardware.printer import FakePrinter
    from node.hardware.screen import FakeScreen
    from node.hardware.sound import FakeAnnouncer
    from node.roles.base import Devices

    if role == "counter":

        def write(line: str) -> None:
            out.write(f"[LED] {line}\n")
            out.flush()

        return Devices(display=ConsoleDisplay(8, label=f"{node_id} ", write=write))
    if role == "kiosk":
        return Devices(printer=ConsolePrinter(FakePrinter()))
    return Devices(announcer=ConsoleAnnouncer(FakeAnnouncer()), screen=ConsoleScreen(FakeScreen()))


def banner(demo: Demo) -> str:
    keys = ", ".join(f"{chr(97 + i)} = {s}" for i, s in enumerate(demo.kiosk_services))
    counters = ", ".join(f"{n} = {cid}" for n, cid in sorted(demo.counters.items()))
    url, token = demo.base_url, demo.api_token
    return f"""
Loket demo: MPP Kabupaten Belitung on fake hardware
  Hall board     {url}/board
  Admin          {url}/admin/  (user {ADMIN_USER}, password {demo.admin_password})
  Hub state      {url}/api/v1/state

Press the simulated buttons here, then Enter:
  kiosk K1       {keys}              e.g. "a" prints a ticket for service A
  counters       <loket><key>        loket {counters}
                 n=NEXT r=RECALL s=SKIP d=DONE t=TRANSFER; capital = hold (D = done and
                 call next, S = recall the last skipped); 1-4 = SKM rating (4 = sangat puas)
                 e.g. "1n" = NEXT at loket 1, "1d" = DONE, "14" = the visitor rates 4
  ?              this help       st = node status       q = quit

Or through the API:
  curl -s -X POST {url}/api/v1/tickets -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' -d '{{"req": "curl-1", "service": "A"}}'
  curl -s -X POST {url}/api/v1/counters/C1/next -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' -d '{{"req": "curl-2"}}'
"""


def handle(demo: Demo, line: str, out: TextIO) -> bool:
    """One console line; False means quit."""
    from node.hardware.buttons import key_to_press

    line = line.strip()
    if not line:
        return True
    if line == "q":
        return False
    if line == "?":
        out.write(banner(demo))
    elif line == "st":
        for node_id, node in demo.nodes.items():
            st = node.status()
            out.write(f"  {node_id}: online={st.get('online')} backlog={st.get('backlog')}\n")
    elif len(line) == 1 and line.isalpha() and line.islower():
        index = ord(line) - 97
        if index >= len(demo.kiosk_services):
            out.write(f"no service for key {line!r}\n")
        else:
            kiosk = next(n for n in demo.nodes.values() if n.role_name == "kiosk")
            kiosk.press(line)
    elif line[0].isdigit() and len(line) >= 2:
        counter = demo.counters.get(int(line[0]))
        pressed = key_to_press(line[1:2])
        if counter is None or pressed is None:
            out.write(f"unknown counter or key in {line!r} (type ? for help)\n")
        else:
            name, hold = pressed
            demo.nodes[counter].press(name, "hold" if hold else "press")
    else:
        out.write(f"unknown command {line!r} (type ? for help)\n")
    out.flush()
    return True


def run(args: Any) -> int:
    data = Path(getattr(args, "data", None) or DEFAULT_DATA)
    port = int(getattr(args, "port", 8080))
    out = sys.stdout
    try:
        demo = start(data, port, out=out)
    except OSError as err:
        print(f"loket demo: cannot listen on 127.0.0.1:{port}: {err}; try --port", file=sys.stderr)
        return 1
    out.write(banner(demo))
    out.write(f"Data folder: {data.resolve()}\n")
    out.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            for line in sys.stdin:
                if not handle(demo, line, out):
                    break
        else:
            # Started in the background (no terminal): serve until a signal.
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        out.write("stopping the demo...\n")
        demo.stop()
    return 0
