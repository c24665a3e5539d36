"""A pushed check-in (``ticket.issued`` with ``body.booking``) is authorised by content too:
the booking must be one the hub holds (a ``booking.made``), for that service and day, and not
used before, whether by an earlier push, another kiosk, or an earlier event of the same push.
A refused check-in leaves the log unchanged and the node's later events still flow."""

from __future__ import annotations

import pytest
from test_push_trust import DAY, ev, hub, lease_ticket, prefix_ticket, ticket_body

from core.booking import code_hash

assert hub  # the pytest fixture, used by name below
CODE = "ABCD-2345"


@pytest.fixture
def booked(hub):
    hub.authority.commit_hub_event(
        "booking.made",
        req=f"booking:{code_hash(CODE)}",
        body={"code_hash": code_hash(CODE), "service": "B", "date": DAY, "session": None},
    )
    return hub


def reasons(r) -> list[str]:
    assert r.status_code == 200, r.json
    return [x["reason"].split(":")[0] for x in r.json["rejected"]]


def test_a_check_in_of_a_held_booking_is_logged_and_uses_it(booked):
    checkin = lease_ticket("K1", 1, 2, booked.k1_lease["id"], booking=code_hash(CODE))
    assert reasons(booked.push("K1", [checkin])) == []
    assert checkin["id"] in booked.log()
    assert booked.authority.state.bookings[code_hash(CODE)]["ticket"] == checkin["ticket"]


@pytest.mark.parametrize(
    ("case", "key", "service", "day"),
    [
        ("no such booking", code_hash("ZZZZ-ZZZZ"), "B", DAY),
        ("another service", code_hash(CODE), "A", DAY),
        ("another day", code_hash(CODE), "B", "2026-11-27"),
    ],
    ids=lambda v: v if " " in str(v) else "",
)
def test_a_check_in_that_names_no_such_booking_is_refused(booked, case, key, service, day):
    before = booked.log()
    label = f"{service}-K1-1"
    body = ticket_body("K1", label, service=service, day=day, booking=key)
    forged = ev("K1", 1, "ticket.issued", body, ticket=f"{day}/{label}")
    assert reasons(booked.push("K1", [forged])) == ["unknown_booking"], case
    assert booked.log() == before
    # the refused seq is used up: K1's next event still flows
    assert reasons(booked.push("K1", [prefix_ticket("K1", 2, n=2)])) == []


def test_a_booking_checked_in_twice_is_refused_the_second_time(booked):
    key = code_hash(CODE)
    first = lease_ticket("K1", 1, 2, booked.k1_lease["id"], booking=key)
    again = lease_ticket("K1", 2, 3, booked.k1_lease["id"], booking=key)  # same push
    assert reasons(booked.push("K1", [first, again])) == ["booking_used"]
    other = lease_ticket("K2", 1, 9, booked.k2_lease["id"], booking=key)  # another kiosk, later
    assert reasons(booked.push("K2", [other])) == ["booking_used"]
    log = booked.log()
    assert first["id"] in log and again["id"] not in log and other["id"] not in log
    assert booked.authority.state.bookings[key]["ticket"] == first["ticket"]


def make_booking(authority, code: str, service: str = "A", **over) -> str:
    body = {"code_hash": code_hash(code), "service": service, "date": DAY, "session": None}
    authority.commit_hub_event("booking.made", req=f"booking:{code_hash(code)}", body=body | over)
    return code_hash(code)


def walk_in(client, auth, n: int):
    return client.post("/api/v1/tickets", json={"req": f"w{n}", "service": "A"}, headers=auth("K1"))


def test_a_booking_holds_a_place_of_the_quota_until_it_expires(client, auth, authority, clock):
    """A (quota 5) with two bookings of today: three walk-ins, then quota_reached; an expired
    booking (past its grace) holds nothing, a booking of another day nothing either."""
    make_booking(authority, "AAAA-2222")
    make_booking(authority, "BBBB-3333", expires_ms=clock.wall_ms() + 60_000)
    make_booking(authority, "CCCC-4444", date="2026-11-29")
    assert [walk_in(client, auth, n).status_code for n in range(4)] == [201, 201, 201, 409]
    refused = walk_in(client, auth, 9)
    assert refused.json["error"] == "quota_reached"
    clock.advance(61_000)  # BBBB's grace is over: its place is free again
    assert walk_in(client, auth, 10).status_code == 201
    assert walk_in(client, auth, 11).status_code == 409  # AAAA still holds the last one
