"""The device agent: ``build_node(config) -> Node``.

One node = one data folder (own log + replica + checkpoint), one sync client, one role
(kiosk, counter or hall display) and its devices. Threading model: button callbacks and
sync listeners never do work on their own threads; they put a closure on the node's work
queue and a single worker thread runs it (docs/hardware.md: "Callbacks run on library
threads: queue work"). So the roles need no locks and tests can drive everything without
threads: ``node.start(threads=False)``, ``node.press(...)``, ``node.step()``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.clock import Clock, SystemClock, stamp
from node.heartbeat import Heartbeat
from node.outbox import Outbox
from node.replica import Replica
from node.roles.base import Context, Devices, Role, config_value
from node.sync import SyncClient, SyncListener
from node.transport import HttpTransport, Transport
from node.view import LocalView

log = logging.getLogger(__name__)

ROLES = ("kiosk", "counter", "display")
# Feed records after which the node re-caches its catalogue (node.hub_info).
CATALOGUE_CHANGES = frozenset({"catalogue.set", "catalogue.retired", "roster.updated"})
MAINTAIN_EVERY_S = 30.0


class _Relay(SyncListener):
    """Moves sync notifications from the sync threads onto the node's worker queue."""

    def __init__(self, node: Node):
        self.node = node

    def on_online(self, online: bool) -> None:
        self.node.submit(lambda: self.node._on_online(online))

    def on_records(self, records: list[dict]) -> None:
        self.node.submit(lambda: self.node._on_records(records))

    def on_epoch_changed(self, old: str | None, new: str) -> None:
        self.node.submit(lambda: self.node.role.on_epoch_changed(old, new))


