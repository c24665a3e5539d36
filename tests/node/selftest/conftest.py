"""The self-test's hub: the demo profile's app (Flask test client), with tokens for the
nodes the shipped profiles name."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.clock import FakeClock
from core.config import load_hub_config
from core.paths import demo_hub_profile

T0 = 1_795_831_200_000


@pytest.fixture
def hub(tmp_path: Path):
    from hub import create_app
    from hub.auth import pair_node

    config = load_hub_config(demo_hub_profile())
    config = dataclasses.replace(
        config, hub=dataclasses.replace(config.hub, data_dir=str(tmp_path / "hub"))
    )
    clock = FakeClock(wall_ms=T0)
    app = create_app(config, clock=clock)
    authority = app.extensions["loket"]
    tokens = {n: pair_node(authority.store, n) for n in ("C1", "C3", "C4", "D1", "K1")}
    yield SimpleNamespace(app=app, tokens=tokens, clock=clock)
    authority.store.close()
