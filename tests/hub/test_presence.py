"""While a counter is away (its probes stopped), the hub calls for its peers from their own
residue class, so the online peer keeps out of the class the offline one calls from."""

from __future__ import annotations

from hub.presence import Presence


def issue(client, auth, n: int) -> list[str]:
    labels = []
    for i in range(n):
        r = client.post("/api/v1/tickets", json={"req": f"p:r{i}", "service": "B"}, headers=auth())
        assert r.status_code == 201
        labels.append(r.json["ticket"]["label"])
    return labels


def test_an_away_peer_makes_the_hub_call_from_this_counters_class(app, client, auth):
    now = [1000.0]
    app.extensions["loket_presence"] = Presence(now=lambda: now[0])
    assert issue(client, auth, 4) == ["B-001", "B-002", "B-003", "B-004"]
    assert client.get("/healthz", headers=auth("C2")).status_code == 200  # C2 probes
    client.get("/healthz", headers=auth("C1"))
    call = client.post("/api/v1/counters/C1/next", json={"req": "p:n1"}, headers=auth("C1"))
    assert call.json["ticket"]["label"] == "B-001"  # C2 is here: the head
    client.post("/api/v1/counters/C1/done", json={"req": "p:d1"}, headers=auth("C1"))

    now[0] += 13  # C2's probes stopped (its cable): it calls its class (odd numbers) offline
    client.get("/healthz", headers=auth("C1"))
    assert app.extensions["loket_presence"].away() == {"C2"}
    call = client.post("/api/v1/counters/C1/next", json={"req": "p:n2"}, headers=auth("C1"))
    assert call.json["ticket"]["label"] == "B-002"  # C1's class (even) while C2 is away


def test_nodes_that_never_probed_are_never_away(app, client, auth):
    now = [1000.0]
    app.extensions["loket_presence"] = Presence(now=lambda: now[0])
    client.get("/healthz")  # anonymous: nobody's probe
    now[0] += 100
    assert app.extensions["loket_presence"].away() == frozenset()
