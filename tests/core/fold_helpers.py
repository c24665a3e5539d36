"""Builds hub logs for fold tests: each event gets the next hseq and is applied at once."""

from __future__ import annotations

from collections import defaultdict

from core.events import Event, make_event, make_record
from core.numbering import format_label, prefix_label, ticket_key
from core.queue import QueueState

DAY = "2026-11-28"
T0 = 1_764_316_800_000


def key(n: int, service: str = "B") -> str:
    return ticket_key(DAY, format_label(service, n))


class Log:
    """A hub log under construction plus the state folded from it, record by record."""

    def __init__(self, state: QueueState | None = None) -> None:
        self.state = state if state is not None else QueueState()
        self.records: list[dict] = []
        self.derived: list[Event] = []
        self.last: list[Event] = []
        self._seq: dict[str, int] = defaultdict(int)

    def add(self, origin: str, type_: str, *, est_ms: int | None = None, **kw) -> Event:
        self._seq[origin] += 1
        event = make_event(origin, "i1", self._seq[origin], type_, **kw)
        hseq = len(self.records) + 1
        record = make_record(hseq, T0 + hseq, T0 + hseq * 1000 if est_ms is None else est_ms, event)
        self.records.append(record)
        self.last = self.state.apply(record)
        self.derived.extend(self.last)
        return event

    def issue(
        self,
        n: int | None,
        service: str = "B",
        *,
        mode: str = "online",
        req: str | None = None,
        kiosk: str = "K1",
        priority: int = 0,
        est_ms: int | None = None,
        public: str | None = None,
        category: str | None = None,
    ) -> Event:
        label = format_label(service, n) if n is not None else prefix_label(service, kiosk, 1)
        origin = "hub" if mode == "online" else kiosk
        body = {
            "service": service,
            "number": n,
            "label": label,
            "day": DAY,
            "mode": mode,
            "kiosk": kiosk,
            "priority": priority,
            "lease": None,
        }
        if public is not None:
            body["public"] = public
        if category is not None:
            body["category"] = category
            body["priority"] = -1
        return self.add(
            origin,
            "ticket.issued",
            ticket=ticket_key(DAY, label),
            req=req,
            body=body,
            est_ms=est_ms,
        )

    def call(
        self,
        counter: str,
        ticket: str,
        service: str = "B",
        *,
        mode: str = "offline",
        req: str | None = None,
    ) -> Event:
        origin = "hub" if mode == "online" else counter
        body = {"counter": counter, "expect_service": service, "mode": mode}
        return self.add(origin, "ticket.called", ticket=ticket, req=req, body=body)

    def finish(self, kind: str, counter: str, ticket: str, call: Event | None = None, **body):
        deps = (call.id,) if call is not None else ()
        return self.add(
            counter, f"ticket.{kind}", ticket=ticket, deps=deps, body={"counter": counter, **body}
        )

    def done(self, counter: str, ticket: str, call: Event | None = None) -> Event:
        return self.finish("done", counter, ticket, call)

    def skip(self, counter: str, ticket: str, call: Event | None = None) -> Event:
        return self.finish("skipped", counter, ticket, call)

    def recall(self, counter: str, ticket: str, call: Event | None = None) -> Event:
        return self.finish("recalled", counter, ticket, call)

    def transfer(self, counter: str, ticket: str, to: str, call: Event | None = None) -> Event:
        return self.finish("transferred", counter, ticket, call, to=to)

    def rate(self, counter: str, ticket: str, score: int) -> Event:
        return self.add(
            counter, "ticket.rated", ticket=ticket, body={"counter": counter, "score": score}
        )

    def cancel(self, ticket: str, by: str = "admin") -> Event:
        return self.add("hub", "ticket.cancelled", ticket=ticket, body={"by": by, "reason": "x"})

    def roster(self, counter: str, services: list[str], open_: bool = True) -> Event:
        body = {"counter": counter, "services": services, "open": open_}
        return self.add("hub", "roster.updated", body=body)

    def lease(self, kiosk: str, lo: int, hi: int, service: str = "B", day: str = DAY) -> Event:
        body = {"kiosk": kiosk, "service": service, "day": day, "lo": lo, "hi": hi}
        return self.add("hub", "lease.granted", body=body)

    def types(self) -> list[str]:
        return [d.type for d in self.last]
