"""The public booking form is limited per address (``[region] booking_per_min``): over it a
post is answered 429 in the page's words with ``Retry-After`` and books nothing; another
address, and reading the form, are not held up."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")


@pytest.fixture
def limited_app(region_dsn):
    from core.config_region import region_config_from_dict
    from region import create_app
    from region.db import open_pool, prepare

    config = region_config_from_dict(
        {"region": {"name": "Uji", "dsn": region_dsn, "pool_max": 2, "booking_per_min": 3}}
    )
    pool = open_pool(config)
    prepare(pool, config)
    yield create_app(config, pool, settings={"TESTING": True})
    pool.close()


def test_booking_posts_are_limited_per_address(limited_app):
    from region.sites import add_site

    with limited_app.extensions["region_pool"].connection() as conn:
        add_site(conn, "mpp-limit", "MPP Limit")
        before = conn.execute("SELECT count(*) FROM bookings").fetchone()[0]
    client = limited_app.test_client()
    assert client.get("/region/book/mpp-limit?lang=en").status_code == 200
    with client.session_transaction() as session:  # the site has no services: no form field
        token = session["_csrf"]
    body = {"service": "X", "date": "2026-01-01", "csrf_token": token}
    one = {"REMOTE_ADDR": "203.0.113.7"}
    answers = [
        client.post("/region/book/mpp-limit?lang=en", data=body, environ_overrides=one)
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [409, 409, 409, 429]  # refused, then limited
    assert b"Too many bookings from this address" in answers[-1].data
    assert int(answers[-1].headers["Retry-After"]) >= 1
    id_page = client.post("/region/book/mpp-limit", data=body, environ_overrides=one)
    assert id_page.status_code == 429 and b"Terlalu banyak pemesanan" in id_page.data
    other = client.post(
        "/region/book/mpp-limit", data=body, environ_overrides={"REMOTE_ADDR": "198.51.100.2"}
    )
    assert other.status_code == 409  # another citizen's address has its own bucket
    assert client.get("/region/book/mpp-limit", environ_overrides=one).status_code == 200
    with limited_app.extensions["region_pool"].connection() as conn:
        assert conn.execute("SELECT count(*) FROM bookings").fetchone()[0] == before
