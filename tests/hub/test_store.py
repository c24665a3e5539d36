"""Storage: atomic TinyDB writes, replay after reopen, re-derivation, backup/restore barrier."""

from __future__ import annotations

import json
import os

import pytest

from core.errors import JournalError
from hub import create_app
from hub.errors import Refused
from hub.store import DB_FILE, Store, restore_from
from hub.tinystore import AtomicJSONStorage


def reopen(config, clock):
    return create_app(config, clock=clock)


def post(app, path, body, token):
    return app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {token}"})


# -- TinyDB storage ----------------------------------------------------------------------------


def test_tinydb_storage_replaces_the_file_whole(tmp_path):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    assert storage.read() is None
    storage.write({"t": {"1": {"a": 1}}})
    assert json.loads(path.read_text()) == {"t": {"1": {"a": 1}}}
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]  # no temp file left


def test_failed_write_keeps_the_old_file_and_the_old_data(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"a": 1}}})
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(JournalError):
        storage.write({"t": {"1": {"a": 2}}})
    assert path.read_bytes() == before
    assert storage.read() == {"t": {"1": {"a": 1}}}
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]


def test_damaged_document_file_refuses_to_open(tmp_path):
    (tmp_path / "db.json").write_text('{"t": {"1": ')
    with pytest.raises(ValueError):
        AtomicJSONStorage(tmp_path / "db.json")


def test_settings_and_epoch_survive_reopen(tmp_path):
    store = Store(tmp_path)
    epoch = store.setting("hub_epoch")
    store.set_settings(colour="blue")
    store.close()
    again = Store(tmp_path)
    assert again.setting("hub_epoch") == epoch
    assert again.setting("colour") == "blue"
    assert json.loads((tmp_path / DB_FILE).read_text())["settings"]["1"]["colour"] == "blue"
    again.close()


# -- replay ------------------------------------------------------------------------------------


def test_reopened_hub_rebuilds_state_requests_and_acks(app, config, clock, tokens, authority, seed):
    first = post(app, "/api/v1/tickets", {"req": "r1", "service": "B"}, tokens["K1"]).json
    post(app, "/api/v1/counters/C1/next", {"req": "r2"}, tokens["C1"])
    post(app, "/api/v1/tickets", {"req": "r3", "service": "B"}, tokens["K1"])
    epoch, snapshot = authority.epoch, authority.snapshot()
    authority.store.close()

    app2 = reopen(config, clock)
    auth2 = app2.extensions["loket"]
    assert auth2.epoch == epoch
    assert auth2.snapshot()["state"] == snapshot["state"]
    repeat = post(app2, "/api/v1/tickets", {"req": "r1", "service": "B"}, tokens["K1"])
    assert repeat.status_code == 200
    assert repeat.json["event"] == first["event"]
    fresh = post(app2, "/api/v1/tickets", {"req": "r4", "service": "B"}, tokens["K1"]).json
    assert fresh["ticket"]["label"] == "B-003"
    assert fresh["event"]["id"] == f"hub:{epoch}:{seed + 4}"  # the hub's own counter continued
    auth2.store.close()


def test_missing_derived_event_is_rederived_at_startup(app, config, clock, tokens, authority):
    from core.events import make_event

    issued = post(app, "/api/v1/tickets", {"req": "r1", "service": "B"}, tokens["K1"]).json
    post(app, "/api/v1/counters/C1/next", {"req": "r2"}, tokens["C1"])
    # C2, offline, called the same visitor: its call loses (a derived call.superseded).
    late = make_event(
        "C2", "c2a", 1, "ticket.called", ticket=issued["ticket"]["key"], req="C2:c2a:r1",
        deps=[issued["event"]["id"]], hlc=f"{clock.wall_ms():013d}.00000.C2",
        clock={"wall_ms": clock.wall_ms(), "boot_id": "C2-boot", "mono_ms": 9_000},
        body={"counter": "C2", "expect_service": "B", "mode": "offline"},
    ).to_dict()  # fmt: skip
    body = {"node": "C2", "inc": "c2a", "hub_epoch_seen": None, "events": [late]}
    assert post(app, "/api/v1/sync/push", body, tokens["C2"]).status_code == 200
    derived = authority.records_since(0, 100)[-1]["event"]
    assert derived["type"] == "call.superseded"
    authority.store.close()
    # Cut the derived record off the log, as an old backup or an older hub might have it.
    segment = authority.store.journal.segments[-1]
    lines = segment.read_bytes().splitlines(keepends=True)
    segment.write_bytes(b"".join(lines[:-1]))

    app2 = reopen(config, clock)
    records = app2.extensions["loket"].records_since(0, 100)
    assert [r["event"]["id"] for r in records].count(derived["id"]) == 1
    assert records[-1]["event"] == derived
    app2.extensions["loket"].store.close()
    # and a second start appends nothing more
    app3 = reopen(config, clock)
    assert app3.extensions["loket"].last_hseq == records[-1]["hseq"]
    app3.extensions["loket"].store.close()


