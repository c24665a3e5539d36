"""End-to-end fixtures: a simulated mall of the real hub app and real nodes (see simnet.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from simnet import SimNet


@pytest.fixture
def make_net(tmp_path: Path):
    """``make_net(lease_size=3, workarounds=True)`` -> a synced :class:`simnet.SimNet`."""
    made: list[SimNet] = []

    def build(**kw) -> SimNet:
        net = SimNet(tmp_path / f"mall-{len(made)}", **kw)
        made.append(net)
        net.sync_all()
        return net

    yield build
    for net in made:
        net.close()


@pytest.fixture
def net(make_net) -> SimNet:
    """Kiosks K1 K2 (A, B; standby blocks of 3), counters C1 (A, B), C2 (A), C3 (B), synced:
    the kiosks hold blocks A-001..003 / B-001..003 (K1) and A-004..006 / B-004..006 (K2)."""
    return make_net()
