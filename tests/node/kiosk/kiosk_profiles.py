"""Helpers to run a shipped kiosk profile in a test: the profile as shipped, with only what a
test machine lacks replaced (the hub's address, the data folder, the token, the pin factory
named "mock", a printer this machine has). Shared by the kiosk's profile and UI tests."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from core.config import hub_config_from_dict, node_config_from_dict
from core.paths import firmware_config_dir

# 2026-11-30 (a Monday) 09:00 in Asia/Jakarta: inside the Banyumas profile's hours.
T0 = 1_796_004_000_000


def banyumas_hub(data_dir: Path, **hub: Any):
    raw = tomllib.loads((firmware_config_dir() / "hub" / "mpp-banyumas.toml").read_text())
    raw["hub"] = {**raw["hub"], "data_dir": str(data_dir), **hub}
    return hub_config_from_dict(raw)


def banyumas_app(data_dir: Path, kiosks: tuple[str, ...] = ("K1",), **hub: Any):
    """The hub app of the Banyumas profile on a FakeClock at ``T0`` (``hub``: more ``[hub]``
    keys), with ``app.tokens`` paired for ``kiosks``; the caller closes its store."""
    from core.clock import FakeClock
    from hub import create_app
    from hub.auth import pair_node

    app = create_app(
        banyumas_hub(data_dir, **hub), clock=FakeClock(wall_ms=T0, mono_ms=5_000, boot_id="hub")
    )
    app.config["TESTING"] = True
    app.tokens = {k: pair_node(app.extensions["loket"].store, k) for k in kiosks}
    return app


def kiosk_profile(name: str, tmp_path: Path, *, printer: dict | None = None, **screen: Any):
    raw = tomllib.loads((firmware_config_dir() / "node" / name).read_text())
    raw["node"] = {**raw["node"], "data_dir": str(tmp_path / "kiosk"), "token": "t"}
    if "buttons" in raw:
        raw["buttons"] = {**raw["buttons"], "pin_factory": "mock"}
    if printer is not None:
        raw["printer"] = printer
    if screen and "screen" in raw:
        raw["screen"] = {**raw["screen"], **screen}
    return node_config_from_dict(raw, source=name)
