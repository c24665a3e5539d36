"""TOML profiles -> frozen dataclasses, validated once, every problem reported at once.

``load_hub_config(path)`` reads the MPP's hub profile (agencies, services, counters, kiosks);
``load_node_config(path)`` a Pi's node profile (role and devices). Both raise ``ConfigError``
listing each problem as ``<file>: <dotted.path>: <what is wrong>; expected <what>`` before
anything binds a port or opens a device (STYLE.md 5). Array entries are numbered from 0:
``counters[2].id`` is the id of the third ``[[counters]]`` block.

Relative paths (``data_dir``, ``secret_key_file``, ``token_file``, ``clips_dir``) are resolved
against the **current working directory** when the profile is loaded, and stored absolute. The
systemd units set ``WorkingDirectory`` anyway (lgpio writes files there), so one rule serves the
Pi and a developer running ``loket`` from the checkout (``var/`` is git-ignored).

The hub profile lives here; node profiles in ``core.config_node`` (re-exported below), the
validator and shared checks in ``core.config_schema``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core import config_catalogue as catalogue_keys
from core import glyphs, numbering
from core.announce_queue import DEFAULT_MAX_AGE_S, MAX_MAX_AGE_S, MIN_MAX_AGE_S
from core.config_node import (  # noqa: F401 - re-exported: core.config is the public face
    BUTTON_NAMES,
    DEVICE_SECTIONS,
    PIN_FACTORIES,
    RATING_NAMES,
    ROLES,
    DeviceSection,
    NodeConfig,
    NodeSection,
    load_node_config,
    node_config_from_dict,
)
from core.config_region import (
    UPSTREAM_KEYS,
    RegionConfig,
    UpstreamConfig,
    region_config_from_dict,
    upstream_config,
)
from core.config_schema import (
    ID_EXPECTED,
    ID_PATTERN,
    RESERVED_NODE_IDS,
    Key,
    Problems,
    abs_path,
    check_array,
    check_table,
    did_you_mean,
    join,
    load_profile,
    read_toml,
    reference,
    toml_type,
    unique,
    unique_in_list,
    unknown_key,
    valid_url,
    validated,
)
from core.errors import ConfigError
from core.model import Agency, Counter, Service

# -- hub profile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MppConfig:
    """The mall itself: its name (printed on tickets) and timezone (the service day)."""

    name: str
    timezone: str = "Asia/Jakarta"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class HubSection:
    """Where the hub listens and keeps its data."""

    host: str = "0.0.0.0"
    port: int = 8080
    data_dir: Path = Path("var/hub")
    threads: int = 48  # waitress workers: every node's long-poll + every board + headroom
    secret_key_file: Path = Path("var/hub/secret_key")
    # Browser boards drop a call not said within this many seconds (core.announce_queue).
    announce_max_age_s: float = DEFAULT_MAX_AGE_S
    issue_per_min: int = 30  # tickets (and leases) one kiosk or operator token may take; 0 = off
    # Where visitors' phones reach the status pages (the QR code); "" = tickets carry no QR.
    public_url: str = ""
    # Held requests (docs/streams.md): SSE streams in all and per client address, changes
    # long-polls in all; each has a thread of the stream pool, never a command's.
    max_streams: int = 32
    max_streams_per_ip: int = 8
    max_longpolls: int = 128
    # After each daily close the hub backs up there (hub.nightly_backup); None = off.
    backup_dir: Path | None = None
    backup_keep: int = 7


@dataclass(frozen=True)
class CounterConfig(Counter):
    """A counter as configured: the model's Counter plus what its number display can show."""

    display: str = "7seg"


@dataclass(frozen=True)
class Kiosk:
    """A ticket kiosk node and the services it offers."""

    id: str
    name: str
    services: tuple[str, ...]
    lease_size: int = 10  # numbers per standby lease block (offline printing)


@dataclass(frozen=True)
class HallDisplay:
    """A hall board / announcer node (known to the hub so it can be paired)."""

    id: str
    name: str


