"""Estimated event times and clock-skew notices for events from nodes (notes/sync.md §4).

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
