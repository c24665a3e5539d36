"""Node profiles: who a Pi is (role, hub, token) and which device backends it drives.

Part of ``core.config`` (which re-exports everything here); split off to keep modules small.
Device sections become a :class:`DeviceSection`: ``backend`` plus ``options``, the other keys
present in the file with the few documented defaults, checked against per-backend key tables
(``spi_port`` under a ``tm1637`` display is an error, and says which backend it belongs to).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core import glyphs, numbering
from core.announce_queue import MAX_MAX_AGE_S, MIN_MAX_AGE_S
from core.config_schema import (
    ID_EXPECTED,
    ID_PATTERN,
    RESERVED_NODE_IDS,
    Key,
    Problems,
    abs_path,
    check_section,
    check_table,
    freeze,
    is_pin,
    load_profile,
    renderable,
    toml_type,
    unique_in_list,
    unknown_key,
    valid_url,
    validated,
)

_ID = {"pattern": ID_PATTERN, "pattern_expected": ID_EXPECTED}


ROLES = ("kiosk", "counter", "display")
PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")
BUTTON_NAMES = ("next", "recall", "skip", "done", "transfer")
RATING_NAMES = ("sangat_puas", "puas", "kurang_puas", "tidak_puas")


@dataclass(frozen=True)
class NodeSection:
    """Who this Pi is and how it reaches the hub."""

    id: str
    role: str
    hub_url: str
    token: str = field(default="", repr=False)  # read from token_file when that is given
    token_file: Path | None = None
    data_dir: Path = Path("var/node")
    counter: str | None = None  # role "counter": which counter this panel drives
    services: tuple[str, ...] = ()  # role "kiosk": buttons offered; "display": filter
    name: str = ""


@dataclass(frozen=True)
class DeviceSection:
    """One device section: the backend's name and its validated options."""

    backend: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class NodeConfig:
    """A node profile. A device section that is absent is ``None``: no such device."""

    node: NodeSection
    buttons: DeviceSection | None = None
    display: DeviceSection | None = None
    printer: DeviceSection | None = None
    sound: DeviceSection | None = None
    screen: DeviceSection | None = None
    source: Path | None = None