@dataclass(frozen=True)
class HubConfig:
    """The whole hub profile. Lists keep the file's order (boards show it).

    Only ``hub`` (and ``source``) describe this deployment. Everything else is the catalogue
    *seed*: the hub writes it into its log on first start and from then on reads the folded
    catalogue (``core.catalogue``), never these fields. ``catalogue`` is the seed in its
    normalised, JSON-able form (``core.config.check_catalogue``); the tuples are the same
    data as the older dataclasses, kept for callers that only need names and numbers.
    """

    mpp: MppConfig
    hub: HubSection
    agencies: tuple[Agency, ...]
    services: tuple[Service, ...]
    counters: tuple[CounterConfig, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()
    displays: tuple[HallDisplay, ...] = ()
    catalogue: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    source: Path | None = None
    upstream: UpstreamConfig | None = None  # [upstream]: the regional server (off when None)

    def service(self, service_id: str) -> Service:
        return _find(self.services, service_id, "service")

    def counter(self, counter_id: str) -> CounterConfig:
        return _find(self.counters, counter_id, "counter")

    def agency(self, agency_id: str) -> Agency:
        return _find(self.agencies, agency_id, "agency")

    def kiosk(self, kiosk_id: str) -> Kiosk:
        return _find(self.kiosks, kiosk_id, "kiosk")

    @property
    def node_ids(self) -> tuple[str, ...]:
        """Ids a node may pair as: counters, kiosks, hall displays."""
        return tuple(x.id for x in (*self.counters, *self.kiosks, *self.displays))

    def public(self) -> dict[str, list[dict]]:
        """``{services, counters, agencies}`` as JSON-able lists (GET /api/v1/state)."""
        return {
            "agencies": [dataclasses.asdict(a) for a in self.agencies],
            "services": [dataclasses.asdict(s) for s in self.services],
            "counters": [
                {**dataclasses.asdict(c), "services": list(c.services)} for c in self.counters
            ],
        }


def _find(items: tuple, item_id: str, what: str) -> Any:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"unknown {what} {item_id!r}")


