"""Choose a gpiozero pin factory by name, never silently falling back to mock pins."""

from __future__ import annotations

import os
import warnings
from typing import Any

from node.hardware.errors import HardwareError

# What to install when a named factory cannot load (docs/hardware.md: Pi 5 needs lgpio).
_INSTALL = {
    "lgpio": "lgpio (pip install 'lgpio>=0.2.2' on aarch64, or apt install python3-lgpio)",
    "rpigpio": "RPi.GPIO (apt install python3-rpi.gpio; does not work on a Pi 5)",
    "pigpio": "pigpio (apt install python3-pigpio and run the pigpiod daemon)",
    "native": "nothing (it is part of gpiozero); check /dev/gpiomem permissions",
    "mock": "nothing (part of gpiozero)",
}


def make_pin_factory(name: str | None = None) -> Any:
    """A gpiozero pin factory: ``name``, else $GPIOZERO_PIN_FACTORY, else gpiozero's default.

    gpiozero's own default never picks mock pins: on a PC it fails, and so do we, with a
    HardwareError that says how to choose one.
    """
    try:
        from gpiozero import Device
        from gpiozero.exc import BadPinFactory
    except ImportError as exc:
        raise HardwareError(
            "the Python module 'gpiozero' is not available; install gpiozero "
            "(pip install gpiozero, or apt install python3-gpiozero)"
        ) from exc

    name = name or os.environ.get("GPIOZERO_PIN_FACTORY") or None
    if name is None:
        with warnings.catch_warnings(record=True) as fallbacks:
            warnings.simplefilter("always")
            try:
                return Device._default_pin_factory()
            except BadPinFactory as exc:
                tried = "; ".join(str(w.message) for w in fallbacks)
                raise HardwareError(
                    "no GPIO pin factory works on this machine "
                    f"({tried or exc}); set pin_factory in the profile, e.g. 'lgpio' on a "
                    "Raspberry Pi or 'mock' for a simulation"
                ) from exc
    name = name.lower()
    if name == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    from importlib.metadata import entry_points

    for ep in entry_points(group="gpiozero_pin_factories"):
        if ep.name.lower() == name:
            try:
                return ep.load()()
            except ImportError as exc:
                raise HardwareError(
                    f"GPIO pin factory {name!r} cannot load ({exc}); install "
                    f"{_INSTALL.get(name, 'its driver')}"
                ) from exc
            except Exception as exc:  # driver errors vary by backend
                raise HardwareError(f"GPIO pin factory {name!r} failed to start: {exc}") from exc
    raise HardwareError(
        f"unknown GPIO pin factory {name!r}; expected one of {', '.join(sorted(_INSTALL))}"
    )
