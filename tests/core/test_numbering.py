"""Labels, keys, the service day and a kiosk's lease book."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.events import make_event
from core.numbering import (
    KIOSK_MARK_PATTERN,
    PREFIX_PATTERN,
    Label,
    LeaseBook,
    display_forms,
    fit_label,
    format_label,
    kiosk_mark_problem,
    min_label_width,
    parse_key,
    parse_label,
    prefix_label,
    prefix_problem,
    service_day,
    ticket_key,
)

prefixes = st.from_regex(PREFIX_PATTERN, fullmatch=True)
marks = st.from_regex(KIOSK_MARK_PATTERN, fullmatch=True)
numbers = st.integers(0, 99_999)

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


def test_multi_character_prefixes_label_like_single_letters():
    assert format_label("SK", 14) == "SK-014"
    assert format_label("A2", 31) == "A2-031"
    assert prefix_label("SK", "K1", 12) == "SK-K1-12"
    assert parse_label("SK-014") == Label("SK", 14)
    assert parse_label("B-1000") == Label("B", 1000)
    assert parse_label("SK-K1-12") == Label("SK", None, "K1", 12)
    bad_labels = ("SK-14", "sk-014", "2K-014", "SKTX-014", "SK-K1-0", "SK--1", "SK-K1-2-3", "S_K-1")
    for bad in bad_labels:
        with pytest.raises(ValueError, match="not a ticket label"):
            parse_label(bad)


@pytest.mark.parametrize("prefix", ["A", "SK", "A2", "SKT", "B12", "P0"])
def test_valid_prefixes(prefix):
    assert prefix_problem(prefix) is None


@pytest.mark.parametrize("prefix", ["", "a", "sk", "2A", "SKCK", "S-K", "S K", "Ä", 5, None])
def test_invalid_prefixes_say_what_is_expected(prefix):
    assert "expected 1-3 capital letters or digits, a letter first" in prefix_problem(prefix)


def test_kiosk_marks_must_read_as_one_label_part():
    assert kiosk_mark_problem("K1") is None and kiosk_mark_problem("LT2") is None
    for bad in ("kiosk-1", "K_1", "k1", "K1234", ""):
        assert "would read 'B-" in kiosk_mark_problem(bad)


@given(prefixes, numbers)
def test_online_labels_parse_back_and_are_valid_keys(prefix, number):
    label = format_label(prefix, number)
    assert parse_label(label) == Label(prefix, number)
    assert parse_key(ticket_key("2026-11-28", label)) == ("2026-11-28", label)


@given(prefixes, marks, st.integers(1, 9999))
def test_prefix_mode_labels_parse_back_and_are_valid_keys(prefix, mark, n):
    label = prefix_label(prefix, mark, n)
    assert parse_label(label) == Label(prefix, None, mark, n)
    assert parse_key(ticket_key("2026-11-28", label)) == ("2026-11-28", label)


@given(prefixes, numbers, prefixes, marks, st.integers(1, 9999))
def test_labels_of_different_prefixes_or_modes_never_collide(p1, number, p2, mark, n):
    online, offline = format_label(p1, number), prefix_label(p2, mark, n)
    assert online != offline  # one dash vs two
    assert (format_label(p2, number) == online) == (p1 == p2)


@given(prefixes, numbers, st.integers(1, 8))
def test_display_forms_stay_unambiguous(prefix, number, width):
    """Every short form of a label names only that label: a visitor comparing the LED with
    the ticket can never take it for another prefix's number."""
    label = format_label(prefix, number)
    forms = display_forms(label)
    assert forms[0] == label and len(set(forms)) == len(forms)
    for form in forms:
        assert form.startswith(prefix)
        rest = form[len(prefix) :]
        assert int(rest.lstrip("-")) == number
        if not rest.startswith("-"):
            assert prefix[-1].isalpha()  # "A2031" could be A2-031 or A-2031
    shown = fit_label(label, lambda s: len(s) <= width)
    assert len(shown) <= width
    if shown not in forms:  # too narrow for any form: the number's digits, never a prefix tail
        assert shown.isdigit() and f"{number:03d}".endswith(shown)


def test_min_label_width_counts_the_dash_only_where_it_must_stay():
    assert min_label_width("A") == 4  # A999
    assert min_label_width("SK") == 5  # SK999
    assert min_label_width("A2") == 6  # A2-999
    assert fit_label("SK-014", lambda s: len(s) <= 4) == "SK14"
    assert fit_label("A2-031", lambda s: len(s) <= 5) == "A2-31"
    assert fit_label("SK-114", lambda s: len(s) <= 4) == "114"
    assert fit_label("B-K2-12", lambda s: len(s) <= 4) == "K212"
    assert display_forms("A2-K1-1") == ["A2-K1-1", "A2K1-1"]
    assert display_forms("SK-1-7") == ["SK-1-7", "SK1-7"]
    assert display_forms("SK-K1-7") == ["SK-K1-7"]  # SKK1-7 could be S-KK1-7


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


def test_lease_book_continues_multi_character_prefixes_and_old_kiosk_ids():
    log = _Log()
    log.issued(4, mode="prefix", service="SK")
    log.issued(9, mode="prefix", service="S")  # S-K1-9 is service S's, not SK's
    assert LeaseBook.from_events("K1", log.events).next_prefix_n(DAY, "SK") == 5
    # A log written before kiosk marks were checked: the id has a dash of its own.
    log.issued(3, mode="prefix", kiosk="lobby-1")
    assert LeaseBook.from_events("lobby-1", log.events).next_prefix_n(DAY, "B") == 4
