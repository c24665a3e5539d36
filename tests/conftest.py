"""Fixtures shared by every test package (keep this small; package fixtures live nearer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# PostgreSQL fixtures for the regional server's tests (started only by tests that use them).
pytest_plugins = ["pgfixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    """The checkout's root folder (holds core/, hub/, node/, firmware_config/)."""
    return REPO_ROOT


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for a child ``python`` that must import this checkout's packages."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("LOKET_HOME", None)
    return env


@pytest.fixture
def python() -> str:
    """The interpreter running the tests (the venv's), for subprocess tests."""
    return sys.executable
