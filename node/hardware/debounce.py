"""Software debounce and press/hold detection for one push button, on an injected clock.

Why our own: gpiozero's MockPin ignores ``bounce_time`` and each real pin backend treats it
differently (docs/hardware.md), so the behaviour we test would not be the one on the Pi.

Rules (all times in milliseconds on a monotonic clock):

- A raw level counts only after it has been stable for ``debounce_ms``; shorter blips (contact
  bounce, a spike on a long cable) are ignored entirely.  Confirmation happens at the next raw
  edge or at ``poll()``, whichever comes first, so the owner must poll every few ms.
- ``"hold"`` is emitted once, as soon as a press has lasted ``hold_ms`` (at ``poll()``, or at
  release if nobody polled in time).  ``hold_ms=None`` disables holds (rating buttons).
- ``"press"`` is emitted on release, and only when no hold fired for that press.
- An event less than ``min_interval_ms`` after the previous emitted event of the same button is
  dropped and counted in ``suppressed``: a bouncing or stuck switch cannot call five people.
"""

from __future__ import annotations


class Debouncer:
    """State machine for one button; not thread-safe (the owner holds a lock)."""

    def __init__(
        self,
        debounce_ms: int = 30,
        hold_ms: int | None = 1500,
        min_interval_ms: int = 1000,
    ) -> None:
        self.debounce_ms = debounce_ms
        self.hold_ms = hold_ms
        self.min_interval_ms = min_interval_ms
        self.pressed = False  # the debounced level
        self.suppressed = 0
        self._raw = False
        self._raw_since: float | None = None  # start of the unconfirmed raw level
        self._down_at = 0.0
        self._held = False
        self._last_emit: float | None = None

    @property
    def busy(self) -> bool:
        """True while polling matters: a level awaits confirmation or the button is down."""
        return self._raw_since is not None or (self.pressed and not self._held)

    def start(self, pressed: bool, now_ms: float) -> None:
        """Take the level found at start-up as settled; a button already down (stuck, or
        someone leaning on it during a reboot) emits nothing until released and pressed again."""
        self._raw = self.pressed = pressed
        self._raw_since = None
        self._down_at = now_ms
        self._held = pressed

    def edge(self, pressed: bool, now_ms: float) -> list[str]:
        """Feed a raw level change seen at ``now_ms``; returns the events it completes."""
        events = self._confirm(now_ms)
        if pressed != self._raw:
            self._raw = pressed
            self._raw_since = now_ms
        return events

    def poll(self, now_ms: float) -> list[str]:
        """Confirm a level that has been stable long enough and fire a due hold."""
        events = self._confirm(now_ms)
        if self.pressed and not self._held and self._hold_due(now_ms):
            self._held = True
            events += self._emit("hold", now_ms)
        return events

    def _hold_due(self, now_ms: float) -> bool:
        return self.hold_ms is not None and now_ms - self._down_at >= self.hold_ms

    def _confirm(self, now_ms: float) -> list[str]:
        since = self._raw_since
        if since is None or now_ms - since < self.debounce_ms or self._raw == self.pressed:
            if since is not None and now_ms - since >= self.debounce_ms:
                self._raw_since = None  # stable and equal to the accepted level
            return []
        self._raw_since = None
        self.pressed = self._raw
        if self.pressed:
            self._down_at = since
            self._held = False
            return []
        # Released: the press lasted from _down_at to `since` (when the release began).
        if self._held:
            return []
        if self._hold_due(since):
            self._held = True
            return self._emit("hold", now_ms)
        return self._emit("press", now_ms)

    def _emit(self, kind: str, now_ms: float) -> list[str]:
        if self._last_emit is not None and now_ms - self._last_emit < self.min_interval_ms:
            self.suppressed += 1
            return []
        self._last_emit = now_ms
        return [kind]