def override_hub(config: HubConfig, **changes: Any) -> HubConfig:
    """``config`` with some ``[hub]`` values replaced (CLI --host/--port/--data); None = keep."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if "data_dir" in changes:
        changes["data_dir"] = abs_path(changes["data_dir"])
    return dataclasses.replace(config, hub=dataclasses.replace(config.hub, **changes))


_ID = {"pattern": ID_PATTERN, "pattern_expected": ID_EXPECTED}
_NAME = Key("name", required=True, nonempty=True)

HUB_SECTIONS = {
    "mpp": (
        _NAME,
        Key("timezone", required=True, expected='an IANA timezone such as "Asia/Jakarta"'),
        *catalogue_keys.MPP_KEYS,
    ),
    "hub": (
        Key("host", default="0.0.0.0", nonempty=True),
        Key("port", "int", default=8080, min=1, max=65535),
        Key("data_dir", default="var/hub", nonempty=True, expected="a folder path"),
        Key("threads", "int", default=48, min=4, max=1024),
        Key("secret_key_file", expected="a file path"),
        Key(
            "announce_max_age_s",
            "float",
            default=DEFAULT_MAX_AGE_S,
            min=MIN_MAX_AGE_S,
            max=MAX_MAX_AGE_S,
        ),
        Key("issue_per_min", "int", default=30, min=0, max=100_000),
        Key(
            "public_url",
            nonempty=True,
            expected='the http(s) address visitors\' phones reach, e.g. "http://10.10.0.1:8080"',
        ),
        Key("max_streams", "int", default=32, min=1, max=1000),
        Key("max_streams_per_ip", "int", default=8, min=1, max=1000),
        Key("max_longpolls", "int", default=128, min=1, max=1000),
        Key(
            "backup_dir",
            nonempty=True,
            expected="an absolute folder path for the backup after each daily close, e.g. "
            '"/media/loket-backup" (a USB stick)',
        ),
        Key("backup_keep", "int", default=7, min=1, max=365),
    ),
    "upstream": UPSTREAM_KEYS,
}
AGENCY_KEYS = (Key("id", required=True, **_ID), _NAME, *catalogue_keys.AGENCY_KEYS)
SERVICE_KEYS = (
    Key("id", required=True, **_ID),
    Key("prefix", pattern=numbering.PREFIX_PATTERN, pattern_expected=numbering.PREFIX_EXPECTED),
    _NAME,
    Key("agency", required=True),
    Key("daily_quota", "int", min=1),
    Key("avg_service_min", "float", default=10.0, min=0, min_exclusive=True, max=600),
    *catalogue_keys.SERVICE_KEYS,
)
COUNTER_KEYS = (
    Key("id", required=True, **_ID),
    Key("name"),
    Key("number", "int", required=True, min=1, max=999),
    Key("services", "str_list", required=True, nonempty=True),
    Key("display", default="7seg", choices=glyphs.KINDS),
    *catalogue_keys.COUNTER_KEYS,
)
KIOSK_KEYS = (
    Key("id", required=True, **_ID),
    _NAME,
    Key("services", "str_list", required=True, nonempty=True),
    Key("lease_size", "int", default=10, min=1, max=1000),
    *catalogue_keys.KIOSK_KEYS,
)
DISPLAY_KEYS = (Key("id", required=True, **_ID), _NAME, *catalogue_keys.DISPLAY_KEYS)
HUB_ARRAYS = {
    "agencies": AGENCY_KEYS,
    "services": SERVICE_KEYS,
    "counters": COUNTER_KEYS,
    "kiosks": KIOSK_KEYS,
    "displays": DISPLAY_KEYS,
    "closures": catalogue_keys.CLOSURE_KEYS,
}
# Profile tables that seed the holiday list (core.config_catalogue.seed_holidays).
SEED_TABLES = ("calendar", "holidays")
# What stays in the profile and never enters the log: where this hub runs.
DEPLOYMENT_SECTIONS = ("hub", "upstream")


def load_hub_config(path: str | os.PathLike[str]) -> HubConfig:
    """Read and validate a hub profile; raise ConfigError listing every problem."""
    return load_profile(path, hub_config_from_dict)


def hub_config_from_dict(raw: Mapping[str, Any], *, source: str | Path = "<dict>") -> HubConfig:
    """Validate an already parsed hub profile (tests, the demo)."""
    return validated(raw, source, _build_hub)


def _build_hub(raw: Mapping[str, Any], problems: Problems, source: Path | None) -> HubConfig | None:
    catalogue = check_catalogue(raw, problems, profile=True)
    hub = _section(raw, "hub", problems)
    upstream = upstream_config(_section(raw, "upstream", problems), problems)
    host = hub["host"]
    if isinstance(host, str) and not valid_host(host):
        problems.add(
            "hub.host",
            f"{host!r} is not an address to listen on; expected an IP address such as "
            '"0.0.0.0" (every interface), "127.0.0.1" or "192.168.1.10", or a host name '
            "(no scheme, port or path)",
        )
    if hub["public_url"] is not None and not valid_url(hub["public_url"]):
        problems.add(
            "hub.public_url",
            f"{hub['public_url']!r} is not valid; expected an http(s) address such as "
            '"http://10.10.0.1:8080" (the visitor Wi-Fi address of this hub)',
        )
    backup_dir = hub["backup_dir"]
    if isinstance(backup_dir, str) and not Path(backup_dir).is_absolute():
        problems.add(
            "hub.backup_dir",
            f"{backup_dir!r} is not an absolute path; expected a folder such as "
            '"/media/loket-backup" (a USB stick or a NAS mount), outside the data folder',
        )
    if problems.items:
        return None
    data_dir = abs_path(hub["data_dir"])
    mpp = catalogue["mpp"]
    return HubConfig(
        mpp=MppConfig(name=mpp["name"], timezone=mpp["timezone"]),
        hub=HubSection(
            host=hub["host"],
            port=hub["port"],
            data_dir=data_dir,
            threads=hub["threads"],
            secret_key_file=abs_path(hub["secret_key_file"])
            if hub["secret_key_file"]
            else data_dir / "secret_key",
            announce_max_age_s=hub["announce_max_age_s"],
            issue_per_min=hub["issue_per_min"],
            public_url=(hub["public_url"] or "").rstrip("/"),
            max_streams=hub["max_streams"],
            max_streams_per_ip=hub["max_streams_per_ip"],
            max_longpolls=hub["max_longpolls"],
            backup_dir=Path(backup_dir) if backup_dir else None,
            backup_keep=hub["backup_keep"],
        ),
        agencies=tuple(Agency(a["id"], a["name"]) for a in catalogue["agencies"]),
        services=tuple(
            Service(
                s["id"], s["prefix"], s["name"], s["agency"], s["daily_quota"], s["avg_service_min"]
            )
            for s in catalogue["services"]
        ),
        counters=tuple(
            CounterConfig(
                id=c["id"],
                name=c["name"],
                number=c["number"],
                services=tuple(c["services"]),
                display=c["display"],
            )
            for c in catalogue["counters"]
        ),
        kiosks=tuple(
            Kiosk(k["id"], k["name"], tuple(k["services"]), k["lease_size"])
            for k in catalogue["kiosks"]
        ),
        displays=tuple(HallDisplay(d["id"], d["name"]) for d in catalogue["displays"]),
        catalogue=catalogue,
        source=source,
        upstream=upstream,
    )


def _section(raw: Mapping[str, Any], name: str, problems: Problems) -> dict[str, Any]:
    keys = HUB_SECTIONS[name]
    table = raw.get(name)
    if table is None:
        if any(k.required for k in keys):
            problems.add(name, f"missing section; expected a [{name}] table")
            return check_table({}, keys, name, Problems(problems.file))
        table = {}
    elif not isinstance(table, dict):
        problems.add(name, f"wrong type: got {toml_type(table)}; expected a [{name}] table")
        return check_table({}, keys, name, Problems(problems.file))
    return check_table(table, keys, name, problems)


def check_catalogue(
    raw: Mapping[str, Any], problems: Problems, *, profile: bool = False
) -> dict[str, Any]:
    """Validate the catalogue part of a hub profile (or of ``Catalogue.to_dict()``).

    Returns it normalised: every key present with its default, prefixes and counter names
    filled in, hours checked, holidays expanded (``profile``: the shipped list as
    ``[calendar]`` selects it plus the profile's own) and sorted by date. This is the
    validator ``core.catalogue.validate`` shares, so an edit and ``loket config check`` give
    the same messages. Without ``profile`` the deployment and seeding tables are unknown keys.
    """
    if profile:
        allowed = [*HUB_SECTIONS, *HUB_ARRAYS, *SEED_TABLES]
    else:
        allowed = [
            n for n in (*HUB_SECTIONS, *HUB_ARRAYS, "holidays") if n not in DEPLOYMENT_SECTIONS
        ]
    for name in raw:
        if name not in allowed:
            unknown_key(problems, "", name, allowed)
    raw = _without_nulls(raw)
    sections = {"mpp": _section(raw, "mpp", problems)}
    arrays = {
        name: [
            (p, check_table(t, keys, p, problems))
            for p, t in check_array(raw.get(name), name, problems)
        ]
        for name, keys in HUB_ARRAYS.items()
    }

    mpp = sections["mpp"]
    if mpp["timezone"] is not None and not _valid_timezone(mpp["timezone"]):
        problems.add(
            "mpp.timezone",
            f"unknown timezone {mpp['timezone']!r}; expected an IANA name such as "
            '"Asia/Jakarta" (WIB), "Asia/Makassar" (WITA) or "Asia/Jayapura" (WIT)',
        )
    for name in ("agencies", "services"):
        if not arrays[name]:
            problems.add(name, f"missing; expected at least one [[{name}]] block")

    # Services: a prefix defaults to the id when the id is itself a prefix ("A", "SK").
    for path, s in arrays["services"]:
        if s["prefix"] is None and s["id"] is not None:
            if numbering.prefix_problem(s["id"]) is None:
                s["prefix"] = s["id"]
            elif "prefix" not in _raw_at(raw, path):
                problems.add(
                    join(path, "prefix"),
                    f"missing, and the id {s['id']!r} is not a prefix itself; "
                    f"expected {numbering.PREFIX_EXPECTED}",
                )

    for name in HUB_ARRAYS:
        unique(arrays[name], "id", problems)
    unique(arrays["services"], "prefix", problems, what="prefix", note="ticket labels would clash")
    unique(arrays["counters"], "number", problems, what="counter number")
    node_entries = arrays["counters"] + arrays["kiosks"] + arrays["displays"]
    unique(
        node_entries,
        "id",
        problems,
        what="node id",
        note="counters, kiosks and displays pair as nodes",
        skip_same_list=True,
    )
    for path, entry in node_entries:
        if entry["id"] in RESERVED_NODE_IDS:
            problems.add(join(path, "id"), f"{entry['id']!r} is reserved; expected another id")
    for path, k in arrays["kiosks"]:
        if k["id"] is not None and (problem := numbering.kiosk_mark_problem(k["id"])):
            problems.add(join(path, "id"), problem)

    agency_ids = [a["id"] for _, a in arrays["agencies"] if a["id"]]
    for path, s in arrays["services"]:
        reference(s["agency"], agency_ids, join(path, "agency"), "agency", problems)
    services = {s["id"]: s for _, s in arrays["services"] if s["id"]}
    for group in ("counters", "kiosks"):
        for path, entry in arrays[group]:
            for i, sid in enumerate(entry["services"] or ()):
                reference(sid, list(services), join(join(path, "services"), i), "service", problems)
            unique_in_list(entry["services"] or (), join(path, "services"), problems)
    for path, c in arrays["counters"]:
        for i, sid in enumerate(c["services"] or ()):
            prefix = (services.get(sid) or {}).get("prefix")
            problem = (
                prefix and c["display"] and glyphs.prefix_display_problem(prefix, c["display"])
            )
            if problem:
                problems.add(
                    join(join(path, "services"), i),
                    f"counter {c['id']!r} serves {sid!r}, whose prefix {prefix!r} {problem}",
                )

    catalogue_keys.check_references(mpp, arrays, problems)
    if profile:
        holidays = catalogue_keys.seed_holidays(raw, problems)
    else:
        holidays = catalogue_keys.check_holidays(raw.get("holidays"), "holidays", problems)
    for _, c in arrays["counters"]:
        c["name"] = c["name"] or f"Loket {c['number']}"
    catalogue: dict[str, Any] = {"mpp": mpp}
    for name in CATALOGUE_ARRAYS:
        catalogue[name] = [entry for _, entry in arrays[name]]
    catalogue["holidays"] = holidays
    return catalogue


CATALOGUE_ARRAYS = ("agencies", "services", "counters", "kiosks", "displays", "closures")


def _without_nulls(raw: Mapping[str, Any]) -> dict[str, Any]:
    """JSON's null (an edit, ``Catalogue.to_dict()``) means what an absent TOML key means."""

    def clean(table: Any) -> Any:
        if not isinstance(table, dict):
            return table
        return {k: v for k, v in table.items() if v is not None}

    out: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, list):
            out[name] = [clean(t) for t in value]
        else:
            out[name] = clean(value)
    return out


