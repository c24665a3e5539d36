"""Errors raised by the hardware layer."""

from __future__ import annotations

from core.errors import LoketError


class HardwareError(LoketError, RuntimeError):
    """A device is missing, misconfigured or failed, or its driver is not installed."""


def missing_driver(module: str, install: str) -> HardwareError:
    """The error for a driver library that cannot be imported; says what to install."""
    return HardwareError(f"the Python module {module!r} is not available; install {install}")
