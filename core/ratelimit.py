"""Token buckets by key on an injected millisecond clock (stdlib only).

Shared by the hub (tickets and leases per caller, ``hub.ratelimit``) and the regional server
(booking form posts per address, ``region.booking_page``). ``per_min`` tokens at once,
refilled at ``per_min`` a minute; ``per_min = 0`` turns the limit off. In RAM: a restart
refills every bucket, which is fine for a limit meant to stop a flood, not to count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class RateLimiter:
    """Token buckets by key, on an injected millisecond clock (monotonic)."""

    def __init__(self, per_min: int, now_ms: Callable[[], int]):
        self.per_min = int(per_min)
        self.now_ms = now_ms
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, int]] = {}  # key -> (tokens, at_ms)

    def take(self, kind: str, who: str) -> float:
        """Spend one token of ``(kind, who)``: 0 if allowed, else seconds until one is back."""
        if self.per_min <= 0:
            return 0.0
        now = self.now_ms()
        rate = self.per_min / 60_000  # tokens per ms
        with self._lock:
            tokens, at = self._buckets.get((kind, who), (float(self.per_min), now))
            tokens = min(float(self.per_min), tokens + max(0, now - at) * rate)
            if tokens < 1:
                self._buckets[(kind, who)] = (tokens, now)
                return round((1 - tokens) / rate / 1000, 1)
            self._buckets[(kind, who)] = (tokens - 1, now)
        return 0.0

    def give_back(self, kind: str, who: str) -> None:
        """Return a token (a repeated request that issued nothing new)."""
        if self.per_min <= 0:
            return
        with self._lock:
            if (kind, who) in self._buckets:
                tokens, at = self._buckets[(kind, who)]
                self._buckets[(kind, who)] = (min(float(self.per_min), tokens + 1), at)
