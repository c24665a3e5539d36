"""hub.upstream against a real regional server: resume after a restart, the region's epoch,
backoff while down (one warning, not one per round)."""

from __future__ import annotations

import logging

from pgfixtures import RegionClient

from core.config_region import UpstreamConfig


def make(app_config_tmp, region_app, token):
    from hub import create_app
    from hub.upstream import Upstream

    config, tmp = app_config_tmp
    hub = create_app(config)
    client = RegionClient(region_app, token)
    up = UpstreamConfig(url="http://region.test", site="mpp-a", token_file=tmp / "t", batch=3)
    return hub, Upstream(hub.extensions["loket"], up, region=client), client


def hub_setup(tmp_path):
    from core.config import hub_config_from_dict

    raw = {
        "mpp": {"name": "MPP A", "timezone": "Asia/Jakarta"},
        "hub": {"data_dir": str(tmp_path / "hub")},
        "agencies": [{"id": "d", "name": "Dukcapil"}],
        "services": [{"id": "A", "name": "KTP", "agency": "d"}],
        "counters": [{"id": "C1", "number": 1, "services": ["A"]}],
        "kiosks": [{"id": "K1", "name": "Kios", "services": ["A"]}],
    }
    return hub_config_from_dict(raw), tmp_path


def count(conn):
    return conn.execute("SELECT count(*) FROM events WHERE site = 'mpp-a'").fetchone()[0]


def test_resumes_from_its_cursor_and_repushes_all_after_a_region_restore(
    tmp_path, region_app, region_conn, caplog
):
    from region.sites import add_site

    token = add_site(region_conn, "mpp-a", "MPP A")
    setup = hub_setup(tmp_path)
    hub, up, client = make(setup, region_app, token)
    authority = hub.extensions["loket"]
    for i in range(4):
        authority.issue(f"r{i}", "A", "K1")
    assert up.step() and count(region_conn) == authority.last_hseq
    assert up.status()["backlog"] == 0

    client.down = True
    with caplog.at_level(logging.WARNING, logger="hub.upstream"):
        for i in range(3):
            authority.issue(f"s{i}", "A", "K1")
            assert not up.step()
    assert len([r for r in caplog.records if "retrying" in r.message]) == 1  # no spam
    assert up.status()["backlog"] == 3 and up.delay_s() > up.config.interval_s

    authority.store.close()  # the hub restarts: the cursor comes back from upstream.json
    hub, up, client = make(setup, region_app, token)
    assert up.cursor == count(region_conn) and up.status()["backlog"] == 3
    assert up.step() and count(region_conn) == hub.extensions["loket"].last_hseq

    # the region restored from a backup lost the last events and has a new epoch
    region_conn.execute("DELETE FROM events WHERE site = 'mpp-a' AND hseq > 2")
    region_conn.execute(
        "DELETE FROM event_keys WHERE site = 'mpp-a' AND event_id NOT IN"
        " (SELECT event_id FROM events WHERE site = 'mpp-a')"
    )
    region_conn.execute("UPDATE settings SET value = 'restored' WHERE key = 'region_epoch'")
    authority = hub.extensions["loket"]
    authority.issue("t0", "A", "K1")
    assert up.step()
    assert up.region_epoch == "restored"
    rows = region_conn.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events WHERE site = 'mpp-a'"
    ).fetchone()
    assert rows == (authority.last_hseq, authority.last_hseq)
    authority.store.close()
