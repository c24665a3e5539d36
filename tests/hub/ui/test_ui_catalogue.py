"""POST /api/v1/catalogue (admins only) and the pages that read the folded catalogue."""

from __future__ import annotations

import pytest

from hub.auth import issue_operator_token, pair_node

MIN = 60_000


def service_row(authority, sid: str, **changes) -> dict:
    row = next(s for s in authority.catalogue().to_dict()["services"] if s["id"] == sid)
    return {k: v for k, v in {**row, **changes}.items() if k != "id"}


def rename(sid: str, name: str, authority) -> dict:
    return {
        "op": "set",
        "kind": "service",
        "id": sid,
        "value": service_row(authority, sid, name=name),
    }


@pytest.fixture
def admin_token(authority) -> dict[str, str]:
    """An operator token with the admin role (contract C5)."""
    return {"Authorization": f"Bearer {issue_operator_token(authority.store, 'ops', 'admin')}"}


def test_only_an_admin_changes_the_catalogue(client, authority, admin_user, admin_token):
    before = authority.last_hseq
    body = rename("A", "KTP-el", authority)
    assert client.post("/api/v1/catalogue", json=body).status_code == 401
    token = pair_node(authority.store, "K1", catalogue=authority.catalogue())
    kiosk = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/catalogue", json=body, headers=kiosk)
    assert r.status_code == 403 and r.json["error"] == "forbidden_role"
    # A device stays a device even if its document claims a role.
    authority.store.upsert_node("K1", role="admin")
    assert client.post("/api/v1/catalogue", json=body, headers=kiosk).status_code == 403
    authority.store.upsert_node("K1", kind="operator", role="admin")
    r = client.post("/api/v1/catalogue", json=body, headers=kiosk)
    assert r.status_code == 403 and r.json["error"] == "token_role_mismatch"
    operator = {
        "Authorization": f"Bearer {issue_operator_token(authority.store, 'api', 'supervisor')}"
    }
    r = client.post("/api/v1/catalogue", json=body, headers=operator)
    assert r.status_code == 403 and r.json["error"] == "forbidden_role"  # a supervisor's token
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/catalogue", json=body, headers=bad).status_code == 401
    assert authority.last_hseq == before  # nothing of that was written
    r = client.post("/api/v1/catalogue", json=body, headers=admin_token)
    assert r.status_code == 200 and r.json["changed"] is True
    [event] = r.json["events"]
    assert event["body"]["by"] == "ops" and event["body"]["value"]["name"] == "KTP-el"


def test_an_admin_session_needs_the_csrf_header(admin, authority, csrf):
    body = rename("A", "KTP-el", authority)
    r = admin.post("/api/v1/catalogue", json=body)
    assert r.status_code == 400 and r.json["error"] == "csrf"
    r = admin.post("/api/v1/catalogue", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 400
    r = admin.post("/api/v1/catalogue", json=body, headers={"X-CSRF-Token": csrf()})
    assert r.status_code == 200 and r.json["events"][0]["body"]["by"] == "manajer"


def test_a_viewer_session_may_not(client, authority, csrf):
    from ui_records import PASSWORD, csrf_from

    from hub.auth import add_user

    add_user(authority.store, "lihat", PASSWORD, role="viewer")
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    client.post(
        "/admin/login", data={"username": "lihat", "password": PASSWORD, "csrf_token": token}
    )
    r = client.post(
        "/api/v1/catalogue", json=rename("A", "x", authority), headers={"X-CSRF-Token": csrf()}
    )
    assert r.status_code == 403


def test_an_invalid_edit_is_a_422_with_every_problem_and_costs_nothing(
    client, authority, admin_token
):
    before = authority.last_hseq
    value = service_row(authority, "A", prefix="K", agency="samsat", hours={"fri": ["13:00-11:00"]})
    r = client.post(
        "/api/v1/catalogue", json={"op": "set", "kind": "service", "id": "A", "value": value},
        headers=admin_token,
    )  # fmt: skip
    assert r.status_code == 422 and r.json["error"] == "invalid_catalogue"
    paths = {p["path"] for p in r.json["problems"]}
    assert {"services.A.agency", "services.A.hours.fri[0]", "counters.C1.services[0]"} <= paths
    assert "services.A.agency: unknown agency 'samsat'" in r.json["message"]
    for broken in ({"op": "set"}, {"op": 1, "kind": "service", "id": "A"}, []):
        r = client.post("/api/v1/catalogue", json=broken, headers=admin_token)
        assert r.status_code in (400, 422) and r.json["error"] in (
            "bad_json",
            "missing_field",
            "invalid_field",
        )
    r = client.post(
        "/api/v1/catalogue", json={"op": "drop", "kind": "service", "id": "A"}, headers=admin_token
    )
    assert r.status_code == 422 and r.json["problems"][0]["path"] == "op"
    assert authority.last_hseq == before


def test_the_board_and_the_status_page_show_an_edit_at_once(client, authority, admin_token):
    authority.issue("r1", "B", "K1", public="pub-B001-abcdefgh")
    assert "BPJS Kesehatan JKN" not in client.get("/board").get_data(as_text=True)
    client.post(
        "/api/v1/catalogue", json=rename("B", "BPJS Kesehatan JKN", authority), headers=admin_token
    )
    assert "BPJS Kesehatan JKN" in client.get("/board").get_data(as_text=True)
    assert client.get("/board/view.json").json["services"][1]["name"] == "BPJS Kesehatan JKN"
    assert client.get("/t/pub-B001-abcdefgh.json").json["service_name"] == "BPJS Kesehatan JKN"
    # A new counter number is what the board says for its next call.
    counter = next(c for c in authority.catalogue().to_dict()["counters"] if c["id"] == "C2")
    authority.change_catalogue("set", "counter", "C2", {**counter, "number": 7, "name": "Loket 7"})
    authority.counter_command("C2", "next", "n1")
    assert client.get("/board/view.json").json["calls"][0]["number"] == 7
    assert "Silakan menuju Loket 7" in client.get("/t/pub-B001-abcdefgh").get_data(as_text=True)


def test_reports_still_name_a_service_retired_since(admin, authority, clock):
    authority.issue("r1", "A", "K1")
    authority.counter_command("C1", "next", "n1")
    clock.advance(5 * MIN)
    authority.counter_command("C1", "done", "d1")
    day = authority.today()
    for kind, cid in (("counter", "C1"), ("kiosk", "K1")):
        row = next(c for c in authority.catalogue().to_dict()[f"{kind}s"] if c["id"] == cid)
        authority.change_catalogue("set", kind, cid, {**row, "services": ["B"]})
    authority.change_catalogue("retire", "service", "A")
    assert "A" not in authority.catalogue().services
    csv = admin.get(f"/admin/reports.csv?from={day}&to={day}&table=services").get_data(as_text=True)
    assert "A,Dukcapil KTP," in csv
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert "Dukcapil KTP" not in dashboard  # today's queues: only live services


def test_the_dashboard_says_when_the_profile_differs_from_the_log(admin, authority):
    assert "Profil hub berbeda" not in admin.get("/admin/").get_data(as_text=True)
    authority.profile_differences = ["set service A", "retire kiosk K2"]
    html = admin.get("/admin/").get_data(as_text=True)
    assert "Profil hub berbeda dari katalog" in html
    assert "set service A, retire kiosk K2" in html and "loket hub import-profile" in html