class Node:
    """A running node. ``start()``/``stop()``; ``press()`` simulates a button."""

    def __init__(self, ctx: Context, role: Role, role_name: str):
        self.ctx = ctx
        self.role = role
        self.role_name = role_name
        self._work: queue.Queue[Callable[[], None]] = queue.Queue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._threaded = False
        self._booted = False
        self.heartbeat = Heartbeat(ctx, role_name)  # its own thread: see node.heartbeat
        ctx.beat_now = self.heartbeat.send_now
        ctx.sync.add_listener(_Relay(self))
        ctx.sync.status_extra = self._status_extra

    # -- lifecycle -----------------------------------------------------------------------

    def boot(self) -> None:
        """Log ``node.hello`` for this boot, load cached hub metadata, restore the role."""
        if self._booted:
            return
        self._booted = True
        ctx = self.ctx
        clock = ctx.clock
        ctx.outbox.append_own("node.hello", stamp(clock))
        # Before the role starts: a restarted node whose fold has no catalogue yet works
        # from the cached one (the view asks for it each time it builds a state).
        ctx.load_hub_info()
        last = ctx.sync.replica.records(max(0, len(ctx.sync.replica) - 1))
        if last:
            ctx.outbox.note_hub_time(last[-1].get("recv_ms"))
        self._refresh_hub_info()
        self.role.start()
        ctx.sync.write_status()

    def start(self, threads: bool = True) -> None:
        """Boot, then (with ``threads``) run the sync loops and the worker in the background."""
        self.boot()
        if not threads:
            return
        self._threaded = True
        self._stop.clear()
        self.ctx.sync.start()
        self.heartbeat.start()
        self._worker = threading.Thread(target=self._run, name="loket-node", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """Finish the work already queued (presses before Ctrl-C still print), then stop."""
        self.submit(self._stop.set)  # the worker reaches this after everything queued before
        if self._worker is not None:
            self._worker.join(10.0)
            self._worker = None
        else:
            self.drain()
        if self._threaded:
            self.heartbeat.stop()
            self.ctx.sync.stop()
        self.ctx.devices.close()
        self.ctx.outbox.close()
        self.ctx.sync.replica.close()

    def alive(self) -> bool:
        """The worker still runs (the systemd watchdog pings only while it does)."""
        return self._worker is not None and self._worker.is_alive()

    # -- work queue ----------------------------------------------------------------------

    def submit(self, fn: Callable[[], None]) -> None:
        self._work.put(fn)

    def press(self, name: str, kind: str = "press") -> None:
        """A button event (``kind`` "press" or "hold"); safe from any thread."""

        def work() -> None:
            try:
                self.role.on_button(name, kind)
            finally:
                # A press is rare and changes backlog, leases, what is shown: keep the
                # status file (read by `loket node status`) current.
                self.ctx.sync.write_status()

        self.submit(work)

    def scan(self, text: str) -> None:
        """Text from a scanner acting as a keyboard, or a typed code (kiosks: check-in)."""
        on_scan = getattr(self.role, "on_scan", None)
        if on_scan is None:
            return
        self.submit(lambda: on_scan(text))

    def run_once(self, timeout: float | None = 0) -> bool:
        """Run one queued item; False when there was none within ``timeout``."""
        try:
            fn = self._work.get(block=timeout != 0, timeout=timeout or None)
        except queue.Empty:
            return False
        try:
            fn()
        except Exception:
            log.exception("node work item failed")
        return True

    def drain(self) -> int:
        n = 0
        while self.run_once(0):
            n += 1
        return n

    def step(self, wait: float = 0, rounds: int = 5) -> None:
        """Tests: run queued work, sync once, run what the sync queued; repeat till quiet."""
        self.boot()
        for _ in range(rounds):
            did = self.drain()
            fresh = self.ctx.sync.step(wait)
            did += self.drain()
            if not did and not fresh:
                break
        self.role.maintain()
        self.drain()

    def _run(self) -> None:
        # A role with a ``tick_s`` (the kiosk polls its printer) is ticked whenever the queue
        # has been quiet that long; maintenance still runs after MAINTAIN_EVERY_S of quiet.
        tick_s = getattr(self.role, "tick_s", None)
        wait = min(tick_s, MAINTAIN_EVERY_S) if tick_s else MAINTAIN_EVERY_S
        quiet = 0.0
        while not self._stop.is_set():
            if self.run_once(timeout=wait):
                quiet = 0.0
                continue
            quiet += wait
            try:
                if tick_s:
                    self.role.tick()
                if quiet >= MAINTAIN_EVERY_S:
                    quiet = 0.0
                    self.role.maintain()
                    self.ctx.sync.write_status()
            except Exception:
                log.exception("maintenance failed")

    # -- hub metadata ------------------------------------------------------------------------

    def _refresh_hub_info(self) -> None:
        self.ctx.refresh_hub_info()

    def _on_records(self, records: list[dict]) -> None:
        self.role.on_records(records)
        if any(r["event"].get("type") in CATALOGUE_CHANGES for r in records):
            # The role has already shown the change; keep it for a start without the hub.
            self.ctx.remember_catalogue()

    def _on_online(self, online: bool) -> None:
        if online and not self.ctx.hub_info.get("catalogue"):
            self._refresh_hub_info()
        self.role.on_online(online)
        if online:
            self.role.maintain()

    # -- status --------------------------------------------------------------------------

    def _status_extra(self) -> dict:
        return {"role": self.role_name, **_safe(self.role.status)}

    def status(self) -> dict:
        """What ``loket node status`` prints, live."""
        return {**self.ctx.sync.status(), **self._status_extra()}


def _safe(fn: Callable[[], dict]) -> dict:
    try:
        return fn()
    except Exception as err:
        return {"status_error": str(err)}


def make_devices(config: Any, role: str) -> Devices:
    """The devices a role needs, chosen by name in config (never a silent fallback)."""
    devices = Devices()
    if role == "counter":
        from node.hardware.display import make_display

        devices.display = make_display(getattr(config, "display", None))
    elif role == "kiosk":
        from node.hardware.printer import make_printer

        devices.printer = make_printer(getattr(config, "printer", None))
    elif role == "display":
        from node.hardware.screen import make_screen
        from node.hardware.sound import make_announcer

        devices.announcer = make_announcer(getattr(config, "sound", None))
        devices.screen = make_screen(getattr(config, "screen", None))
    return devices


def build_node(
    config: Any,
    *,
    transport: Transport | None = None,
    clock: Clock | None = None,
    hardware: Devices | dict | None = None,
) -> Node:
    """Assemble a node from a ``NodeConfig``; opens its data folder, touches no device
    unless ``hardware`` is None (then the configured backends are built)."""
    node_id = config_value(config, "node", "id")
    role_name = config_value(config, "node", "role")
    if role_name not in ROLES:
        raise ValueError(f"node.role: {role_name!r}; expected one of {ROLES}")
    data_dir = Path(config_value(config, "node", "data_dir"))
    hub_url = config_value(config, "node", "hub_url", "") or ""
    clock = clock or SystemClock()
    if transport is None:
        transport = HttpTransport(hub_url, config_value(config, "node", "token"))
    if isinstance(hardware, dict):
        hardware = Devices(**hardware)
    devices = hardware if hardware is not None else make_devices(config, role_name)
    outbox = Outbox(data_dir, node_id, clock)
    replica = Replica(data_dir)
    sync = SyncClient(transport, outbox, replica, clock)
    ctx = Context(
        node_id=node_id,
        config=config,
        data_dir=data_dir,
        clock=clock,
        transport=transport,
        outbox=outbox,
        view=None,  # type: ignore[arg-type]  # set just below: its fallback reads ctx
        sync=sync,
        devices=devices,
        hub_url=hub_url,
    )
    ctx.view = LocalView(replica, outbox, fallback=ctx.cached_catalogue)
    role = _make_role(role_name, ctx)
    node = Node(ctx, role, role_name)
    if hardware is None and config_value(config, "buttons", "backend"):
        if role_name == "counter":
            from node.hardware.buttons import make_buttons

            devices.buttons = make_buttons(config.buttons, on_event=node.press)
        elif role_name == "kiosk":
            from node.hardware.kiosk_buttons import make_kiosk_buttons

            devices.buttons = make_kiosk_buttons(config.buttons, on_event=node.press)
            role.attach_buttons(devices.buttons)
    if hardware is None and role_name == "kiosk" and getattr(config, "scanner", None) is not None:
        from node.hardware.scanner import make_scanner

        devices.scanner = make_scanner(config.scanner, node.scan)
    if hardware is None and role_name == "kiosk" and getattr(config, "screen", None) is not None:
        from node.kiosk_ui.app import make_kiosk_ui

        devices.screen = make_kiosk_ui(config.screen, role, node.submit)
    return node


def _make_role(name: str, ctx: Context) -> Role:
    if name == "kiosk":
        from node.roles.kiosk import KioskRole

        return KioskRole(ctx)
    if name == "counter":
        from node.roles.counter import CounterRole

        return CounterRole(ctx)
    from node.roles.display import DisplayRole

    return DisplayRole(ctx)
