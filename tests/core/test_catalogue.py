"""The catalogue (contract C1): its profile keys, the shipped holidays, edits and the fold."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from fold_helpers import Log

from core.catalogue import Catalogue, change, changes_to, normalized, validate
from core.catalogue_values import from_value, to_value
from core.config import hub_config_from_dict, load_hub_config
from core.config_catalogue import holidays_file
from core.errors import ConfigError
from core.paths import demo_hub_profile
from core.queue import QueueState, fold

BASE = {
    "mpp": {"name": "MPP Uji", "timezone": "Asia/Jakarta"},
    "agencies": [{"id": "dukcapil", "name": "Disdukcapil"}, {"id": "bpjs", "name": "BPJS"}],
    "services": [
        {"id": "A", "name": "KTP-el", "agency": "dukcapil"},
        {"id": "B", "name": "BPJS", "agency": "bpjs", "daily_quota": 40},
    ],
    "counters": [{"id": "C1", "number": 1, "services": ["A", "B"]}],
    "kiosks": [{"id": "K1", "name": "Kiosk", "services": ["A", "B"]}],
    "displays": [{"id": "D1", "name": "Layar"}],
}


def profile(**tables) -> dict:
    raw = {k: (list(v) if isinstance(v, list) else dict(v)) for k, v in BASE.items()}
    raw.update(tables)
    return raw


def problems(raw: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        hub_config_from_dict(raw)
    return {p.path: p.message for p in exc.value.problems}


def seeded(raw: dict | None = None) -> Catalogue:
    return Catalogue.from_dict(hub_config_from_dict(raw or profile()).catalogue)


# -- the shipped holidays -------------------------------------------------------------------------


def test_the_shipped_holidays_of_2026_are_the_skb_s_17_plus_8_days():
    data = tomllib.loads(holidays_file().read_text("utf-8"))
    days = {str(h["date"]): h for h in data["holidays"]}
    y2026 = [h for d, h in days.items() if d.startswith("2026-")]
    national = sorted(str(h["date"])[5:] for h in y2026 if h["kind"] == "national")
    cuti = sorted(str(h["date"])[5:] for h in y2026 if h["kind"] == "cuti_bersama")
    # SKB Menag, Menaker dan MenPANRB No. 1497, 2 dan 5 Tahun 2025.
    assert national == [
        "01-01", "01-16", "02-17", "03-19", "03-21", "03-22", "04-03", "04-05", "05-01",
        "05-14", "05-27", "05-31", "06-01", "06-16", "08-17", "08-25", "12-25",
    ]  # fmt: skip
    assert cuti == ["02-16", "03-18", "03-20", "03-23", "03-24", "05-15", "05-28", "12-24"]
    assert set(data["years"]) == {"2026", "2027"}
    assert data["years"]["2027"].startswith("partial")
    assert {"2027-01-01", "2027-03-26", "2027-08-17", "2027-12-25"} <= set(days)


def test_a_profile_seeds_the_shipped_holidays_unless_told_otherwise():
    everything = seeded().holidays
    assert len(everything) == 33 and everything["2026-03-21"].name == "Idulfitri 1447 Hijriah"
    assert everything["2026-12-24"].kind == "cuti_bersama"
    no_cuti = seeded(profile(calendar={"cuti_bersama": False})).holidays
    assert len(no_cuti) == 25 and "2026-12-24" not in no_cuti
    opened = seeded(profile(calendar={"open_on": ["2026-12-24"]})).holidays
    assert "2026-12-24" not in opened and "2026-12-25" in opened
    own = seeded(
        profile(
            calendar={"shipped_holidays": False},
            holidays=[{"date": "2026-07-14", "name": "HUT Kabupaten"}],
        )
    ).holidays
    assert list(own) == ["2026-07-14"] and own["2026-07-14"].kind == "local"


def test_the_profile_s_own_holiday_wins_over_the_shipped_one_of_that_date(tmp_path):
    path = tmp_path / "hub.toml"
    text = demo_hub_profile().read_text("utf-8")
    path.write_text(text + '\n[[holidays]]\ndate = 2026-12-24\nname = "Buka setengah hari"\n')
    holidays = Catalogue.from_dict(load_hub_config(path).catalogue).holidays
    assert holidays["2026-12-24"].name == "Buka setengah hari"  # a TOML date, not a string
    assert list(holidays) == sorted(holidays)


# -- new profile keys, reported with their dotted paths ----------------------------------------


def test_opening_hours_problems_name_the_day_and_the_span():
    found = problems(
        profile(
            mpp={
                **BASE["mpp"],
                "hours": {
                    "mon": ["08:00-12:00", "11:00-15:00"],
                    "fri": ["08:00-11:30", "13:30-12:00"],
                    "sat": ["8:00-12:00"],
                    "monday": [],
                    "sun": "closed",
                },
            }
        )
    )
    assert "starts before '08:00-12:00' ends" in found["mpp.hours.mon[1]"]
    assert "ends before it starts" in found["mpp.hours.fri[1]"]
    assert "not a time" in found["mpp.hours.sat[0]"]
    assert "did you mean 'mon'?" in found["mpp.hours.monday"]
    assert "expected a list of spans" in found["mpp.hours.sun"]


def test_the_rest_of_the_catalogue_keys_are_checked_too():
    services = [
        {
            **BASE["services"][0],
            "hours": {"fri": ["13:00-24:30"]},
            "sessions": [
                {"id": "pagi", "start": "08:00", "end": "12:00", "quota": 30},
                {"id": "siang", "start": "11:00", "end": "15:00", "quota": 30},
            ],
            "transfer_to": ["A", "Z"],
            "zone": "lantai 2",
        },
        {
            **BASE["services"][1],
            "sessions": [{"id": "pagi", "start": "08:00", "end": "12:00", "quota": 41}],
        },
    ]
    found = problems(
        profile(
            mpp={
                **BASE["mpp"],
                "lang": "jv",
                "priority": {"categories": [{"id": "lansia", "name": {"id": "Lansia"}}]},
            },
            services=services,
            counters=[{**BASE["counters"][0], "transfer_to": ["X"]}],
            displays=[{"id": "D1", "name": "Layar", "counters": ["C9"]}],
            closures=[
                {
                    "id": "rapat",
                    "date": "2026-12-02",
                    "agency": "dukcapil",
                    "service": "A",
                    "reason": "rapat",
                },
                {
                    "id": "listrik",
                    "date": "2026-12-03",
                    "start": "10:00",
                    "reason": "listrik padam",
                },
                {"id": "x", "date": "2026-02-30", "service": "Q", "reason": "x"},
            ],
        )
    )
    assert "past midnight" in found["services[0].hours.fri[0]"]
    assert "overlaps the session before" in found["services[0].sessions[1].start"]
    assert "a service cannot transfer to itself" in found["services[0].transfer_to[0]"]
    assert "unknown service 'Z'" in found["services[0].transfer_to[1]"]
    assert "'lantai 2' is not valid" in found["services[0].zone"]
    assert "add up to 41, more than daily_quota 40" in found["services[1].sessions"]
    assert "did you mean" not in found["mpp.lang"] and "'jv' is not allowed" in found["mpp.lang"]
    assert "missing" in found["mpp.priority.categories[0].name.en"]
    assert "unknown service 'X'" in found["counters[0].transfer_to[0]"]
    assert "unknown counter 'C9'" in found["displays[0].counters[0]"]
    assert "not both" in found["closures[0].service"]
    assert "start and end go together" in found["closures[1].end"]
    assert "not a date" in found["closures[2].date"]
    assert "unknown service 'Q'" in found["closures[2].service"]
    assert (
        "2026-12-26 is not in the shipped"
        in problems(profile(calendar={"open_on": ["2026-12-26"]}))["calendar.open_on[0]"]
    )


def test_a_profile_without_the_new_keys_means_what_it_meant_before():
    cat = seeded()
    mpp = cat.mpp
    assert mpp.lang == "id" and mpp.running_text == ""
    assert all(mpp.hours.is_open(day, 3 * 60) for day in range(7))  # no calendar rule yet
    assert [c.id for c in mpp.priority.categories] == [
        "lansia",
        "disabilitas",
        "ibu_hamil",
        "ibu_anak",
    ]
    assert (mpp.priority.rule.kind, mpp.priority.rule.n) == ("max_in_row", 2)
    a = cat.service("A")
    assert (a.prefix, a.hours, a.sessions, a.cutoff_min, a.capacity_stop) == (
        "A",
        None,
        None,
        0,
        True,
    )
    assert cat.counter("C1").name == "Loket 1" and cat.node_ids == ("C1", "K1", "D1")
    assert cat.role_of("K1") == "kiosk" and cat.role_of("nobody") is None


def test_the_catalogue_round_trips_through_its_json_and_the_validator():
    raw = profile(
        mpp={
            **BASE["mpp"],
            "hours": {"mon": ["08:00-12:00", "13:00-15:00"], "fri": ["08:00-11:30", "13:30-15:00"]},
            "running_text": "Selamat datang",
        },
        services=[
            {
                **BASE["services"][0],
                "sessions": [{"id": "pagi", "start": "08:00", "end": "12:00", "quota": 20}],
            },
            BASE["services"][1],
        ],
        closures=[
            {
                "id": "rapat",
                "date": "2026-12-02",
                "start": "13:00",
                "end": "15:00",
                "agency": "bpjs",
                "reason": "Rapat",
            }
        ],
    )
    seed = hub_config_from_dict(raw).catalogue
    cat = Catalogue.from_dict(seed)
    assert validate(cat.to_dict()) == []
    assert Catalogue.from_dict(normalized(cat.to_dict())) == cat
    assert cat.mpp.hours.spans(4) == ((480, 690), (810, 900))  # the Friday prayer break
    assert cat.service("A").sessions[0].quota == 20
    for kind, entity_id, value in cat.values():
        assert to_value(from_value(kind, entity_id, value)) == value


# -- editing ---------------------------------------------------------------------------------------


def test_an_edit_is_a_whole_entity_and_a_no_op_makes_no_event():
    cat = seeded()
    value = {**cat.to_dict()["services"][0], "name": "KTP-el Baru"}
    [body] = change(cat, "set", "service", "A", value)
    assert (
        body["kind"] == "service" and body["id"] == "A" and body["value"]["name"] == "KTP-el Baru"
    )
    assert body["value"]["avg_service_min"] == 10.0 and "id" not in body["value"]
    assert change(cat, "set", "service", "A", cat.to_dict()["services"][0]) == []
    [new] = change(cat, "set", "kiosk", "K2", {"name": "Kiosk 2", "services": ["B"]})
    assert new["value"] == {"name": "Kiosk 2", "services": ["B"], "lease_size": 10, "zone": None}


def test_an_edit_is_checked_by_the_profile_validator_with_paths_by_id():
    cat = seeded()
    with pytest.raises(ConfigError) as exc:
        change(cat, "retire", "service", "A")
    assert {p.path for p in exc.value.problems} == {
        "counters.C1.services[0]",
        "kiosks.K1.services[0]",
    }
    with pytest.raises(ConfigError) as exc:
        change(cat, "set", "counter", "C2", {"number": 1, "services": ["B"]})
    [p] = exc.value.problems
    assert p.path == "counters.C2.number" and "first at counters.C1" in p.message
    with pytest.raises(ConfigError) as exc:
        change(cat, "set", "service", "A", {"name": "KTP", "agency": "dukcapil", "prefix": "1AB"})
    assert [p.path for p in exc.value.problems] == ["services.A.prefix"]
    for args, path in [
        (("delete", "service", "A"), "op"),
        (("set", "room", "R1", {}), "kind"),
        (("retire", "mpp", "mpp"), "op"),
        (("retire", "kiosk", "K7"), "kiosks.K7"),
        (("set", "service", "A", None), "value"),
        (("set", "service", "A", {"id": "B"}), "value.id"),
    ]:
        with pytest.raises(ConfigError) as exc:
            change(cat, *args)
        assert path in {p.path for p in exc.value.problems}


def test_changes_to_a_target_sets_in_dependency_order_and_retires_last():
    cat = seeded()
    target = normalized(
        {
            **cat.to_dict(),
            "agencies": [*cat.to_dict()["agencies"], {"id": "samsat", "name": "Samsat"}],
            "services": [
                *cat.to_dict()["services"][:1],
                {"id": "E", "name": "Pajak", "agency": "samsat"},
            ],
            "counters": [{"id": "C1", "name": "Loket 1", "number": 1, "services": ["A", "E"]}],
            "kiosks": [{"id": "K1", "name": "Kiosk", "services": ["A", "E"]}],
        }
    )
    plan = [(t, b["kind"], b["id"]) for t, b in changes_to(cat, target)]
    assert plan == [
        ("catalogue.set", "agency", "samsat"),
        ("catalogue.set", "service", "E"),
        ("catalogue.set", "counter", "C1"),
        ("catalogue.set", "kiosk", "K1"),
        ("catalogue.retired", "service", "B"),
    ]
    assert changes_to(cat, cat.to_dict()) == []


# -- the fold -------------------------------------------------------------------------------


def _seed(log: Log, raw: dict | None = None) -> None:
    for type_, body in changes_to(Catalogue(), hub_config_from_dict(raw or profile()).catalogue):
        log.add("hub", type_, body={**body, "by": "profile"})


def test_the_fold_keeps_the_catalogue_and_the_roster_follows_its_counters():
    log = Log()
    _seed(log)
    st = log.state
    assert st.catalogue.service("B").daily_quota == 40 and st.counters["C1"].services == ("A", "B")
    log.roster("C1", ["B"], open_=False)  # paused, serving only B
    assert (st.counters["C1"].services, st.counters["C1"].open) == (("B",), False)
    value = {**st.catalogue.to_dict()["counters"][0], "services": ["A"]}
    log.add("hub", "catalogue.set", body={"kind": "counter", "id": "C1", "value": value, "by": "u"})
    assert (st.counters["C1"].services, st.counters["C1"].open) == (("A",), False)
    log.add("hub", "catalogue.retired", body={"kind": "counter", "id": "C1", "by": "u"})
    assert (
        "C1" not in st.catalogue.counters and st.catalogue.last_known("counter", "C1").number == 1
    )
    assert (st.counters["C1"].services, st.counters["C1"].open) == ((), False)
    assert st.catalogue.hseq == log.records[-1]["hseq"]
    assert fold(log.records).catalogue == st.catalogue  # incremental == fresh


def test_a_malformed_catalogue_value_is_refused_by_the_fold_not_raised():
    log = Log()
    _seed(log)
    before = log.state.catalogue
    log.add(
        "hub",
        "catalogue.set",
        body={"kind": "counter", "id": "C5", "value": {"name": 5}, "by": "u"},
    )
    assert log.state.catalogue == before
    assert log.state.rejections[-1]["reason"].startswith("bad_catalogue_value")


def test_a_state_started_from_a_cached_catalogue_skips_what_the_cache_holds():
    log = Log()
    _seed(log)
    value = {**log.state.catalogue.to_dict()["services"][0], "name": "KTP-el Baru"}
    log.add("hub", "catalogue.set", body={"kind": "service", "id": "A", "value": value, "by": "u"})
    cached = Catalogue.from_dict(log.state.catalogue.to_dict(), hseq=log.state.catalogue.hseq)
    # A node that lost its replica starts from the cache and re-pulls the log from 0: the
    # seed's old name must not come back while the older records arrive.
    st = QueueState(catalogue=cached)
    assert st.counters["C1"].services == ("A", "B")
    for record in log.records[:3]:
        st.apply(record)
    assert st.catalogue.service("A").name == "KTP-el Baru"
    copy = st.copy()
    assert copy.catalogue is st.catalogue


def test_the_demo_profile_seeds_a_complete_catalogue(repo_root: Path):
    cat = Catalogue.from_dict(load_hub_config(demo_hub_profile()).catalogue)
    assert validate(cat.to_dict()) == []
    assert set(cat.services) == {"A", "B", "C", "D"} and cat.service("C").daily_quota == 60
