"""Pairing by code (issue 14, item 1): codes, the exchange, token listing and revocation.

The exchange goes through the app's HTTP route with the shared FakeClock (expiry without
waiting); tokens it returns are then used on real device routes.
"""

from __future__ import annotations

import json
import re

import pytest

from hub import pairing
from hub.pairing import PairingRefused

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def make(authority, node="C1", **kw):
    return pairing.new_code(
        authority.store, node, catalogue=authority.catalogue(), now_ms=authority.now_ms(), **kw
    )


def test_a_code_is_eight_unambiguous_characters_stored_only_as_a_hash(authority, tmp_path):
    made = make(authority)
    assert CODE.match(made["code"]), made
    assert made["node"] == "C1" and made["role"] == "counter" and made["ttl_min"] == 15
    assert made["expires_ms"] == authority.now_ms() + 15 * 60_000
    text = (tmp_path / "hub" / "hub.json").read_text()
    raw = made["code"].replace("-", "")
    assert raw not in text and made["code"] not in text
    assert pairing.code_hash(raw) in text
    assert not set("01IO") & set(pairing.ALPHABET) and len(pairing.ALPHABET) == 32


def test_only_live_nodes_of_the_catalogue_get_a_code(authority):
    for bad in ("C9", "api", "A"):
        with pytest.raises(PairingRefused) as err:
            make(authority, bad)
        assert err.value.code == "unknown_device" and "C1" in err.value.message
    with pytest.raises(PairingRefused, match="minutes"):
        make(authority, ttl_min=0)


def test_exchange_returns_the_token_once_and_the_device_record(authority, client, auth):
    made = make(authority, "C1")
    typed = made["code"].lower().replace("-", " ")  # any case, dash or space
    resp = client.post("/api/v1/pair", json={"code": typed})
    assert resp.status_code == 200, resp.get_json()
    answer = resp.get_json()
    token = answer["token"]
    device = answer["device"]
    assert device["id"] == "C1" and device["role"] == "counter"
    assert device["counter"] == {"id": "C1", "number": 1, "display": "7seg", "transfer_to": []}
    assert device["services"] == ["A", "B"] and device["prefixes"] == ["A", "B"]
    assert device["mpp"]["timezone"] == "Asia/Jakarta"
    assert answer["hub"] == {"url": "http://localhost", "epoch": authority.epoch}
    # the node's calls succeed with it
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sync/changes?since=0", headers=headers).status_code == 200
    call = client.post("/api/v1/counters/C1/next", json={"req": "p1"}, headers=headers)
    assert call.status_code == 200, call.get_json()
    # and the code works once
    again = client.post("/api/v1/pair", json={"code": made["code"]})
    assert again.status_code == 409 and again.get_json()["error"] == "code_used"
    assert "works once" in again.get_json()["message"]
    assert token not in json.dumps(authority.node_status())


def test_expired_unknown_malformed_and_replaced_codes_are_refused_with_a_reason(
    authority, client, clock
):
    old = make(authority, "K1")
    new = make(authority, "K1")  # replaces the first
    answer = client.post("/api/v1/pair", json={"code": old["code"]})
    assert answer.status_code == 409 and answer.get_json()["error"] == "code_replaced"
    clock.advance(15 * 60_000)
    expired = client.post("/api/v1/pair", json={"code": new["code"]})
    assert expired.status_code == 410, expired.get_json()
    assert expired.get_json()["error"] == "code_expired"
    assert "expired less than a minute ago" in expired.get_json()["message"]
    unknown = client.post("/api/v1/pair", json={"code": "ABCD-EFGH"})
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "unknown_code"
    for bad in ("ABCD-EFG", "ABCD-EFG0", "ABCDEFGHI"):
        resp = client.post("/api/v1/pair", json={"code": bad})
        assert resp.status_code == 422 and resp.get_json()["error"] == "invalid_code", bad
    assert client.post("/api/v1/pair", json={}).status_code == 422
    assert client.post("/api/v1/pair", data="{", content_type="application/json").status_code == 400
    assert authority.store.node("K1") is None  # nothing was paired


