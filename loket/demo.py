"""``loket demo``: a whole MPP on one machine, on fake hardware.

The hub (the shipped Belitung profile, or any hub profile given with ``--profile``) serves on
127.0.0.1 with waitress, and every kiosk, counter and hall display of the profile runs as a
real node in this process, talking to it over HTTP exactly as Pis would. Only their devices
are fakes that report to the terminal. Everything lives under ``--data`` (default
``./var/demo``, or ``./var/demo-<profile name>`` for another profile, so two malls never share
one log), so a restart continues the day.

The keyboard reaches every service and counter of a full-size mall: a service is typed as its
prefix (``a`` for A, ``sk`` for SK, at the first kiosk offering it; ``sk@K2`` at kiosk K2),
a counter as its loket number and a key (``12n`` = NEXT at loket 12; ``124`` = the visitor at
loket 12 rates 4: the last digit is the rating). A prefix wins over a command's short form
(``st`` is Samsat's ST in the Banyumas profile): ``status`` and ``quit`` always work.

This module is part of the composition root (``loket``) that may see both ``hub`` and ``node``;
it imports them inside functions only, so ``import loket`` stays free of Flask and gpiozero.
"""

from __future__ import annotations

import re
import secrets
import signal
import sys
import textwrap
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from core.paths import demo_hub_profile
from core.zones import zones as catalogue_zones

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
    kiosks: dict[str, list[str]] = field(default_factory=dict)  # kiosk id -> service ids
    prefixes: dict[str, str] = field(default_factory=dict)  # prefix -> service id
    names: dict[str, str] = field(default_factory=dict)  # service id -> name
    serving: dict[str, list[int]] = field(default_factory=dict)  # service id -> loket numbers
    mpp: str = ""
    zones: list[str] = field(default_factory=list)  # the catalogue's zones (C7), for board URLs
    _thread: threading.Thread | None = None

    def stop(self) -> None:
        # In parallel: each node may be parked in a long-poll for a few seconds.
        stoppers = [threading.Thread(target=n.stop) for n in self.nodes.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        from hub import serving

        # Ends the hub's side of each node's last long-poll and joins its threads before it
        # closes a descriptor: a late write can no longer land in a file opened since.
        serving.stop(self.server, self.app.extensions["loket_streams"], self._thread)
        self.app.extensions["loket"].store.close()


def default_data(profile: Path | None) -> Path:
    """``var/demo`` for the shipped demo mall, ``var/demo-<name>`` for any other profile."""
    if profile is None or Path(profile).resolve() == demo_hub_profile().resolve():
        return DEFAULT_DATA
    return DEFAULT_DATA.with_name(f"demo-{Path(profile).stem}")


def start(
    data: Path,
    port: int,
    *,
    out: TextIO = sys.stdout,
    profile: Path | None = None,
    open_all_day: bool = False,
) -> Demo:
    """Start hub and nodes; return once every node has booted. ``open_all_day`` seeds a new
    demo folder without the profile's calendar (no hours, holidays or closures), so the
    demo issues numbers at any hour."""

    from core.calendar import open_around_the_clock
    from core.config import load_hub_config, override_hub
    from hub import create_app, serving
    from hub.auth import add_user, issue_operator_token, pair_node, token_doc
    from hub.commands import threads_for

    data.mkdir(parents=True, exist_ok=True)
    config = load_hub_config(profile or demo_hub_profile())
    config = override_hub(config, host="127.0.0.1", port=port, data_dir=str(data / "hub"))
    if open_all_day:
        config = replace(config, catalogue=open_around_the_clock(config.catalogue))
    app = create_app(config)
    store = app.extensions["loket"].store
    server = serving.create_server(
        app,
        host="127.0.0.1",
        port=port,
        threads=threads_for(config),
        caps=app.extensions["loket_streams"].caps,
        ident="loket-demo",
    )
    base_url = f"http://127.0.0.1:{server.effective_port}"
    # The demo's tickets carry a QR to this machine's status pages unless the profile names
    # the address phones would use (a real hub's [hub] public_url).
    app.config["LOKET_PUBLIC_URL"] = config.hub.public_url or base_url
    thread = serving.start(server, name="loket-demo-hub")

    password_file = data / "admin-password.txt"
    if password_file.exists():
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(9)
        add_user(store, ADMIN_USER, password)
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)

    # A token of its own for the curl lines, so they never impersonate a device: an operator
    # token with role supervisor (issue tickets, press any counter's buttons). Kept in the
    # data folder like the password: yesterday's pasted curl lines still work after a restart.
    token_file = data / "api-token.txt"
    api_token = token_file.read_text("utf-8").strip() if token_file.exists() else ""
    if not api_token or token_doc(store, api_token) is None:
        api_token = issue_operator_token(store, "api", "supervisor")
        token_file.write_text(api_token + "\n", encoding="utf-8")
        token_file.chmod(0o600)
    demo = Demo(
        base_url=base_url,
        api_token=api_token,
        admin_password=password,
        app=app,
        server=server,
        _thread=thread,
    )
    # The catalogue in the log (C1): the profile's seed, or what an admin made of it in an
    # earlier run of this demo folder.
    catalogue = app.extensions["loket"].catalogue()
    demo.mpp = catalogue.mpp.name
    demo.zones = catalogue_zones(catalogue)
    demo.kiosks = {k.id: list(k.services) for k in catalogue.kiosks.values()}
    demo.prefixes = {s.prefix: s.id for s in catalogue.services.values()}
    demo.names = {s.id: s.name for s in catalogue.services.values()}
    for c in catalogue.counters.values():
        for sid in c.services:
            demo.serving.setdefault(sid, []).append(c.number)
    layout = [(k.id, "kiosk", k.services) for k in catalogue.kiosks.values()]
    layout += [(c.id, "counter", c.services) for c in catalogue.counters.values()]
    layout += [(d.id, "display", ()) for d in catalogue.displays.values()]
    # One kiosk or hall display says "[printer]"; several say whose line it is.
    several = {"kiosk": len(catalogue.kiosks) > 1, "display": len(catalogue.displays) > 1}
    for node_id, role, services in layout:
        token = pair_node(store, node_id, catalogue=catalogue)
        label = node_id if several.get(role) else ""
        demo.nodes[node_id] = _start_node(
            node_id, role, base_url, token, data, out, services, label=label
        )
    demo.counters = {c.number: c.id for c in catalogue.counters.values()}
    return demo


