"""A booking made on the regional server is checked in at a kiosk while the upstream (and
the hub) are unreachable: issue 12's acceptance, on a real PostgreSQL and a real hub app."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pgfixtures import RegionClient

from core.booking import code_hash
from core.config_region import UpstreamConfig

T0 = 1_795_831_200_000  # the agent conftest's hub time: 2026-11-28 09:00 in Jakarta

pytest.importorskip("psycopg")


@pytest.fixture
def linked(hub, region_app, region_conn, tmp_path):
    from hub.upstream import Upstream
    from region.sites import add_site

    token = add_site(region_conn, "mpp-uji", "MPP Uji")
    client = RegionClient(region_app, token)
    config = UpstreamConfig(url="http://region.test", site="mpp-uji", token_file=tmp_path / "t")
    return Upstream(hub.authority, config, region=client), client


def test_a_booking_made_upstream_is_checked_in_offline(hub, make_node, linked, region_conn):
    from region import bookings

    upstream, region = linked
    assert upstream.step()  # the hub's catalogue goes up: the region can offer its services
    day = date(2026, 11, 28)
    code = bookings.book(
        region_conn, "mpp-uji", "A", day, None, 30,
        now=datetime.fromtimestamp(T0 / 1000, ZoneInfo("Asia/Jakarta")),
    )  # fmt: skip
    assert upstream.step()  # pulled down: a booking.made hub event
    made = hub.events("booking.made")
    assert [e["body"]["code_hash"] for e in made] == [code_hash(code)]
    assert code not in str(hub.records())  # only the hash travels

    kiosk = make_node("K1", "kiosk")
    kiosk.step()  # the kiosk's replica now holds the booking
    region.down = True
    hub.down = True  # the internet and even the hub are gone
    assert not upstream.step() and upstream.status()["online"] is False

    kiosk.scan(code.lower().replace("-", " "))  # typed sloppily on the touchscreen
    kiosk.step()
    printed = kiosk.ctx.devices.printer.tickets
    assert len(printed) == 1 and printed[0].offline
    issued = [e for e in kiosk.ctx.outbox.events() if e["type"] == "ticket.issued"]
    assert issued[-1]["body"]["booking"] == code_hash(code)
    assert issued[-1]["body"]["service"] == "A" and issued[-1]["body"]["priority"] == 0

    kiosk.scan(code)  # the same code twice: no second ticket
    kiosk.step()
    assert len(printed) == 1 and kiosk.role.last_error == "already_checked_in"
    kiosk.scan("ZZZZ-ZZZZ")
    kiosk.step()
    assert len(printed) == 1 and kiosk.role.last_error == "unknown_booking"

    hub.down = False
    kiosk.step()  # the check-in reaches the hub and joins the ordinary queue
    key = issued[-1]["ticket"]
    assert key in [t.key for t in hub.authority.state.waiting("A")]
    assert hub.authority.state.bookings[code_hash(code)]["ticket"] == key
    region.down = False
    assert upstream.step()
    row = region_conn.execute(
        "SELECT count(*) FROM events WHERE site = 'mpp-uji' AND type = 'ticket.issued'"
        " AND record->'event'->'body'->>'booking' = %s",
        (code_hash(code),),
    ).fetchone()
    assert row[0] == 1


def test_a_session_books_up_to_its_quota(hub, linked, region_conn):
    from region import bookings

    upstream, _ = linked
    upstream.step()
    tz = ZoneInfo("Asia/Jakarta")
    day = datetime.now(tz).date()
    # the test hub's service A has no quota: give the region a site catalogue with one
    hub.authority.change_catalogue(
        "set", "service", "A",
        {**hub.authority.catalogue().to_dict()["services"][0], "daily_quota": 2},
    )  # fmt: skip
    upstream.step()
    bookings.book(region_conn, "mpp-uji", "A", day, None, 30)
    bookings.book(region_conn, "mpp-uji", "A", day, None, 30)
    with pytest.raises(bookings.BookingRefused) as refused:
        bookings.book(region_conn, "mpp-uji", "A", day, None, 30)
    assert refused.value.code == "quota_reached"
    (slot,) = bookings.slots(region_conn, "mpp-uji", "A", day)
    assert (slot.quota, slot.taken, slot.free) == (2, 2, 0)