NODE_KEYS = (
    Key("id", required=True, **_ID),
    Key("role", required=True, choices=ROLES),
    Key("hub_url", required=True, expected='an http(s) URL such as "http://hub.local:8080"'),
    Key("token", nonempty=True),
    Key("token_file", nonempty=True, expected="a file path"),
    Key("data_dir", default="var/node", nonempty=True, expected="a folder path"),
    Key("counter", **_ID),
    Key("services", "str_list", nonempty=True, **_ID),
    Key("name", default=""),
)
_PIN = {"type": "pin"}
BUTTONS = (
    (
        Key("pin_factory", choices=PIN_FACTORIES),
        Key("pull_up", "bool"),
        Key("debounce_ms", "int", min=0, max=1000),
        Key("hold_ms", "int", min=100, max=10000),
        Key("min_interval_ms", "int", min=0, max=10000),
        Key("pins", "table", keys=tuple(Key(n, **_PIN) for n in BUTTON_NAMES)),
        Key("rating_pins", "table", keys=tuple(Key(n, **_PIN) for n in RATING_NAMES)),
        # role kiosk: one button (and optionally one LED) per service, a hidden staff button
        Key("service_pins", "table", expected="a table of service id = GPIO pin"),
        Key("led_pins", "table", expected="a table of service id = GPIO pin"),
        Key("reprint_pin", **_PIN),
        Key("cooldown_ms", "int", min=0, max=60000),
        Key("refusal", choices=("slip", "flash", "both")),
    ),
    {"gpio": (), "fake": ()},
)
_DIGITS = Key("digits", "int", min=1, max=32)
DISPLAY = (
    (
        Key("prefixes", "str_list"),
        Key("idle_text"),
        Key("closed_text"),
        Key("blink_ms", "int", min=50, max=10000),
    ),
    {
        "max7219": (
            Key("spi_port", "int", min=0, max=9),
            Key("spi_device", "int", min=0, max=9),
            Key("cascaded", "int", min=1, max=64),
            dataclasses.replace(_DIGITS, default=8),
            Key("intensity", "int", min=0, max=255),
            Key("block_orientation", "int", choices=(0, 90, -90, 180)),
            Key("rotate", "int", choices=(0, 1, 2, 3)),
            Key("reverse_order", "bool"),
            Key("font", choices=("cp437", "sinclair", "lcd", "tiny", "speccy", "atari")),
            Key("kind", default="7seg", choices=("7seg", "matrix")),
        ),
        "tm1637": (
            Key("clk_pin", required=True, **_PIN),
            Key("dio_pin", required=True, **_PIN),
            Key("brightness", "int", min=0, max=7),
            dataclasses.replace(_DIGITS, default=4),
            Key("pin_factory", choices=PIN_FACTORIES),
            Key("bit_delay_us", "int", min=0, max=1000),
        ),
        "serial": (
            Key(
                "url",
                required=True,
                nonempty=True,
                expected='a port path or pyserial URL, e.g. "/dev/serial/by-id/..." or "loop://"',
            ),
            Key("baudrate", "int", min=50, max=4_000_000),
            Key("address", "int_or_str"),
            Key("bytesize", "int", choices=(5, 6, 7, 8)),
            Key("parity", choices=("N", "E", "O", "M", "S")),
            Key("stopbits", "float", choices=(1.0, 1.5, 2.0)),
            Key(
                "encoder",
                pattern=r"ascii_stx|[A-Za-z_][\w.]*:[A-Za-z_]\w*",
                expected='"ascii_stx" or a vendor encoder "package.module:ClassName"',
            ),
            Key("refresh_s", "float", min=0, min_exclusive=True, max=86400),
            Key("write_timeout", "float", min=0, min_exclusive=True, max=60),
            Key("reconnect_s", "float", min=0, min_exclusive=True, max=3600),
            _DIGITS,
        ),
        "fake": (_DIGITS,),
        "console": (_DIGITS,),
    },
)
_PROFILE = Key("profile", nonempty=True, expected='an escpos printer profile such as "TM-T20II"')
_TIMEOUT = Key("timeout", "float", min=0, min_exclusive=True, max=600)
PRINTER = (
    (
        _PROFILE,
        Key("logo", nonempty=True, expected="an image file (PNG), printed dithered at the top"),
        Key("logo_width", "int", min=8, max=832),
        Key("header"),
        Key("footer", "str_list"),
        Key("survey", "bool"),
        Key("complaints"),
        Key("status_poll_s", "float", min=0.5, max=600),
    ),
    {
        "usb": (
            Key("vendor_id", "usb_id", required=True),
            Key("product_id", "usb_id", required=True),
            Key("in_ep", "int", min=0, max=0xFF),
            Key("out_ep", "int", min=0, max=0xFF),
            _TIMEOUT,
        ),
        "serial": (
            Key("device", required=True, nonempty=True, expected="a device path"),
            Key("baudrate", "int", min=50, max=4_000_000),
            _TIMEOUT,
        ),
        "network": (
            Key("host", required=True, nonempty=True),
            Key("port", "int", default=9100, min=1, max=65535),
            _TIMEOUT,
        ),
        "file": (Key("path", required=True, nonempty=True, expected="a file path"),),
        "fake": (),
    },
)
SOUND = (
    (
        Key("lang", default="id", choices=("id", "en")),
        Key("clips_dir", expected="a folder path"),
        # Calls older than this when their turn comes are not said (core.announce_queue).
        Key("max_age_s", "float", min=MIN_MAX_AGE_S, max=MAX_MAX_AGE_S),
    ),
    {
        "pygame": (Key("device", nonempty=True), Key("buffer", "int", min=256, max=16384)),
        "fake": (),
    },
)
SCREEN = (
    (),
    {
        "pygame": (
            Key("fullscreen", "bool"),
            Key("width", "int", min=160, max=7680),
            Key("height", "int", min=120, max=4320),
            Key("lang", choices=("id", "en")),
            Key("idle_s", "float", min=3, max=600),
        ),
        "fake": (),
    },
)
DEVICE_SECTIONS = {
    "buttons": BUTTONS,
    "display": DISPLAY,
    "printer": PRINTER,
    "sound": SOUND,
    "screen": SCREEN,
}


def load_node_config(path: str | os.PathLike[str]) -> NodeConfig:
    """Read and validate a node profile; raise ConfigError listing every problem."""
    return load_profile(path, node_config_from_dict)


def node_config_from_dict(raw: Mapping[str, Any], *, source: str | Path = "<dict>") -> NodeConfig:
    """Validate an already parsed node profile (tests, the demo)."""
    return validated(raw, source, _build_node)