def _start_node(
    node_id: str,
    role: str,
    base_url: str,
    token: str,
    data: Path,
    out: TextIO,
    services=(),
    *,
    label: str = "",
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
    node = build_node(config, hardware=_devices(node_id, role, out, label))
    node.start()
    return node


def _devices(node_id: str, role: str, out: TextIO, label: str = ""):
    """Shipped fakes that also tell the terminal what a person would see or hear."""
    from node.hardware.console import ConsoleAnnouncer, ConsolePrinter, ConsoleScreen, say
    from node.hardware.display import ConsoleDisplay
    from node.hardware.printer import FakePrinter
    from node.hardware.screen import FakeScreen
    from node.hardware.sound import FakeAnnouncer
    from node.roles.base import Devices

    if role == "counter":

        def write(line: str) -> None:
            say(f"[LED] {line}", out)

        return Devices(display=ConsoleDisplay(8, label=f"{node_id} ", write=write))
    if role == "kiosk":

        def notice(text: str) -> None:
            out.write(f"[kiosk{' ' + label if label else ''}] {text}\n")
            out.flush()

        return Devices(printer=ConsolePrinter(FakePrinter(), label=label), notices=notice)
    return Devices(
        announcer=ConsoleAnnouncer(FakeAnnouncer(), label=label),
        screen=ConsoleScreen(FakeScreen(), label=label),
    )


COMMANDS = {"?": "help", "help": "help", "st": "status", "status": "status", "q": "quit"}
COMMANDS["quit"] = "quit"
COUNTER_LINE = re.compile(r"^(\d+?)\s*(\S)$")  # loket number, then one key (the last char)
KIOSK_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,2})(?:\s*@\s*(\S+))?$")  # prefix[@kiosk]


def _command(demo: Demo, line: str) -> str | None:
    """The console command ``line`` names, unless a service prefix claims the word."""
    if line.upper() in demo.prefixes:
        return None  # "st" is Samsat's ST where a profile has one: "status" still works
    return COMMANDS.get(line.lower())


def _wrapped(head: str, items: list[str], indent: int = 17) -> str:
    """``head`` then ``items`` wrapped under each other, like the rest of the help text."""
    lead = head.ljust(indent)
    return textwrap.fill(" ".join(items), 95, initial_indent=lead, subsequent_indent=" " * indent)


