"""UI fixtures on top of tests/hub/conftest.py: our own MPP config and clock (so the
exact numbers here do not move when the shared fixtures change), an admin user and a
logged-in client. `app`, `client` and `authority` come from tests/hub/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_records import PASSWORD, csrf_from

from core.clock import FakeClock
from core.config import hub_config_from_dict

# 2026-11-28 09:00 in Asia/Jakarta (UTC+7)
T0 = 1_795_831_200_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="hub-boot-ui")


@pytest.fixture
def config(tmp_path: Path):
    """Services A (Dukcapil KTP, 6 min) and B (BPJS, 10 min); C1 serves A+B, C2 serves B."""
    return hub_config_from_dict(
        {
            "mpp": {"name": "MPP Kota Contoh", "timezone": "Asia/Jakarta"},
            "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(tmp_path / "hub")},
            "agencies": [
                {"id": "dukcapil", "name": "Dukcapil"},
                {"id": "bpjs", "name": "BPJS Kesehatan"},
            ],
            "services": [
                {"id": "A", "name": "Dukcapil KTP", "agency": "dukcapil", "avg_service_min": 6},
                {"id": "B", "name": "BPJS", "agency": "bpjs", "avg_service_min": 10},
            ],
            "counters": [
                {"id": "C1", "name": "Loket 1", "number": 1, "services": ["A", "B"]},
                {"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]},
            ],
            "kiosks": [{"id": "K1", "name": "Kiosk 1", "services": ["A", "B"], "lease_size": 8}],
        }
    )


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


@pytest.fixture
def served(app):
    """The app over real HTTP (``chromium.serve_app``); its base URL."""
    from chromium import serve_app

    base, shutdown = serve_app(app)
    yield base
    shutdown()


@pytest.fixture
def browser(tmp_path: Path):
    """A headless Chromium page, 1280 x 900 (the desk's browser tests)."""
    from chromium import launch, stop

    proc, page = launch(tmp_path, size=(1280, 900))
    yield page
    stop(proc, page)
