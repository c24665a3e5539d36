"""What every role shares: the context it works in, RPCs with the same req, hub metadata.

Roles run on the node's single worker thread (node.app): button callbacks and sync listeners
only enqueue work (notes/hardware.md, "Callbacks run on library threads: queue work"), so a
role never needs a lock of its own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.numbering import service_day
from node.outbox import Outbox
from node.replica import read_json, write_json
from node.sync import SyncClient, SyncListener
from node.transport import HubUnreachable, Transport
from node.view import LocalView

log = logging.getLogger(__name__)

HUB_INFO_FILE = "hub_info.json"
DEFAULT_TZ = "Asia/Jakarta"  # node profiles carry no timezone; MPPs are in WIB by default
RPC_TIMEOUT = 0.8
RPC_ATTEMPTS = 3  # the first try + 2 retries, always with the same req (notes/sync.md §5.4)


@dataclass
class Devices:
    """The devices a node drives; any may be None when the role does not use it."""

    display: Any = None
    printer: Any = None
    announcer: Any = None
    screen: Any = None
    buttons: Any = None

    def close(self) -> None:
        for dev in (self.buttons, self.display, self.printer, self.announcer, self.screen):
            close = getattr(dev, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing %r failed", dev)


@dataclass
class Context:
    """Everything a role works with; built once by ``node.app.build_node``."""

    node_id: str
    config: Any
    data_dir: Path
    clock: Clock
    transport: Transport
    outbox: Outbox
    view: LocalView
    sync: SyncClient
    devices: Devices
    hub_url: str = ""
    hub_info: dict = field(default_factory=dict)

    def rpc(
        self, method: str, path: str, body: dict | None = None, *, attempts: int = RPC_ATTEMPTS
    ) -> tuple[int, dict] | None:
        """A hub command; None when the hub cannot be reached (the caller falls back).

        Retries reuse the same body, hence the same req: the hub answers a repeated req with
        the result it already committed. A 5xx counts as "no answer" (e.g. the recovery
        barrier after a restore refuses new numbers), a 4xx is a real answer.
        """
        if self.sync.online is False:
            attempts = 1  # known offline: one quick probe instead of three timeouts per press
        error = "no attempt"
        for _ in range(attempts):
            try:
                status, answer = self.transport.request(
                    method, path, json=body, timeout=RPC_TIMEOUT
                )
            except HubUnreachable as err:
                error = str(err)
                continue
            if status >= 500:
                error = f"{status} {answer.get('error')}"
                if answer.get("error"):
                    # The hub itself refused (e.g. its recovery barrier after a restore): it
                    # is reachable, retrying the same req changes nothing; fall back now.
                    self.sync.set_online(True)
                    return None
                continue  # a proxy or a half-started server: as good as no answer
            self.sync.set_online(True)
            return status, answer
        self.sync.set_online(False, error)
        return None

    # -- hub metadata (service names, counter numbers), cached for offline starts --------

    def load_hub_info(self) -> None:
        self.hub_info = read_json(self.data_dir / HUB_INFO_FILE, {})

    def refresh_hub_info(self) -> dict | None:
        """GET /api/v1/state and keep its ``config`` part on disk; returns the whole answer."""
        try:
            status, body = self.transport.request("GET", "/api/v1/state", timeout=5.0)
        except HubUnreachable:
            return None
        if status != 200:
            return None
        info = {"config": body.get("config") or {}, "mpp": body.get("mpp") or {}}
        if info != self.hub_info:
            self.hub_info = info
            try:
                write_json(self.data_dir / HUB_INFO_FILE, info)
            except OSError:
                log.exception("cannot cache hub info")
        return body

    def service_info(self, service: str) -> dict:
        for s in dict_items(self.hub_info.get("config", {}).get("services")):
            if s.get("id") == service:
                return s
        return {"id": service, "prefix": service, "name": service}

    def agency_name(self, agency: str | None) -> str:
        for a in dict_items(self.hub_info.get("config", {}).get("agencies")):
            if a.get("id") == agency:
                return a.get("name") or agency or ""
        return agency or ""

    def counter_number(self, counter: str) -> int:
        """The number spoken and shown for a counter ("loket 3")."""
        for c in dict_items(self.hub_info.get("config", {}).get("counters")):
            if c.get("id") == counter and isinstance(c.get("number"), int):
                return c["number"]
        digits = re.findall(r"\d+", counter)
        return int(digits[-1]) if digits else 0

    def timezone(self) -> ZoneInfo:
        name = (
            config_value(self.config, "mpp", "timezone")
            or config_value(self.config, "node", "timezone")
            or (self.hub_info.get("mpp") or {}).get("timezone")
            or DEFAULT_TZ
        )
        return ZoneInfo(name)

    def service_day(self) -> str:
        """Today's service day by this node's best time (the HLC has merged the hub's time,
        so a Pi that booted into 1970 still gets it right once it talked to the hub)."""
        return service_day(self.outbox.now_ms(), self.timezone())

    def mpp_name(self) -> str:
        mpp = self.hub_info.get("mpp") or {}
        return mpp.get("name") or config_value(self.config, "mpp", "name") or "Mal Pelayanan Publik"


def dict_items(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [dict(v, id=v.get("id", k)) for k, v in value.items() if isinstance(v, dict)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def config_value(config: Any, section: str, key: str, default: Any = None) -> Any:
    sec = getattr(config, section, None)
    if sec is None and isinstance(config, dict):
        sec = config.get(section)
    if sec is None:
        return default
    if isinstance(sec, dict):
        return sec.get(key, default)
    if hasattr(sec, key):
        return getattr(sec, key)
    get = getattr(sec, "get", None)  # core.config_node.DeviceSection keeps options in .get()
    return get(key, default) if callable(get) else default


class Role(SyncListener):
    """Base of the three roles; every hook is a no-op by default."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def start(self) -> None:
        """Called once on the worker thread after boot (restore the display, etc.)."""

    def on_button(self, name: str, kind: str = "press") -> None:
        """A button press or hold, or a simulated key."""

    def maintain(self) -> None:
        """Periodic housekeeping on the worker thread (lease top-ups...)."""

    def status(self) -> dict:
        return {}
