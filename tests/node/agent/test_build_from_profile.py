"""`loket node run` without --simulate builds the devices the profile names (no fakes
swapped in): the shipped console counter profile must come up as is."""

from __future__ import annotations

from pathlib import Path

from core.config import load_node_config
from core.paths import firmware_config_dir
from node.app import build_node
from node.hardware.buttons import FakeButtonPanel
from node.hardware.display import ConsoleDisplay


def test_counter_profile_builds_its_configured_devices(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # the profile's relative data_dir lands here
    config = load_node_config(firmware_config_dir() / "node" / "counter-fake.toml")
    node = build_node(config)
    try:
        assert isinstance(node.ctx.devices.display, ConsoleDisplay)
        assert isinstance(node.ctx.devices.buttons, FakeButtonPanel)
        node.boot()  # never reached its hub: no roster yet, so the LED says closed
        node.drain()
        lines = capsys.readouterr().out.splitlines()  # whole lines (console.say)
        assert any("TUTUP" in line for line in lines), lines
    finally:
        node.stop()
