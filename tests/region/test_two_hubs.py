"""Two real hubs push to one real regional server (PostgreSQL); one hub's uplink is cut.

Acceptance of issue 12: the dashboard's figures per site equal each hub's own reports, and
after an outage healed the region holds exactly the hub's events, no duplicates.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import re
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hubproc import HubProcess, demo_hub_profile, wait_until
from proxy import Relay
from regionproc import RegionProcess, add_upstream, get_json, loket, region_profile

from core.booking import code_hash

pytestmark = pytest.mark.slow


def admin_csv(base: str, login_path: str, csv_path: str, user: str, password: str) -> list:
    """Log in through the real form (CSRF token and all) and fetch one CSV table."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + login_path, timeout=30) as r:
        page = r.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": user, "password": password, "csrf_token": token})
    with opener.open(base + login_path, data=form.encode(), timeout=30) as r:
        r.read()
    with opener.open(base + csv_path, timeout=60) as r:
        text = r.read().decode()
    return list(csv.reader(io.StringIO(text)))


def work(hub, token: str, tag: str, n: int) -> None:
    """Issue n tickets; call and finish most of them, skip one (a no-show)."""
    for i in range(n):
        status, _ = hub.post("/api/v1/tickets", {"req": f"{tag}:t{i}", "service": "A"}, token)
        assert status == 201
    for i in range(n - 1):
        status, answer = hub.post("/api/v1/counters/C1/next", {"req": f"{tag}:n{i}"}, token)
        assert status == 200 and answer["ticket"], answer
        action = "skip" if i == 0 else "done"
        status, _ = hub.post(f"/api/v1/counters/C1/{action}", {"req": f"{tag}:f{i}"}, token)
        assert status == 200


