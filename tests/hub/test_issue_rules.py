"""The hub enforces C2 and C3 on ``POST /api/v1/tickets`` and on leases: hours (changed live
through the catalogue), quotas per day and per session, capacity, paused counters, and the
priority lane's categories. Every refusal is a 409 with the code, the visitor's words and
when the service reopens, and writes nothing."""

from __future__ import annotations

from test_api import issue, journal_lines

# T0 (tests/hub/conftest.py) is Saturday 2026-11-28 09:00 WIB.
WEEKDAYS = {d: ["08:00-12:00", "13:00-15:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def edit(authority, kind: str, entity_id: str, **changes):
    table = "agencies" if kind == "agency" else f"{kind}s"
    d = authority.catalogue().to_dict()
    row = d["mpp"] if kind == "mpp" else next(r for r in d[table] if r["id"] == entity_id)
    value = {k: v for k, v in {**row, **changes}.items() if k != "id"}
    return authority.change_catalogue("set", kind, entity_id, value, by="manajer")


def test_outside_hours_a_409_says_when_it_reopens_and_writes_nothing(client, auth, req, authority):
    assert issue(client, auth, req()).status_code == 201  # no hours: always open
    edit(authority, "mpp", "mpp", hours=WEEKDAYS)  # the manager sets weekday hours live
    before = journal_lines(authority)
    r = issue(client, auth, req())
    assert r.status_code == 409
    assert r.json["error"] == "closed"
    assert r.json["message"] == "Layanan sedang tutup. Layanan dibuka kembali Senin 08.00."
    assert r.json["reopens_ms"] == 1_796_000_400_000  # Monday 2026-11-30 08:00 WIB
    assert journal_lines(authority) == before


def test_a_service_can_keep_its_own_hours(client, auth, req, authority):
    edit(authority, "service", "A", hours={"sat": ["08:00-08:30"]})
    assert issue(client, auth, req(), "A").json["error"] == "closed"
    assert issue(client, auth, req(), "B").status_code == 201


def test_a_holiday_and_a_closure_close_the_service(client, auth, req, authority):
    authority.change_catalogue(
        "set", "closure", "rapat", {"date": "2026-11-28", "service": "B", "reason": "Rapat"}
    )
    assert issue(client, auth, req(), "B").json["error"] == "closure"
    assert issue(client, auth, req(), "A").status_code == 201
    authority.change_catalogue("set", "holiday", "2026-11-28", {"name": "Libur lokal"})
    assert issue(client, auth, req(), "A").json["error"] == "holiday"


def test_daily_quota_stops_online_numbers_and_caps_leases(client, auth, req, authority):
    # A: daily quota 5, K1's lease_size 8
    lease = client.post(
        "/api/v1/leases", json={"req": req(), "service": "A"}, headers=auth("K1")
    ).json["event"]["body"]
    assert (lease["lo"], lease["hi"]) == (1, 5)  # never past the quota
    r = issue(client, auth, req(), "A")
    assert (r.status_code, r.json["error"]) == (409, "quota_reached")
    again = client.post("/api/v1/leases", json={"req": req(), "service": "A"}, headers=auth("K1"))
    assert (again.status_code, again.json["error"]) == (409, "quota_reached")


def test_session_quotas_own_number_ranges(client, auth, req, authority, clock):
    sessions = [
        {"id": "pagi", "start": "08:00", "end": "12:00", "quota": 2},
        {"id": "siang", "start": "12:00", "end": "15:00", "quota": 3},
    ]
    edit(authority, "service", "A", sessions=sessions)
    assert [issue(client, auth, req(), "A").json["ticket"]["number"] for _ in range(2)] == [1, 2]
    r = issue(client, auth, req(), "A")
    assert r.json["error"] == "quota_reached"
    assert "13.00" not in r.json["message"] and "12.00" in r.json["message"]
    clock.advance(3 * 3600 * 1000)  # 12:00: the afternoon session
    lease = client.post(
        "/api/v1/leases", json={"req": req(), "service": "A"}, headers=auth("K1")
    ).json["event"]["body"]
    assert (lease["lo"], lease["hi"]) == (3, 5)
    assert issue(client, auth, req(), "A").json["error"] == "quota_reached"


def test_capacity_refuses_full_today_before_the_wait_runs_past_closing(
    client, auth, req, authority
):
    # Saturday 08:00-10:00: at 09:00, 60 open minutes; B: 10 min a visit, C1 and C2 open.
    edit(authority, "mpp", "mpp", hours={"sat": ["08:00-10:00"]})
    for _ in range(12):
        assert issue(client, auth, req()).status_code == 201
    r = issue(client, auth, req())
    assert (r.status_code, r.json["error"]) == (409, "full_today")
    assert r.json["message"] == (
        "Antrian hari ini sudah penuh. Layanan dibuka kembali Sabtu 5 Desember 08.00."
    )  # open on Saturdays only: a week away, so the date is said
    edit(authority, "service", "B", capacity_stop=False)
    assert issue(client, auth, req()).status_code == 201


def test_paused_counters_stop_issuing(client, auth, req, authority):
    authority.update_roster("C1", open=False)
    authority.update_roster("C2", open=False)
    r = issue(client, auth, req())
    assert (r.json["error"], r.json["reopens_ms"]) == ("counters_paused", None)
    authority.update_roster("C2", open=True)
    assert issue(client, auth, req()).status_code == 201


def test_priority_category_is_on_the_ticket_and_checked(client, auth, req, authority):
    issue(client, auth, req())
    r = issue(client, auth, req(), category="lansia")
    assert r.status_code == 201
    body = r.json["event"]["body"]
    assert (body["category"], body["priority"]) == ("lansia", -1)
    assert r.json["people_ahead"] == 0 and r.json["ticket"]["category"] == "lansia"
    bad = issue(client, auth, req(), category="vip")
    assert (bad.status_code, bad.json["error"], bad.json["field"]) == (
        422,
        "invalid_field",
        "category",
    )
    assert "lansia" in bad.json["message"]
