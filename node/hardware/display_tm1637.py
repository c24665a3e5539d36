"""TM1637 4-digit display, bit-banged on two gpiozero output lines (CLK and DIO).

Why not the ``raspberrypi-tm1637`` package: it imports RPi.GPIO at import time, which fails on
CI and on a Raspberry Pi 5 (docs/hardware.md).  Two gpiozero lines work with every pin
factory (lgpio on a Pi 5, MockFactory in tests).

The protocol (a two-wire bus that is *not* I2C: no address, bytes go LSB first):

- start: DIO falls while CLK is high; stop: DIO rises while CLK is high;
- each bit: CLK low, set DIO, CLK high (the chip samples on the rising edge);
- after 8 bits the chip acknowledges by pulling DIO low during a 9th clock.

A frame to show "A001" at full brightness is three transfers::

    [0x40]                          data command: write, auto-increment address
    [0xC0, 0x77, 0x3F, 0x3F, 0x06]  address 0, then one segment byte per digit (core.glyphs)
    [0x8F]                          display on (0x88) | brightness 7

The ack: on real hardware DIO should be an input during the 9th clock so the chip can pull it
low.  gpiozero output lines cannot turn around, so we *drive DIO low* for the ack clock: the
chip pulls the same way, so nothing fights (driving it high would short the chip's pull-down
through our output).  The ack is therefore not read; a missing module is not detected.
"""

from __future__ import annotations

import time
from typing import Any

from core.glyphs import encode_7seg
from node.hardware.display import BaseDisplay, Frame, fit
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

DATA_AUTO_INCREMENT = 0x40
ADDRESS_0 = 0xC0
DISPLAY_ON = 0x88
DISPLAY_OFF = 0x80


class TM1637Display(BaseDisplay):
    """``clk_pin``/``dio_pin`` are BCM numbers (or gpiozero pin names); ``brightness`` 0..7.

    ``bit_delay_us`` slows the clock for long cables (0 = as fast as Python toggles a pin,
    which is far below the chip's limit).
    """

    def __init__(
        self,
        *,
        clk_pin: int | str,
        dio_pin: int | str,
        digits: int = 4,
        brightness: int = 7,
        bit_delay_us: int = 0,
        pin_factory: Any = None,
        pin_factory_name: str | None = None,
        **base: Any,
    ) -> None:
        if not 0 <= brightness <= 7:
            raise HardwareError(f"display.brightness {brightness}: expected 0..7 for a TM1637")
        if not 1 <= digits <= 6:
            raise HardwareError(f"display.digits {digits}: a TM1637 drives 1..6 digits")
        if pin_factory is None:
            from node.hardware.pins import make_pin_factory

            pin_factory = make_pin_factory(pin_factory_name)
        from gpiozero import DigitalOutputDevice
        from gpiozero.exc import GPIOZeroError

        self._brightness = brightness
        self._delay = bit_delay_us / 1_000_000
        try:
            # Idle bus: both lines high.
            self._clk = DigitalOutputDevice(clk_pin, initial_value=True, pin_factory=pin_factory)
            try:
                self._dio = DigitalOutputDevice(
                    dio_pin, initial_value=True, pin_factory=pin_factory
                )
            except GPIOZeroError:
                self._clk.close()
                raise
        except GPIOZeroError as exc:
            raise HardwareError(
                f"cannot open TM1637 pins clk={clk_pin} dio={dio_pin}: {exc}"
            ) from exc
        super().__init__(digits, **base)

    @classmethod
    def from_section(cls, section: Any, **kwargs: Any) -> TM1637Display:
        opts: dict[str, Any] = {
            "clk_pin": setting(section, "clk_pin"),
            "dio_pin": setting(section, "dio_pin"),
        }
        for key in ("digits", "brightness", "bit_delay_us"):
            if setting(section, key, None) is not None:
                opts[key] = setting(section, key)
        if "pin_factory" not in kwargs:
            opts["pin_factory_name"] = setting(section, "pin_factory", None)
        return cls(**opts, **kwargs)

    # -- drawing --------------------------------------------------------------------------
    def segments(self, text: str, dot: bool = False) -> list[int]:
        """The segment bytes a frame puts on the digits (right-aligned, dot on the last)."""
        codes = encode_7seg(fit(text, self.width))
        if dot:
            codes[-1] |= 0x80
        return codes

    def _present(self, frame: Frame, dot: bool) -> None:
        self.write_frame(self.segments(frame.text, dot), on=True)

    def _shutdown(self) -> None:
        try:
            self.write_frame([0] * self.width, on=False)
        finally:
            self._dio.close()
            self._clk.close()

    def write_frame(self, codes: list[int], *, on: bool = True) -> None:
        """Send the three transfers: data command, address + digits, display control."""
        self._transfer([DATA_AUTO_INCREMENT])
        self._transfer([ADDRESS_0, *codes])
        self._transfer([(DISPLAY_ON | self._brightness) if on else DISPLAY_OFF])

    # -- the wire -------------------------------------------------------------------------
    def _transfer(self, data: list[int]) -> None:
        self._bus_start()
        for byte in data:
            self._write_byte(byte)
        self._bus_stop()

    def _bus_start(self) -> None:
        self._clk.on()
        self._dio.on()
        self._wait()
        self._dio.off()  # DIO falls while CLK is high
        self._wait()

    def _bus_stop(self) -> None:
        self._clk.off()
        self._dio.off()
        self._wait()
        self._clk.on()
        self._wait()
        self._dio.on()  # DIO rises while CLK is high
        self._wait()

    def _write_byte(self, byte: int) -> None:
        for bit in range(8):
            self._clk.off()
            self._dio.value = (byte >> bit) & 1
            self._wait()
            self._clk.on()
            self._wait()
        # Ack clock with DIO driven low (see module docstring).
        self._clk.off()
        self._dio.off()
        self._wait()
        self._clk.on()
        self._wait()
        self._clk.off()

    def _wait(self) -> None:
        if self._delay:
            time.sleep(self._delay)