def _build_node(
    raw: Mapping[str, Any], problems: Problems, source: Path | None
) -> NodeConfig | None:
    for name in raw:
        if name != "node" and name not in DEVICE_SECTIONS:
            unknown_key(problems, "", name, ["node", *DEVICE_SECTIONS])
    table = raw.get("node")
    if not isinstance(table, dict):
        problems.add(
            "node",
            "missing section; expected a [node] table"
            if table is None
            else f"wrong type: got {toml_type(table)}; expected a [node] table",
        )
        table = {}
    node = check_table(table, NODE_KEYS, "node", problems)

    devices: dict[str, DeviceSection | None] = {}
    for name, (generic, backends) in DEVICE_SECTIONS.items():
        if name not in raw:
            devices[name] = None
            continue
        backend, values, options = check_section(raw[name], generic, backends, name, problems)
        merged = {k: v for k, v in values.items() if v is not None} | options
        if backend is not None:
            devices[name] = DeviceSection(backend, freeze(merged))
        else:
            devices[name] = None
        if name == "display" and backend is not None:
            _check_display_texts(merged, backend, problems)
        if name == "buttons":
            _check_pins(merged, backend, problems, table.get("role"), table.get("services"))

    role = node["role"]
    if node["hub_url"] is not None and not valid_url(node["hub_url"]):
        problems.add(
            "node.hub_url", f"{node['hub_url']!r} is not valid; expected {NODE_KEYS[2].describe()}"
        )
    if node["id"] in RESERVED_NODE_IDS:
        problems.add("node.id", f"{node['id']!r} is reserved; expected another id")
    if role == "kiosk" and node["id"] is not None:
        problem = numbering.kiosk_mark_problem(node["id"])
        if problem:
            problems.add("node.id", problem)
    if role == "counter":
        if node["counter"] is None and "counter" not in table:
            problems.add(
                "node.counter", "missing; expected the counter id this node drives (role counter)"
            )
        if "buttons" not in raw:
            problems.add("buttons", "missing section; expected a [buttons] table (role counter)")
    elif "counter" in table and role is not None:
        problems.add(
            "node.counter",
            f"only used by role 'counter', this node is {role!r}; expected no counter key",
        )
    if role == "kiosk":
        if "services" not in table:
            problems.add(
                "node.services", "missing; expected the service ids this kiosk offers (role kiosk)"
            )
        if "printer" not in raw:
            problems.add("printer", "missing section; expected a [printer] table (role kiosk)")
    elif role == "counter" and "services" in table:
        problems.add(
            "node.services",
            "not used by role 'counter' (its services come from the hub profile); "
            "expected no services key",
        )
    if node["services"]:
        unique_in_list(node["services"], "node.services", problems)

    token = node["token"]
    token_file = abs_path(node["token_file"]) if node["token_file"] else None
    if token and token_file:
        problems.add("node.token_file", "both token and token_file given; expected only one")
    elif token_file:
        try:
            token = token_file.read_text("utf-8").strip()
            if not token:
                problems.add(
                    "node.token_file",
                    f"{token_file} is empty; expected the token from `loket provision` or "
                    "`loket hub pair`",
                )
            elif token_file.stat().st_mode & 0o006:
                # Every account on the Pi could act as this device (group read stays
                # allowed: the service user may read it through its group).
                problems.add(
                    "node.token_file",
                    f"{token_file} is readable or writable by every user (mode "
                    f"{token_file.stat().st_mode & 0o777:04o}); expected mode 0600 or 0640: "
                    f"chmod 600 {token_file}",
                )
        except OSError as exc:
            problems.add(
                "node.token_file",
                f"cannot read {token_file} ({exc.strerror}); expected a file holding the token",
            )
    elif not token and table:
        problems.add(
            "node.token",
            "missing; expected token or token_file (print one with `loket hub pair <node-id>`)",
        )
    printer = devices.get("printer")
    if printer is not None and printer.get("logo"):
        logo = abs_path(printer.get("logo"))
        if not logo.is_file():
            problems.add(
                "printer.logo", f"{str(logo)!r} is not a file; expected an image file (PNG)"
            )
        devices["printer"] = DeviceSection(
            printer.backend, MappingProxyType({**printer.options, "logo": str(logo)})
        )
    sound = devices.get("sound")
    if sound is not None and sound.get("clips_dir"):
        clips = abs_path(sound.get("clips_dir"))
        if not clips.is_dir():
            problems.add(
                "sound.clips_dir",
                f"{str(clips)!r} is not a folder; expected the folder holding id/ and en/ clips",
            )
        devices["sound"] = DeviceSection(
            sound.backend, MappingProxyType({**sound.options, "clips_dir": clips})
        )

    if problems.items:
        return None
    return NodeConfig(
        node=NodeSection(
            id=node["id"],
            role=role,
            hub_url=node["hub_url"].rstrip("/"),
            token=token or "",
            token_file=token_file,
            data_dir=abs_path(node["data_dir"]),
            counter=node["counter"],
            services=tuple(node["services"] or ()),
            name=node["name"] or node["id"],
        ),
        **devices,
        source=source,
    )