# -- backup, restore, recovery barrier ---------------------------------------------------------


def test_restore_starts_a_new_epoch_behind_a_recovery_barrier(
    app, config, clock, tokens, authority, tmp_path, seed
):
    from core.events import make_event

    post(app, "/api/v1/tickets", {"req": "r1", "service": "B"}, tokens["K1"])
    block = post(app, "/api/v1/leases", {"req": "L0", "service": "B"}, tokens["K1"]).json
    block = block["event"]
    assert (block["body"]["lo"], block["body"]["hi"]) == (2, 9)
    backup = authority.store.backup_to(tmp_path / "backup")
    post(app, "/api/v1/tickets", {"req": "r2", "service": "B"}, tokens["K1"])  # lost by restore
    old_epoch = authority.epoch
    lost_hub_event = authority.records_since(seed + 2, 1)[0]["event"]
    assert lost_hub_event["body"]["label"] == "B-010"
    authority.store.close()

    new_epoch = restore_from(backup, config.hub.data_dir)
    assert new_epoch != old_epoch
    assert any(p.name.startswith("hub.before-restore-") for p in tmp_path.iterdir())

    app2 = reopen(config, clock)
    hub2 = app2.extensions["loket"]
    assert hub2.epoch == new_epoch and hub2.last_hseq == seed + 2
    refused = post(app2, "/api/v1/tickets", {"req": "r3", "service": "B"}, tokens["K1"])
    assert refused.status_code == 503
    assert refused.json["error"] == "recovery_barrier"
    assert refused.json["waiting_for"] == ["K1", "K2"]
    lease = post(app2, "/api/v1/leases", {"req": "L", "kiosk": "K2", "service": "B"}, tokens["K2"])
    assert lease.status_code == 503

    # K1 re-pushes what it holds: the hub event it received (B-010, with the hub's receipt)
    # and its own offline B-009 from its lease.
    offline = make_event(
        "K1", "k1a", 1, "ticket.issued", ticket="2026-11-28/B-009", req="K1:k1a:r1",
        clock={"wall_ms": clock.wall_ms(), "boot_id": "b", "mono_ms": 1}, deps=[block["id"]],
        body={"service": "B", "number": 9, "label": "B-009", "day": "2026-11-28",
              "mode": "lease", "kiosk": "K1", "priority": 0, "lease": block["id"]},
    ).to_dict()  # fmt: skip
    body = {"node": "K1", "inc": "k1a", "hub_epoch_seen": new_epoch,
            "events": [lost_hub_event, offline]}  # fmt: skip
    pushed = post(app2, "/api/v1/sync/push", body, tokens["K1"]).json
    assert pushed["hub_epoch"] == new_epoch and pushed["acked_through"] == 1
    ids = [r["event"]["id"] for r in hub2.records_since(0, 100)]
    assert lost_hub_event["id"] in ids and offline["id"] in ids
    still = post(app2, "/api/v1/tickets", {"req": "r3", "service": "B"}, tokens["K1"])
    assert still.status_code == 503 and still.json["waiting_for"] == ["K2"]

    body = {"node": "K2", "inc": "k2a", "hub_epoch_seen": new_epoch, "events": []}
    post(app2, "/api/v1/sync/push", body, tokens["K2"])
    issued = post(app2, "/api/v1/tickets", {"req": "r3", "service": "B"}, tokens["K1"])
    assert issued.status_code == 201
    # the allocator learnt every re-pushed number: no B-009 or B-010 twice
    assert issued.json["ticket"]["label"] == "B-011"
    assert issued.json["event"]["id"] == f"hub:{new_epoch}:1"
    hub2.store.close()


def test_barrier_progress_survives_a_restart_and_an_admin_can_lift_it(
    app, config, clock, tokens, authority, tmp_path
):
    backup = authority.store.backup_to(tmp_path / "backup")
    authority.store.close()
    epoch = restore_from(backup, config.hub.data_dir)
    app2 = reopen(config, clock)
    body = {"node": "K1", "inc": "k1a", "hub_epoch_seen": epoch, "events": []}
    post(app2, "/api/v1/sync/push", body, tokens["K1"])
    app2.extensions["loket"].store.close()

    app3 = reopen(config, clock)
    assert app3.extensions["loket"].barrier() == ["K2"]
    # a push that has not seen the new epoch yet does not count
    body = {"node": "K2", "inc": "k2a", "hub_epoch_seen": "old", "events": []}
    post(app3, "/api/v1/sync/push", body, tokens["K2"])
    assert app3.extensions["loket"].barrier() == ["K2"]
    lifted = post(app3, "/api/v1/barrier/lift", {}, tokens["api"])
    assert lifted.status_code == 200
    ok = post(app3, "/api/v1/tickets", {"req": "r", "service": "B"}, tokens["K1"])
    assert ok.status_code == 201
    app3.extensions["loket"].store.close()


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(FileNotFoundError):
        restore_from(tmp_path, tmp_path / "data")


