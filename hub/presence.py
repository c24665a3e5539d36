"""Which nodes are out of reach right now, as far as the hub can tell (issue 8 item 8).

A node online asks ``GET /healthz`` every 5 s with its token (``node.sync`` probe). When a
node that probed stops probing for ``AWAY_S``, its cable is likely out and it is calling
offline from its residue class (``core.queue.residues``). The hub then calls for that
counter's peers from *their* classes first (``hub.operations``), so the online peer keeps out
of the class the offline counter takes: fewer visitors called at two counters at once.

Only probing nodes count: a node that never probed (an older release, a test transport) is
never taken for away, and the hub's order is then the plain queue order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

AWAY_S = 12.0  # two missed probes (5 s apart, 1 s timeout) and a little


class Presence:
    """The last probe of each node, on the monotonic clock."""

    def __init__(self, now: Callable[[], float] = time.monotonic, away_s: float = AWAY_S):
        self.now = now
        self.away_s = away_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def probed(self, node_id: str) -> None:
        with self._lock:
            self._last[node_id] = self.now()

    def away(self) -> frozenset[str]:
        """Nodes that probed once and not within ``away_s``."""
        cutoff = self.now() - self.away_s
        with self._lock:
            return frozenset(n for n, t in self._last.items() if t < cutoff)
