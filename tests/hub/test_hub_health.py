"""POST /api/v1/nodes/<id>/heartbeat (contract C4): checked field by field, kept in RAM,
a device.status event only on a change; GET /api/v1/nodes carries the health."""

from __future__ import annotations

import pytest

from core.health import STALE_AFTER_MS


def beat(role: str = "kiosk", **devices):
    return {
        "version": "0.1.0",
        "uptime_s": 30,
        "address": "10.0.0.21",
        "role": role,
        "backlog": 2,
        "last_sync_ms": None,
        "clock_offset_ms": 15,
        "disk_free_mb": 900,
        "cpu_temp_c": None,
        "undervoltage": None,
        "devices": {k: {"status": s, "detail": ""} for k, s in devices.items()},
    }


def device_events(authority, seed):
    return [
        r["event"]["body"]
        for r in authority.records_since(seed, 1000)
        if r["event"]["type"] == "device.status"
    ]


def test_a_status_change_is_logged_once(client, auth, authority, seed) -> None:
    for status in ("ok", "ok", "out", "out", "ok"):
        resp = client.post(
            "/api/v1/nodes/K1/heartbeat", json=beat(printer=status), headers=auth("K1")
        )
        assert resp.status_code == 200, resp.get_json()
    assert [e["status"] for e in device_events(authority, seed)] == ["ok", "out", "ok"]
    with authority.store.lock:
        assert authority.state.devices["K1"]["printer"]["status"] == "ok"


def test_the_last_status_survives_a_restart_and_is_not_logged_again(
    app, config, clock, client, auth, seed
) -> None:
    from hub import create_app

    client.post("/api/v1/nodes/K1/heartbeat", json=beat(printer="out"), headers=auth("K1"))
    app.extensions["loket"].store.close()
    again = create_app(config, clock=clock)
    try:
        resp = again.test_client().post(
            "/api/v1/nodes/K1/heartbeat", json=beat(printer="out"), headers=auth("K1")
        )
        assert resp.get_json()["logged"] == []
        rows = again.extensions["loket_health"].rows(["K1"])
        assert rows[0]["devices"]["printer"]["status"] == "out"
    finally:
        again.extensions["loket"].store.close()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"backlog": -3}, "backlog"),
        ({"role": "counter"}, "role"),  # K1's token is a kiosk's
        ({"devices": {"printer": {"status": "jammed", "detail": ""}}}, "devices.printer.status"),
        ({"speed": 3}, "speed"),
    ],
)
def test_malformed_heartbeats_are_refused_with_the_field(
    client, auth, authority, change, field
) -> None:
    before = authority.store.journal.count
    resp = client.post("/api/v1/nodes/K1/heartbeat", json={**beat(), **change}, headers=auth("K1"))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["field"] == field and field in body["message"]
    assert authority.store.journal.count == before
    assert (
        authority.state.devices == {}
        and client.application.extensions["loket_health"].latest() == {}
    )


def test_a_device_beats_only_for_itself(client, auth) -> None:
    resp = client.post("/api/v1/nodes/K2/heartbeat", json=beat(), headers=auth("K1"))
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden_node"
    resp = client.post("/api/v1/nodes/K1/heartbeat", json=beat(), headers=auth("api"))
    assert resp.status_code == 403 and resp.get_json()["error"] == "devices_only"


def test_nodes_list_carries_health_and_staleness(client, auth, clock) -> None:
    client.post(
        "/api/v1/nodes/C1/heartbeat", json=beat("counter", display="fault"), headers=auth("C1")
    )
    nodes = {
        n["id"]: n for n in client.get("/api/v1/nodes", headers=auth("viewer")).get_json()["nodes"]
    }
    assert nodes["C1"]["health"]["state"] == "fault"
    assert nodes["C1"]["health"]["beat"]["backlog"] == 2
    assert nodes["K1"]["health"]["state"] == "never"
    # an operator token is not a device: no health, never "offline"
    assert nodes["api"]["kind"] == "operator" and nodes["api"]["health"] is None
    clock.advance(STALE_AFTER_MS + 1000)
    nodes = {
        n["id"]: n for n in client.get("/api/v1/nodes", headers=auth("viewer")).get_json()["nodes"]
    }
    assert nodes["C1"]["health"]["state"] == "stale"
