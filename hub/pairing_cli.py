"""``loket hub device add ID``, ``loket hub tokens``, ``loket hub revoke ID|TOKEN-PREFIX``.

Like every writing tool (``hub.commands.write``) they open the store when no hub runs on the
data folder and otherwise ask the running hub on its control routes (``/control/device-code``,
``/control/tokens``, ``/control/revoke``), so a code made or a token revoked while the hub
runs is the hub's own write and applies on the next request. ``hub.commands`` dispatches
here with the validated profile; times are printed in the MPP's timezone.
"""

from __future__ import annotations

import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub import control, pairing
from hub.commands import write


def _now_ms() -> int:
    return int(time.time() * 1000)


def _local_time(ms: Any, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not isinstance(ms, int) or not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz).strftime(fmt)


def device_add(args: Any, config: Any) -> int:
    """Print a one-time pairing code for a node of the catalogue and the Pi's command."""
    from hub.catalogue_export import folder_catalogue

    minutes = getattr(args, "minutes", None) or pairing.DEFAULT_TTL_MIN

    def local(store: Any) -> dict:
        return pairing.new_code(
            store,
            args.node_id,
            catalogue=folder_catalogue(config),
            now_ms=_now_ms(),
            ttl_min=minutes,
            by="cli",
        )

    body = {"node_id": args.node_id, "minutes": minutes}
    try:
        made = write(config, local, "/control/device-code", body)
    except pairing.PairingRefused as exc:
        print(f"loket: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:  # the running hub refused it (422/409: its message)
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    until = _local_time(made["expires_ms"], config.mpp.tz, "%H:%M")
    print(f"pairing code for {made['node']} ({made['role']}): {made['code']}")
    print(f"valid until {until} ({made['ttl_min']} min), once; an earlier code for it is void.")
    print(f"On the Pi: loket provision --hub {hub_url(config)} --code {made['code']}")
    return 0


def tokens(args: Any, config: Any) -> int:
    """List every token: id, kind, role, first characters, issued, last seen, revoked."""
    from hub.catalogue_export import folder_catalogue

    def local(store: Any) -> dict:
        return {"tokens": pairing.token_rows(store, folder_catalogue(config))}

    rows = write(config, local, "/control/tokens", {})["tokens"]
    if not rows:
        print("no tokens yet (loket hub device add ID, or loket hub pair)")
        return 0
    tz = config.mpp.tz
    table = [("ID", "KIND", "ROLE", "TOKEN", "ISSUED", "LAST SEEN", "REVOKED")]
    for r in rows:
        table.append(
            (
                r["id"],
                r["kind"] or "-",
                r["role"] or "-",
                f"{r['hint']}..." if r.get("hint") else "-",
                _local_time(r.get("issued_ms"), tz),
                _local_time(r.get("last_seen_ms"), tz),
                _local_time(r.get("revoked_ms"), tz) if r.get("revoked_ms") else "active",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"(times in {config.mpp.timezone})")
    return 0


def revoke(args: Any, config: Any) -> int:
    """Revoke one token by id or by its first characters; refused on its next request."""

    def local(store: Any) -> dict:
        return pairing.revoke(store, args.target, now_ms=_now_ms())

    try:
        done = write(config, local, "/control/revoke", {"target": args.target})
    except pairing.PairingRefused as exc:
        print(f"loket: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    print(f"revoked the token of {done['id']}: its next request is refused (401)")
    if done.get("kind") != "operator":
        print(f"Pair {done['id']} again with: loket hub device add {done['id']}")
    return 0


def hub_url(config: Any) -> str:
    """The address a Pi on the LAN reaches this hub at: the profile's host (a wildcard one
    replaced by this machine's LAN address) and the running hub's port."""
    info = control.read_file(Path(config.hub.data_dir)) or {}
    port = config.hub.port
    url = str(info.get("url") or "")
    if url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
    host = config.hub.host
    if host in ("0.0.0.0", "::"):
        host = lan_address() or "<this hub's address>"
    return f"http://{host}:{port}"


def lan_address() -> str | None:
    """This machine's address on its default route (no packet is sent: UDP connect only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
