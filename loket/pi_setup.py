"""``sudo ./setup.sh --pi hub|kiosk|counter|display --profile FILE [--dry-run]``: one command
makes a fresh Raspberry Pi OS (bookworm) into a Loket device.

setup.sh makes the venv and then runs ``python -m loket.pi_setup``; everything else is the
plan below, built from the role and the profile (validated first: a broken profile stops
before anything changes). Idempotent: run it again after ``git pull`` to update a device
(docs/provisioning.md). ``--root DIR`` applies the plan to another root folder (a debootstrap
chroot in the slow test); ``--skip apt`` leaves the packages alone (an offline re-run).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from core.paths import SOURCE_ROOT, firmware_config_dir
from loket.pi_steps import (
    Command,
    Context,
    EnsureLine,
    EnsureWord,
    MakeDir,
    SetupError,
    Step,
    Symlink,
    WriteFile,
    has_group,
    has_user,
    in_group,
    run_plan,
)

ROLES = ("hub", "kiosk", "counter", "display")
USER = "loket"
# gpio: buttons and TM1637; spi: MAX7219; lp: USB printers (udev rule); dialout: serial
# panels and printers; audio: the hall speaker; video: the pygame screen on the console.
GROUPS = ("gpio", "spi", "lp", "dialout", "audio", "video")
PACKAGES = {
    "common": ("python3", "python3-venv", "chrony"),
    "hub": (),
    # lgpio is the only pin factory that works on a Pi 5; spidev and others build from source.
    "node": ("python3-lgpio", "python3-dev", "gcc"),
    "kiosk": ("libusb-1.0-0",),
    "counter": (),
    "display": ("alsa-utils",),
    # cage: the one-window Wayland compositor the board's unit runs Chromium in (it shows no
    # pointer without a mouse, so no unclutter); fonts for Chromium's own pages and fallbacks.
    "browser": ("chromium", "cage", "fonts-dejavu-core", "fonts-noto-core"),
}
# The browser board's extra groups: render (the GPU under cage), input (cage opens the touch
# and keyboard devices itself); video and audio are in GROUPS already.
BROWSER_GROUPS = ("render", "input")
ETC, VAR = "/etc/loket", "/var/lib/loket"
CONFIG_TXT = "/boot/firmware/config.txt"
WANTS = "/etc/systemd/system/multi-user.target.wants/"
GRAPHICAL_WANTS = "/etc/systemd/system/graphical.target.wants/"
DEFAULT_TARGET = "/etc/systemd/system/default.target"
GRAPHICAL_TARGET = "/usr/lib/systemd/system/graphical.target"  # bookworm: /lib is /usr/lib
CMDLINE_TXT = "/boot/firmware/cmdline.txt"
JOURNALD = (
    "[Journal]\n# An SD card wears out: keep the journal small.\nSystemMaxUse=64M\n"
    "SystemKeepFree=512M\nRuntimeMaxUse=32M\nMaxFileSec=1week\n"
)


def unit_text(name: str, src: Path) -> str:
    """A shipped unit with this checkout's path in place of /opt/loket."""
    text = (firmware_config_dir() / "systemd" / name).read_text("utf-8")
    return text.replace("/opt/loket", str(src))


def chrony_text(role: str, hub_host: str | None) -> str:
    """The hub serves time to the LAN (and keeps serving without internet: ``local``);
    nodes have no RTC, so they follow the hub and may step the clock at any time."""
    if role == "hub":
        return (
            "# Loket hub: serve NTP to the LAN; without internet keep serving our own clock.\n"
            "allow\nlocal stratum 10 orphan\nmakestep 1 3\n"
        )
    return (
        "# Loket node: no RTC; the hub is the time source. A Pi that booted into the past\n"
        "# steps to the hub's time whenever it is off by more than a second.\n"
        f"server {hub_host} iburst prefer minpoll 4 maxpoll 6\nmakestep 1 -1\n"
    )


def read_profile(role: str, profile: Path) -> dict:
    """Validate with core.config (every problem at once), then return the raw TOML."""
    from core.config import load_hub_config, load_node_config

    config = load_hub_config(profile) if role == "hub" else load_node_config(profile)
    if role != "hub" and config.node.role != role:
        raise SetupError(f"{profile} is a {config.node.role} profile, not a {role} one")
    with open(profile, "rb") as fh:
        return tomllib.load(fh)