def banner(demo: Demo) -> str:
    url, token = demo.base_url, demo.api_token
    prefix_of = {sid: p for p, sid in demo.prefixes.items()}
    kiosks = "\n".join(
        _wrapped(f"  kiosk {kid}", [prefix_of[s].lower() for s in services])
        for kid, services in demo.kiosks.items()
    )
    first_services = next(iter(demo.kiosks.values()), ["A"])
    example = prefix_of.get(first_services[0], "A").lower()
    # The "@kiosk" example names the last kiosk and a service it offers.
    at_kiosk, at_services = next(reversed(demo.kiosks.items()), ("K1", ["A"]))
    at_example = f"{prefix_of.get(at_services[0], 'A').lower()}@{at_kiosk}"
    numbers = sorted(demo.counters) or [1]
    if all(cid == f"C{n}" for n, cid in demo.counters.items()):
        counters = _wrapped("  counters", [f"loket {_ranges(numbers)} (C<number>)"])
    else:
        counters = _wrapped("  counters", [f"{n}={demo.counters[n]}" for n in numbers])
    n = numbers[-1]
    status = "status" if _command(demo, "st") is None else "st"
    quit_ = "quit" if _command(demo, "q") is None else "q"
    service_id = first_services[0]
    counter_id = demo.counters.get(numbers[0], "C1")
    return f"""
Loket demo: {demo.mpp} on fake hardware
  Hall board     {url}/board{zone_boards(url, demo.zones)}
  Admin          {url}/admin/  (user {ADMIN_USER}, password {demo.admin_password})
  Hub state      {url}/api/v1/state

Press the simulated buttons here, then Enter:
{kiosks}
                 a prefix prints a ticket: "{example}" at the first kiosk offering it,
                 "{at_example}" at {at_kiosk}; "services" lists every service
{counters}
                 <loket><key>: n=NEXT r=RECALL s=SKIP d=DONE t=TRANSFER; capital = hold
                 (D = done and call next, S = recall the last skipped); a last digit 1-4
                 is the visitor's SKM rating (4 = sangat puas): "{n}n" = NEXT at loket {n},
                 "{n}d" = DONE, "{n}4" = the visitor at loket {n} rates 4
  ?              this help       {status} = node status       {quit_} = quit

Or through the API (each paste makes a fresh "req" from the clock; the same req sent twice
returns the same answer, so a retried request never takes a second number):
  curl -s -X POST {url}/api/v1/tickets -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"req": "curl-'"$(date +%s%N)"'", "service": "{service_id}"}}'
  curl -s -X POST {url}/api/v1/counters/{counter_id}/next -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' -d '{{"req": "curl-'"$(date +%s%N)"'"}}'
"""


def zone_boards(url: str, zones: list[str]) -> str:
    """One more line per zone: each floor's TV shows (and speaks) only its own calls."""
    return "".join(f"\n  Zone board     {url}/board?zone={quote(z)}" for z in zones)


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in spans)


def services_table(demo: Demo) -> str:
    """Every service: its prefix, its name, and the counters serving it (``services``)."""
    lines = []
    for prefix, sid in demo.prefixes.items():
        where = ", ".join(str(n) for n in sorted(demo.serving.get(sid, []))) or "-"
        lines.append(f"  {prefix.lower():<4} {demo.names.get(sid, sid)[:60]:<60}  loket {where}")
    return "\n".join(lines) + "\n"


def handle(demo: Demo, line: str, out: TextIO) -> bool:
    """One console line; False means quit."""
    from node.hardware.buttons import key_to_press

    line = line.strip()
    if not line:
        return True
    command = _command(demo, line)
    counter_m, kiosk_m = COUNTER_LINE.match(line), KIOSK_LINE.match(line)
    if command == "quit":
        return False
    if command == "help":
        out.write(banner(demo))
    elif command == "status":
        for node_id, node in demo.nodes.items():
            st = node.status()
            out.write(f"  {node_id}: online={st.get('online')} backlog={st.get('backlog')}\n")
    elif line.lower() == "services":
        out.write(services_table(demo))
    elif counter_m:
        counter = demo.counters.get(int(counter_m.group(1)))
        pressed = key_to_press(counter_m.group(2))
        if counter is None or pressed is None:
            out.write(f"unknown counter or key in {line!r} (type ? for help)\n")
        else:
            name, hold = pressed
            demo.nodes[counter].press(name, "hold" if hold else "press")
    elif kiosk_m:
        _press_kiosk(demo, kiosk_m.group(1).upper(), kiosk_m.group(2), out)
    else:
        out.write(f"unknown command {line!r} (type ? for help)\n")
    out.flush()
    return True


def _press_kiosk(demo: Demo, prefix: str, kiosk: str | None, out: TextIO) -> None:
    service = demo.prefixes.get(prefix)
    if service is None:
        out.write(f"no service with prefix {prefix!r} (type services for the list)\n")
        return
    offering = [k for k, services in demo.kiosks.items() if service in services]
    if kiosk is not None:
        kiosk = next((k for k in demo.kiosks if k.upper() == kiosk.upper()), kiosk)
        if kiosk not in offering:
            where = ", ".join(offering) or "no kiosk"
            out.write(f"kiosk {kiosk!r} does not offer {prefix} (offered at {where})\n")
            return
    elif not offering:
        out.write(f"no kiosk offers {prefix}\n")
        return
    demo.nodes[kiosk or offering[0]].press(service)


def run(args: Any) -> int:
    profile = getattr(args, "profile", None)
    data = Path(getattr(args, "data", None) or default_data(profile))
    port = int(getattr(args, "port", 8080))
    out = sys.stdout
    try:
        open_all_day = bool(getattr(args, "open_all_day", False))
        demo = start(data, port, out=out, profile=profile, open_all_day=open_all_day)
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
