"""Fixtures for hardware tests: gpiozero mock pins that record every level change, and a
fake millisecond clock.  Pin factories are injected per device; the global one is untouched."""

from __future__ import annotations

import pytest

gpiozero_mock = pytest.importorskip("gpiozero.pins.mock")


class RecordingPin(gpiozero_mock.MockPin):
    """A MockPin that appends ``(pin_name, level)`` to its factory's shared ``changes`` list,
    so changes on several pins keep their true order (timestamps could tie)."""

    def _change_state(self, value):
        changed = super()._change_state(value)
        if changed:
            self._factory.changes.append((self._info.name, bool(value)))
        return changed


@pytest.fixture
def mock_factory():
    factory = gpiozero_mock.MockFactory(pin_class=RecordingPin)
    factory.changes = []
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
