"""Where the project's data folders are: ``firmware_config/`` (profiles) and ``sounds/`` (clips).

``$LOKET_HOME`` wins (a packaged install, or a technician's copy); otherwise the folder that holds
the ``core`` package, i.e. the source checkout. Nothing here touches the disk at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def loket_home() -> Path:
    """The folder holding ``firmware_config/`` and ``sounds/``."""
    env = os.environ.get("LOKET_HOME")
    return Path(env).expanduser() if env else SOURCE_ROOT


def firmware_config_dir() -> Path:
    """Shipped TOML profiles (``hub/``, node profiles), systemd units, udev rules."""
    return loket_home() / "firmware_config"


def sounds_dir(lang: str | None = None) -> Path:
    """The clip folder, or one language's clips (``sounds/id``) when ``lang`` is given."""
    root = loket_home() / "sounds"
    return root / lang if lang else root


def demo_hub_profile() -> Path:
    """The demo MPP profile ``loket demo`` starts from."""
    return firmware_config_dir() / "hub" / "demo-belitung.toml"