# Display backends whose text width is a count of characters (a matrix is measured in pixels
# of a proportional font: not checked here), and how many they have by default.
_CELLS_DEFAULT = {"tm1637": 4, "max7219": 8, "serial": 8, "console": 8}


def _check_display_texts(options: Mapping[str, Any], backend: str, problems: Problems) -> None:
    kind = {"tm1637": "7seg", "console": "7seg", "serial": "serial", "fake": "none"}.get(
        backend, options.get("kind", "7seg")
    )
    cells = options.get("digits") or _CELLS_DEFAULT.get(backend)
    if kind in ("matrix", "none"):
        cells = None
    for i, prefix in enumerate(options.get("prefixes") or ()):
        path = f"display.prefixes[{i}]"
        problem = numbering.prefix_problem(prefix)
        if problem:
            problems.add(path, problem)
        elif problem := glyphs.prefix_display_problem(prefix, kind, cells):
            problems.add(path, f"prefix {prefix!r} {problem}")
    for key in ("idle_text", "closed_text"):
        if options.get(key):
            renderable(options[key], kind, f"display.{key}", problems, f"{options[key]!r}")


_COUNTER_ONLY = ("pins", "rating_pins", "min_interval_ms")
_KIOSK_ONLY = ("service_pins", "led_pins", "reprint_pin", "cooldown_ms", "refusal")


def _check_pins(
    options: Mapping[str, Any],
    backend: str | None,
    problems: Problems,
    role: Any = None,
    services: Any = None,
) -> None:
    seen: dict[Any, str] = {}
    pins = [
        (f"buttons.{table}.{name}", pin)
        for table in ("pins", "rating_pins", "service_pins", "led_pins")
        for name, pin in (options.get(table) or {}).items()
    ]
    if options.get("reprint_pin") is not None:
        pins.append(("buttons.reprint_pin", options["reprint_pin"]))
    for path, pin in pins:
        if pin is None:
            continue
        free_keys = path.startswith(("buttons.service_pins", "buttons.led_pins"))
        if free_keys and not is_pin(pin):
            problems.add(path, f"{pin!r} is not a GPIO pin; expected a BCM number such as 17")
        elif not is_pin(pin):
            continue  # the schema said so already
        elif pin in seen:
            problems.add(path, f"pin {pin!r} is already used by {seen[pin]}; expected a free pin")
        else:
            seen[pin] = path
    if role == "kiosk":
        _check_kiosk_buttons(options, backend, problems, services)
        return
    for key in _KIOSK_ONLY:
        if key in options and role is not None:
            problems.add(f"buttons.{key}", f"only used by role 'kiosk'; this node is {role!r}")
    if backend == "gpio" and not (options.get("pins") or {}).get("next"):
        problems.add(
            "buttons.pins.next", "missing; expected the GPIO pin of the NEXT button (backend gpio)"
        )


def _check_kiosk_buttons(
    options: Mapping[str, Any], backend: str | None, problems: Problems, services: Any
) -> None:
    for key in _COUNTER_ONLY:
        if key in options:
            hint = "; expected service_pins (one button per service)" if key == "pins" else ""
            problems.add(f"buttons.{key}", f"only used by role 'counter'{hint}")
    offered = list(services) if isinstance(services, list) else []
    buttons = options.get("service_pins") or {}
    for sid in buttons:
        if offered and sid not in offered:
            problems.add(
                f"buttons.service_pins.{sid}",
                f"{sid!r} is not one of this kiosk's services; expected one of: "
                f"{', '.join(offered)} (node.services)",
            )
    for sid in options.get("led_pins") or {}:
        if sid not in buttons:
            problems.add(
                f"buttons.led_pins.{sid}",
                f"{sid!r} has no button; expected a service of buttons.service_pins",
            )
    if backend == "gpio" and not buttons:
        problems.add(
            "buttons.service_pins",
            "missing; expected one GPIO pin per service, e.g. { A = 17, B = 27 } (backend gpio)",
        )