def test_two_hubs_push_to_one_region_and_an_outage_heals_exactly(
    tmp_path, region_dsn, python, subprocess_env, repo_root
):
    from core.config import load_hub_config
    from hub.auth import add_user
    from hub.store import Store

    config = region_profile(tmp_path, region_dsn)
    env, cwd = subprocess_env, repo_root
    loket(
        python,
        env,
        cwd,
        "region",
        "adduser",
        "lead",
        "--config",
        str(config),
        "--password-file",
        str(_secret(tmp_path)),
        "--role",
        "viewer",
    )
    region = RegionProcess(python, config, env, cwd)
    relay = Relay(("127.0.0.1", region.port)).start()
    hubs, tokens = {}, {}
    try:
        for site in ("mpp-a", "mpp-b"):
            folder = tmp_path / site
            folder.mkdir()
            profile, pair = demo_hub_profile(folder)
            site_token = loket(
                python,
                env,
                cwd,
                "region",
                "add-site",
                site,
                "--name",
                f"MPP {site[-1].upper()}",
                "--config",
                str(config),
            )
            # mpp-a reaches the region through the relay the test cuts
            url = f"http://127.0.0.1:{relay.port}" if site == "mpp-a" else region.url
            add_upstream(profile, url, site, site_token, folder)
            store = Store(load_hub_config(profile).hub.data_dir)
            add_user(store, "lead", "rahasia-123", "viewer")
            store.close()
            hubs[site] = HubProcess(python, profile, env, cwd)
            tokens[site] = pair["api"]
        work(hubs["mpp-a"], tokens["mpp-a"], "a1", 4)
        work(hubs["mpp-b"], tokens["mpp-b"], "b1", 6)

        def caught_up(site):
            health = get_json(hubs[site].url + "/healthz")
            up = health["upstream"]
            return up["online"] and up["backlog"] == 0 and health["last_hseq"]

        wait_until(lambda: caught_up("mpp-a") and caught_up("mpp-b"), "both hubs synced")

        relay.stop()  # the cut: the mall keeps working
        work(hubs["mpp-a"], tokens["mpp-a"], "a2", 3)
        down = wait_until(
            lambda: (
                (u := get_json(hubs["mpp-a"].url + "/healthz")["upstream"])["online"] is False and u
            ),
            "mpp-a noticing the cut",
        )
        assert down["backlog"] > 0
        relay = Relay(("127.0.0.1", region.port), port=relay.port).start()
        last_a = wait_until(lambda: caught_up("mpp-a"), "mpp-a catching up after the cut")
        last_b = caught_up("mpp-b")

        import psycopg

        with psycopg.connect(region_dsn) as conn:
            for site, last in (("mpp-a", last_a), ("mpp-b", last_b)):
                n, distinct, lo, hi = conn.execute(
                    "SELECT count(*), count(DISTINCT event_id), min(hseq), max(hseq)"
                    " FROM events WHERE site = %s",
                    (site,),
                ).fetchone()
                assert (n, distinct, lo, hi) == (last, last, 1, last), site
            assert conn.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0

        day = get_json(hubs["mpp-a"].url + "/api/v1/state")["state"]
        today = next(iter(day["next_number"])).split("/")[0]
        rng = f"from={today}&to={today}"
        region_rows = admin_csv(
            region.url,
            "/region/login",
            f"/region/dashboard.csv?table=sites&{rng}",
            "lead",
            "rahasia-123",
        )
        header = region_rows[0]
        for site, n_tickets in (("mpp-a", 7), ("mpp-b", 6)):
            hub_rows = admin_csv(
                hubs[site].url,
                "/admin/login",
                f"/admin/reports.csv?table=summary&lang=en&{rng}",  # the region's keys are English
                "lead",
                "rahasia-123",
            )
            hub_summary = dict(r for r in hub_rows[1:] if len(r) == 2)
            row = dict(zip(header, next(r for r in region_rows if r[0] == site), strict=True))
            assert row["issued"] == str(n_tickets)
            for key in (
                "issued",
                "served",
                "no_show",
                "not_finished",
                "no_show_rate_pct",
                "wait_mean_min",
                "wait_p50_min",
                "wait_p90_min",
                "service_mean_min",
                "service_p50_min",
                "service_p90_min",
            ):
                assert row[key] == hub_summary[key], (site, key)
            # the counter buttons' quick rating, under the hub summary's own keys (no IKM grade)
            for key in ("quick_ratings", "quick_rating_mean", "quick_rating_satisfied_pct"):
                assert row[key] == hub_summary[key], (site, key)
            assert "ikm_grade" not in row

        # a citizen books on the region's page; mpp-b's running hub pulls it into its log
        code = book_somewhere(region.url, "mpp-b")

        def booked():
            req = urllib.request.Request(
                hubs["mpp-b"].url + "/api/v1/sync/changes?since=0&limit=1000",
                headers={"Authorization": f"Bearer {tokens['mpp-b']}"},
            )
            with urllib.request.urlopen(req, timeout=30) as r:
                feed = json.loads(r.read())
            return [x["event"] for x in feed["results"] if x["event"]["type"] == "booking.made"]

        made = wait_until(booked, "the booking to reach mpp-b's hub")
        assert [e["body"]["code_hash"] for e in made] == [code_hash(code)]
    finally:
        relay.stop()
        for hub in hubs.values():
            hub.stop()
        region.stop()


def book_somewhere(base: str, site: str) -> str:
    """Book service A on the first open day from tomorrow on, through the public page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    start = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    for ahead in range(1, 14):
        day = (start + timedelta(days=ahead)).isoformat()
        with opener.open(f"{base}/region/book/{site}?service=A&date={day}", timeout=30) as r:
            page = r.read().decode()
        if 'type="radio"' not in page:
            continue  # closed that day
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        session = re.search(r'name="session" value="([^"]*)"', page).group(1)
        form = {"service": "A", "date": day, "session": session, "csrf_token": token}
        data = urllib.parse.urlencode(form).encode()
        with opener.open(f"{base}/region/book/{site}", data=data, timeout=30) as r:
            done = r.read().decode()
        return re.search(r'id="code">([A-Z0-9-]+)<', done).group(1)
    pytest.fail("no open day to book in two weeks")


def _secret(tmp_path):
    path = tmp_path / "password"
    path.write_text("rahasia-123\n", encoding="utf-8")
    return path
