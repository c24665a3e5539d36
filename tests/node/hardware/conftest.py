"""Fixtures for hardware tests: gpiozero mock pins that record every level change, and a
fake millisecond clock.  Pin factories are injected per device; the global one is untouched."""

from __future__ import annotations

import pytest
from wires import recording_factory


@pytest.fixture
def mock_factory():
    factory = recording_factory()
    yield factory
    factory.reset()


class MsClock:
    """Injectable monotonic clock in milliseconds (buttons and displays both take one)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms


@pytest.fixture
def clock():
    return MsClock()