def plan(role: str, profile: Path, raw: dict, src: Path = SOURCE_ROOT) -> list[Step]:
    """Every step for this role and profile, in order."""
    node = role != "hub"
    screen = (raw.get("screen") or {}).get("backend")
    browser = role == "display" and screen == "browser"
    packages = [*PACKAGES["common"], *PACKAGES[role]]
    if node:
        packages += PACKAGES["node"]
    if browser:
        packages += PACKAGES["browser"]
    steps: list[Step] = [
        Command(
            ["apt-get", "install", "-y", "--no-install-recommends", *packages],
            kind="apt",
            host_only=True,
            why="packages this role needs",
        )
    ]
    groups = GROUPS + (BROWSER_GROUPS if browser else ())
    for group in groups:
        steps.append(
            Command(
                ["groupadd", "--system", "--root", "{root}", group],
                kind="user",
                unless=lambda c, g=group: has_group(c, g),
                why="Raspberry Pi OS has it; plain Debian may not",
            )
        )
    steps.append(
        Command(
            ["useradd", "--system", "--root", "{root}", "--user-group", "--home-dir", VAR,
             "--shell", "/usr/sbin/nologin", USER],
            kind="user",
            unless=lambda c: has_user(c, USER),
            why="the service user",
        )
    )  # fmt: skip
    for group in groups:
        steps.append(
            Command(
                ["usermod", "--root", "{root}", "-aG", group, USER],
                kind="user",
                unless=lambda c, g=group: in_group(c, USER, g),
            )
        )
    name = "hub.toml" if role == "hub" else "node.toml"
    steps += [
        MakeDir(ETC, 0o750, ("root", USER)),
        MakeDir(VAR, 0o750, (USER, USER)),
        # The profile holds the device's token: readable by the service, by nobody else.
        WriteFile(f"{ETC}/{name}", profile.read_text("utf-8"), 0o640, ("root", USER)),
    ]
    if browser:
        steps += browser_folders(raw)
    unit = "loket-hub.service" if role == "hub" else "loket-node.service"
    # A browser display runs only the board: Chromium speaks, so a node agent would be a
    # second voice in the hall (the board's unit conflicts with loket-node.service too).
    units = ["loket-board.service"] if browser else [unit]
    wants = GRAPHICAL_WANTS if browser else WANTS
    for u in units:
        if not (firmware_config_dir() / "systemd" / u).exists():
            raise SetupError(f"firmware_config/systemd/{u} is missing (the browser board's unit)")
        steps.append(WriteFile(f"/etc/systemd/system/{u}", unit_text(u, src), kind="unit"))
    steps.append(WriteFile("/etc/systemd/journald.conf.d/loket.conf", JOURNALD, kind="journald"))
    if node:
        rules = (firmware_config_dir() / "udev" / "99-loket.rules").read_text("utf-8")
        steps += [
            WriteFile("/etc/udev/rules.d/99-loket.rules", rules, kind="udev"),
            Command(["udevadm", "control", "--reload"], kind="udev", host_only=True),
        ]
        if (raw.get("display") or {}).get("backend") == "max7219":
            steps.append(EnsureLine(CONFIG_TXT, "dtparam=spi=on", kind="spi"))
    hub_host = urlsplit((raw.get("node") or {}).get("hub_url", "")).hostname if node else None
    steps.append(
        WriteFile("/etc/chrony/conf.d/loket.conf", chrony_text(role, hub_host), kind="chrony")
    )
    if browser:
        steps += browser_boot()
    steps += [
        Command(["systemctl", "--root", "{root}", "enable", *units], kind="unit",
                unless=lambda c: all(c.path(wants + u).is_symlink() for u in units),
                why="started at boot (not started now)"),
        Command(["systemctl", "daemon-reload"], kind="unit", host_only=True),
    ]  # fmt: skip
    return steps


def browser_folders(raw: dict) -> list[Step]:
    """Chromium writes its profile and the cached clips under ``<data_dir>/chromium``."""
    data_dir = str((raw.get("node") or {}).get("data_dir") or f"{VAR}/node")
    return [
        MakeDir(data_dir, 0o750, (USER, USER)),
        MakeDir(f"{data_dir}/chromium", 0o700, (USER, USER)),
    ]


def browser_boot() -> list[Step]:
    """Boot to the graphical target with the console never blanking, and no node agent."""
    return [
        # `systemctl set-default graphical.target`: cage takes tty1 at boot
        Symlink(DEFAULT_TARGET, GRAPHICAL_TARGET, kind="unit"),
        Command(["systemctl", "--root", "{root}", "disable", "loket-node.service"],
                kind="unit", why="the board speaks; a node agent would be a second voice",
                unless=lambda c: not c.path(WANTS + "loket-node.service").is_symlink()),
        # The kernel console blanks after 10 minutes; the unit's setterm covers a running
        # system, this covers the boot before cage starts and every restart in between.
        EnsureWord(CMDLINE_TXT, "consoleblank=0", kind="screen"),
    ]  # fmt: skip


def with_root(steps: list[Step], root: Path) -> list[Step]:
    """Fill ``{root}`` in the commands' arguments."""
    for step in steps:
        if isinstance(step, Command):
            step.argv = [str(root) if a == "{root}" else a for a in step.argv]
    return steps


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="setup.sh --pi",
        description="Set up this Raspberry Pi as a Loket hub, kiosk, counter or hall display.",
    )
    p.add_argument("role", choices=ROLES)
    p.add_argument("--profile", required=True, type=Path, metavar="FILE",
                   help="the hub or node profile (copied to /etc/loket)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="print every step, change nothing")
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="KIND",
        help="leave out steps of this kind (apt, user, unit, udev, spi, screen, chrony, journald)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from core.errors import ConfigError

    args = build_parser().parse_args(argv)
    try:
        raw = read_profile(args.role, args.profile)
        steps = with_root(plan(args.role, args.profile.resolve(), raw), args.root)
        ctx = Context(root=args.root, dry_run=args.dry_run)
        skip = frozenset(k for item in args.skip for k in item.split(","))
        changed = run_plan(steps, ctx, skip)
    except ConfigError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 2
    except (SetupError, OSError) as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"dry run: {len(steps)} steps for a {args.role}; nothing changed")
    else:
        print(f"{args.role} set up: {changed} step(s) changed something, the rest already held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
