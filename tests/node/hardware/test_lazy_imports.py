"""Importing the hardware modules loads no driver library (they load inside constructors)."""

import subprocess
import sys

MODULES = [
    "node.hardware",
    "node.hardware.errors",
    "node.hardware.buttons",
    "node.hardware.debounce",
    "node.hardware.display",
    "node.hardware.display_max7219",
    "node.hardware.display_tm1637",
    "node.hardware.display_serial",
    "node.hardware.panel_framing",
    "node.hardware.pins",
    "core.glyphs",
]
DRIVERS = ["gpiozero", "luma", "serial", "PIL", "spidev", "lgpio", "RPi"]


def test_no_driver_is_imported_at_module_level():
    code = (
        f"import sys\nfor m in {MODULES!r}: __import__(m)\n"
        f"print([d for d in {DRIVERS!r} if d in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