def test_a_failed_append_acknowledges_nothing_and_leaves_no_trace(
    client, tokens, authority, monkeypatch, seed
):
    headers = {"Authorization": f"Bearer {tokens['K1']}"}
    real_append = authority.store.append

    def disk_full(records):
        raise JournalError("No space left on device")

    monkeypatch.setattr(authority.store, "append", disk_full)
    r = client.post("/api/v1/tickets", json={"req": "r1", "service": "B"}, headers=headers)
    assert r.status_code == 503 and r.json["error"] == "storage_error"
    state = client.get("/api/v1/state").json
    assert state["last_hseq"] == seed and state["state"]["waiting"] == {}

    monkeypatch.setattr(authority.store, "append", real_append)
    r = client.post("/api/v1/tickets", json={"req": "r1", "service": "B"}, headers=headers)
    assert r.status_code == 201  # the retry with the same req is a first issue
    assert r.json["ticket"]["label"] == "B-001"
    assert r.json["event"]["id"] == f"hub:{authority.epoch}:{seed + 1}"


def test_records_and_answers_come_back_from_the_journal_after_a_restart(
    app, config, clock, tokens, authority
):
    """The hub keeps neither parsed records nor canonical texts in RAM (issue 4 memory)."""
    first = post(app, "/api/v1/tickets", {"req": "r1", "service": "B"}, tokens["K1"]).json
    pushed = {
        "v": 1, "id": "K2:k2a:1", "origin": "K2", "inc": "k2a", "seq": 1,
        "type": "ticket.issued", "ticket": "2026-11-28/B-K2-1", "req": "K2:k2a:r1", "deps": [],
        "hlc": f"{clock.wall_ms():013d}.00000.K2", "clock": {"wall_ms": clock.wall_ms()},
        "body": {"service": "B", "number": None, "label": "B-K2-1", "day": "2026-11-28",
                 "mode": "prefix", "kiosk": "K2", "priority": 0, "lease": None},
    }  # fmt: skip
    body = {"node": "K2", "inc": "k2a", "hub_epoch_seen": authority.epoch, "events": [pushed]}
    assert post(app, "/api/v1/sync/push", body, tokens["K2"]).json["acked_through"] == 1
    records = authority.records_since(0)
    authority.store.close()

    auth2 = reopen(config, clock).extensions["loket"]
    assert auth2.records_since(0) == records
    assert auth2.records_since(1, 1) == records[1:2]
    assert auth2.event(first["event"]["id"]) == first["event"]
    assert auth2.issue("r1", "B", "K1")["event"] == first["event"]
    assert auth2.push("K2", "k2a", auth2.epoch, [pushed])["acked_through"] == 1  # same body
    forged = {**pushed, "body": {**pushed["body"], "priority": 1}}
    with pytest.raises(Refused) as refused:
        auth2.push("K2", "k2a", auth2.epoch, [forged])
    assert refused.value.code == "id_conflict"
    auth2.store.close()


def test_the_commit_digest_is_the_digest_of_the_canonical_text(authority):
    from core.events import Event
    from hub.authority import canonical_digest, digest
    from hub.pushgate import canonical

    event = authority.issue("r1", "B", "K1")["event"]  # the logged dict, with its receipt
    assert canonical_digest(Event.from_dict(event).to_dict()) == digest(canonical(event))
    assert authority._known.digest(event["id"]) == digest(canonical(event))


def test_after_a_restore_an_event_waiting_for_a_ghost_is_released_once_every_node_pushed(
    app, config, clock, tokens, authority, tmp_path
):
    """A hub issue whose replies were all lost (a ghost nobody kept) and a call C1 got for it
    online: after a restore to before both, C1 re-pushes the call, which waits for its issue.
    Only when every configured node has pushed in the new epoch is that issue known to be gone
    for good: the call is released and answered with a notice, never held forever."""
    backup = authority.store.backup_to(tmp_path / "backup")
    post(app, "/api/v1/tickets", {"req": "ghost", "service": "B"}, tokens["K1"])  # reply lost
    call = post(app, "/api/v1/counters/C1/next", {"req": "C1:c1a:r1"}, tokens["C1"]).json
    call_event = call["event"]
    authority.store.close()
    new_epoch = restore_from(backup, config.hub.data_dir)
    app2 = reopen(config, clock)
    hub2 = app2.extensions["loket"]

    def push(node, events):
        body = {"node": node, "inc": f"{node.lower()}a", "hub_epoch_seen": new_epoch,
                "events": events}  # fmt: skip
        return post(app2, "/api/v1/sync/push", body, tokens[node]).json

    assert push("C1", [call_event])["held"] == [call_event["id"]]
    for node in ("K1", "K2"):  # every node but C2 has pushed: still held
        push(node, [])
    assert push("C1", [call_event])["held"] == [call_event["id"]]
    push("C2", [])
    answer = push("C1", [call_event])  # the node's carry set re-pushes it every round
    assert answer["held"] == []
    types = [r["event"]["type"] for r in hub2.records_since(0, 100)]
    assert "ticket.called" in types and "call.superseded" in types
    hub2.store.close()
