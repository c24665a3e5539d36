"""A kiosk's printer fault is on the admin device page as soon as the kiosk reports it."""

from __future__ import annotations

from hub.auth import issue_operator_token, pair_node


def beat(printer: str, detail: str) -> dict:
    """A whole C4 heartbeat of a kiosk whose printer says ``printer``."""
    return {
        "version": "0.1.0",
        "uptime_s": 30,
        "address": "10.0.0.21",
        "role": "kiosk",
        "backlog": 0,
        "last_sync_ms": None,
        "clock_offset_ms": 0,
        "disk_free_mb": 900,
        "cpu_temp_c": None,
        "undervoltage": None,
        "devices": {"printer": {"status": printer, "detail": detail}},
    }


def test_a_printer_fault_shows_on_the_device_page(admin, client, authority) -> None:
    tokens = {
        "K1": pair_node(authority.store, "K1", catalogue=authority.catalogue()),
        "viewer": issue_operator_token(authority.store, "viewer", "viewer"),
    }

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    resp = client.post(
        "/api/v1/nodes/K1/heartbeat",
        json=beat("out", "paper out"),
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
        json=beat("ok", ""),
        headers=auth("K1"),
    )
    assert "gangguan" not in admin.get("/admin/nodes").get_data(as_text=True)
