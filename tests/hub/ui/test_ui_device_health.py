"""A kiosk's printer fault is on the admin device page as soon as the kiosk reports it."""

from __future__ import annotations

from hub.auth import issue_operator_token, pair_node


def test_a_printer_fault_shows_on_the_device_page(admin, client, authority) -> None:
    tokens = {
        "K1": pair_node(authority.store, "K1", catalogue=authority.catalogue()),
        "viewer": issue_operator_token(authority.store, "viewer", "viewer"),
    }

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    resp = client.post(
        "/api/v1/nodes/K1/heartbeat",
        json={"role": "kiosk", "devices": {"printer": {"status": "out", "detail": "paper out"}}},
        headers=auth("K1"),
    )
    assert resp.status_code == 200
    html = admin.get("/admin/nodes").get_data(as_text=True)
    assert '<strong class="fault">gangguan: printer: out (paper out)</strong>' in html
    listed = client.get("/api/v1/nodes", headers=auth("viewer")).get_json()
    k1 = next(n for n in listed["nodes"] if n["id"] == "K1")
    assert k1["devices"]["printer"] == {"status": "out", "detail": "paper out"}

    client.post(
        "/api/v1/nodes/K1/heartbeat",
        json={"devices": {"printer": {"status": "ok", "detail": ""}}},
        headers=auth("K1"),
    )
    assert "gangguan" not in admin.get("/admin/nodes").get_data(as_text=True)
