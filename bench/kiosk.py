"""Benchmark 7: a visitor's press -> the ticket's last byte at the printer (issue 13).

A real hub subprocess; in this process a real kiosk node built by ``node.app.build_node``
(its worker thread, HTTP transport, the kiosk role) with the button panel on gpiozero mock
pins (the real debounce: a press counts at release + ``debounce_ms``) and a real
python-escpos network printer talking to a local TCP printer that answers the status
queries. The clock starts when the button is released and stops when the printer has
received the ticket's final byte (the cut, or the feed on a printer without a cutter).

Each press: one status query before the number is taken, the number (hub round trip online;
the lease from the node's own log offline), the ticket (one connection), one status query
after it. ``online``: the hub answers; ``offline``: the transport refuses at once (a cable
out) and the kiosk prints from its standby lease, then prefix numbers. Target: p99 <= 300 ms.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.harness import Hub
from bench.stats import summary_ms, target

SIZES = {"smoke": 3, "quick": 30, "full": 100}
TARGET_MS = 300.0
PINS = {"A": 17, "B": 27}
END_OF_TICKET = (b"\x1dV\x00", b"\x1bd\x04")  # full cut (TM-T20II) / feed (POS-5890)


class TcpPrinter:
    """Answers DLE EOT n with "all fine" and notes when a ticket's last byte arrived."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.done: list[float] = []
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.5)
                tail = b""
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except (TimeoutError, OSError):
                        break
                    if not chunk:
                        break
                    tail = (tail + chunk)[-8:]
                    conn.sendall(b"\x12" * chunk.count(b"\x10\x04"))
                    if tail.endswith(END_OF_TICKET):
                        with self.cond:
                            self.done.append(time.perf_counter())
                            self.cond.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> float | None:
        with self.cond:
            self.cond.wait_for(lambda: len(self.done) >= count, timeout)
            return self.done[count - 1] if len(self.done) >= count else None

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.server.close()


class Switch:
    """The node's HTTP transport with a cable that can be pulled."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.down = inner, False

    def request(self, method: str, path: str, json: Any = None, timeout: float | None = None):
        from node.transport import HubUnreachable

        if self.down:
            raise HubUnreachable(f"{method} {path}: cable out (bench)")
        return self.inner.request(method, path, json=json, timeout=timeout)


def run(size: str) -> dict[str, Any]:
    from core.config import node_config_from_dict
    from node.app import build_node
    from node.transport import HttpTransport

    presses = SIZES[size]
    out: dict[str, Any] = {"presses": presses, "pin_debounce_ms": 30}
    printer = TcpPrinter()
    try:
        with Hub(pair=["K1"]) as hub, tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
            config = node_config_from_dict(
                {
                    "node": {
                        "id": "K1",
                        "role": "kiosk",
                        "hub_url": hub.url,
                        "token": hub.tokens["K1"],
                        "data_dir": str(Path(tmp) / "node"),
                        "services": list(PINS),
                    },
                    "buttons": {
                        "backend": "fake",  # gpiozero mock pins, the real debounce
                        "debounce_ms": 30,
                        "cooldown_ms": 0,  # the bench presses faster than a visitor
                        "service_pins": PINS,
                    },
                    "printer": {
                        "backend": "network",
                        "host": "127.0.0.1",
                        "port": printer.port,
                        "profile": "TM-T20II",
                        "timeout": 2,
                    },
                }
            )
            transport = Switch(HttpTransport(hub.url, hub.tokens["K1"]))
            node = build_node(config, transport=transport)
            node.start()
            try:
                pins = node.ctx.devices.buttons.pin_factory
                time.sleep(1.0)  # boot, first pull, leases
                out["online"] = summary_ms(_presses(pins, printer, presses, 0))
                transport.down = True
                node.ctx.sync.set_online(False, "bench: cable out")
                out["offline"] = summary_ms(_presses(pins, printer, presses, presses))
            finally:
                node.stop()
    finally:
        printer.close()
    out["targets"] = {
        f"{mode}_p99_ms": target(out[mode]["p99_ms"], TARGET_MS, unit="ms")
        for mode in ("online", "offline")
    }
    return out


def _presses(pins: Any, printer: TcpPrinter, n: int, before: int) -> list[float]:
    took = []
    for i in range(n):
        pin = pins.pin(PINS["A" if i % 2 == 0 else "B"])
        pin.drive_low()
        time.sleep(0.06)  # a short, clean press
        start = time.perf_counter()
        pin.drive_high()
        done = printer.wait(before + i + 1)
        if done is not None:
            took.append(done - start)
        time.sleep(0.05)
    return took
