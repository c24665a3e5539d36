"""Clocks for human timestamps and queue placement, never for correctness.

A Raspberry Pi without an RTC can boot into the past (or 1970), so events carry the boot id
and the boot-time clock (unaffected by clock steps) for the hub to anchor, plus a hybrid
logical clock (Kulkarni et al.) that never runs backwards, not even across a restart.
Trust is asymmetric (docs/sync.md §4, §8.4 bug 11): a node always merges the hub's time;
the hub refuses node time more than five minutes ahead of its own and reports the skew.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Protocol

MAX_OFFSET_MS = 5 * 60 * 1000
MAX_WALL_MS = 2**47  # year 6429: a number, not a poison
MAX_MONO_MS = 20 * 365 * 86_400_000  # a boot clock: 20 years of uptime is not a Pi
_MAX_COUNTER = 99_999
_HLC_MAX_MS = 10**13 - 1
_HLC = re.compile(r"^(\d{13})\.(\d{5})\.(.+)$")
_BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
_process_boot_id: str | None = None


class Clock(Protocol):
    """What time-dependent code gets injected, so tests can step, jump and reboot time."""

    def wall_ms(self) -> int: ...

    def mono_ms(self) -> int: ...

    def boot_id(self) -> str: ...


class SystemClock:
    """The real clocks. ``mono_ms`` is CLOCK_BOOTTIME where available: it keeps counting
    through suspend and ignores wall-clock steps, and resets only at boot."""

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def mono_ms(self) -> int:
        if hasattr(time, "CLOCK_BOOTTIME"):
            return time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000
        return time.monotonic_ns() // 1_000_000

    def boot_id(self) -> str:
        global _process_boot_id
        if _process_boot_id is None:
            try:
                _process_boot_id = _BOOT_ID_PATH.read_text().strip()
            except OSError:
                # No Linux boot id: a per-process one still tells mono_ms epochs apart.
                _process_boot_id = f"proc-{uuid.uuid4().hex}"
        return _process_boot_id


def stamp(clock: Clock) -> dict[str, int | str]:
    """The clock fields an event carries: ``wall_ms`` and ``mono_ms`` held inside the bounds
    the hub checks (``hub.pushcheck``). A wall clock set before 1970 says 0: it is evidence
    of nothing either way, and the hub must not refuse a printed ticket for its stamp."""
    return {
        "wall_ms": min(max(clock.wall_ms(), 0), MAX_WALL_MS),
        "boot_id": clock.boot_id(),
        "mono_ms": min(max(clock.mono_ms(), 0), MAX_MONO_MS),
    }


class FakeClock:
    """A clock tests drive by hand; ``reboot()`` also lets wall time fall back to 1970."""

    def __init__(self, wall_ms: int = 1_764_316_800_000, mono_ms: int = 0, boot_id: str = "boot-1"):
        self._wall = wall_ms
        self._mono = mono_ms
        self._boot_base = boot_id
        self._boots = 1
        self._boot_id = boot_id

    def wall_ms(self) -> int:
        return self._wall

    def mono_ms(self) -> int:
        return self._mono

    def boot_id(self) -> str:
        return self._boot_id

    def advance(self, ms: int) -> None:
        """Real time passes: both clocks move."""
        self._wall += ms
        self._mono += ms

    def jump_wall(self, ms: int) -> None:
        """Wall clock stepped (NTP, a technician, fake-hwclock); boot time does not move."""
        self._wall += ms

    def reboot(self, wall_ms: int | None = None) -> None:
        """New boot: boot time restarts at 0, new boot id, wall time optionally reset."""
        self._boots += 1
        self._boot_id = f"{self._boot_base}-{self._boots}"
        self._mono = 0
        if wall_ms is not None:
            self._wall = wall_ms


def format_hlc(ms: int, counter: int, node_id: str) -> str:
    """Fixed width, so comparing the strings compares the clocks (until the year 2286)."""
    return f"{ms:013d}.{counter:05d}.{node_id}"


def parse_hlc(value: str) -> tuple[int, int, str]:
    """``"1764316800000.00003.C07"`` -> ``(1764316800000, 3, "C07")``; ValueError if not."""
    m = _HLC.match(value)
    if not m:
        raise ValueError(f"not an HLC timestamp: {value!r}")
    return int(m.group(1)), int(m.group(2)), m.group(3)


class HLC:
    """A hybrid logical clock for one node; its values only ever increase."""

    def __init__(self, node_id: str, clock: Clock, max_offset_ms: int = MAX_OFFSET_MS):
        self.node_id = node_id
        self._clock = clock
        self._max_offset = max_offset_ms
        self._l = 0
        self._c = 0

    def _physical(self) -> int:
        # inside what the 13-digit form can say: a clock set to 1969 or to 2300 still
        # stamps events the hub accepts
        return min(max(self._clock.wall_ms(), 0), _HLC_MAX_MS)

    def now(self) -> str:
        """A new timestamp, greater than every one this clock issued, merged or restored."""
        pt = self._physical()
        if pt > self._l:
            self._l, self._c = pt, 0
        else:
            self._tick(self._l, self._c + 1)
        return self.last()

    def last(self) -> str:
        """The latest value without advancing (what to persist or serve as ``hub_hlc``)."""
        return format_hlc(self._l, self._c, self.node_id)

    def merge(self, remote: str, trusted: bool = True) -> int | None:
        """Take a received timestamp into account.

        ``trusted=True`` is a node hearing from the hub: always merge, however far ahead,
        since a node rebooted into 1970 must catch up. ``trusted=False`` is the hub hearing a
        node: a value more than ``max_offset_ms`` ahead of the hub's own clock is not merged
        and its skew in ms is returned (the hub emits ``clock.skew``). None means merged.
        """
        rl, rc, _ = parse_hlc(remote)
        pt = self._physical()
        if not trusted and rl - pt > self._max_offset:
            return rl - pt
        top = max(self._l, rl, pt)
        if top == self._l and top == rl:
            self._tick(top, max(self._c, rc) + 1)
        elif top == self._l:
            self._tick(top, self._c + 1)
        elif top == rl:
            self._tick(top, rc + 1)
        else:
            self._l, self._c = top, 0
        return None

    def restore(self, last: str) -> None:
        """At start-up, from the last logged event, so the clock never goes back on reboot."""
        rl, rc, _ = parse_hlc(last)
        if (rl, rc) > (self._l, self._c):
            self._l, self._c = rl, rc

    def _tick(self, ms: int, counter: int) -> None:
        # The counter has five digits; past them, borrowing a millisecond keeps the order.
        if counter > _MAX_COUNTER:
            ms, counter = ms + 1, 0
        self._l, self._c = ms, counter
