"""People and tokens: server-side sessions, login throttle, roles, token kinds, rate limits,
and what anonymous callers of ``/api/v1/state`` do not get (issue 8, item 3)."""

from __future__ import annotations

import re

import pytest

PASSWORD = "kata-sandi-panjang"
HOUR = 3_600_000


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, user: str, password: str = PASSWORD):
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login", data={"username": user, "password": password, "csrf_token": token}
    )


@pytest.fixture
def users(authority):
    from hub.auth import add_user

    for role in ("viewer", "supervisor", "admin"):
        add_user(authority.store, role, PASSWORD, role=role)


# -- sessions ----------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_hub(app, users, authority):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    cookie = client.get_cookie("session").value
    assert len(authority.store.sessions()) == 1
    assert PASSWORD not in cookie and "admin" not in cookie  # only a signed session id
    client.post("/admin/logout", data={"csrf_token": csrf_of(client.get("/admin/").text)})
    assert authority.store.sessions() == []
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/admin/").status_code == 302  # back to the login page


def test_a_session_survives_a_hub_restart_and_expires(app, users, config, clock, authority):
    from hub import create_app

    client = app.test_client()
    login(client, "viewer")
    cookie = client.get_cookie("session").value
    authority.store.close()
    app2 = create_app(config, clock=clock)
    try:
        again = app2.test_client()
        again.set_cookie("session", cookie)
        assert again.get("/admin/").status_code == 200  # kept in the store
        for _ in range(15):  # active all day: every 50 minutes
            clock.advance(50 * 60_000)
            page = again.get("/admin/")
        assert page.status_code == 302  # 12.5 h after login: over
    finally:
        app2.extensions["loket"].store.close()


def test_an_idle_session_ends(app, users, clock):
    client = app.test_client()
    login(client, "viewer")
    clock.advance(59 * 60_000)
    assert client.get("/admin/").status_code == 200
    clock.advance(61 * 60_000)
    assert client.get("/admin/").status_code == 302


def test_a_changed_role_applies_at_once(app, users, authority):
    from hub.auth import add_user

    client = app.test_client()
    login(client, "supervisor")
    token = csrf_of(client.get("/admin/").text)
    add_user(authority.store, "supervisor", PASSWORD, role="viewer")
    refused = client.post("/admin/barrier/lift", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "memerlukan peran supervisor" in refused.get_data(as_text=True)


def test_forms_are_shown_only_to_roles_that_may_send_them(app, users):
    viewer, supervisor = app.test_client(), app.test_client()
    login(viewer, "viewer")
    login(supervisor, "supervisor")
    assert "Batalkan tiket" not in viewer.get("/admin/").text
    assert "Batalkan tiket" in supervisor.get("/admin/").text
    assert "Pasangkan perangkat" not in supervisor.get("/admin/nodes").text


# -- login throttle ----------------------------------------------------------------------------


def test_failed_logins_are_throttled_and_the_person_is_told(app, users, clock):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "admin", "salah-salah").status_code == 401
    throttled = login(client, "admin")  # even the right password waits now
    assert throttled.status_code == 429
    assert "Coba lagi dalam 30 detik" in throttled.get_data(as_text=True)
    clock.advance(31_000)
    assert login(client, "admin").status_code == 302  # and success clears the count
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(other, "admin", "salah").status_code == 401  # another address: its own count


def test_the_wait_doubles_with_each_failure_beyond_the_free_ones(app, users, clock):
    client = app.test_client()
    for _ in range(5):
        login(client, "viewer", "salah-salah")
    clock.advance(30_000)
    assert login(client, "viewer", "salah-salah").status_code == 401  # the 6th try, refused
    page = login(client, "viewer", "salah-salah")
    assert page.status_code == 429
    assert "Coba lagi dalam 60 detik" in page.get_data(as_text=True)


# -- tokens --------------------------------------------------------------------------------------


