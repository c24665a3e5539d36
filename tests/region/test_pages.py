"""The regional server's routes: every one declares its guard; login, dashboard, booking page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.booking import code_hash
from region.auth import access_of
from region.sites import add_site, add_user

EXPECTED = {
    "region_api.push": ("site", None),
    "region_api.pull_bookings": ("site", None),
    "region_api.healthz": ("public", None),
    "region_pages.login": ("login", None),
    "region_pages.logout": ("role", "viewer"),
    "region_pages.dashboard_page": ("role", "viewer"),
    "region_pages.dashboard_csv": ("role", "viewer"),
    "region_booking.pick_site": ("public", None),
    "region_booking.book": ("citizen", None),
}


def test_every_route_declares_who_may_call_it(region_app):
    found = {}
    for rule in region_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        access = access_of(region_app.view_functions[rule.endpoint])
        assert access is not None, f"{rule} has no guard"
        found[rule.endpoint] = (access.kind, access.role)
    assert found == EXPECTED


def csrf(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_dashboard_needs_a_login_and_posts_need_csrf(region_app, region_conn):
    add_site(region_conn, "mpp-a", "MPP Alpha")
    add_user(region_conn, "lihat", "rahasia-123", "viewer")
    client = region_app.test_client()
    assert client.get("/region/").status_code == 302
    token = csrf(client.get("/region/login").data)
    bad = client.post(
        "/region/login", data={"username": "lihat", "password": "salah-salah", "csrf_token": token}
    )
    assert bad.status_code == 401 and b"salah" in bad.data
    assert (
        client.post(
            "/region/login", data={"username": "lihat", "password": "rahasia-123"}
        ).status_code
        == 400
    )
    ok = client.post(
        "/region/login", data={"username": "lihat", "password": "rahasia-123", "csrf_token": token}
    )
    assert ok.status_code == 302
    page = client.get("/region/?lang=en")
    assert page.status_code == 200 and b"MPP Alpha" in page.data and b"<svg" in page.data
    assert b"Regional dashboard" in page.data and b"Dasbor" not in page.data
    rows = client.get("/region/dashboard.csv?table=sites").data.decode().splitlines()
    assert rows[0].startswith("site,name,issued") and rows[1].startswith("mpp-a,MPP Alpha,0")
    assert client.get("/region/?from=2026-13-01").status_code == 400
    # the page's cache holds a site only until it pushes again
    from test_push import labelled

    from region import ingest

    csv_day = "/region/dashboard.csv?table=sites&from=2026-12-01"
    assert client.get(csv_day).data.decode().splitlines()[1].startswith("mpp-a,MPP Alpha,0")
    ingest.store(region_conn, "mpp-a", [labelled(1)])
    assert client.get(csv_day).data.decode().splitlines()[1].startswith("mpp-a,MPP Alpha,1")
    assert client.post("/region/logout", data={}).status_code == 400  # no CSRF token


def test_booking_page_books_and_shows_code_and_qr(region_app, region_conn):
    from core.events import make_event, make_record
    from region import ingest

    token = add_site(region_conn, "mpp-a", "MPP Alpha")
    seed = [
        ("mpp", "mpp", {"name": "MPP Alpha", "timezone": "Asia/Jakarta"}),
        ("agency", "dukcapil", {"name": "Dukcapil"}),
        (
            "service",
            "A",
            {
                "prefix": "A",
                "name": "KTP",
                "agency": "dukcapil",
                "sessions": [{"id": "pagi", "start": "08:00", "end": "12:00", "quota": 1}],
                "daily_quota": 5,
            },
        ),
    ]
    from core.catalogue import normalized

    full = normalized(
        {
            "mpp": seed[0][2],
            "agencies": [{"id": "dukcapil", **seed[1][2]}],
            "services": [{"id": "A", **seed[2][2]}],
        }
    )
    records = []
    for i, (kind, eid, _) in enumerate(seed, start=1):
        table = {"mpp": full["mpp"], "agency": full["agencies"][0], "service": full["services"][0]}[
            kind
        ]
        value = {k: v for k, v in table.items() if k != "id"}
        ev = make_event(
            "hub",
            "h1",
            i,
            "catalogue.set",
            body={"kind": kind, "id": eid, "value": value, "by": "profile"},
        )
        records.append(make_record(i, 1_795_831_200_000 + i, 1_795_831_200_000 + i, ev))
    ingest.store(region_conn, "mpp-a", records)

    client = region_app.test_client()
    assert b"MPP Alpha" in client.get("/region/book/").data
    tomorrow = (datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)).isoformat()
    form = client.get(f"/region/book/mpp-a?lang=en&date={tomorrow}")
    assert form.status_code == 200 and b"pagi" in form.data and b"1 places left" in form.data
    body = {"service": "A", "date": tomorrow, "session": "pagi", "csrf_token": csrf(form.data)}
    done = client.post("/region/book/mpp-a?lang=en", data=body)
    assert done.status_code == 200, done.data
    code = re.search(rb'id="code">([A-Z0-9-]+)<', done.data).group(1)
    assert len(code) == 9 and b"<svg" in done.data
    full_now = client.post("/region/book/mpp-a?lang=en", data=body)
    assert full_now.status_code == 409 and b"fully booked" in full_now.data
    pulled = client.get(
        "/region/api/v1/bookings?site=mpp-a&after=0", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert [b["session"] for b in pulled["bookings"]] == ["pagi"]
    assert pulled["bookings"][0]["code_hash"] == code_hash(code.decode())
    assert client.post("/region/book/mpp-a", data={**body, "csrf_token": "x"}).status_code == 400
