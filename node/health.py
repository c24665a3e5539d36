"""What a node knows about its own health (contract C4): the body of its heartbeat.

Every reading is best effort and says null when this machine cannot tell (a laptop has no
``get_throttled``, a container no thermal zone): a missing sensor is not a fault. ``root``
lets tests point the /sys readers at a folder of their own.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.clock import Clock
from core.health import DeviceStatus, as_status
from node.transport import HubUnreachable, Transport

log = logging.getLogger(__name__)

THERMAL = "sys/class/thermal/thermal_zone0/temp"
# The firmware's throttle flags (bit 0: under-voltage now; bit 16: it happened since boot).
THROTTLED = "sys/devices/platform/soc/soc:firmware/get_throttled"
UNDERVOLTAGE_NOW = 0x1
# Which device slot of C4 each of the node's Devices fills.
SLOTS = {
    "printer": "printer",
    "display": "display",
    "announcer": "speaker",
    "screen": "screen",
    "buttons": "buttons",
}


def cpu_temp_c(root: Path = Path("/")) -> float | None:
    """The SoC temperature in °C (the kernel reports millidegrees), or None."""
    try:
        return round(int((root / THERMAL).read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None


def undervoltage(root: Path = Path("/"), run: Callable[..., Any] = subprocess.run) -> bool | None:
    """True while the Pi's supply is too weak, from the firmware's sysfs flags or
    ``vcgencmd get_throttled``; None where neither exists (not a Pi)."""
    try:
        return bool(int((root / THROTTLED).read_text().strip(), 16) & UNDERVOLTAGE_NOW)
    except (OSError, ValueError):
        pass
    if root != Path("/") or shutil.which("vcgencmd") is None:
        return None
    try:
        out = run(["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=2)
        return bool(int(out.stdout.strip().partition("=")[2], 16) & UNDERVOLTAGE_NOW)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def disk_free_mb(path: Path) -> int | None:
    """Free space where the node keeps its logs (an SD card fills up slowly, then at once)."""
    try:
        return shutil.disk_usage(path).free // (1024 * 1024)
    except OSError:
        return None


def local_address(hub_url: str) -> str | None:
    """The address this node uses towards the hub (a UDP "connect" sends nothing)."""
    parts = urlsplit(hub_url)
    if not parts.hostname:
        return None
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((parts.hostname, parts.port or 80))
            return sock.getsockname()[0]
    except OSError:
        return None


def clock_offset_ms(transport: Transport, clock: Clock) -> int | None:
    """Hub time minus ours, halfway through the round trip (``GET /api/v1/time``); None
    when the hub does not answer. Nodes have no RTC: a big offset means chrony is not
    syncing from the hub (docs/provisioning.md)."""
    before = clock.wall_ms()
    try:
        status, body = transport.request("GET", "/api/v1/time", timeout=2.0)
    except HubUnreachable:
        return None
    after = clock.wall_ms()
    hub_ms = body.get("hub_ms") if status == 200 else None
    if not isinstance(hub_ms, int) or isinstance(hub_ms, bool):
        return None
    return hub_ms - (before + after) // 2


def device_statuses(devices: Any, skip: set[str] = frozenset()) -> dict[str, dict[str, str]]:
    """``{slot: {status, detail}}`` for every device the node has (but the ``skip`` slots);
    a ``status()`` that raises is itself a fault (with the error as detail)."""
    out = {}
    for attr, slot in SLOTS.items():
        dev = getattr(devices, attr, None)
        if dev is None or slot in skip:
            continue
        ask = getattr(dev, "status", None)
        try:
            st = as_status(ask()) if callable(ask) else DeviceStatus("unknown", "no status")
        except Exception as exc:  # noqa: BLE001 - a broken driver is exactly what we report
            st = DeviceStatus("fault", f"status() failed: {exc}"[:200])
        out[slot] = {"status": st.status, "detail": st.detail}
    return out


def collect(
    *,
    version: str,
    role: str,
    uptime_s: int,
    sync_status: dict,
    devices: dict[str, dict[str, str]],
    clock_offset: int | None,
    data_dir: Path,
    hub_url: str,
    root: Path = Path("/"),
) -> dict:
    """The whole heartbeat body (every key of C4)."""
    return {
        "version": version[:64],
        "uptime_s": max(0, int(uptime_s)),
        "address": local_address(hub_url),
        "role": role,
        "backlog": int(sync_status.get("backlog") or 0),
        "last_sync_ms": sync_status.get("last_sync_ms"),
        "clock_offset_ms": clock_offset,
        "disk_free_mb": disk_free_mb(data_dir),
        "cpu_temp_c": cpu_temp_c(root),
        "undervoltage": undervoltage(root),
        "devices": devices,
    }
