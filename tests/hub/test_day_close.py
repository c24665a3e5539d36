"""Daily close (issue 11 item 4): leftovers end as not served, the day leaves the live state."""

from __future__ import annotations

import json
import os
import stat

import pytest

from hub import archive, day_close
from hub.authority import Authority
from tests.hub.test_api import issue, press
from tests.hub.test_pairing_admin import csrf_of, login

DAY_MS = 86_400_000


@pytest.fixture
def supervisor(app):
    return login(app, "supervisor")


def day_with_leftovers(client, auth, req) -> list[str]:
    """Three B tickets: one served at C2, one called at C1 and left, one still waiting."""
    keys = [issue(client, auth, req()).json["ticket"]["key"] for _ in range(3)]
    assert press(client, auth, "C2", "next", req()).status_code == 200
    assert press(client, auth, "C2", "done", req()).status_code == 200
    assert press(client, auth, "C1", "next", req()).status_code == 200
    return keys


def closed_events(authority) -> list[dict]:
    return [r["event"] for r in authority.store.records() if r["event"]["type"] == "day.closed"]


def test_a_supervisor_closes_the_day(app, client, auth, req, authority, supervisor):
    keys = day_with_leftovers(client, auth, req)
    day = authority.today()
    page = supervisor.get("/admin/archive").get_data(as_text=True)
    resp = supervisor.post("/admin/day/close", data={"csrf_token": csrf_of(page), "day": day})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/archive")
    [event] = closed_events(authority)
    assert event["body"]["day"] == day and event["body"]["by"] == "supervisor"
    assert event["body"]["not_served"] == keys[1:]  # the called one and the waiting one
    assert event["body"]["summary"]["total"]["issued"] == 3
    assert event["body"]["summary"]["total"]["served"] == 1
    assert event["body"]["summary"]["total"]["not_served"] == 2
    # gone from the live state: no queue, no counter showing a ticket, no status page lookup
    assert not [t for t in authority.state.tickets.values() if t.day == day]
    snap = client.get("/api/v1/state").json
    assert snap["state"]["waiting"] == {}
    assert all(c["current"] is None for c in snap["state"]["counters"].values())
    # the archive: one summary file equal to the event's, the closed segments read-only
    data_dir = authority.store.data_dir
    doc = json.loads((data_dir / "archive" / f"{day}.json").read_text())
    assert doc["summary"] == event["body"]["summary"] and doc["not_served"] == keys[1:]
    assert doc["segments"]
    for name in doc["segments"]:
        mode = os.stat(data_dir / "journal" / name).st_mode
        assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), name
    page = supervisor.get("/admin/archive").get_data(as_text=True)
    assert f"Hari {day} ditutup: 2 tiket tidak terlayani." in page
    assert f">{day}</a></td><td>3</td><td>1</td><td>2</td>" in page
    # twice is refused and changes nothing
    supervisor.post("/admin/day/close", data={"csrf_token": csrf_of(page), "day": day})
    assert len(closed_events(authority)) == 1
    page = supervisor.get("/admin/archive").get_data(as_text=True)
    assert "Hari tidak ditutup: hari itu sudah ditutup" in page
    assert "Tutup hari sekarang" not in page  # nothing left to close


def test_a_viewer_may_not_close_and_bad_days_are_refused(app, client, auth, req, authority):
    day_with_leftovers(client, auth, req)
    viewer = login(app, "viewer")
    page = viewer.get("/admin/archive").get_data(as_text=True)
    assert "Tutup hari sekarang" not in page
    resp = viewer.post("/admin/day/close", data={"csrf_token": csrf_of(page)})
    assert resp.status_code == 403 and closed_events(authority) == []
    for bad, code in (("kemarin", "invalid_field"), ("2999-01-01", "future_day")):
        with pytest.raises(day_close.Refused) as refused:
            day_close.close_day(authority, bad, by="t")
        assert refused.value.code == code
    assert closed_events(authority) == []


def test_the_control_route_closes_for_the_cli(app, client, auth, req, authority):
    day_with_leftovers(client, auth, req)
    app.config["LOKET_CONTROL_SECRET"] = "s3cret"
    control = {"X-Loket-Control": "s3cret"}
    resp = client.post("/control/day/close", json={"by": "ops"}, headers=control)
    assert resp.status_code == 200, resp.json
    assert resp.json["day"] == authority.today() and len(resp.json["not_served"]) == 2
    assert closed_events(authority)[0]["body"]["by"] == "cli:ops"
    again = client.post("/control/day/close", json={}, headers=control)
    assert again.status_code == 409 and again.json["error"] == "day_closed"
    bad = client.post("/control/day/close", json={"day": 7}, headers=control)
    assert bad.status_code == 422 and len(closed_events(authority)) == 1


def test_the_timer_closes_yesterday_and_a_restart_keeps_it_closed(
    client, auth, req, authority, clock, config
):
    keys = day_with_leftovers(client, auth, req)
    day = authority.today()
    timer = day_close.Timer(authority)
    assert timer.tick() == []  # the test mall is open 00:00-24:00: today is not over yet
    clock.advance(DAY_MS)
    assert timer.tick() == [day]
    assert closed_events(authority)[0]["body"]["by"] == "timer"
    assert timer.tick() == []
    # a late event of the closed day is logged but never brings the ticket back
    assert press(client, auth, "C1", "done", req()).status_code in (200, 409)
    assert keys[1] not in authority.state.tickets
    store = authority.store
    again = Authority(config, store, clock)
    assert not [t for t in again.state.tickets.values() if t.day == day]
    assert day in again.state.closed_days
    assert [d["day"] for d in archive.days(store.data_dir)] == [day]


def test_loket_hub_close_day_goes_through_the_running_hub(
    tmp_path, python, subprocess_env, repo_root, capsys
):
    """The CLI cannot write the journal the running hub holds: it asks the control route."""
    from hubproc import HubProcess, free_port

    from loket import cli
    from tests.hub.test_profile_export import PROFILE

    profile = tmp_path / "hub.toml"
    profile.write_text(PROFILE.format(port=free_port(), data=tmp_path / "data"), "utf-8")
    assert cli.main(["hub", "close-day", "--config", str(profile)]) == 2
    assert "no hub runs" in capsys.readouterr().err
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        assert cli.main(["hub", "close-day", "--config", str(profile)]) == 0
        out = capsys.readouterr().out
        assert "closed: 0 tickets, 0 served, 0 not served" in out
        assert cli.main(["hub", "close-day", "--config", str(profile)]) == 2
        assert "already closed" in capsys.readouterr().err
        assert cli.main(["hub", "close-day", "2999-01-01", "--config", str(profile)]) == 2
    finally:
        hub.stop()
    assert len(list((tmp_path / "data" / "archive").glob("*.json"))) == 1
