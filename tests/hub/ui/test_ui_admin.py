"""Admin login, CSRF, session cookie, dashboard, nodes."""

from __future__ import annotations

import re

import pytest
from ui_records import PASSWORD, csrf_from


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/nodes", "/admin/reports", "/admin/reports.csv?table=summary"]
)
def test_admin_pages_redirect_to_login_when_logged_out(client, path) -> None:
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/admin/login?next=")


def test_wrong_password_fails(client, admin_user) -> None:
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login", data={"username": admin_user, "password": "salah", "csrf_token": token}
    )
    assert resp.status_code == 401
    assert "kata sandi salah" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login", data={"username": "nobody", "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 401


def test_post_without_csrf_token_is_400(client, admin_user) -> None:
    client.get("/admin/login")
    resp = client.post("/admin/login", data={"username": admin_user, "password": PASSWORD})
    assert resp.status_code == 400
    resp = client.post(
        "/admin/login",
        data={"username": admin_user, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert resp.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_logged_in_actions_need_csrf_too(admin, csrf) -> None:
    assert admin.post("/admin/nodes/pair", data={"node": "C9"}).status_code == 400
    assert admin.post("/admin/logout").status_code == 400
    assert admin.get("/admin/").status_code == 200  # still logged in
    resp = admin.post("/admin/logout", data={"csrf_token": csrf()})
    assert resp.status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_login_sets_httponly_lax_cookie_and_follows_local_next_only(client, admin_user) -> None:
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login",
        data={
            "username": admin_user,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_dashboard_shows_queues_counters_and_notices(admin, authority, clock) -> None:
    issued = authority.issue("r1", "B", "K1")
    authority.issue("r2", "A", "K1")
    authority.counter_command("C1", "next", "r3")  # calls B-001 (issued first)
    offline_call = {
        "v": 1,
        "id": "C2:inc1:1",
        "origin": "C2",
        "inc": "inc1",
        "seq": 1,
        "type": "ticket.called",
        "ticket": issued["ticket"]["key"],
        "req": "C2:inc1:r1",
        "deps": [issued["event"]["id"]],
        "hlc": "",
        "clock": {"wall_ms": clock.wall_ms(), "boot_id": "x", "mono_ms": 5},
        "body": {"counter": "C2", "expect_service": "B", "mode": "offline"},
    }
    authority.push("C2", "inc1", authority.epoch, [offline_call])
    html = admin.get("/admin/").get_data(as_text=True)
    rows = dict(
        re.findall(r"<tr><td>(\w) · [^<]*</td><td>[^<]*</td>((?:<td[^>]*>\d+</td>)+)", html)
    )
    counts = {k: re.findall(r">(\d+)<", v) for k, v in rows.items()}
    # waiting, being served, issued today, served, no-show, cancelled
    assert counts == {"A": ["1", "0", "1", "0", "0", "0"], "B": ["0", "1", "1", "0", "0", "0"]}
    assert '<td class="label">B-001</td>' in html
    assert "call.superseded" in html and "winner=C1" in html
    nodes = admin.get("/admin/nodes").get_data(as_text=True)
    c2 = re.search(r"<tr class=\"(\w+)\">\s*<td>C2</td>", nodes)
    assert c2 and c2.group(1) == "online"  # it just pushed
    assert re.search(r"<tr class=\"offline\">\s*<td>K1 <small>kios</small>", nodes)


def test_pair_node_shows_token_once_and_lists_node(admin, csrf, authority) -> None:
    resp = admin.post("/admin/nodes/pair", data={"node": "C2", "csrf_token": csrf("/admin/nodes")})
    html = resp.get_data(as_text=True)
    token = re.search(r'<pre class="token">([^<]+)</pre>', html).group(1)
    from hub.auth import node_for_token, token_doc

    assert node_for_token(authority.store, token) == "C2"
    assert token_doc(authority.store, token)["role"] == "counter"  # bound at pairing
    assert "C2" in admin.get("/admin/nodes").get_data(as_text=True)
    assert "<pre" not in admin.get("/admin/nodes").get_data(as_text=True)


def test_pairing_refuses_an_id_the_profile_does_not_know(admin, csrf, authority) -> None:
    data = {"node": "C9", "csrf_token": csrf("/admin/nodes")}
    page = admin.post("/admin/nodes/pair", data=data, follow_redirects=True)
    assert "bukan loket, kios atau layar di katalog" in page.get_data(as_text=True)
    assert authority.store.node("C9") is None
    data = {"node": "loket-tool", "role": "viewer", "csrf_token": csrf("/admin/nodes")}
    html = admin.post("/admin/nodes/pair", data=data).get_data(as_text=True)
    token = re.search(r'<pre class="token">([^<]+)</pre>', html).group(1)
    doc = authority.store.node("loket-tool")
    assert (doc["kind"], doc["role"]) == ("operator", "viewer") and token not in str(doc)


def test_admin_cancels_a_waiting_ticket_and_it_leaves_the_queue(admin, authority, csrf) -> None:
    issued = authority.issue("c1", "A", "K1")
    label = issued["ticket"]["label"]
    resp = admin.post(
        "/admin/tickets/cancel",
        data={"ticket": label.lower(), "reason": "left", "csrf_token": csrf()},
    )
    assert resp.status_code == 302
    cancels = [r["event"] for r in authority.records_since(0, 100)]
    cancels = [e for e in cancels if e["type"] == "ticket.cancelled"]
    assert [(e["ticket"], e["body"]["reason"]) for e in cancels] == [
        (issued["ticket"]["key"], "left")
    ]
    assert authority.snapshot()["state"]["waiting"].get("A", []) == []
    again = admin.post(
        "/admin/tickets/cancel", data={"ticket": label, "csrf_token": csrf()}, follow_redirects=True
    )
    assert "Tidak dibatalkan" in again.get_data(as_text=True)
    assert admin.post("/admin/tickets/cancel", data={"ticket": label}).status_code == 400
