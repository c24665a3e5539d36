"""Profiles of the regional server (``region.toml``) and the hub's ``[upstream]`` section.

The regional server is the one component that runs off-site; a hub pushes its log there and
pulls its online bookings from there when the internet is up (issue 12, ``docs/region.md``).
Both are validated like every profile: every problem at once, with its dotted key path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config_schema import (
    ID_EXPECTED,
    ID_PATTERN,
    Key,
    Problems,
    abs_path,
    check_table,
    load_profile,
    toml_type,
    unknown_key,
    valid_url,
    validated,
)

_URL = 'an http:// or https:// URL such as "https://region.example.go.id"'

UPSTREAM_KEYS = (
    Key("url", expected=_URL),
    Key("site", pattern=ID_PATTERN, pattern_expected=ID_EXPECTED),
    Key("token_file", expected="a file holding the site token from `loket region add-site`"),
    Key("batch", "int", default=500, min=1, max=1000),
    Key("interval_s", "float", default=5.0, min=0.05, max=3600),
    Key("max_backoff_s", "float", default=300.0, min=0.1, max=86_400),
)


@dataclass(frozen=True)
class UpstreamConfig:
    """Where a hub pushes its log (``[upstream]`` of the hub profile; absent = off)."""

    url: str  # no trailing /
    site: str
    token_file: Path
    batch: int = 500
    interval_s: float = 5.0
    max_backoff_s: float = 300.0

    def token(self) -> str:
        """Read at start, not at load: the file may be written after ``config check``."""
        return self.token_file.read_text(encoding="utf-8").strip()


def upstream_config(values: Mapping[str, Any] | None, problems: Problems) -> UpstreamConfig | None:
    """The checked ``[upstream]`` table (``check_table`` output), or None when absent."""
    if not values or all(values.get(k.name) in (None, k.default) for k in UPSTREAM_KEYS):
        return None
    ok = True
    for name in ("url", "site", "token_file"):
        if values.get(name) in (None, ""):
            problems.add(f"upstream.{name}", f"missing; expected {_describe(name)}")
            ok = False
    url = values.get("url")
    if isinstance(url, str) and url and not valid_url(url):
        problems.add("upstream.url", f"{url!r} is not a URL; expected {_URL}")
        ok = False
    if not ok:
        return None
    return UpstreamConfig(
        url=url.rstrip("/"),
        site=values["site"],
        token_file=abs_path(values["token_file"]),
        batch=values["batch"],
        interval_s=float(values["interval_s"]),
        max_backoff_s=float(values["max_backoff_s"]),
    )


def _describe(name: str) -> str:
    return next(k.describe() for k in UPSTREAM_KEYS if k.name == name)


# -- region.toml ------------------------------------------------------------------------------

REGION_KEYS = (
    Key("name", required=True, nonempty=True),
    Key("host", default="127.0.0.1", nonempty=True),
    Key("port", "int", default=8090, min=1, max=65535),
    Key(
        "dsn",
        required=True,
        nonempty=True,
        expected='a libpq connection string such as "host=/run/postgresql dbname=loket" '
        'or "postgresql://loket@db.example/loket"',
    ),
    Key("threads", "int", default=32, min=4, max=1024),
    Key("pool_min", "int", default=2, min=1, max=100),
    Key("pool_max", "int", default=10, min=1, max=500),
    Key("months_ahead", "int", default=3, min=1, max=36),
    Key("booking_grace_min", "int", default=30, min=0, max=720),
    Key("booking_days", "int", default=14, min=1, max=90),
    # Booking form posts per minute from one address (0: no limit); region.booking_page.
    Key("booking_per_min", "int", default=10, min=0, max=10_000),
    Key("timezone", default="Asia/Jakarta", expected='an IANA timezone such as "Asia/Jakarta"'),
)


@dataclass(frozen=True)
class RegionConfig:
    """``[region]`` of ``region.toml``. The database holds everything else (sites, users)."""

    name: str
    dsn: str
    host: str = "127.0.0.1"
    port: int = 8090
    threads: int = 32
    pool_min: int = 2
    pool_max: int = 10
    months_ahead: int = 3  # monthly event partitions created this far ahead
    booking_grace_min: int = 30  # a booking not checked in this long after its session starts
    booking_days: int = 14  # how far ahead citizens may book
    booking_per_min: int = 10  # booking form posts a minute from one address (0: unlimited)
    timezone: str = "Asia/Jakarta"
    source: Path | None = None


def load_region_config(path: str | os.PathLike[str]) -> RegionConfig:
    return load_profile(path, region_config_from_dict)


def region_config_from_dict(
    raw: Mapping[str, Any], *, source: str | Path = "<dict>"
) -> RegionConfig:
    return validated(raw, source, _build_region)


def _build_region(
    raw: Mapping[str, Any], problems: Problems, source: Path | None
) -> RegionConfig | None:
    for name in raw:
        if name != "region":
            unknown_key(problems, "", name, ["region"])
    table = raw.get("region")
    if not isinstance(table, dict):
        got = "missing section" if table is None else f"wrong type: got {toml_type(table)}"
        problems.add("region", f"{got}; expected a [region] table")
        return None
    values = check_table(table, REGION_KEYS, "region", problems)
    tz = values.get("timezone")
    if isinstance(tz, str):
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except (ValueError, KeyError, OSError):
            problems.add("region.timezone", f"unknown timezone {tz!r}; expected an IANA name")
    pmin, pmax = values.get("pool_min"), values.get("pool_max")
    if isinstance(pmin, int) and isinstance(pmax, int) and pmin > pmax:
        problems.add("region.pool_max", f"{pmax} is below pool_min {pmin}; expected >= pool_min")
    if problems.items:
        return None
    return RegionConfig(source=source, **{k.name: values[k.name] for k in REGION_KEYS})