def test_a_device_token_is_bound_to_the_role_it_was_paired_as(client, authority):
    from hub.auth import pair_node

    token = pair_node(authority.store, "C1", catalogue=authority.catalogue())
    doc = authority.store.node("C1")
    assert (doc["kind"], doc["role"], doc["revoked_ms"]) == ("device", "counter", None)
    authority.store.upsert_node("C1", role="kiosk")  # the profile says counter now
    r = client.post("/api/v1/counters/C1/next", json={"req": "x"},
                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 403 and r.json["error"] == "token_role_mismatch"


def test_a_revoked_token_is_refused(client, authority):
    from hub.auth import pair_node

    token = pair_node(authority.store, "K1", catalogue=authority.catalogue())
    authority.store.upsert_node("K1", revoked_ms=1)
    r = client.get("/api/v1/sync/changes", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_tokens_from_before_kinds_keep_working_within_their_limits(client, authority):
    from hub.auth import token_hash

    authority.store.upsert_node("K1", token_hash=token_hash("old-kiosk-token"))
    authority.store.upsert_node("api", token_hash=token_hash("old-api-token"))
    kiosk = {"Authorization": "Bearer old-kiosk-token"}
    api = {"Authorization": "Bearer old-api-token"}
    assert client.post("/api/v1/tickets", json={"req": "a", "service": "B"},
                       headers=kiosk).status_code == 201  # fmt: skip
    assert client.post("/api/v1/counters/C1/next", json={"req": "b"},
                       headers=api).status_code == 200  # a supervisor's  # fmt: skip


def test_pairing_checks_the_profile_and_roles(authority):
    from hub.auth import issue_operator_token, pair_node

    with pytest.raises(ValueError, match="not a counter, kiosk or display"):
        pair_node(authority.store, "C9", catalogue=authority.catalogue())
    with pytest.raises(ValueError, match="role must be one of"):
        issue_operator_token(authority.store, "desk", "root")
    with pytest.raises(ValueError, match="is a node of the catalogue"):
        issue_operator_token(authority.store, "K1", "viewer", catalogue=authority.catalogue())


def test_an_unknown_admin_role_is_refused(authority):
    from hub.auth import add_user

    with pytest.raises(ValueError, match="role must be one of"):
        add_user(authority.store, "x", PASSWORD, role="superuser")


# -- rate limits ---------------------------------------------------------------------------------


def test_issuing_is_rate_limited_per_kiosk_and_per_operator_token(client, auth, clock):
    def issue(node, req):
        return client.post("/api/v1/tickets", json={"req": req, "service": "B"}, headers=auth(node))

    for i in range(30):
        assert issue("K2", f"k2-{i}").status_code == 201
    refused = issue("K2", "k2-over")
    assert refused.status_code == 429 and refused.json["error"] == "too_many_tickets"
    assert refused.json["retry_after_s"] == 2.0
    assert issue("K2", "k2-0").status_code == 200  # a repeat is still answered
    assert issue("K1", "k1-0").status_code == 201  # another kiosk has its own share
    assert issue("api", "op-0").status_code == 201  # and so has an operator token
    clock.advance(2_000)
    assert issue("K2", "k2-later").status_code == 201


def test_zero_turns_the_limit_off(config, clock):
    from dataclasses import replace

    from hub import create_app
    from hub.auth import pair_node

    config = replace(config, hub=replace(config.hub, issue_per_min=0))
    app = create_app(config, clock=clock)
    try:
        token = pair_node(
            app.extensions["loket"].store, "K2", catalogue=app.extensions["loket"].catalogue()
        )
        hdr = {"Authorization": f"Bearer {token}"}
        for i in range(40):
            r = app.test_client().post("/api/v1/tickets", json={"req": f"r{i}", "service": "B"},
                                       headers=hdr)  # fmt: skip
            assert r.status_code == 201
    finally:
        app.extensions["loket"].store.close()


# -- what anonymous callers see ----------------------------------------------------------------


def test_anonymous_state_has_no_public_status_ids(client, auth):
    issued = client.post("/api/v1/tickets", json={"req": "r", "service": "B"}, headers=auth("K1"))
    public = issued.json["event"]["body"]["public"]
    anonymous = client.get("/api/v1/state")
    assert anonymous.status_code == 200 and public not in anonymous.get_data(as_text=True)
    [waiting] = anonymous.json["state"]["waiting"]["B"]
    assert "public" not in waiting and waiting["label"] == "B-001"
    assert client.get("/api/v1/state", headers=auth("C1")).json["state"]["waiting"]["B"][0][
        "public"
    ] == public  # fmt: skip
    assert client.get(f"/t/{public}.json").json["label"] == "B-001"  # the visitor's own page


def test_a_record_for_anonymous_readers_has_no_public_id(client, auth, authority, seed):
    from hub.views import without_public_id

    client.post("/api/v1/tickets", json={"req": "r", "service": "B"}, headers=auth("K1"))
    [record] = authority.records_since(seed, 10)
    clean = without_public_id(record)
    assert "public" in record["event"]["body"] and "public" not in clean["event"]["body"]
    assert clean["event"]["body"]["label"] == "B-001" and clean["hseq"] == record["hseq"]