# -- either profile ----------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> HubConfig | NodeConfig | RegionConfig:
    """Load a hub, node or region profile, told apart by their contents ([node], [region])."""
    path = Path(path)
    problems = Problems(str(path))
    raw = read_toml(path, problems)
    problems.raise_if_any()
    if "node" in raw:
        return node_config_from_dict(raw, source=path)
    if "region" in raw:
        return region_config_from_dict(raw, source=path)
    if "mpp" in raw or "hub" in raw or "services" in raw:
        return hub_config_from_dict(raw, source=path)
    problems.add(
        "(profile)",
        "neither a hub profile nor a node profile; expected an [mpp] table (hub) "
        "or a [node] table (node)" + did_you_mean(next(iter(raw), ""), ["mpp", "node", "hub"]),
    )
    raise ConfigError(problems.items)


# -- hub-only helpers -------------------------------------------------------------------------


def _raw_at(raw: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    m = re.fullmatch(r"(\w+)\[(\d+)\]", path)
    if not m:
        return {}
    return raw[m.group(1)][int(m.group(2))]


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def valid_host(host: str) -> bool:
    """An IPv4/IPv6 literal or a DNS host name (what a socket can bind to by name)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if len(host) > 253 or re.fullmatch(r"[\d.]+", host):  # "999.1.1.1" is no name either
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split("."))


def _valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
