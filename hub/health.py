"""Device health on the hub (contract C4): heartbeats in, the latest per node in RAM, a
``device.status`` event in the log when (and only when) a device's status changes.

Why RAM for the beats: a heartbeat every 30 s from 60 nodes is 170,000 records a day that
say "still fine"; the log keeps the changes, which is what an audit and the SSE pages need.
After a hub restart the table is empty until each node's next beat (at most 30 s), while
the devices' last statuses come back from the fold (``QueueState.devices``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify

from core.health import DEVICES, FAULTS, check_heartbeat, freshness, overall
from hub.auth import require_device
from hub.errors import Refused, json_body

bp = Blueprint("loket_health", __name__, url_prefix="/api/v1")
EXTENSION = "loket_health"


class HealthBook:
    """The latest heartbeat of every node; decides which device statuses are news."""

    def __init__(self, authority: Any, now_ms: Callable[[], int]) -> None:
        self.authority = authority
        self.now_ms = now_ms
        self._latest: dict[str, dict] = {}
        self._lock = threading.Lock()  # one node's beats never race to log the same change

    def record(self, node_id: str, beat: dict) -> list[dict]:
        """Keep ``beat`` (a checked C4 body) and log every device whose status changed;
        returns the ``device.status`` events committed."""
        authority = self.authority
        with self._lock:
            with authority.store.lock:
                known = {d: dict(v) for d, v in authority.state.devices.get(node_id, {}).items()}
            committed = []
            for device, now in beat["devices"].items():
                # A change of status is news (a device's first report too: the log then
                # says since when it worked); a new wording of the same status is not
                # (an error text varies; the RAM table keeps the latest anyway).
                if known.get(device, {}).get("status") == now["status"]:
                    continue
                committed.append(
                    authority.commit_hub_event(
                        "device.status",
                        body={"node": node_id, "device": device, **now},
                    )
                )
            self._latest[node_id] = {**beat, "received_ms": self.now_ms()}
        return committed

    def latest(self) -> dict[str, dict]:
        with self._lock:
            return {k: dict(v) for k, v in self._latest.items()}

    def rows(self, node_ids: list[str] | None = None) -> list[dict]:
        """Per node: its last beat, ``fresh`` (fresh|stale|never), ``state`` (ok | warning |
        fault | stale | never) and its devices (the beat's, else the log's last ones)."""
        latest = self.latest()
        with self.authority.store.lock:
            logged = {n: dict(d) for n, d in self.authority.state.devices.items()}
        now = self.now_ms()
        ids = node_ids if node_ids is not None else sorted(set(latest) | set(logged))
        out = []
        for node_id in ids:
            beat = latest.get(node_id)
            fresh = freshness(beat["received_ms"] if beat else None, now)
            devices = beat["devices"] if beat else logged.get(node_id, {})
            devices = {d: devices[d] for d in DEVICES if d in devices}
            out.append(
                {
                    "id": node_id,
                    "fresh": fresh,
                    "state": overall(devices, fresh),
                    "age_s": (now - beat["received_ms"]) // 1000 if beat else None,
                    "beat": beat,
                    "devices": devices,
                }
            )
        return out


def book() -> HealthBook:
    return current_app.extensions[EXTENSION]


def with_health(nodes: list[dict]) -> list[dict]:
    """``Authority.node_status()`` rows, each device's with its ``health`` (``rows()``
    shape); operator tokens get ``health: None`` (they send no heartbeat)."""
    devices = [n["id"] for n in nodes if n.get("kind") != "operator"]
    found = {row["id"]: row for row in book().rows(devices)}
    return [{**n, "health": found.get(n["id"])} for n in nodes]


def register(app: Flask) -> None:
    """The heartbeat route and its RAM table (one call from ``hub.create_app``)."""
    authority = app.extensions["loket"]
    app.extensions[EXTENSION] = HealthBook(authority, authority.now_ms)
    app.register_blueprint(bp)


def heartbeat_problem(problems: list[tuple[str, str]]) -> Refused:
    """One 422 naming every problem (the first one's field in ``field``)."""
    code = "missing_field" if all(p == "required" for _f, p in problems) else "invalid_field"
    text = "; ".join(f"'{f}' {p if p == 'required' else 'must be ' + p}" for f, p in problems)
    return Refused(
        code,
        f"heartbeat refused: {text}",
        422,
        field=problems[0][0],
        problems=[{"field": f, "expected": p} for f, p in problems],
    )


@bp.post("/nodes/<node_id>/heartbeat")
@require_device("kiosk", "counter", "display", own_arg="node_id")
def heartbeat(node_id: str) -> Response:
    beat, problems = check_heartbeat(json_body())
    if not problems and beat["role"] != g.caller.role:
        problems = [("role", f"{g.caller.role} (the role this token is paired as)")]
    if problems:
        raise heartbeat_problem(problems)
    events = book().record(node_id, beat)
    return jsonify({"ok": True, "logged": [e["id"] for e in events]})


def device_rows(node_id: str) -> dict:
    """What the device list shows beside a node: its ``devices`` and the ``faults`` among
    them (``"printer: out (paper out)"``), both empty when it never reported."""
    (row,) = book().rows([node_id])
    faults = [
        f"{name}: {d['status']}" + (f" ({d['detail']})" if d.get("detail") else "")
        for name, d in sorted(row["devices"].items())
        if d.get("status") in FAULTS
    ]
    return {"devices": row["devices"], "faults": faults}
