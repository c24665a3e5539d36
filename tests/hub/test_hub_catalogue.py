"""The catalogue in the hub's log (contract C1): the seed, the profile-differs warning,
edits through the Authority and every reader following them without a restart."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from core.catalogue import Catalogue
from core.errors import ConfigError
from hub import create_app


def catalogue_records(authority) -> list[dict]:
    return [r for r in authority.records_since(0, 10_000) if r["event"]["type"] == "catalogue.set"]


def reopen(config, clock):
    return create_app(config, clock=clock, settings={"LOKET_UI": False})


def service_value(authority, sid: str, **changes) -> dict:
    row = next(s for s in authority.catalogue().to_dict()["services"] if s["id"] == sid)
    return {**row, **changes}


def test_first_start_seeds_one_event_per_entity_in_one_commit_before_anything(
    authority, config, seed
):
    records = authority.records_since(0, 10_000)
    assert [r["hseq"] for r in records] == list(range(1, seed + 1))
    assert {r["event"]["type"] for r in records} == {"catalogue.set"}
    assert {r["recv_ms"] for r in records} == {records[0]["recv_ms"]}  # one commit
    assert all(
        r["event"]["origin"] == "hub" and r["event"]["body"]["by"] == "profile" for r in records
    )
    kinds = [r["event"]["body"]["kind"] for r in records]
    assert kinds[:9] == [
        "mpp",
        "agency",
        "agency",
        "service",
        "service",
        "counter",
        "counter",
        "kiosk",
        "kiosk",
    ]
    assert kinds.count("holiday") == 33
    assert authority.catalogue() == Catalogue.from_dict(config.catalogue)


def test_a_restart_does_not_seed_again(authority, config, clock, seed):
    authority.issue("r1", "B", "K1")
    authority.store.close()
    app = reopen(config, clock)
    again = app.extensions["loket"]
    try:
        assert again.last_hseq == seed + 1 and again.profile_differences == []
    finally:
        again.store.close()


def test_a_profile_that_differs_is_reported_and_the_log_wins(authority, config, clock, caplog):
    authority.store.close()
    seed = dict(config.catalogue)
    seed["services"] = [{**seed["services"][0], "name": "KTP Baru"}, *seed["services"][1:]]
    seed["kiosks"] = seed["kiosks"][:1]
    changed = dataclasses.replace(config, catalogue=seed)
    with caplog.at_level(logging.WARNING, logger="hub.catalogue_ops"):
        app = reopen(changed, clock)
    hub = app.extensions["loket"]
    try:
        assert hub.profile_differences == ["set service A", "retire kiosk K2"]
        [warning] = [r for r in caplog.records if "differs" in r.getMessage()]
        assert "set service A, retire kiosk K2" in warning.getMessage()
        assert "import-profile" in warning.getMessage()
        assert hub.catalogue().service("A").name == "KTP" and "K2" in hub.catalogue().kiosks
    finally:
        hub.store.close()


def test_state_carries_the_catalogue_and_the_older_config_derived_from_it(client, authority):
    authority.change_catalogue("set", "service", "B", service_value(authority, "B", name="JKN"))
    body = client.get("/api/v1/state").json
    assert body["catalogue"] == authority.catalogue().to_dict()
    assert [s["name"] for s in body["config"]["services"]] == ["KTP", "JKN"]
    assert {c["id"]: c["number"] for c in body["config"]["counters"]} == {"C1": 1, "C2": 2}


def test_an_edit_is_validated_and_a_refused_one_writes_nothing(authority):
    before = authority.last_hseq
    with pytest.raises(ConfigError) as exc:
        authority.change_catalogue("retire", "service", "B", by="manajer")
    assert {p.path for p in exc.value.problems} == {
        "counters.C1.services[1]",
        "counters.C2.services[0]",
        "kiosks.K1.services[1]",
        "kiosks.K2.services[0]",
    }
    assert authority.last_hseq == before
    assert authority.change_catalogue("set", "service", "B", service_value(authority, "B")) == []
    [event] = authority.change_catalogue(
        "set", "service", "B", service_value(authority, "B", daily_quota=3), by="manajer"
    )
    assert event["type"] == "catalogue.set" and event["body"]["by"] == "manajer"
    assert event["id"] == f"hub:{authority.epoch}:{before + 1}"


def test_a_quota_edit_reaches_the_issuing_command_at_once(authority):
    authority.change_catalogue("set", "service", "B", service_value(authority, "B", daily_quota=1))
    authority.issue("r1", "B", "K1")
    with pytest.raises(Exception) as exc:
        authority.issue("r2", "B", "K1")
    assert getattr(exc.value, "code", None) == "quota_reached"


def test_counter_services_change_with_a_roster_event_in_the_same_commit(authority, seed):
    authority.issue("r1", "A", "K1")
    counter = next(c for c in authority.catalogue().to_dict()["counters"] if c["id"] == "C2")
    events = authority.change_catalogue("set", "counter", "C2", {**counter, "services": ["A", "B"]})
    assert [e["type"] for e in events] == ["catalogue.set", "roster.updated"]
    assert events[1]["body"] == {
        "counter": "C2",
        "services": ["A", "B"],
        "open": True,
        "by": "admin",
    }
    called = authority.counter_command("C2", "next", "n1")
    assert called["ticket"]["label"] == "A-001"  # C2 serves A from now on


def test_pausing_a_counter_is_a_roster_event_and_it_calls_nobody(authority):
    authority.issue("r1", "B", "K1")
    paused = authority.update_roster("C2", open=False, by="supervisor")
    assert paused["body"] == {"counter": "C2", "services": ["B"], "open": False, "by": "supervisor"}
    assert authority.update_roster("C2", open=False) is None  # nothing changes
    answer = authority.counter_command("C2", "next", "n1")
    assert answer["ticket"] is None and answer["reason"] == "counter_closed"
    with pytest.raises(Exception) as exc:
        authority.update_roster("C9", open=True)
    assert getattr(exc.value, "code", None) == "unknown_counter"


def test_kiosks_follow_the_catalogue_for_issuing_leases_and_pushes(client, auth, authority, req):
    kiosk = {"name": "Kiosk 1", "services": ["A"], "lease_size": 8}
    authority.change_catalogue("set", "kiosk", "K1", kiosk)
    refused = client.post(
        "/api/v1/tickets", json={"req": req(), "service": "B"}, headers=auth("K1")
    )
    assert refused.status_code == 409 and refused.json["error"] == "service_not_at_kiosk"
    ok = client.post("/api/v1/tickets", json={"req": req(), "service": "A"}, headers=auth("K1"))
    assert ok.status_code == 201
    # A kiosk that exists only in the log (added in the admin) may take a lease and push.
    from hub.auth import pair_node

    token = {"Authorization": f"Bearer {pair_node(authority.store, 'K3')}"}
    body = {"req": req(), "kiosk": "K3", "service": "A"}
    unknown = client.post("/api/v1/leases", json=body, headers=token)
    # a token of an id the catalogue does not hold is no device (C5): refused at the door
    assert unknown.status_code == 403 and unknown.json["error"] == "unknown_device"
    authority.change_catalogue("set", "kiosk", "K3", {"name": "Kiosk 3", "services": ["A"]})
    assert client.post("/api/v1/leases", json=body, headers=token).status_code == 200
    push = {"node": "K3", "inc": "k3", "hub_epoch_seen": None, "events": []}
    assert client.post("/api/v1/sync/push", json=push, headers=token).status_code == 200


def test_a_retired_kiosk_stays_a_device_pushes_but_takes_no_numbers(client, auth, authority, req):
    authority.change_catalogue("retire", "kiosk", "K2")
    issue = client.post("/api/v1/tickets", json={"req": req(), "service": "B"}, headers=auth("K2"))
    assert issue.status_code == 409 and issue.json["error"] == "retired_node"
    as_counter = client.post("/api/v1/counters/C2/next", json={"req": req()}, headers=auth("K2"))
    assert as_counter.status_code == 403  # its token did not become an operator credential
    # What it printed offline before it was retired still reaches the log, checked against
    # its last catalogue entry (which never offered A).
    from core.events import make_event

    day = authority.today()
    printed = make_event(
        "K2", "k2", 1, "ticket.issued", ticket=f"{day}/B-K2-1", req="K2:k2:r1",
        clock={"wall_ms": authority.now_ms(), "boot_id": "k2-boot", "mono_ms": 5_000},
        body={"service": "B", "number": None, "label": "B-K2-1", "day": day, "mode": "prefix",
              "kiosk": "K2", "priority": 0, "lease": None},
    ).to_dict()  # fmt: skip
    forged = {**printed, "id": "K2:k2:2", "seq": 2, "req": "K2:k2:r2", "ticket": f"{day}/A-K2-1",
              "body": {**printed["body"], "service": "A", "label": "A-K2-1"}}  # fmt: skip
    push = {"node": "K2", "inc": "k2", "hub_epoch_seen": None, "events": [printed, forged]}
    answer = client.post("/api/v1/sync/push", json=push, headers=auth("K2"))
    assert answer.status_code == 200 and answer.json["acked_through"] == 2
    [refused] = answer.json["rejected"]  # never offered at K2, retired or not
    assert refused["id"] == "K2:k2:2" and refused["reason"].startswith("service_not_at_kiosk")
    assert authority.event(printed["id"]) is not None
    assert authority.barrier() is None
    assert "K2" not in {n["id"] for n in authority.node_status() if n["kiosk"]}


def test_a_timezone_edit_moves_the_service_day(authority, clock):
    mpp = authority.catalogue().to_dict()["mpp"]
    clock.advance(15 * 3600 * 1000)  # 17:00 UTC: 00:00 on the 29th in Jakarta
    assert authority.today() == "2026-11-29"
    authority.change_catalogue("set", "mpp", "mpp", {**mpp, "timezone": "America/Los_Angeles"})
    assert authority.today() == "2026-11-28"  # 09:00 of the 28th in Los Angeles


def test_a_log_from_before_the_catalogue_gets_the_seed_appended(config, clock):
    from core.events import make_event, make_record
    from hub.store import Store

    store = Store(config.hub.data_dir)  # a log an older release wrote: no catalogue event
    hello = make_event(
        "K1", "k1", 1, "node.hello", body={"boot_id": "b", "mono_ms": 1, "wall_ms": 2}
    )
    store.append([make_record(1, 1, 1, hello)])
    store.sync()
    store.close()
    hub = reopen(config, clock).extensions["loket"]
    try:
        records = hub.records_since(0, 10_000)
        assert records[0]["event"]["id"] == hello.id
        assert {r["event"]["type"] for r in records[1:]} == {"catalogue.set"}
        assert hub.catalogue() == Catalogue.from_dict(config.catalogue)
    finally:
        hub.store.close()


def test_the_control_route_validates_an_import_like_an_edit(client, app, authority, seed):
    """`loket hub import-profile` beside a running hub posts the profile's catalogue to the
    control route: the hub's own validator checks it (422 with every problem, nothing
    written), then it is applied in one commit by `import-profile`."""
    app.config["LOKET_CONTROL_SECRET"] = "s3cret"
    control = {"X-Loket-Control": "s3cret"}
    target = authority.catalogue().to_dict()
    broken = {**target, "services": [{**target["services"][0], "agency": "samsat"}]}
    r = client.post("/control/import-profile", json={"catalogue": broken}, headers=control)
    assert r.status_code == 422 and r.json["error"] == "invalid_catalogue"
    assert "services[0].agency" in {p["path"] for p in r.json["problems"]}
    assert authority.last_hseq == seed
    renamed = {**target, "kiosks": [{**k, "name": "Kiosk Baru"} for k in target["kiosks"]]}
    body = {"catalogue": renamed, "dry_run": True}
    r = client.post("/control/import-profile", json=body, headers=control)
    assert r.status_code == 200 and r.json["changes"] == ["set kiosk K1", "set kiosk K2"]
    assert authority.last_hseq == seed
    r = client.post("/control/import-profile", json={"catalogue": renamed}, headers=control)
    assert r.status_code == 200 and r.json["dry_run"] is False
    logged = authority.records_since(seed, 10)
    assert [rec["event"]["body"]["by"] for rec in logged] == ["import-profile"] * 2
    assert {k.name for k in authority.catalogue().kiosks.values()} == {"Kiosk Baru"}
    assert client.post("/control/import-profile", json={"catalogue": renamed}).status_code == 401
