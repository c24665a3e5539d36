"""Node tokens and admin passwords: what is stored, what authenticates, what stops working."""

from __future__ import annotations

import pytest

from hub.auth import add_user, pair_node, verify_user
from hub.store import DB_FILE

FEED = "/api/v1/sync/changes"


def db_text(authority) -> str:
    return (authority.store.data_dir / DB_FILE).read_text()


def test_pairing_stores_only_a_hash_of_the_token(client, authority):
    token = pair_node(authority.store, "K1")
    assert len(token) >= 40
    assert token not in db_text(authority)
    assert '"token_hash"' in db_text(authority)
    r = client.get("/api/v1/sync/changes", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_pairing_again_revokes_the_old_token(client, authority):
    old = pair_node(authority.store, "K1")
    assert (  # the store now caches token hashes: re-pairing must drop the old one
        client.get(FEED, headers={"Authorization": f"Bearer {old}"}).status_code == 200
    )
    new = pair_node(authority.store, "K1")
    assert old != new
    assert client.get(FEED, headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get(FEED, headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_node_ids_are_checked(authority):
    with pytest.raises(ValueError):
        pair_node(authority.store, "K1:evil")


def test_nodes_lists_every_node_with_its_sync_state(client, auth, authority, clock):
    clock.advance(5_000)
    client.get(FEED, headers=auth("C1"))  # C1 talks to the hub...
    r = client.get("/api/v1/nodes", headers=auth("viewer"))  # ...a viewer's tool looks
    nodes = {n["id"]: n for n in r.json["nodes"]}
    assert {"K1", "K2", "C1", "C2", "api"} <= set(nodes)
    assert nodes["C1"]["paired"] and nodes["C1"]["last_seen_ms"] == clock.wall_ms()
    assert nodes["K1"]["kiosk"] is True and nodes["C1"]["kiosk"] is False
    assert r.json["hub_epoch"] == authority.epoch and r.json["barrier"] is None


def test_admin_passwords_are_scrypt_hashed(authority):
    add_user(authority.store, "manager", "rahasia-sekali")
    text = db_text(authority)
    assert "rahasia-sekali" not in text
    assert '"password_hash": "scrypt$' in text
    user = verify_user(authority.store, "manager", "rahasia-sekali")
    assert user == {"username": "manager", "role": "admin"}
    assert verify_user(authority.store, "manager", "rahasia-salah") is None
    assert verify_user(authority.store, "nobody", "rahasia-sekali") is None


def test_two_users_with_one_password_get_different_hashes(authority):
    add_user(authority.store, "a", "password-1")
    add_user(authority.store, "b", "password-1")
    hashes = {u["password_hash"] for u in authority.store.users()}
    assert len(hashes) == 2


def test_changing_a_password_replaces_the_old_one(authority):
    add_user(authority.store, "manager", "first-password")
    add_user(authority.store, "manager", "second-password")
    assert verify_user(authority.store, "manager", "first-password") is None
    assert verify_user(authority.store, "manager", "second-password") is not None
    assert len(authority.store.users()) == 1


def test_short_passwords_are_refused(authority):
    with pytest.raises(ValueError):
        add_user(authority.store, "manager", "short")
    assert authority.store.users() == []
