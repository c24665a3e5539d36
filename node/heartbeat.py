"""The node's heartbeat (contract C4): its health to the hub every 30 s, and at once when a
device's status changes (a kiosk out of paper must not wait half a minute to show).

A thread of its own, not the node's worker: a printer status query may take half a second
and a hub that is down makes every request wait for its timeout, neither of which may delay
a button press. Device ``status()`` methods are safe to call from here (the printer holds
its own lock; the others read a few fields). ``tick()`` runs one round without the thread,
which is what tests call.
"""

from __future__ import annotations

import logging
import threading
from importlib import metadata
from typing import Any

from core.health import HEARTBEAT_EVERY_S
from node import health
from node.transport import HubUnreachable

log = logging.getLogger(__name__)

POLL_S = 5.0  # how often device statuses are read to notice a change between beats


def version() -> str:
    try:
        return metadata.version("loket")
    except metadata.PackageNotFoundError:
        return "dev"


class Heartbeat:
    """Sends ``POST /api/v1/nodes/<id>/heartbeat`` for one node's context (node.roles.base)."""

    def __init__(
        self,
        ctx: Any,
        role: str,
        *,
        every_s: float = HEARTBEAT_EVERY_S,
        poll_s: float = POLL_S,
    ) -> None:
        self.ctx = ctx
        self.role = role
        self.every_ms = int(every_s * 1000)
        self.poll_s = poll_s
        self._started_mono = ctx.clock.mono_ms()
        self._last_sent_ms: int | None = None  # monotonic
        self._last_devices: dict | None = None
        self.last_answer: tuple[int, dict] | None = None
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def body(self, devices: dict | None = None) -> dict:
        ctx = self.ctx
        return health.collect(
            version=version(),
            role=self.role,
            uptime_s=(ctx.clock.mono_ms() - self._started_mono) // 1000,
            sync_status=ctx.sync.status(),
            devices=health.device_statuses(ctx.devices) if devices is None else devices,
            clock_offset=health.clock_offset_ms(ctx.transport, ctx.clock),
            data_dir=ctx.data_dir,
            hub_url=ctx.hub_url,
        )

    def tick(self) -> bool:
        """Beat if one is due or a device changed; True when a heartbeat was accepted."""
        devices = health.device_statuses(self.ctx.devices)
        now = self.ctx.clock.mono_ms()
        due = self._last_sent_ms is None or now - self._last_sent_ms >= self.every_ms
        if not due and devices == self._last_devices:
            return False
        return self.send(devices)

    def send_now(self, reports: dict) -> bool:
        """A heartbeat now, with ``reports`` ({slot: {status, detail}}) over the polled
        statuses: the caller has just read them and a second query would only cost time."""
        devices = {**health.device_statuses(self.ctx.devices, skip=set(reports)), **reports}
        return self.send(devices)

    def send(self, devices: dict | None = None) -> bool:
        body = self.body(devices)
        path = f"/api/v1/nodes/{self.ctx.node_id}/heartbeat"
        self._last_sent_ms = self.ctx.clock.mono_ms()
        try:
            status, answer = self.ctx.transport.request("POST", path, json=body, timeout=5.0)
        except HubUnreachable as exc:
            log.debug("heartbeat not delivered: %s", exc)
            return False  # the next round tries again; the changed status is still "changed"
        self.last_answer = (status, answer)
        if status != 200:
            # A 4xx here is a bug in this node or a revoked token: say so once per beat.
            log.warning("hub refused the heartbeat: %s %s", status, answer.get("message"))
            return False
        self._last_devices = body["devices"]
        self.sent += 1
        return True

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="loket-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - health reporting must never stop the node
                log.exception("heartbeat failed")
            self._stop.wait(self.poll_s)
