"""UI fixtures on top of tests/hub/conftest.py: an admin user and a logged-in client."""

from __future__ import annotations

import pytest
from ui_records import PASSWORD, csrf_from


@pytest.fixture
def admin_user(authority) -> str:
    from hub.auth import add_user

    add_user(authority.store, "manajer", PASSWORD)
    return "manajer"


@pytest.fixture
def admin(client, admin_user):
    """The test client, logged in as an admin."""
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login",
        data={"username": admin_user, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302
    return client


@pytest.fixture
def csrf(client):
    """``csrf()`` -> the current session's CSRF token, read from a page that has forms."""

    def current(page: str = "/admin/") -> str:
        return csrf_from(client.get(page).get_data(as_text=True))

    return current
