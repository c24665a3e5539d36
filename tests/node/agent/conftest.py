"""Node-agent fixtures: a real hub (Flask test client) behind an injected transport.

Tests may import both hub and node; product code never does. The transport can be taken
down (``hub.down = True``), can lose the next replies (the hub acted, the node never heard),
and follows the hub across restarts and restores from a backup.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.clock import FakeClock
from node.transport import HubUnreachable

# 2026-11-28 09:00 in Asia/Jakarta (UTC+7)
T0 = 1_795_831_200_000
NODES = ("K1", "K2", "C1", "C2", "C3", "D1")


def hub_config(data_dir: Path, lease_size: int = 4):
    """Services A and B; counters C1 (A,B), C2 (B), C3 (B); kiosks K1, K2; hall display D1."""
    from core.config import hub_config_from_dict

    raw = {
        "mpp": {"name": "MPP Uji", "timezone": "Asia/Jakarta"},
        "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(data_dir), "threads": 8},
        "agencies": [
            {"id": "dukcapil", "name": "Dukcapil"},
            {"id": "bpjs", "name": "BPJS Kesehatan"},
        ],
        "services": [
            {"id": "A", "name": "KTP Elektronik", "agency": "dukcapil", "avg_service_min": 6},
            {"id": "B", "name": "BPJS", "agency": "bpjs", "avg_service_min": 10},
        ],
        "counters": [
            {"id": "C1", "name": "Loket 1", "number": 1, "services": ["A", "B"]},
            {"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]},
            {"id": "C3", "name": "Loket 3", "number": 3, "services": ["B"]},
        ],
        "kiosks": [
            {"id": "K1", "name": "Kiosk 1", "services": ["A", "B"], "lease_size": lease_size},
            {"id": "K2", "name": "Kiosk 2", "services": ["B"], "lease_size": lease_size},
        ],
        "displays": [{"id": "D1", "name": "Layar aula"}],
    }
    return hub_config_from_dict(raw)


class Hub:
    """A hub app that can go down, restart and be restored from a backup."""

    def __init__(self, tmp_path: Path, clock: FakeClock, config=None):
        from hub.auth import pair_node

        self.tmp_path = tmp_path
        self.clock = clock
        self.config = config or hub_config(tmp_path / "hub")
        self.down = False
        self._start()
        self.tokens = {n: pair_node(self.authority.store, n) for n in NODES}

    def _start(self) -> None:
        from hub import create_app

        self.app = create_app(self.config, clock=self.clock)
        self.app.config["TESTING"] = True
        self.authority = self.app.extensions["loket"]

    def stop(self) -> None:
        self.authority.store.close()

    def restart(self) -> None:
        self.stop()
        self._start()

    def backup(self, name: str = "backup") -> Path:
        return self.authority.store.backup_to(self.tmp_path / name)

    def restore(self, backup: Path) -> str:
        from hub.store import restore_from

        self.stop()
        epoch = restore_from(backup, self.config.hub.data_dir)
        self._start()
        return epoch

    def records(self) -> list[dict]:
        return self.authority.records_since(0, 100_000)

    def events(self, type_: str | None = None) -> list[dict]:
        return [r["event"] for r in self.records() if type_ in (None, r["event"]["type"])]


class FlaskTransport:
    """``node.transport`` contract over the hub's Flask test client."""

    def __init__(self, hub: Hub, node_id: str):
        self.hub = hub
        self.node_id = node_id
        self.down = False  # this node's cable is out (the hub still serves the others)
        self.lose_replies = 0  # the hub handles the request, the answer never arrives
        self.lose_path: str | None = None  # only for requests to this path (None: any)
        self.calls: list[tuple[str, str]] = []

    def request(
        self, method: str, path: str, json: dict | None = None, timeout: float | None = None
    ) -> tuple[int, dict]:
        self.calls.append((method, path))
        if self.hub.down or self.down:
            raise HubUnreachable(f"{method} {path}: connection refused (test)")
        client = self.hub.app.test_client()
        headers = {"Authorization": f"Bearer {self.hub.tokens[self.node_id]}"}
        resp = client.open(path, method=method, json=json, headers=headers)
        body = resp.get_json(silent=True) or {}
        resp.close()
        if self.lose_replies > 0 and path.startswith(self.lose_path or ""):
            self.lose_replies -= 1
            raise HubUnreachable(f"{method} {path}: reply lost (test)")
        return resp.status_code, body


@pytest.fixture
def hub_clock() -> FakeClock:
    return FakeClock(wall_ms=T0, mono_ms=5_000, boot_id="hub-boot")


@pytest.fixture
def hub(tmp_path: Path, hub_clock: FakeClock):
    h = Hub(tmp_path, hub_clock)
    yield h
    h.stop()


def node_config(tmp_path: Path, node_id: str, role: str, **node: Any) -> SimpleNamespace:
    fields = {
        "id": node_id,
        "role": role,
        "hub_url": "http://hub.test",
        "token": "unused-in-tests",
        "data_dir": str(tmp_path / f"node-{node_id}"),
        "counter": node_id if role == "counter" else None,
        "services": ["A", "B"] if role == "kiosk" else [],
    }
    fields.update(node)
    return SimpleNamespace(
        node=SimpleNamespace(**fields),
        mpp=SimpleNamespace(name="MPP Uji", timezone="Asia/Jakarta"),
        sound=SimpleNamespace(backend="fake", lang="id"),
    )


def fake_devices(role: str):
    from node.hardware.display import FakeDisplay
    from node.hardware.printer import FakePrinter
    from node.hardware.screen import FakeScreen
    from node.hardware.sound import FakeAnnouncer
    from node.roles.base import Devices

    if role == "kiosk":
        return Devices(printer=FakePrinter())
    if role == "counter":
        return Devices(display=FakeDisplay(8))
    return Devices(announcer=FakeAnnouncer(), screen=FakeScreen())


@pytest.fixture
def make_node(tmp_path: Path, hub: Hub):
    """``make_node("K1", "kiosk")`` -> a booted, unthreaded node on the test hub.

    Passing ``devices=`` / ``clock=`` of an earlier node simulates a restart of that node
    on the same data folder (the old Node must be stopped first).
    """
    made = []

    def build(node_id: str, role: str, *, devices=None, clock=None, **node: Any):
        from node.app import build_node

        clock = clock or FakeClock(wall_ms=T0, mono_ms=1_000, boot_id=f"{node_id}-boot")
        transport = FlaskTransport(hub, node_id)
        n = build_node(
            node_config(tmp_path, node_id, role, **node),
            transport=transport,
            clock=clock,
            hardware=devices or fake_devices(role),
        )
        n.transport = transport
        n.clock = clock
        n.start(threads=False)
        made.append(n)
        return n

    yield build
    for n in made:
        try:
            n.ctx.outbox.close()
            n.ctx.sync.replica.close()
        except Exception:
            pass
