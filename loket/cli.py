"""The single ``loket`` command.

::

    loket hub serve --config hub.toml [--host H] [--port N] [--data DIR]
    loket hub pair NODE --config hub.toml [--role R]   # prints the token once (--role: operator)
    loket hub adduser NAME --config hub.toml [--password-file F] [--role R]
    loket hub backup DEST --config hub.toml / loket hub restore BACKUP --config hub.toml
    loket hub lift-barrier --config hub.toml
    loket hub close-day [DAY] --config hub.toml   # leftover tickets not served, day archived
    loket hub export-profile --config hub.toml [--out FILE]   # the log's catalogue as TOML
    loket hub import-profile --config hub.toml [--dry-run]    # the profile's into the log
    loket hub device add ID --config hub.toml [--minutes N]  # a one-time pairing code
    loket hub tokens --config hub.toml / loket hub revoke ID|TOKEN-PREFIX --config hub.toml
    loket provision --hub URL --code CODE [--template NAME] [--out FILE] [--list]   # on a Pi
    loket node run --config node.toml [--simulate]
    loket node status --config node.toml [--data DIR]
    loket region serve --config region.toml [--port N]  # the regional server (PostgreSQL)
    loket region add-site SITE --name NAME --config region.toml  # prints the site token once
    loket region adduser NAME --config region.toml [--password-file F] [--role R]
    loket node board --config display-browser.toml [--print]
    loket selftest [--non-interactive] [--profile node.toml]   # on a node, agent stopped
    loket demo [--port N] [--profile hub.toml] [--data DIR] [--open-all-day]
    loket simulate-day PROFILE --date YYYY-MM-DD [--seed N] [--json]
    loket config check FILE                        # hub or node profile, told apart by content

The profile is validated here, before the subcommand runs, so a broken profile stops with every
problem listed (exit 2) before anything binds a port or opens a device. Subcommands live in
``hub.commands``, ``node.commands`` and ``loket.demo`` and are imported only when chosen: the
``loket`` package is the composition root (the only one that sees ``hub`` and ``node`` both), and
it stays importable on a Pi without Flask and on a hub without gpiozero. Each gets the parsed
``argparse.Namespace`` and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from core.errors import ConfigError, ConfigProblem, LoketError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2  # also argparse's usage-error code: "you asked for something unusable"
EXIT_INTERRUPTED = 130
USER_ROLES = ("viewer", "supervisor", "admin")  # hub.roles.USER_ROLES (no hub import here)

# Which pip extra brings a missing third-party module (a friendlier message than a traceback).
_EXTRAS = {
    "flask": "hub",
    "waitress": "hub",
    "tinydb": "hub",
    "werkzeug": "hub",
    "gpiozero": "node",
    "escpos": "node",
    "serial": "node",
    "luma": "node",
    "pygame": "node",
    "psycopg": "region",
    "psycopg_pool": "region",
}


def version() -> str:
    """The installed distribution's version, else the checkout's pyproject.toml version."""
    from importlib import metadata

    try:
        return metadata.version("loket")
    except metadata.PackageNotFoundError:
        import tomllib

        from core.paths import SOURCE_ROOT

        try:
            with open(SOURCE_ROOT / "pyproject.toml", "rb") as f:
                return str(tomllib.load(f)["project"]["version"]) + "+source"
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="loket",
        description="Offline-first queue system for a Mal Pelayanan Publik.",
    )
    parser.add_argument("--version", action="version", version=f"loket {version()}")
    groups = parser.add_subparsers(
        dest="group",
        required=True,
        metavar="{hub,node,region,provision,selftest,demo,simulate-day,config}",
    )

    hub = groups.add_parser("hub", help="run and administer the hub").add_subparsers(
        dest="command", required=True
    )
    serve = _with_config(hub.add_parser("serve", help="run the hub server (foreground)"))
    serve.add_argument("--host", help="listen address (overrides [hub] host)")
    serve.add_argument("--port", type=_port, help="listen port (overrides [hub] port)")
    _data_option(serve, "data folder (overrides [hub] data_dir)")
    pair = _with_config(hub.add_parser("pair", help="issue a node's token and print it"))
    pair.add_argument(
        "node_id", metavar="NODE", help="a counter, kiosk or display id of the profile"
    )
    pair.add_argument(
        "--role",
        choices=USER_ROLES,
        help="issue an operator/API token NODE with this user role instead of a device token",
    )
    adduser = _with_config(hub.add_parser("adduser", help="create or update an admin user"))
    adduser.add_argument("username", metavar="NAME")
    adduser.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file (else prompt; never pass it on the command line)",
    )
    adduser.add_argument("--role", choices=USER_ROLES, help="user role (default: admin)")
    backup = _with_config(hub.add_parser("backup", help="copy the hub's data (also while it runs)"))
    backup.add_argument("dest", metavar="DEST")
    restore = _with_config(hub.add_parser("restore", help="restore a backup (hub stopped)"))
    restore.add_argument("backup", metavar="BACKUP")
    _with_config(
        hub.add_parser("lift-barrier", help="end the recovery barrier after a restore now")
    )
    close = _with_config(
        hub.add_parser("close-day", help="close a service day now (through the running hub)")
    )
    close.add_argument("day", nargs="?", metavar="DAY", help="YYYY-MM-DD (default: today)")
    export = _with_config(
        hub.add_parser(
            "export-profile",
            help="write the log's catalogue as a hub profile (safe while the hub runs)",
        )
    )
    export.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    imp = _with_config(
        hub.add_parser(
            "import-profile",
            help="apply the profile's catalogue to the log as events (also while the hub runs)",
        )
    )
    imp.add_argument("--dry-run", action="store_true", help="only list the changes")
    device = hub.add_parser("device", help="pair a device by a one-time code")
    device_cmds = device.add_subparsers(dest="action", required=True)
    add = _with_config(
        device_cmds.add_parser("add", help="print a one-time pairing code for `loket provision`")
    )
    add.add_argument(
        "node_id", metavar="ID", help="a counter, kiosk or display id of the catalogue"
    )
    add.add_argument(
        "--minutes", type=_minutes, default=None, help="how long the code works (default 15)"
    )
    _with_config(hub.add_parser("tokens", help="list tokens: kind, role, issued, seen, revoked"))
    revoke = _with_config(hub.add_parser("revoke", help="revoke a token (refused at once)"))
    revoke.add_argument("target", metavar="ID|TOKEN-PREFIX", help="a token id or its start")

    node = groups.add_parser("node", help="run or inspect a node (kiosk, counter, display)")
    node_cmds = node.add_subparsers(dest="command", required=True)
    run = _with_config(node_cmds.add_parser("run", help="run the node agent (foreground)"))
    run.add_argument(
        "--simulate", action="store_true", help="fake devices: keyboard buttons, terminal LED"
    )
    board = _with_config(
        node_cmds.add_parser("board", help="a browser hall display: become Chromium in kiosk mode")
    )
    board.add_argument("--print", action="store_true", help="only print the command line")
    status = _with_config(node_cmds.add_parser("status", help="print the node's sync state"))
    _data_option(status, "data folder to read (default: [node] data_dir)")

    provision = groups.add_parser(
        "provision", help="on a Pi: exchange a pairing code, write the node profile"
    )
    provision.add_argument("--hub", metavar="URL", help="the hub, e.g. http://192.168.1.10:8080")
    provision.add_argument("--code", metavar="CODE", help="the pairing code, e.g. ABCD-EFGH")
    provision.add_argument(
        "--template",
        metavar="NAME",
        help="hardware template of firmware_config/node (default: the first for the role)",
    )
    provision.add_argument(
        "--out", type=Path, default=Path("/etc/loket/node.toml"), metavar="FILE",
        help="node profile to write (default /etc/loket/node.toml)",
    )  # fmt: skip
    provision.add_argument(
        "--token-file", type=Path, metavar="FILE",
        help="where the token goes, mode 0600 (default: 'token' beside --out)",
    )  # fmt: skip
    provision.add_argument("--data", type=Path, metavar="DIR", help="[node] data_dir to write")
    provision.add_argument("--force", action="store_true", help="replace an existing profile")
    provision.add_argument("--list", action="store_true", help="list the hardware templates")
    selftest = groups.add_parser("selftest", help="test this node's hardware, hub and clock")
    selftest.add_argument(
        "--profile",
        dest="config",
        type=Path,
        default=Path("/etc/loket/node.toml"),  # node.selftest.DEFAULT_PROFILE
        metavar="FILE",
        help="node profile (default: /etc/loket/node.toml)",
    )
    selftest.add_argument(
        "--non-interactive",
        action="store_true",
        help="ask nobody: machine checks only (mock pins are driven by the test itself)",
    )
    region = groups.add_parser("region", help="the regional server (off-site, PostgreSQL)")
    region_cmds = region.add_subparsers(dest="command", required=True)
    rserve = _with_config(region_cmds.add_parser("serve", help="run the regional server"))
    rserve.add_argument("--port", type=_port, help="listen port (overrides [region] port)")
    site = _with_config(region_cmds.add_parser("add-site", help="register a site, print its token"))
    site.add_argument("site", metavar="SITE")
    site.add_argument("--name", required=True, help="the mall's name")
    radd = _with_config(region_cmds.add_parser("adduser", help="create or update a region user"))
    radd.add_argument("username", metavar="NAME")
    radd.add_argument("--password-file", type=Path, metavar="FILE")
    radd.add_argument("--role", choices=USER_ROLES, default="admin")

    demo = groups.add_parser("demo", help="a whole demo MPP on this machine (fake devices)")
    demo.add_argument("--port", type=_port, default=8080, help="hub port (default 8080)")
    demo.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="hub profile of the mall to run (default: the shipped Belitung demo; e.g. "
        "firmware_config/hub/mpp-banyumas.toml, a full-size MPP)",
    )
    demo.add_argument(
        "--open-all-day",
        action="store_true",
        help="seed a new demo folder without the profile's opening hours, holidays and "
        "closures, so numbers are issued at any hour (quotas and priority stay)",
    )
    _data_option(
        demo,
        "data folder (default: ./var/demo, or ./var/demo-<profile name> with --profile; "
        "kept, so a restart continues the day)",
    )

    day = groups.add_parser(
        "simulate-day", help="one MPP day on the real hub rules, with figures and checks"
    )
    day.add_argument("profile", type=Path, metavar="PROFILE", help="hub profile")
    day.add_argument("--date", required=True, type=_date, help="the day, YYYY-MM-DD")
    day.add_argument("--seed", type=int, default=1, help="arrivals seed (default 1)")
    day.add_argument("--json", action="store_true", help="the figures as JSON")

    config = groups.add_parser("config", help="check profiles").add_subparsers(
        dest="command", required=True
    )
    check = config.add_parser("check", help="validate a hub or node profile")
    check.add_argument("file", type=Path, metavar="FILE")
    return parser


def _with_config(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--config", required=True, type=Path, metavar="FILE", help="profile")
    return parser


def _data_option(parser: argparse.ArgumentParser, text: str) -> None:
    # ``args.data`` as the flag reads; ``args.data_dir`` is the same value under the config name.
    parser.add_argument("--data", type=Path, metavar="DIR", help=text)


def _date(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD") from None


def _minutes(text: str) -> int:
    try:
        minutes = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if not 1 <= minutes <= 24 * 60:
        raise argparse.ArgumentTypeError(f"{minutes} is out of range; expected 1-1440")
    return minutes


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range; expected 1-65535")
    return port


# -- dispatch -----------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> None:
    """Load the profile the subcommand will use; raises ConfigError with every problem."""
    if args.group == "hub":
        from core.config import load_hub_config

        load_hub_config(args.config)
    elif args.group == "selftest" or (
        args.group == "node" and not (args.command == "status" and args.data)
    ):
        from core.config import load_node_config

        load_node_config(args.config)
    elif args.group == "region":
        from core.config_region import load_region_config

        load_region_config(args.config)
    elif args.group in ("demo", "simulate-day") and args.profile is not None:
        from core.config import load_hub_config

        load_hub_config(args.profile)


def _target(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    module = {
        "hub": "hub.commands",
        "node": "node.commands",
        "region": "region.commands",
        "demo": "loket.demo",
        "provision": "loket.provision",
        "selftest": "node.selftest",
        "simulate-day": "loket.simulate",
    }[args.group]
    runs = ("demo", "provision", "selftest", "simulate-day")
    name = "run" if args.group in runs else args.command.replace("-", "_")
    return getattr(importlib.import_module(module), name)


def _config_check(args: argparse.Namespace, out: TextIO) -> int:
    from core.config import HubConfig, load_config
    from core.config_region import RegionConfig

    config = load_config(args.file)
    if isinstance(config, RegionConfig):
        print(f"OK: {args.file}: regional server {config.name!r} on port {config.port}", file=out)
        return EXIT_OK
    if isinstance(config, HubConfig):
        what = (
            f"hub profile for {config.mpp.name!r}: {len(config.agencies)} agencies, "
            f"{len(config.services)} services, {len(config.counters)} counters, "
            f"{len(config.kiosks)} kiosks, {len(config.displays)} displays, "
            f"{len(config.catalogue.get('holidays', ()))} holidays"
        )
    else:
        devices = [
            f"{name}={section.backend}"
            for name in ("buttons", "display", "printer", "sound", "screen")
            if (section := getattr(config, name)) is not None
        ]
        what = f"{config.node.role} node {config.node.id!r} ({', '.join(devices) or 'no devices'})"
    print(f"OK: {args.file}: {what}", file=out)
    if isinstance(config, HubConfig):
        for line in _display_notes(config) + _ticket_notes(config) + _backup_notes(config):
            print(f"  {line}", file=out)
    return EXIT_OK


def _display_notes(config) -> list[str]:
    """What the counters' displays must be able to do, beyond what the profile can check.

    The hub profile does not know the displays' widths (the node profiles do, and their own
    check refuses a prefix that does not fit): say how many digits each 7-segment or serial
    counter needs, so a technician fits a MAX7219 (8 digits) where a TM1637 (4) would not do.
    A kiosk's offline prefix-mode labels carry its id (SK-K1-1): say where a 7-segment
    display will draw a letter of it as three bars, which is legal but worth knowing.
    """
    from core.glyphs import unrenderable
    from core.numbering import min_label_width, prefix_label

    by_width: dict[int, list[str]] = {}
    for c in config.counters:
        if c.display in ("7seg", "serial"):
            width = max(min_label_width(config.service(s).prefix) for s in c.services)
            by_width.setdefault(width, []).append(c.id)
    notes = [
        f"a display of {width}+ digits (7seg, serial) for counters {', '.join(ids)}"
        for width, ids in sorted(by_width.items())
    ]
    for k in config.kiosks:
        bad = unrenderable(k.id, "7seg")
        seven = [
            c.id
            for c in config.counters
            if c.display == "7seg" and set(c.services) & set(k.services)
        ]
        if bad and seven:
            sample = prefix_label(config.service(k.services[0]).prefix, k.id, 1)
            notes.append(
                f"kiosk {k.id}'s offline labels ({sample}) show {', '.join(sorted(bad))} as "
                f"three bars on the 7-segment counters {', '.join(seven)}"
            )
    return notes


def _ticket_notes(config) -> list[str]:
    """What the printed tickets will lack, and why (the QR needs an address phones reach)."""
    if getattr(config.hub, "public_url", ""):
        return [f"ticket QR codes open {config.hub.public_url}/t/<ticket>"]
    return [
        "no [hub] public_url: tickets print no QR code; set it to the address visitors' "
        'phones reach, e.g. public_url = "http://10.10.0.1:8080" (the visitor Wi-Fi)'
    ]


def _backup_notes(config) -> list[str]:
    """Where the backup after each daily close goes, or that there is none."""
    folder = getattr(config.hub, "backup_dir", None)
    if folder is not None:
        keep = config.hub.backup_keep
        return [f"after each daily close the hub backs up to {folder} (newest {keep} kept)"]
    return [
        "no [hub] backup_dir: no backup after the daily close; set it to a USB stick or NAS "
        'folder, e.g. backup_dir = "/media/loket-backup", or run loket hub backup after the close'
    ]


def _prepare(args: argparse.Namespace) -> None:
    args.data_dir = getattr(args, "data", None)
    if getattr(args, "password_file", None) is not None:
        try:
            text = args.password_file.read_text("utf-8")
        except OSError as exc:
            problem = ConfigProblem(str(args.password_file), "(file)", f"cannot read ({exc})")
            raise ConfigError([problem]) from exc
        args.password = text.rstrip("\r\n")
    elif args.group == "hub" and args.command == "adduser":
        args.password = None  # hub.commands prompts


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``loket`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _prepare(args)
        if args.group == "config":
            return _config_check(args, sys.stdout)
        _validate(args)
        return int(_target(args)(args) or 0)
    except ConfigError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if exc.name in ("hub", "node", "hub.commands", "node.commands", "loket.demo"):
            print(f"loket: this installation has no {exc.name} package", file=sys.stderr)
            return EXIT_ERROR
        if root not in _EXTRAS:
            raise
        extra = _EXTRAS[root]
        print(
            f"loket: the Python module {root!r} is missing; install the {extra} extras: "
            f"pip install 'loket[{extra}]' (or run ./setup.sh)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except LoketError as exc:
        # Expected failures (corrupt journal, missing driver...): a message, not a traceback.
        print(f"loket: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # ``python -m loket.cli``, same as the console script
    sys.exit(main())
