"""The admin's pairing page (issue 14, item 1): codes for catalogue nodes, tokens revoked."""

from __future__ import annotations

import re

import pytest

from hub.auth import add_user

PASSWORD = "kata-sandi-panjang"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field"
    return match.group(1)


def login(app, role: str):
    client = app.test_client()
    add_user(app.extensions["loket"].store, role, PASSWORD, role=role)
    page = client.get("/admin/login").get_data(as_text=True)
    data = {"username": role, "password": PASSWORD, "csrf_token": csrf_of(page)}
    assert client.post("/admin/login", data=data).status_code == 302
    return client


@pytest.fixture
def admin(app):
    return login(app, "admin")


def test_the_page_offers_catalogue_nodes_and_shows_a_code_once(admin, client):
    page = admin.get("/admin/pairing/").get_data(as_text=True)
    for node in ("C1", "C2", "K1", "K2"):
        assert f'<option value="{node}">' in page
    assert "Pasangkan perangkat dengan kode" in page and "Pairing" not in page  # one language
    form = {"csrf_token": csrf_of(page), "node": "C2", "minutes": "30"}
    shown = admin.post("/admin/pairing/code", data=form)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    code = re.search(r'<pre class="token pairing-code">([A-Z2-9]{4}-[A-Z2-9]{4})</pre>', html)
    assert code, html
    assert f"loket provision --hub http://localhost --code {code.group(1)}" in html
    assert "09:30" in html  # valid until, in the MPP's time (the clock starts at 09:00 WIB)
    listed = admin.get("/admin/pairing/").get_data(as_text=True)
    assert code.group(1) not in listed and "<td>C2</td>" in listed  # pending, never re-shown
    paired = client.post("/api/v1/pair", json={"code": code.group(1)})
    assert paired.status_code == 200


def test_a_code_for_an_unknown_id_or_bad_minutes_is_refused_with_the_reason(admin, authority):
    token = csrf_of(admin.get("/admin/pairing/").get_data(as_text=True))
    for form in ({"node": "Z9"}, {"node": "C1", "minutes": "0"}, {"node": "C1", "minutes": "x"}):
        resp = admin.post("/admin/pairing/code", data={"csrf_token": token, **form})
        assert resp.status_code == 302
        page = admin.get("/admin/pairing/").get_data(as_text=True)
        assert "Kode tidak dibuat" in page, form
    assert authority.store.pairing_codes() == []


def test_tokens_are_listed_and_a_revoked_one_is_refused_at_once(admin, client, tokens, auth):
    page = admin.get("/admin/pairing/").get_data(as_text=True)
    assert f"<code>{tokens['C1'][:6]}…</code>" in page and "<td>operator</td>" in page
    assert client.get("/api/v1/sync/changes", headers=auth("C1")).status_code == 200
    form = {"csrf_token": csrf_of(page), "target": "C1"}
    assert admin.post("/admin/pairing/revoke", data=form).status_code == 302
    after = admin.get("/admin/pairing/").get_data(as_text=True)
    assert "Token C1 dicabut" in after
    assert client.get("/api/v1/sync/changes", headers=auth("C1")).status_code == 401
    assert client.get("/api/v1/sync/changes", headers=auth("C2")).status_code == 200


def test_only_admins_reach_the_page(app):
    supervisor = login(app, "supervisor")
    assert supervisor.get("/admin/pairing/").status_code == 403
    anonymous = app.test_client().get("/admin/pairing/")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
