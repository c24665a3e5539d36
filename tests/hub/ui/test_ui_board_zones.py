"""Zone boards (C7) over HTTP: ``/board?zone=``, ``services=``, ``counters=``, ``agencies=``
and ``display=`` narrow the tiles, the calls and the voice alike; an unknown value is a
clear 400 (a page in the board's language, JSON for the script), never an empty board.

Two floors: Dukcapil (A) downstairs at loket 1, Samsat (B) upstairs at loket 2 and 3;
loket 3 also serves A (a visitor called there goes upstairs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import hub_config_from_dict


@pytest.fixture
def config(tmp_path: Path):
    return hub_config_from_dict(
        {
            "mpp": {"name": "MPP Dua Lantai", "timezone": "Asia/Jakarta"},
            "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(tmp_path / "hub")},
            "agencies": [
                {"id": "dukcapil", "name": "Dukcapil", "zone": "lantai-1"},
                {"id": "samsat", "name": "Samsat", "zone": "lantai-2"},
            ],
            "services": [
                {"id": "A", "name": "KTP", "agency": "dukcapil"},
                {"id": "B", "name": "STNK", "agency": "samsat"},
            ],
            "counters": [
                {"id": "C1", "name": "Loket 1", "number": 1, "services": ["A"]},
                {"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]},
                {
                    "id": "C3",
                    "name": "Loket 3",
                    "number": 3,
                    "services": ["B", "A"],
                    "zone": "lantai-2",
                },
            ],  # fmt: skip
            "kiosks": [{"id": "K1", "name": "Kiosk", "services": ["A", "B"]}],
            "displays": [
                {"id": "D1", "name": "Bawah", "zone": "lantai-1"},
                {"id": "D2", "name": "Atas", "zone": "lantai-2"},
                {"id": "D3", "name": "Samsat saja", "counters": ["C2"]},
            ],
        }
    )


@pytest.fixture
def calls(authority) -> None:
    """A-001 at loket 1 (downstairs), B-001 at loket 2, A-002 at loket 3 (both upstairs)."""
    for i, service in enumerate("ABAA"):
        authority.issue(f"r{i}", service, "K1")
    authority.counter_command("C1", "next", "n1")
    authority.counter_command("C2", "next", "n2")
    authority.counter_command("C3", "next", "n3")  # B is empty: C3 calls A-002


def shown(view: dict) -> list[tuple[str, int]]:
    return [(c["label"], c["number"]) for c in view["calls"]]


def said(view: dict) -> list[list[str]]:
    return [s["clips"][-3:] for s in view["speak"]]


@pytest.mark.usefixtures("calls")
def test_a_floor_board_shows_and_speaks_its_counters_calls(client) -> None:
    up = client.get("/board/view.json?zone=lantai-2").get_json()
    assert shown(up) == [("A-002", 3), ("B-001", 2)]
    assert [s["label"] for s in up["speak"]] == ["B-001", "A-002"]
    assert said(up) == [["silakan_menuju", "loket", "dua"], ["silakan_menuju", "loket", "tiga"]]
    assert [s["id"] for s in up["services"]] == ["B"]
    assert up["only"] == {"tiles": ["B"], "services": None, "counters": ["C2", "C3"],
                          "zone": "lantai-2"}  # fmt: skip
    down = client.get("/board/view.json?zone=lantai-1").get_json()
    assert shown(down) == [("A-001", 1)] and [s["label"] for s in down["speak"]] == ["A-001"]
    everything = client.get("/board/view.json").get_json()
    assert len(everything["calls"]) == 3 and everything["only"]["counters"] is None


@pytest.mark.usefixtures("calls")
def test_the_page_itself_is_narrowed_before_any_script_runs(client) -> None:
    html = client.get("/board?zone=lantai-1").get_data(as_text=True)
    page = html.split('id="board-data"')[0]
    assert 'data-service="A"' in page and 'data-service="B"' not in page
    assert "A-001" in page and "A-002" not in page and "B-001" not in page


@pytest.mark.usefixtures("calls")
def test_a_displays_catalogue_entry_selects_as_its_url_would(client) -> None:
    assert (
        client.get("/board/view.json?display=D2").get_json()["only"]
        == client.get("/board/view.json?zone=lantai-2").get_json()["only"]
    )
    d3 = client.get("/board/view.json?display=D3").get_json()
    assert shown(d3) == [("B-001", 2)] and [s["id"] for s in d3["services"]] == ["B"]


@pytest.mark.usefixtures("calls")
def test_services_counters_and_agencies_select_too(client) -> None:
    by_service = client.get("/board/view.json?services=A").get_json()
    assert shown(by_service) == [("A-002", 3), ("A-001", 1)]
    by_counter = client.get("/board/view.json?counters=3").get_json()  # loket number
    assert shown(by_counter) == [("A-002", 3)]
    assert [s["id"] for s in by_counter["services"]] == ["A", "B"]
    by_agency = client.get("/board/view.json?agencies=samsat&lang=en").get_json()
    assert shown(by_agency) == [("B-001", 2)]
    assert said(by_agency) == [["please_proceed_to", "counter", "two"]]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("zone=lantai-3", "unknown_zone"),
        ("services=A,Q", "unknown_service"),
        ("counters=C7", "unknown_counter"),
        ("agencies=bpn", "unknown_agency"),
        ("display=D9", "unknown_display"),
    ],
)
def test_an_unknown_selector_is_a_clear_400(client, query, code) -> None:
    answer = client.get(f"/board/view.json?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == code and "known:" in answer.get_json()["message"]
    page = client.get(f"/board?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Alamat papan antrian salah" in html and "known:" in html
    assert 'id="queues"' not in html  # not a board that looks like a quiet hall
    english = client.get(f"/board?{query}&lang=en").get_data(as_text=True)
    assert "Wrong queue board address" in english and "Alamat" not in english


def test_a_ticket_sent_upstairs_leaves_the_ground_floors_board(client, authority) -> None:
    """A-001 called at loket 1, transferred to Samsat and called at loket 2: the ground
    floor must not keep sending its visitor to loket 1."""
    authority.issue("r1", "A", "K1")
    authority.counter_command("C1", "next", "n1")
    authority.counter_command("C1", "transfer", "t1", to="B")
    authority.counter_command("C2", "next", "n2")
    assert shown(client.get("/board/view.json?zone=lantai-1").get_json()) == []
    assert shown(client.get("/board/view.json?zone=lantai-2").get_json()) == [("A-001", 2)]
