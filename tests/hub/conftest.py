"""Hub fixtures: an app on a temp data folder with a FakeClock, a client, node tokens."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.config import HubConfig, hub_config_from_dict

# 2026-11-28 09:00 in Asia/Jakarta (UTC+7)
T0 = 1_795_831_200_000
NODES = ("K1", "K2", "C1", "C2")


def make_config(data_dir: Path, **hub: Any) -> HubConfig:
    """A small MPP: services A (quota 5) and B, counters C1 (A,B) and C2 (B), kiosks K1, K2."""
    raw = {
        "mpp": {"name": "MPP Test", "timezone": "Asia/Jakarta"},
        "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(data_dir), "threads": 8, **hub},
        "agencies": [{"id": "dukcapil", "name": "Dukcapil"}, {"id": "bpjs", "name": "BPJS"}],
        "services": [
            {"id": "A", "name": "KTP", "agency": "dukcapil", "daily_quota": 5,
             "avg_service_min": 6},
            {"id": "B", "name": "BPJS", "agency": "bpjs", "avg_service_min": 10},
        ],
        "counters": [
            {"id": "C1", "name": "Loket 1", "number": 1, "services": ["A", "B"]},
            {"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]},
        ],
        "kiosks": [
            {"id": "K1", "name": "Kiosk 1", "services": ["A", "B"], "lease_size": 8},
            {"id": "K2", "name": "Kiosk 2", "services": ["B"], "lease_size": 4},
        ],
    }  # fmt: skip
    return hub_config_from_dict(raw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="hub-boot-1")


@pytest.fixture
def config(tmp_path: Path) -> HubConfig:
    return make_config(tmp_path / "hub")


@pytest.fixture
def app(config, clock):
    from hub import create_app

    app = create_app(config, clock=clock, settings={"LOKET_SSE_HEARTBEAT_S": 0.2})
    app.config["TESTING"] = True
    yield app
    app.extensions["loket"].store.close()


@pytest.fixture
def authority(app):
    return app.extensions["loket"]


@pytest.fixture
def seed(authority) -> int:
    """hseq of the last record before the test's first step: the hub committed the profile's
    catalogue on first start (contract C1), so a test's own records start after it."""
    return authority.last_hseq


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(authority) -> dict[str, str]:
    """Device tokens for K1, K2 (kiosks), C1, C2 (counters); operator tokens "api"
    (supervisor, a front-desk tool), "viewer" and "admin"."""
    from hub.auth import issue_operator_token, pair_node

    tokens = {n: pair_node(authority.store, n, catalogue=authority.catalogue()) for n in NODES}
    for role in ("viewer", "supervisor", "admin"):
        name = "api" if role == "supervisor" else role
        tokens[name] = issue_operator_token(authority.store, name, role)
    return tokens


@pytest.fixture
def auth(tokens):
    """``auth("K1")`` -> headers with that node's token."""

    def headers(node: str = "api") -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[node]}"}

    return headers


_reqs = itertools.count(1)


@pytest.fixture
def req():
    """A fresh request id each call."""
    return lambda: f"test:r{next(_reqs)}"
