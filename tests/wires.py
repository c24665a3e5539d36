"""What real display backends put on their wires, read back by tests through the libraries'
own seams: gpiozero mock pins that record every level change (TM1637), and a recorder in
place of luma's SPI interface (MAX7219). Shared by the hardware tests and the end-to-end
ones (importable because tests/conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import pytest

gpiozero_mock = pytest.importorskip("gpiozero.pins.mock")

DIGIT_REGISTERS = range(1, 9)


class RecordingPin(gpiozero_mock.MockPin):
    """A MockPin that appends ``(pin_name, level)`` to its factory's shared ``changes`` list,
    so changes on several pins keep their true order (timestamps could tie)."""

    def _change_state(self, value):
        changed = super()._change_state(value)
        if changed:
            self._factory.changes.append((self._info.name, bool(value)))
        return changed


def recording_factory():
    """A gpiozero MockFactory whose pins record into ``factory.changes``; ``reset()`` it."""
    factory = gpiozero_mock.MockFactory(pin_class=RecordingPin)
    factory.changes = []
    return factory


def decode_tm1637(changes, clk="GPIO5", dio="GPIO6"):
    """Bus transfers from ordered (pin, level) changes: START = DIO falls while CLK is high,
    STOP = DIO rises while CLK is high, data sampled on CLK rising edges, every 9th clock
    is the ack (DIO is driven low then).  Returns a list of transfers, each a list of bytes."""
    level = {clk: True, dio: True}
    transfers, bits, current = [], [], None
    for pin, value in changes:
        if pin == dio and level[clk]:
            if not value:
                current, bits = [], []
            elif current is not None:
                # the stop's own CLK rise looks like one more bit: exactly one, no more
                assert len(bits) == 1, f"stop in the middle of a byte: {bits}"
                transfers.append(current)
                current = None
        elif pin == clk and value and current is not None:
            bits.append(level[dio])
            if len(bits) == 9:  # 8 data bits + ack clock
                assert not bits[8], "DIO must be driven low during the ack clock"
                current.append(sum(1 << i for i, b in enumerate(bits[:8]) if b))
                bits = []
        level[pin] = value
    return transfers


class RecordingInterface:
    """Stands in for luma's spi(): what would go over the wire."""

    def __init__(self):
        self.writes = []
        self.cleaned = False

    def data(self, data):
        self.writes.append(list(data))

    def command(self, *cmd):
        self.writes.append(["cmd", *cmd])

    def cleanup(self):
        self.cleaned = True

    def digits(self):
        """The latest value of each digit register 1..8 (1 = rightmost digit)."""
        regs = {}
        for w in self.writes:
            for i in range(0, len(w) - 1, 2):
                if w[i] in DIGIT_REGISTERS:
                    regs[w[i]] = w[i + 1]
        return [regs.get(r, 0) for r in reversed(DIGIT_REGISTERS)]  # left to right

    def columns(self):
        """The latest bytes of each digit register of a cascade, as ``{register: [module
        bytes, far end first]}`` (a dot matrix: register n = column n-1 of every module)."""
        rows = {}
        for w in self.writes:
            if w and w[0] in DIGIT_REGISTERS:
                rows[w[0]] = w[1::2]
        return rows
