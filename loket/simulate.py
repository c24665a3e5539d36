"""``loket simulate-day PROFILE --date YYYY-MM-DD [--seed N] [--json]``: one MPP day, minute
by minute, on the real hub (its Authority, fold and journal in a temporary folder, a fake
clock) with the profile's catalogue: its hours and Friday break, holidays, quotas, capacity
and priority rule decide what happens, exactly as they would in the hall.

Visitors arrive at a kiosk (``ticket`` via the hub's issue command, with a priority category
for a share of them); every counter calls NEXT when idle while one of its services is open
(and after closing, until the visitors who hold a number are served), serves for the
service's ``avg_service_min`` and presses DONE. Arrivals are deterministic: a seed (default)
draws them from per-service rates that load each service past its counters' capacity, or
an explicit list (``run_day(arrivals=...)``, for hand-computed tests).

The answer lists per service what was issued, refused (by C2 code), served and waited, per
counter the calls and the longest run of priority calls while normal visitors waited, and
four checks: no ticket outside the hours, never past a quota, the priority rule kept, nobody
left unserved. Why a hub and not a model: the figures are what this code base does.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

PRIORITY_SHARE = 0.15  # of visitors, in the seeded model (assumed, not measured)
LOAD = 1.3  # arrivals per service minute of capacity, in the seeded model
DAY_START, DAY_END = 6 * 60, 23 * 60 + 59


@dataclass(frozen=True)
class Arrival:
    minute: int  # of the day, local time
    service: str
    category: str | None = None


def seeded_arrivals(catalogue: Any, day: date, seed: int) -> list[Arrival]:
    """Visitors for every service over its open spans: a Bernoulli draw per minute at LOAD
    times what its configured counters can serve, PRIORITY_SHARE of them in a category."""
    from core import calendar

    rng = random.Random(f"{seed}:{day.isoformat()}")
    categories = [c.id for c in catalogue.mpp.priority.categories] if catalogue.mpp else []
    out = []
    for svc in catalogue.services.values():
        counters = sum(1 for c in catalogue.counters.values() if svc.id in c.services)
        spans = calendar.open_spans(catalogue, svc, day) or calendar.hours_of(catalogue, svc).spans(
            day.weekday()
        )
        rate = min(1.0, LOAD * max(1, counters) / max(1.0, svc.avg_service_min))
        for a, b in spans:
            for minute in range(max(DAY_START, a - 30), min(b, DAY_END)):
                if rng.random() < rate:
                    prio = categories and rng.random() < PRIORITY_SHARE
                    out.append(Arrival(minute, svc.id, rng.choice(categories) if prio else None))
    return sorted(out, key=lambda a: (a.minute, a.service))


def run_day(
    config: Any, day: date, *, seed: int = 1, arrivals: list[Arrival] | None = None
) -> dict[str, Any]:
    """Simulate ``day`` on a fresh hub seeded from ``config`` (a HubConfig); the figures."""
    from core.catalogue import Catalogue
    from core.clock import FakeClock
    from core.config import override_hub

    catalogue = Catalogue.from_dict(config.catalogue)
    tz = catalogue.mpp.tz
    start_ms = int(datetime.combine(day, time(0), tz).timestamp() * 1000) + DAY_START * 60_000
    # The day's journal is thrown away: RAM-backed when there is one (fsync costs nothing).
    shm = Path("/dev/shm")
    fast = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="loket-simulate-", dir=fast) as tmp:
        config = override_hub(config, data_dir=str(Path(tmp) / "hub"))
        config = replace(config, hub=replace(config.hub, secret_key_file=Path(tmp) / "secret"))
        clock = FakeClock(wall_ms=start_ms, mono_ms=1_000, boot_id="simulate")
        from hub import create_app

        app = create_app(config, clock=clock, settings={"LOKET_UI": False})
        try:
            day_run = _Day(app.extensions["loket"], clock, catalogue, day)
            return day_run.run(
                arrivals if arrivals is not None else seeded_arrivals(catalogue, day, seed)
            )
        finally:
            app.extensions["loket"].store.close()


class _Day:
    def __init__(self, authority: Any, clock: Any, catalogue: Any, day: date):
        self.auth, self.clock, self.catalogue, self.day = authority, clock, catalogue, day
        self.busy: dict[str, tuple[int, str, str]] = {}  # counter -> (until, ticket, call req)
        self.refused: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.issued: dict[str, dict[str, Any]] = {}  # ticket key -> facts
        self.calls: list[dict[str, Any]] = []
        self.reqs = 0

    def req(self) -> str:
        self.reqs += 1
        return f"sim:{self.reqs}"

    def run(self, arrivals: list[Arrival]) -> dict[str, Any]:
        by_minute: dict[int, list[Arrival]] = defaultdict(list)
        for a in arrivals:
            by_minute[a.minute].append(a)
        for minute in range(DAY_START, DAY_END + 1):
            self.clock.jump_wall(self._ms(minute) - self.clock.wall_ms())
            self._finish(minute)
            for a in by_minute.get(minute, ()):
                self._arrive(minute, a)
            self._call(minute)
        return self._figures(arrivals)

    def _ms(self, minute: int) -> int:
        moment = datetime.combine(self.day, time(0), self.catalogue.mpp.tz)
        return int((moment + timedelta(minutes=minute)).timestamp() * 1000)

    def _arrive(self, minute: int, a: Arrival) -> None:
        from hub.errors import Refused

        try:
            answer = self.auth.issue(self.req(), a.service, "simulate", category=a.category)
        except Refused as refused:
            self.refused[a.service][refused.code] += 1
            return
        t = answer["ticket"]
        self.issued[t["key"]] = {
            "service": a.service,
            "number": t["number"],
            "category": a.category,
            "issued": minute,
            "called": None,
        }

    def _serving(self, counter: Any, minute: int) -> bool:
        """Staff call while a service of theirs is open, and after its closing until the
        visitors holding numbers are served (never in a break)."""
        from core import calendar

        for sid in counter.services:
            svc = self.catalogue.services.get(sid)
            spans = calendar.open_spans(self.catalogue, svc, self.day) if svc else []
            if any(a <= minute < b for a, b in spans) or (spans and minute >= spans[-1][1]):
                return True
        return False

    def _finish(self, minute: int) -> None:
        for cid, (until, _key, _req) in list(self.busy.items()):
            if until <= minute:
                self.auth.counter_command(cid, "done", self.req())
                del self.busy[cid]

    def _call(self, minute: int) -> None:
        from core.priority import is_priority

        state = self.auth.state
        for counter in self.catalogue.counters.values():
            if counter.id in self.busy or not self._serving(counter, minute):
                continue
            waiting = [
                t for t in state.waiting(day=self.day.isoformat()) if t.service in counter.services
            ]
            answer = self.auth.counter_command(counter.id, "next", self.req())
            ticket = answer.get("ticket")
            if ticket is None:
                continue
            facts = self.issued[ticket["key"]]
            facts["called"] = minute
            svc = self.catalogue.service(ticket["service"])
            self.busy[counter.id] = (minute + max(1, math.ceil(svc.avg_service_min)), "", "")
            self.calls.append(
                {
                    "counter": counter.id,
                    "priority": facts["category"] is not None,
                    "normal_waited": any(not is_priority(t) for t in waiting),
                    "priority_waited": any(is_priority(t) for t in waiting),
                }
            )

    def _figures(self, arrivals: list[Arrival]) -> dict[str, Any]:
        from core import calendar, quota

        services: dict[str, Any] = {}
        outside, past_quota = [], []
        for svc in self.catalogue.services.values():
            mine = [f for f in self.issued.values() if f["service"] == svc.id]
            waits = [f["called"] - f["issued"] for f in mine if f["called"] is not None]
            prio = [f for f in mine if f["category"] is not None]
            prio_waits = [f["called"] - f["issued"] for f in prio if f["called"] is not None]
            services[svc.id] = {
                "arrived": sum(1 for a in arrivals if a.service == svc.id),
                "issued": len(mine),
                "priority_issued": len(prio),
                "served": len(waits),
                "unserved": len(mine) - len(waits),
                "refused": dict(sorted(self.refused[svc.id].items())),
                "last_number": max((f["number"] for f in mine), default=0),
                "mean_wait_min": round(sum(waits) / len(waits), 1) if waits else 0,
                "max_wait_min": max(waits, default=0),
                "priority_mean_wait_min": (
                    round(sum(prio_waits) / len(prio_waits), 1) if prio_waits else 0
                ),
            }
            spans = calendar.open_spans(self.catalogue, svc, self.day)
            closing = spans[-1][1] if spans else 0
            for f in mine:
                minute = f["issued"]
                if not any(a <= minute < b for a, b in spans) or (
                    svc.cutoff_min and minute >= closing - svc.cutoff_min
                ):
                    outside.append(f)
                numbers = quota.current_range(svc, minute)
                if numbers is not None and f["number"] not in numbers:
                    past_quota.append(f)
        counters = {}
        rule = self.catalogue.mpp.priority.rule
        worst_priority_run = worst_normal_run = 0
        for cid in self.catalogue.counters:
            mine = [c for c in self.calls if c["counter"] == cid]
            run_p = run_n = 0
            max_p = max_n = 0
            for c in mine:
                run_p = run_p + 1 if c["priority"] else 0
                run_n = 0 if c["priority"] else run_n + 1
                if c["priority"] and c["normal_waited"]:
                    max_p = max(max_p, run_p)
                if not c["priority"] and c["priority_waited"]:
                    max_n = max(max_n, run_n)
            worst_priority_run = max(worst_priority_run, max_p)
            worst_normal_run = max(worst_normal_run, max_n)
            counters[cid] = {
                "calls": len(mine),
                "priority_calls": sum(1 for c in mine if c["priority"]),
                "max_priority_in_row_while_normal_waited": max_p,
                "max_normal_in_row_while_priority_waited": max_n,
            }
        allowed_p, allowed_n = (rule.n, 1) if rule.kind == "max_in_row" else (1, rule.n)
        iso = self.day.isoformat()
        return {
            "date": iso,
            "weekday": self.day.strftime("%A"),
            "holiday": self.catalogue.holidays[iso].name
            if iso in self.catalogue.holidays
            else None,
            "priority_rule": {"kind": rule.kind, "n": rule.n},
            "totals": {
                "arrived": len(arrivals),
                "issued": len(self.issued),
                "served": sum(1 for f in self.issued.values() if f["called"] is not None),
                "refused": sum(sum(r.values()) for r in self.refused.values()),
            },
            "services": services,
            "counters": counters,
            "checks": {
                "no_ticket_outside_hours": not outside,
                "never_past_quota": not past_quota,
                "priority_rule_kept": worst_priority_run <= allowed_p
                and worst_normal_run <= allowed_n,
                "nobody_left_unserved": all(f["called"] is not None for f in self.issued.values()),
            },
        }


def _text(result: dict[str, Any]) -> str:
    lines = [
        f"{result['date']} ({result['weekday']})"
        + (f": holiday, {result['holiday']}" if result["holiday"] else "")
    ]
    t = result["totals"]
    lines.append(
        f"  visitors {t['arrived']}, tickets {t['issued']}, served {t['served']}, "
        f"refused {t['refused']}"
    )
    for sid, s in result["services"].items():
        refused = ", ".join(f"{k} {v}" for k, v in s["refused"].items()) or "none"
        lines.append(
            f"  {sid}: issued {s['issued']} (priority {s['priority_issued']}), served "
            f"{s['served']}, wait mean {s['mean_wait_min']} max {s['max_wait_min']} min; "
            f"refused: {refused}"
        )
    lines.append(
        "  checks: "
        + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in result["checks"].items())
    )
    return "\n".join(lines) + "\n"


def run(args: Any, out: TextIO | None = None) -> int:
    """The ``loket simulate-day`` command."""
    from core.config import load_hub_config

    out = out or sys.stdout
    config = load_hub_config(args.profile)
    result = run_day(config, date.fromisoformat(args.date), seed=args.seed)
    out.write(json.dumps(result, indent=2) + "\n" if args.json else _text(result))
    return 0 if all(result["checks"].values()) else 1


__all__ = ["Arrival", "run", "run_day", "seeded_arrivals"]
