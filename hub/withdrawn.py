"""Services taken off a kiosk today, so what it printed from its older catalogue still lands.

An admin edits kiosk K's services from [A, B] to [A] while K is cut off: K's cached catalogue
still offers B and it prints B tickets for the people in front of it. Refusing those at the
push (``service_not_at_kiosk``) would lose tickets visitors hold. So the hub remembers, for
each (kiosk, service) taken off, the service day of the edit, and accepts a ticket of that
service from that kiosk dated up to that day (``hub.pushcheck``); from the next day on the
kiosk has had a whole day to hear the edit, and a ticket is refused as before.

Kept as the Authority folds the log, before each catalogue event is applied (commit and
replay), and in the start-up checkpoint; a closed day's entries are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub import identity
from hub.views import day_of


@dataclass
class Withdrawn:
    # (kiosk, service) -> the service day it was taken off
    days: dict[tuple[str, str], str] = field(default_factory=dict)

    def note(self, catalogue: Any, event: dict, recv_ms: int, tz: Any) -> None:
        """Before ``event`` (a logged record's event, received at ``recv_ms``) is folded."""
        if event.get("type") != "catalogue.set":
            return  # every logged event passes here: the cheap test first
        body = event.get("body") or {}
        if body.get("kind") != "kiosk":
            return
        day = day_of(recv_ms, tz)
        kiosk = body.get("id")
        kept = set((body.get("value") or {}).get("services") or ())
        for service in set(identity.kiosk_services(catalogue, kiosk)) - kept:
            self.days[(kiosk, service)] = day
        for service in kept:
            self.days.pop((kiosk, service), None)  # offered again: the live rule applies

    def allows(self, kiosk: str, service: str, ticket_day: str) -> bool:
        """``kiosk`` may still have printed ``service`` on ``ticket_day`` from its cache."""
        taken = self.days.get((kiosk, service))
        return taken is not None and ticket_day <= taken

    def forget_through(self, day: str) -> None:
        """``day`` was closed: its edits are past."""
        for key in [k for k, d in self.days.items() if d <= day]:
            del self.days[key]


__all__ = ["Withdrawn"]
