"""Estimated event times and clock-skew notices for events from nodes (docs/sync.md §4).

A Pi has no RTC and may boot into the past, so a node's ``wall_ms`` is only a hint. What a
node does know is ``mono_ms`` (CLOCK_BOOTTIME), which never jumps within one boot. For every
event of a boot the hub observes ``recv_ms - mono_ms``; the event was created before the hub
received it, so each observation is an *upper bound* of the boot's true offset, and the
smallest one seen (usually the ``node.hello`` sent on first contact) is the best anchor.
``est_ms = anchor + mono_ms`` then places offline-created events where their customers really
arrived, whatever the node's wall clock said. Without clock data, the node's HLC/wall time is
clamped to ``[last contact, recv_ms]``.

Anchors are rebuilt from the journal at startup (every record keeps ``recv_ms`` and the event's
``clock``), so they need no storage of their own.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any

from core.events import Event, make_derived

# The hub refuses to merge node clocks further ahead than this (CockroachDB's MaxOffset idea).
MAX_AHEAD_MS = 5 * 60 * 1000


def hlc_wall_ms(hlc: str | None) -> int | None:
    """The physical part of an HLC string ``%013d.%05d.<node>``, or None if unreadable."""
    if not hlc:
        return None
    head = hlc.split(".", 1)[0]
    return int(head) if head.isdigit() else None


class ClockAnchors:
    """Per (node, boot_id) offsets between a node's boot clock and hub time."""

    def __init__(self) -> None:
        self._offset: dict[tuple[str, str], int] = {}
        self._last_contact: dict[str, int] = {}

    def observe(self, origin: str, clock: dict[str, Any] | None, recv_ms: int) -> None:
        """Learn from one event received at ``recv_ms`` (called in hub order, also at replay)."""
        self._last_contact[origin] = max(self._last_contact.get(origin, 0), recv_ms)
        boot, mono = _boot_mono(clock)
        if boot is None:
            return
        key = (origin, boot)
        candidate = recv_ms - mono
        if key not in self._offset or candidate < self._offset[key]:
            self._offset[key] = candidate

    def estimate(self, event: dict[str, Any], recv_ms: int) -> int:
        """``est_ms`` of a node event being accepted now (observe it first)."""
        origin = event.get("origin", "")
        boot, mono = _boot_mono(event.get("clock"))
        if boot is not None and (origin, boot) in self._offset:
            return min(recv_ms, self._offset[(origin, boot)] + mono)
        wall = hlc_wall_ms(event.get("hlc")) or (event.get("clock") or {}).get("wall_ms")
        low = self._last_contact.get(origin, recv_ms)
        if not isinstance(wall, int):
            return recv_ms
        return max(min(wall, recv_ms), min(low, recv_ms))


def _boot_mono(clock: dict[str, Any] | None) -> tuple[str | None, int]:
    if not isinstance(clock, dict):
        return None, 0
    boot, mono = clock.get("boot_id"), clock.get("mono_ms")
    if not isinstance(boot, str) or not boot or not isinstance(mono, int) or mono < 0:
        return None, 0
    return boot, mono


def skew_notice(record: dict[str, Any], noticed: set[tuple[str, str]]) -> Event | None:
    """The ``clock.skew`` event for a node record whose HLC is > 5 min ahead of the hub.

    One notice per (node, boot): a skewed node sends every event of that boot skewed, and one
    alarm says it all. ``noticed`` (updated here) holds the boots already reported, in hub
    order; since this is a function of the log alone, a notice lost in a crash is re-derived
    identically at startup.
    """
    event = record["event"]
    if event.get("origin") == "hub":
        return None
    ahead = hlc_wall_ms(event.get("hlc"))
    if ahead is None or ahead - record["recv_ms"] <= MAX_AHEAD_MS:
        return None
    boot = (event["origin"], str((event.get("clock") or {}).get("boot_id", "")))
    if boot in noticed:
        return None
    noticed.add(boot)
    cause = Event.from_dict(event)
    body = {"node": cause.origin, "skew_ms": ahead - record["recv_ms"]}
    return make_derived(cause, "clock.skew", "clock.skew", body)


def bound_estimate(est: int, recv_ms: int, event: dict[str, Any], tz: Any) -> tuple[int, bool]:
    """``est_ms`` kept inside the event's service day and never after its receipt.

    Whatever a node's clock said (a boot anchor poisoned by a wild ``mono_ms`` in an older
    log, a kiosk clock a day fast), the estimate of an event about a ticket lands in that
    ticket's day (the key's ``YYYY-MM-DD`` in the MPP's timezone) and not after ``recv_ms``;
    other events land in ``[0, recv_ms]``. Returns ``(est, clamped)``; a clamped estimate is
    flagged in its record (``est_clamped``) for the supervisor, never stored as -1e17.
    """
    lo, hi = 0, recv_ms
    day = _day_of(event)
    if day is not None:
        start, end = _day_bounds(day, tz)
        lo, hi = start, min(end - 1, recv_ms)
        if lo > hi:  # a ticket of a day that has not begun here yet: a clock is off
            return recv_ms, True
    bounded = min(max(est, lo), hi)
    return bounded, bounded != est


@functools.lru_cache(maxsize=64)
def _day_bounds(day: date, tz: Any) -> tuple[int, int]:
    """[start, end) of a service day in ms (a push of 500 events asks for one or two days)."""
    start = datetime.combine(day, time.min, tz).timestamp()
    end = datetime.combine(day + timedelta(days=1), time.min, tz).timestamp()
    return int(start * 1000), int(end * 1000)


def _day_of(event: dict[str, Any]) -> date | None:
    key = event.get("ticket")
    if not isinstance(key, str) or len(key) < 11 or key[10] != "/":
        return None
    try:
        return date.fromisoformat(key[:10])
    except ValueError:
        return None
