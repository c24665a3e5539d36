"""The one scheduling rule for every hall speaker: the display node and the browser board.

The board shows a call the moment it is made; the voice says calls one at a time, in the
order they came, and can fall behind (an announcement takes 5-8 s; after an outage thirty
calls may arrive in ten seconds). What the voice does with a call while others are still
being said is decided here, and nowhere else:

- **A repeated pending call collapses.** A call whose words are already waiting to be said
  is not queued again (a clerk pressing RECALL twice): the waiting one keeps its place and
  takes the newer time, so the repeat cannot make it look stale.
- **A recall re-queues.** A call that is being said, or was said, is queued again at the end:
  the visitor did not come and must hear it once more.
- **A stale call is dropped.** A call older than ``max_age_ms`` when it is offered or when its
  turn comes is not said, and the caller logs it: saying numbers the board showed a minute
  ago only confuses the hall, and the queue never grows past what one ``max_age_ms`` holds.

"The same call" means the same words (the clip list from ``core.announce.call_clips``): the
same label sent to the same counter in the same language.

Time is always passed in, never read here, and every time is on one clock the caller picks:
the node uses its monotonic clock (a call's age comes from the hub record), the browser
``performance.now()`` shifted by its offset to the hub. The browser board runs a line-by-line
transcription of this class (``hub/static/announce_queue.js``) with the limit the hub gives
it; one table of cases (``tests/announce_queue_cases.json``) is run through both, so the two
cannot drift apart unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

DEFAULT_MAX_AGE_S = 60
# Shorter than one announcement would drop nearly everything queued behind one; an hour
# is far past "the hall falls minutes behind".
MIN_MAX_AGE_S = 5
MAX_MAX_AGE_S = 3600


class Outcome(StrEnum):
    """What happened to an offered call."""

    QUEUED = "queued"
    COLLAPSED = "collapsed"  # the same words were already waiting
    STALE = "stale"  # too old already: never queued


@dataclass(frozen=True)
class Announcement:
    """One call to be said: its clips, when it was made (caller's clock) and a log label."""

    clips: tuple[str, ...]
    at_ms: int
    label: str = ""

    def age_ms(self, now_ms: int) -> int:
        return now_ms - self.at_ms

    def describe(self) -> str:
        """What a log line names: the label, else the words."""
        return self.label or " ".join(self.clips)


class AnnounceQueue:
    """Calls waiting to be said, oldest first; not thread-safe (callers hold their lock)."""

    def __init__(self, max_age_ms: int = DEFAULT_MAX_AGE_S * 1000) -> None:
        if not isinstance(max_age_ms, int) or isinstance(max_age_ms, bool) or max_age_ms <= 0:
            raise ValueError(f"max_age_ms must be a positive int, got {max_age_ms!r}")
        self.max_age_ms = max_age_ms
        self._pending: list[Announcement] = []

    def offer(
        self, clips: Iterable[str], at_ms: int, now_ms: int, label: str = ""
    ) -> tuple[Outcome, Announcement]:
        """Queue a call made at ``at_ms``; returns what happened and the announcement."""
        item = Announcement(tuple(clips), int(at_ms), label)
        if item.age_ms(now_ms) > self.max_age_ms:
            return Outcome.STALE, item
        for i, waiting in enumerate(self._pending):
            if waiting.clips == item.clips:
                if item.at_ms > waiting.at_ms:
                    self._pending[i] = replace(waiting, at_ms=item.at_ms)
                return Outcome.COLLAPSED, self._pending[i]
        self._pending.append(item)
        return Outcome.QUEUED, item

    def take(self, now_ms: int) -> tuple[Announcement | None, list[Announcement]]:
        """The next call to say now (None if none) and the stale ones dropped before it."""
        dropped: list[Announcement] = []
        while self._pending:
            item = self._pending.pop(0)
            if item.age_ms(now_ms) > self.max_age_ms:
                dropped.append(item)
                continue
            return item, dropped
        return None, dropped

    @property
    def pending(self) -> list[Announcement]:
        """The waiting calls, next first (a copy)."""
        return list(self._pending)

    def clear(self) -> list[Announcement]:
        """Forget every waiting call (shutdown); returns them."""
        gone, self._pending = self._pending, []
        return gone

    def __len__(self) -> int:
        return len(self._pending)
