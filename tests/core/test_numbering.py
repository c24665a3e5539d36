"""Labels, keys, the service day and a kiosk's lease book."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.events import make_event
from core.numbering import (
    LeaseBook,
    format_label,
    parse_key,
    prefix_label,
    service_day,
    ticket_key,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
MAKASSAR = ZoneInfo("Asia/Makassar")


def _ms(tz: ZoneInfo, *args: int) -> int:
    return int(datetime(*args, tzinfo=tz).timestamp() * 1000)


def test_labels():
    assert format_label("B", 23) == "B-023"
    assert format_label("A", 1) == "A-001"
    assert format_label("A", 999) == "A-999"
    assert format_label("A", 1000) == "A-1000"
    assert prefix_label("B", "K2", 1) == "B-K2-1"


def test_keys_round_trip():
    assert ticket_key("2026-11-28", "B-023") == "2026-11-28/B-023"
    assert parse_key("2026-11-28/B-023") == ("2026-11-28", "B-023")
    assert parse_key("2026-11-28/B-K2-1") == ("2026-11-28", "B-K2-1")
    for bad in ("B-023", "2026-11-28", "28-11-2026/B-023", "2026-11-28/"):
        with pytest.raises(ValueError):
            parse_key(bad)


def test_service_day_changes_at_local_midnight_not_utc():
    before = _ms(JAKARTA, 2026, 11, 28, 23, 59, 59)
    after = _ms(JAKARTA, 2026, 11, 29, 0, 0, 0)
    assert service_day(before, JAKARTA) == "2026-11-28"
    assert service_day(after, JAKARTA) == "2026-11-29"
    # 00:30 in Jakarta is still the previous day in UTC: the MPP's zone decides.
    assert service_day(_ms(JAKARTA, 2026, 11, 29, 0, 30), ZoneInfo("UTC")) == "2026-11-28"
    assert service_day(_ms(JAKARTA, 2026, 11, 28, 23, 30), MAKASSAR) == "2026-11-29"


def test_numbering_restarts_across_a_day_change():
    from core.queue import QueueState

    state = QueueState()
    for seq, wall in enumerate(
        [
            _ms(JAKARTA, 2026, 11, 28, 16),
            _ms(JAKARTA, 2026, 11, 28, 17),
            _ms(JAKARTA, 2026, 11, 29, 8),
        ],
        start=1,
    ):
        day = service_day(wall, JAKARTA)
        n = state.next_number(day, "B")
        label = format_label("B", n)
        e = make_event(
            "hub",
            "E",
            seq,
            "ticket.issued",
            ticket=ticket_key(day, label),
            body={
                "service": "B",
                "number": n,
                "label": label,
                "day": day,
                "mode": "online",
                "kiosk": "K1",
                "priority": 0,
                "lease": None,
            },
        )
        state.apply(e, hseq=seq, est_ms=wall)
    assert sorted(state.tickets) == ["2026-11-28/B-001", "2026-11-28/B-002", "2026-11-29/B-001"]


DAY = "2026-11-28"


class _Log:
    def __init__(self):
        self.events = []
        self.seq = 0

    def add(self, origin, type_, ticket=None, **body):
        self.seq += 1
        self.events.append(make_event(origin, "i", self.seq, type_, ticket=ticket, body=body))
        return self.events[-1]

    def lease(self, lo, hi, kiosk="K1", service="B", day=DAY):
        return self.add("hub", "lease.granted", kiosk=kiosk, service=service, day=day, lo=lo, hi=hi)

    def issued(self, n, kiosk="K1", mode="lease", service="B"):
        label = format_label(service, n) if mode != "prefix" else prefix_label(service, kiosk, n)
        return self.add(
            kiosk,
            "ticket.issued",
            ticket=ticket_key(DAY, label),
            service=service,
            number=None if mode == "prefix" else n,
            label=label,
            day=DAY,
            mode=mode,
            kiosk=kiosk,
            priority=0,
            lease=None,
        )


def test_lease_book_takes_numbers_in_order_and_skips_used_ones():
    log = _Log()
    grant = log.lease(31, 35)
    log.issued(31)
    log.issued(33)
    book = LeaseBook.from_events("K1", log.events)
    assert book.next_free(DAY, "B") == (32, grant.id)
    assert [n for n, _ in book.free(DAY, "B")] == [32, 34, 35]
    assert book.remaining(DAY, "B") == 3
    assert book.next_free(DAY, "A") is None


def test_lease_book_rebuilt_from_the_log_never_reissues_a_printed_number():
    log = _Log()
    log.lease(1, 3)
    printed = []
    for _ in range(3):
        # Each print: rebuild from the durable log (as after a crash), take, log it.
        n, _lease = LeaseBook.from_events("K1", log.events).next_free(DAY, "B")
        log.issued(n)
        printed.append(n)
    assert printed == [1, 2, 3]
    assert LeaseBook.from_events("K1", log.events).next_free(DAY, "B") is None


def test_lease_book_ignores_other_kiosks_and_released_leases_and_dicts_work():
    log = _Log()
    log.lease(1, 5, kiosk="K2")
    log.issued(2, kiosk="K2")
    log.lease(6, 8)
    log.add("hub", "lease.released", kiosk="K1", service="B", day=DAY)
    log.lease(9, 10)
    book = LeaseBook.from_events("K1", [e.to_dict() for e in log.events])
    assert [n for n, _ in book.free(DAY, "B")] == [9, 10]
    book.observe(log.issued(9))
    assert book.remaining(DAY, "B") == 1


def test_lease_book_continues_prefix_numbers_from_the_log():
    log = _Log()
    assert LeaseBook.from_events("K1", log.events).next_prefix_n(DAY, "B") == 1
    log.issued(1, mode="prefix")
    log.issued(2, mode="prefix")
    log.issued(7, mode="prefix", kiosk="K2")
    assert LeaseBook.from_events("K1", log.events).next_prefix_n(DAY, "B") == 3
