"""MAX7219 displays through luma: 8-digit 7-segment modules, or cascaded 8x8 LED matrices.

Why our own segment mapper: luma's default font draws ``B`` as 8 and ``D`` as 0, which would
show "8-012" for ticket B-012.  We map :mod:`core.glyphs` (the same font as the TM1637 and
config validation) to the MAX7219's no-decode bit order, DP a b c d e f g (bit 7 .. bit 0).

``gpio=noop()`` is always passed to luma's ``spi``: otherwise luma imports RPi.GPIO, which
fails on a Raspberry Pi 5 (docs/hardware.md).  luma draws left-aligned; we right-align.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.glyphs import encode_7seg
from core.numbering import fit_label
from node.hardware.display import BaseDisplay, Frame, fit
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

FONTS = ("cp437", "sinclair", "lcd", "tiny", "speccy", "atari")


def to_max7219(code: int) -> int:
    """core.glyphs byte (DP gfedcba) -> MAX7219 no-decode byte (DP abcdefg)."""
    out = code & 0x80
    for bit in range(7):  # a..g -> bit 6..0
        if code & (1 << bit):
            out |= 1 << (6 - bit)
    return out


def segment_mapper(text: str, notfound: str = "_") -> Iterator[int]:
    """luma ``segment_mapper`` with our font; ``.`` joins the previous digit."""
    for code in encode_7seg(text):
        yield to_max7219(code)


def _open_spi(port: int, device: int) -> Any:
    try:
        from luma.core.error import DeviceNotFoundError, DevicePermissionError
        from luma.core.interface.serial import noop, spi
    except ImportError as exc:
        raise HardwareError(
            "the Python module 'luma.core' is not available; install luma.led_matrix "
            "(pip install luma.led_matrix 'pillow<14')"
        ) from exc
    try:
        return spi(port=port, device=device, gpio=noop())
    except ImportError as exc:
        raise HardwareError(
            "the Python module 'spidev' is not available; install spidev "
            "(pip install spidev; it builds from source: apt install gcc python3-dev)"
        ) from exc
    except DeviceNotFoundError as exc:
        raise HardwareError(
            f"SPI device /dev/spidev{port}.{device} not found; enable SPI "
            "(raspi-config > Interface Options > SPI, or dtparam=spi=on) and reboot"
        ) from exc
    except (DevicePermissionError, PermissionError) as exc:
        raise HardwareError(
            f"no permission for /dev/spidev{port}.{device}; add the service user to group 'spi'"
        ) from exc


class Max7219Display(BaseDisplay):
    """``kind="7seg"``: ``digits`` (8 per chip) through luma's sevensegment;
    ``intensity`` 0..255 (the chip has 16 steps: intensity >> 4);
    ``kind="matrix"``: ``cascaded`` 8x8 modules, text in a luma legacy bitmap font.

    Pass ``interface`` (anything with ``data()/command()/cleanup()``) to skip SPI: tests
    record the register bytes that way.
    """

    def __init__(
        self,
        *,
        kind: str = "7seg",
        spi_port: int = 0,
        spi_device: int = 0,
        cascaded: int = 1,
        digits: int | None = None,
        intensity: int = 0x70,
        rotate: int = 0,
        block_orientation: int = 0,
        reverse_order: bool = False,
        font: str = "cp437",
        interface: Any = None,
        **base: Any,
    ) -> None:
        if kind not in ("7seg", "matrix"):
            raise HardwareError(f"display.kind {kind!r}: expected '7seg' or 'matrix'")
        if not 0 <= intensity <= 255:
            raise HardwareError(f"display.intensity {intensity}: expected 0..255")
        if kind == "7seg" and digits:
            cascaded = max(cascaded, -(-digits // 8))  # 8 digits per chip
        try:
            from luma.led_matrix.device import max7219
        except ImportError as exc:
            raise HardwareError(
                "the Python module 'luma.led_matrix' is not available; install it "
                "(pip install luma.led_matrix 'pillow<14')"
            ) from exc
        self.kind = kind
        serial = interface if interface is not None else _open_spi(spi_port, spi_device)
        self._device = max7219(
            serial,
            cascaded=cascaded,
            rotate=rotate,
            block_orientation=block_orientation,
            blocks_arranged_in_reverse_order=reverse_order,
            contrast=intensity,
        )
        if kind == "7seg":
            from luma.core.virtual import sevensegment

            self._seg = sevensegment(self._device, segment_mapper=segment_mapper)
            self._cells = self._device.width * self._device.height // 8
            # Fewer digits fitted than the chips drive: digit 0 is the rightmost, so
            # right-aligning in `digits` and padding on the left lands on the right ones.
            width = digits or self._cells
        else:
            from luma.core.legacy import font as legacy_font

            if font not in FONTS:
                raise HardwareError(f"display.font {font!r}: expected one of {FONTS}")
            self._font = legacy_font.proportional(getattr(legacy_font, f"{font.upper()}_FONT"))
            width = self._device.width
        super().__init__(width, **base)

    @classmethod
    def from_section(cls, section: Any, **kwargs: Any) -> Max7219Display:
        keys = ("kind", "spi_port", "spi_device", "cascaded", "digits", "intensity", "rotate")
        keys += ("block_orientation", "reverse_order", "font")
        opts = {k: setting(section, k) for k in keys if setting(section, k, None) is not None}
        return cls(**opts, **kwargs)

    def _present(self, frame: Frame, dot: bool) -> None:
        if self.kind == "7seg":
            text = fit(frame.text, self.width) + ("." if dot else "")
            self._seg.text = fit(text, self._cells)
        else:
            self._draw_matrix(frame.text, dot)

    def _draw_matrix(self, text: str, dot: bool) -> None:
        from luma.core.legacy import text as draw_text
        from luma.core.legacy import textsize
        from luma.core.render import canvas

        text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
        text = fit_label(text, lambda s: textsize(s, self._font)[0] <= self.width)
        # proportional fonts end each glyph with a blank column: the offline dot lives there.
        x = self.width - textsize(text, self._font)[0]
        with canvas(self._device) as draw:
            draw_text(draw, (x, 0), text, fill="white", font=self._font)
            if dot:
                draw.point((self.width - 1, 7), fill="white")

    def _shutdown(self) -> None:
        self._device.cleanup()
