"""The push contract: idempotent on (site, event id), validated, bound to the site's token."""

from __future__ import annotations

from core.events import make_event, make_record
from region.db import migrate, setting
from region.sites import add_site


def record(hseq: int, seq: int | None = None, ticket: str = "2026-12-01/A-001") -> dict:
    ev = make_event(
        "K1",
        "inc1",
        seq or hseq,
        "ticket.issued",
        ticket=ticket,
        req=f"K1:inc1:r{hseq}",
        body={
            "service": "A",
            "number": hseq,
            "label": ticket.split("/")[1],
            "day": "2026-12-01",
            "mode": "lease",
            "kiosk": "K1",
            "priority": 1,
            "lease": None,
        },
    )
    return make_record(hseq, 1_764_550_000_000 + hseq, 1_764_550_000_000 + hseq, ev)


def labelled(hseq: int) -> dict:
    return record(hseq, ticket=f"2026-12-01/A-{hseq:03d}")


def post(client, token, body):
    return client.post(
        "/region/api/v1/push", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_migrations_are_versioned_and_applied_once(region_conn):
    versions = [v for (v,) in region_conn.execute("SELECT version FROM schema_migrations")]
    assert versions == sorted(versions) and versions[0] == 1
    assert migrate(region_conn) == []  # a second start applies nothing
    parts = region_conn.execute(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"
    ).fetchone()[0]
    assert parts >= 5  # default + last month .. months_ahead


def test_push_is_idempotent_and_answers_the_region_epoch(region_app, region_conn):
    token = add_site(region_conn, "mpp-a", "MPP A")
    client = region_app.test_client()
    batch = [labelled(1), labelled(2), labelled(3)]
    first = post(client, token, {"site": "mpp-a", "events": batch})
    assert first.status_code == 200, first.json
    epoch = setting(region_conn, "region_epoch")
    assert first.json == {
        "accepted": 3,
        "duplicates": 0,
        "conflicts": 0,
        "last_hseq": 3,
        "region_epoch": epoch,
    }
    again = post(client, token, {"site": "mpp-a", "events": [*batch, labelled(4)], "epoch": epoch})
    assert (again.json["accepted"], again.json["duplicates"]) == (1, 3)
    rows = region_conn.execute(
        "SELECT event_id, hseq, day::text FROM events WHERE site = 'mpp-a' ORDER BY hseq"
    ).fetchall()
    assert [r[1] for r in rows] == [1, 2, 3, 4] and {r[2] for r in rows} == {"2026-12-01"}


def test_same_id_other_body_is_a_conflict_not_stored(region_app, region_conn):
    token = add_site(region_conn, "mpp-a", "MPP A")
    client = region_app.test_client()
    post(client, token, {"site": "mpp-a", "events": [labelled(1)]})
    forged = labelled(1)
    forged["event"]["body"]["number"] = 99
    answer = post(client, token, {"site": "mpp-a", "events": [forged]})
    assert answer.json["conflicts"] == 1 and answer.json["accepted"] == 0
    assert region_conn.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 1
    assert (
        region_conn.execute("SELECT record->'event'->'body'->>'number' FROM events").fetchone()[0]
        == "1"
    )


def test_a_token_pushes_only_for_its_own_site_and_malformed_batches_store_nothing(
    region_app, region_conn
):
    token_a = add_site(region_conn, "mpp-a", "MPP A")
    add_site(region_conn, "mpp-b", "MPP B")
    client = region_app.test_client()
    assert post(client, "nope", {"site": "mpp-a", "events": []}).status_code == 401
    other = post(client, token_a, {"site": "mpp-b", "events": [labelled(1)]})
    assert (other.status_code, other.json["error"]) == (403, "forbidden_site")
    bad = labelled(2)
    del bad["event"]["body"]["service"]
    refused = post(client, token_a, {"site": "mpp-a", "events": [labelled(1), bad]})
    assert refused.status_code == 422 and refused.json["error"] == "invalid_record"
    assert "events[1]" in refused.json["message"]
    assert post(client, token_a, {"site": "mpp-a"}).json["error"] == "missing_field"
    assert region_conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_a_month_already_in_the_default_partition_does_not_stop_a_start(region_conn):
    from datetime import date

    from region.db import ensure_partitions

    add_site(region_conn, "mpp-a", "MPP A")
    far = labelled(1)
    far["recv_ms"] = far["est_ms"] = 2_000_000_000_000  # 2033: a hub clock far ahead
    from region.ingest import store

    store(region_conn, "mpp-a", [far])
    assert ensure_partitions(region_conn, 1, today=date(2033, 5, 1)) == [
        "events_2033_04",
        "events_2033_06",
    ]
    assert region_conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
