"""core.calendar (C2) and core.quota over the shipped demo catalogue at fixed instants:
hours with the Friday prayer, an agency closing early, the cut-off, a holiday, an ad-hoc
closure, session quotas, capacity and the words a visitor reads."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core import calendar, quota
from core.catalogue import Catalogue
from core.config import load_hub_config
from core.paths import demo_hub_profile

TZ = ZoneInfo("Asia/Jakarta")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp() * 1000)


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return Catalogue.from_dict(load_hub_config(demo_hub_profile()).catalogue)


def ask(cat, service, when, **kw):
    kw.setdefault("open_counters", 1)
    return calendar.availability(cat, service, ms(when), **kw)


CLOSED = "Layanan sedang tutup. "
AGAIN = "Layanan dibuka kembali "
MONDAY = AGAIN + "Senin 08.00."


@pytest.mark.parametrize(
    ("service", "when", "code", "words_id"),
    [
        ("A", "2026-12-04 07:30", "closed", CLOSED + AGAIN + "hari ini 08.00."),
        ("A", "2026-12-04 12:10", "closed", CLOSED + AGAIN + "hari ini 13.30."),
        ("A", "2026-12-05 10:00", "closed", CLOSED + MONDAY),
        ("D", "2026-12-04 14:00", "closed", CLOSED + MONDAY),
        ("C", "2026-12-04 15:30", "cutoff",
         "Pengambilan nomor antrian hari ini sudah ditutup. " + MONDAY),
        ("A", "2026-12-25 09:00", "holiday", "Hari ini hari libur, layanan tutup. " + MONDAY),
        ("C", "2026-12-18 13:30", "closure", "Layanan ditutup sementara. " + MONDAY),
    ],
)  # fmt: skip
def test_refusals_and_their_words(demo, service, when, code, words_id):
    got = ask(demo, service, when)
    assert (got.ok, got.code) == (False, code)
    assert calendar.describe(got.code, got.reopens_ms, TZ, "id", ms(when)) == words_id


def test_open_times_and_the_friday_prayer(demo):
    assert ask(demo, "A", "2026-12-04 09:00").ok
    assert ask(demo, "A", "2026-12-04 11:29").ok
    assert not ask(demo, "A", "2026-12-04 11:30").ok  # Friday prayer break
    assert ask(demo, "A", "2026-12-03 11:45").ok  # Thursday: no break until 12:00
    assert ask(demo, "A", "2026-12-18 13:30").ok  # the closure is DPMPTSP's only


def test_words_in_english_and_the_bare_form(demo):
    got = ask(demo, "A", "2026-12-05 10:00")
    assert calendar.describe_reopening(got.reopens_ms, TZ, "id") == "Senin 08.00"
    assert calendar.describe_reopening(got.reopens_ms, TZ, "en") == "Monday 08:00"
    assert calendar.describe(got.code, got.reopens_ms, TZ, "en") == (
        "The service is closed. Service reopens Monday 08:00."
    )


def test_session_quota_is_a_number_range_and_reopens_at_the_next_session(demo):
    svc = demo.service("C")
    assert [(r.session, r.lo, r.hi) for r in quota.ranges(svc)] == [
        ("pagi", 1, 35),
        ("siang", 36, 60),
    ]
    full = ask(demo, "C", "2026-12-04 09:00", issued=35)
    assert full.code == "quota_reached"
    # Friday: the afternoon session starts at 13:00 but the agency reopens at 13:30.
    assert calendar.describe_reopening(full.reopens_ms, TZ, "en") == "Friday 13:30"
    after = ask(demo, "C", "2026-12-04 13:45", issued=12)
    assert after.ok and after.numbers.next_after(12) == 36  # the morning's rest is not carried
    assert ask(demo, "C", "2026-12-04 14:00", issued=60).code == "quota_reached"


def test_capacity_stops_when_the_wait_runs_past_closing(demo):
    # D (BPJS) closes 14:00 Mon-Thu; 10 min a visit, one counter: 13:30 has 30 min left.
    assert ask(demo, "D", "2026-12-03 13:30", waiting=2).ok
    full = ask(demo, "D", "2026-12-03 13:30", waiting=3)
    assert full.code == "full_today"
    assert calendar.describe(full.code, full.reopens_ms, TZ, "id", ms("2026-12-03 13:30")) == (
        "Antrian hari ini sudah penuh. Layanan dibuka kembali besok 08.00."
    )
    # recent service times count over the configured average; two counters halve the wait
    assert ask(demo, "D", "2026-12-03 13:30", waiting=5, service_min=5).ok
    assert ask(demo, "D", "2026-12-03 13:30", waiting=5, open_counters=2).ok
    # the lunch break serves nobody: 11:00 with 60 min of morning and 60 after the break
    assert ask(demo, "D", "2026-12-03 11:00", waiting=11).ok
    assert ask(demo, "D", "2026-12-03 11:00", waiting=12).code == "full_today"


def test_paused_counters_and_unknown_services(demo):
    assert ask(demo, "A", "2026-12-04 09:00", open_counters=0).code == "counters_paused"
    assert ask(demo, "A", "2026-12-04 09:00", open_counters=None).ok  # unknown: not checked
    assert ask(demo, "Z", "2026-12-04 09:00").code == "unknown_service"


def test_a_catalogue_without_hours_is_always_open_and_has_no_capacity_stop():
    cat = Catalogue.from_dict(
        calendar.open_around_the_clock(load_hub_config(demo_hub_profile()).catalogue)
    )
    for when in ("2026-12-05 03:00", "2026-12-25 23:59"):
        assert ask(cat, "D", when, waiting=500).ok
