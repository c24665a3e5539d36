"""What the board needs to speak, from the hub: the clips (served locally, cacheable, nothing
else from the disk), each accepted call's clip list from the one composer, the scheduling
limit, and the hub's clock in the MPP's timezone."""

from __future__ import annotations

from core.announce import call_clips
from core.announce_queue import DEFAULT_MAX_AGE_S
from core.paths import sounds_dir


def test_clips_are_the_shipped_files_served_cacheable(client) -> None:
    with client.get("/sounds/id/chime.wav") as resp:
        assert resp.status_code == 200
        assert resp.mimetype == "audio/wav"
        assert resp.data == (sounds_dir("id") / "chime.wav").read_bytes()
        assert "public" in resp.headers["Cache-Control"]
        assert "max-age=3600" in resp.headers["Cache-Control"]
        etag = resp.headers["ETag"]
    with client.get("/sounds/id/chime.wav", headers={"If-None-Match": etag}) as resp:
        assert resp.status_code == 304  # a reloaded board revalidates, never re-downloads
    with client.get("/sounds/en/please_proceed_to.wav") as resp:
        assert resp.status_code == 200


def test_only_the_composers_clip_names_are_served(client) -> None:
    for url, error in (
        ("/sounds/id/nope.wav", "unknown_clip"),
        ("/sounds/id/please_proceed_to.wav", "unknown_clip"),  # English clip, Indonesian set
        ("/sounds/fr/chime.wav", "unknown_language"),
    ):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert resp.get_json()["error"] == error, url
    for url in ("/sounds/id/chime.mp3", "/sounds/id/..%2Fen%2Fchime.wav", "/sounds/../hub.json"):
        assert client.get(url).status_code == 404, url


def test_each_accepted_call_comes_with_its_clips_oldest_first(client, authority, clock) -> None:
    for i in range(3):
        authority.issue(f"r{i}", "B", "K1")
    authority.counter_command("C2", "next", "n1")  # B-001 at loket 2
    clock.advance(5_000)
    authority.counter_command("C1", "next", "n2")  # B-002 at loket 1
    authority.counter_command("C2", "recall", "n3")  # B-001 again
    view = client.get("/board/view.json").get_json()
    speak = [(s["label"], s["number"], s["kind"], s["clips"]) for s in view["speak"]]
    assert speak == [
        ("B-001", 2, "called", call_clips("B-001", 2)),
        ("B-002", 1, "called", call_clips("B-002", 1)),
        ("B-001", 2, "recalled", call_clips("B-001", 2)),
    ]
    hseqs = [s["hseq"] for s in view["speak"]]
    assert hseqs == sorted(hseqs) and hseqs[-1] == view["last_hseq"]
    assert view["speak"][1]["at_ms"] - view["speak"][0]["at_ms"] == 5_000
    assert view["sound"] == {
        "enabled": True,
        "clips": "/sounds/id/",
        "max_age_ms": DEFAULT_MAX_AGE_S * 1000,
    }


def test_english_silent_and_zone_boards(client, authority) -> None:
    authority.issue("r1", "A", "K1")
    authority.issue("r2", "B", "K1")
    authority.counter_command("C1", "next", "n1")  # A-001 at loket 1
    authority.counter_command("C2", "next", "n2")  # B-001 at loket 2
    en = client.get("/board/view.json?lang=en").get_json()
    assert en["sound"]["clips"] == "/sounds/en/"
    assert en["speak"][0]["clips"] == call_clips("A-001", 1, "en")
    silent = client.get("/board/view.json?sound=0").get_json()
    assert silent["speak"] == [] and silent["sound"]["enabled"] is False
    zone = client.get("/board/view.json?services=B").get_json()
    assert [s["label"] for s in zone["speak"]] == ["B-001"]


def test_the_page_carries_the_limit_the_overlay_and_its_scripts(client) -> None:
    html = client.get("/board").get_data(as_text=True)
    assert 'id="sound-overlay"' in html and "Ketuk layar untuk menyalakan suara" in html
    for script in ("announce_queue.js", "board_sound.js", "board.js"):
        assert f'src="/ui/static/{script}"' in html
    english = client.get("/board?lang=en").get_data(as_text=True)
    assert "Tap the screen to turn on the call voice" in english and "Ketuk" not in english
    assert 'id="sound-overlay"' not in client.get("/board?sound=0").get_data(as_text=True)


def test_the_limit_comes_from_the_hub_profile(tmp_path) -> None:
    from core.config import hub_config_from_dict
    from hub import create_app

    raw = {
        "mpp": {"name": "MPP", "timezone": "Asia/Makassar"},
        "hub": {"data_dir": str(tmp_path / "hub"), "announce_max_age_s": 25},
        "agencies": [{"id": "a", "name": "A"}],
        "services": [{"id": "A", "name": "A", "agency": "a"}],
    }
    app = create_app(hub_config_from_dict(raw))
    try:
        view = app.test_client().get("/board/view.json").get_json()
        assert view["sound"]["max_age_ms"] == 25_000
        assert view["clock"]["utc_offset_min"] == 480  # WITA, whatever the hub's own zone
    finally:
        app.extensions["loket"].store.close()


def test_the_clock_is_the_hubs_time_in_the_mpps_timezone(client) -> None:
    view = client.get("/board/view.json").get_json()
    # The UI fixtures' clock: 2026-11-28 09:00 in Jakarta.
    assert view["clock"]["utc_offset_min"] == 420
    assert view["clock"]["text"] == "09:00"
    assert 'id="clock">09:00<' in client.get("/board").get_data(as_text=True)


def test_a_call_the_composer_cannot_say_is_shown_and_logged_once(caplog) -> None:
    from hub.board import speak_list

    calls = [
        {"ticket": "2026-11-28/B-001", "label": "B-001", "service": "B", "counter": "X9",
         "kind": "called", "est_ms": 1, "hseq": 1},
    ]  # fmt: skip
    counters = {"C1": {"number": 1}}  # X9 has no number: nothing to say "loket ..." with
    for _ in range(3):
        assert speak_list(calls, counters, "2026-11-28", None, "id") == []
    said = [r.getMessage() for r in caplog.records if "cannot announce" in r.getMessage()]
    assert len(said) == 1 and "B-001 at X9" in said[0]