def test_a_code_for_another_role_is_refused_and_stays_unspent(authority, client):
    made = make(authority, "C1")
    wrong = client.post("/api/v1/pair", json={"code": made["code"], "role": "display"})
    assert wrong.status_code == 409 and wrong.get_json()["error"] == "wrong_role"
    junk = client.post("/api/v1/pair", json={"code": made["code"], "role": "printer"})
    assert junk.status_code == 422 and junk.get_json()["field"] == "role"
    right = client.post("/api/v1/pair", json={"code": made["code"], "role": "counter"})
    assert right.status_code == 200
    [doc] = authority.store.pairing_codes()
    assert doc["used_by"] == "127.0.0.1" and doc["used_ms"] == authority.now_ms()


def test_exchange_is_rate_limited_per_address(authority, client, app):
    for _ in range(pairing.ATTEMPTS_PER_MIN):
        assert client.post("/api/v1/pair", json={"code": "ABCD-EFGH"}).status_code == 404
    made = make(authority, "D1" if authority.catalogue().displays else "K2")
    limited = client.post("/api/v1/pair", json={"code": made["code"]})
    assert limited.status_code == 429 and limited.get_json()["retry_after_s"] > 0
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.168.1.77"
    assert other.post("/api/v1/pair", json={"code": made["code"]}).status_code == 200


def test_tokens_are_listed_and_revoked_by_id_prefix_or_token_at_once(
    authority, client, tokens, auth
):
    rows = {r["id"]: r for r in pairing.token_rows(authority.store, authority.catalogue())}
    assert rows["C1"]["kind"] == "device" and rows["C1"]["role"] == "counter"
    assert rows["admin"]["kind"] == "operator" and rows["admin"]["role"] == "admin"
    assert rows["C1"]["hint"] == tokens["C1"][:6] and rows["C1"]["revoked_ms"] is None
    assert "token_hash" not in rows["C1"]
    url = "/api/v1/counters/C1/next"
    assert client.post(url, json={"req": "r1"}, headers=auth("C1")).status_code == 200
    now = authority.now_ms()
    assert pairing.revoke(authority.store, "C1", now_ms=now)["id"] == "C1"
    refused = client.post(url, json={"req": "r2"}, headers=auth("C1"))
    assert refused.status_code == 401
    with pytest.raises(PairingRefused) as err:
        pairing.revoke(authority.store, "C1", now_ms=now)
    assert err.value.code == "already_revoked"
    # by the first characters, and by the whole token
    assert pairing.revoke(authority.store, tokens["K1"][:8], now_ms=now)["id"] == "K1"
    assert pairing.revoke(authority.store, tokens["K2"], now_ms=now)["id"] == "K2"
    for node in ("K1", "K2"):
        resp = client.get("/api/v1/sync/changes", headers=auth(node))
        assert resp.status_code == 401
    rows = {r["id"]: r for r in pairing.token_rows(authority.store, authority.catalogue())}
    assert rows["C1"]["revoked_ms"] == now
    with pytest.raises(PairingRefused) as err:
        pairing.revoke(authority.store, "nope-nope", now_ms=now)
    assert err.value.code == "unknown_token"
    with pytest.raises(PairingRefused):
        pairing.revoke(authority.store, tokens["C2"][:3], now_ms=now)  # too short to name one


def test_a_new_code_pairs_a_replacement_pi_and_the_old_token_stops(authority, client, auth):
    made = make(authority, "C2")
    new = client.post("/api/v1/pair", json={"code": made["code"]}).get_json()["token"]
    old = client.get("/api/v1/sync/changes", headers=auth("C2"))
    assert old.status_code == 401  # the Pi provisioned last is the device
    fresh = client.get("/api/v1/sync/changes", headers={"Authorization": f"Bearer {new}"})
    assert fresh.status_code == 200
