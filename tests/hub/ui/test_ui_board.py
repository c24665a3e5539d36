"""The hall board: server-rendered state, local assets only, the view JSON."""

from __future__ import annotations

import re


def test_board_shows_the_current_call_before_any_script(client, authority, clock) -> None:
    authority.issue("r1", "A", "K1")
    authority.issue("r2", "B", "K1")
    authority.issue("r3", "B", "K1")
    clock.advance(60_000)
    authority.counter_command("C2", "next", "r4")
    html = client.get("/board").get_data(as_text=True)
    assert 'id="now-number">B-001<' in html
    assert "Silakan menuju <strong>Loket 2</strong>" in html
    assert "Nomor Antrian" in html
    # waiting counts per service: A has 1, B has 1 left
    assert re.search(r'data-service="A">.*?q-count">1<', html)
    assert re.search(r'data-service="B">.*?q-count">1<', html)


def test_board_keeps_previous_calls_newest_first(client, authority) -> None:
    for i in range(3):
        authority.issue(f"i{i}", "B", "K1")
    authority.counter_command("C2", "next", "n1")
    authority.counter_command("C2", "done", "d1")
    authority.counter_command("C2", "next", "n2")
    authority.counter_command("C1", "next", "n3")
    html = client.get("/board").get_data(as_text=True)
    assert 'id="now-number">B-003<' in html
    history = html.split('id="calls"')[1].split("</ol>")[0]
    assert re.findall(r'call-number[^"]*">([^<]+)<', history) == ["B-002", "B-001"]
    assert "Loket 1" in html.split('id="now-counter"')[1].split("</p>")[0]


def test_board_without_calls_and_in_english(client) -> None:
    assert "Belum ada panggilan" in client.get("/board").get_data(as_text=True)
    html = client.get("/board?lang=en").get_data(as_text=True)
    assert "Queue Number" in html and "No calls yet" in html and 'lang="en"' in html


def test_board_assets_are_local(client) -> None:
    resp = client.get("/board")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    assert not re.search(r"https?://", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/ui/static/board.js" in assets and "/ui/static/board.css" in assets
    for url in assets:
        with client.get(url) as resp:  # static files are streamed: close them
            assert resp.status_code == 200, url
            assert not re.search(rb"https?://", resp.data), url
    with client.get("/ui/static/board.js") as resp:
        js = resp.get_data(as_text=True)
    assert 'STREAM = "/api/v1/stream"' in js and "new EventSource(STREAM" in js
    assert "setInterval" not in js  # no polling loop


def test_meta_refresh_only_inside_noscript(client) -> None:
    html = client.get("/board").get_data(as_text=True)
    refreshes = re.findall(r"<meta http-equiv=\"refresh\"[^>]*>", html)
    assert len(refreshes) == 1
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert refreshes[0] in noscript


def test_view_json_counts_waiting_and_lists_calls(client, authority) -> None:
    authority.issue("r1", "A", "K1")
    authority.issue("r2", "A", "K1")
    authority.counter_command("C1", "next", "r3")
    view = client.get("/board/view.json").get_json()
    assert {s["id"]: s["waiting"] for s in view["services"]} == {"A": 1, "B": 0}
    assert [(c["label"], c["number"]) for c in view["calls"]] == [("A-001", 1)]
    assert view["last_hseq"] == authority.last_hseq


def test_zone_board_shows_only_its_services(client, authority) -> None:
    authority.issue("r1", "A", "K1")
    authority.issue("r2", "B", "K1")
    authority.counter_command("C2", "next", "r3")  # B-001 at Loket 2
    html = client.get("/board?services=A").get_data(as_text=True)
    assert 'data-service="A"' in html and 'data-service="B"' not in html
    assert "B-001" not in html.split('id="board-data"')[0]
    view = client.get("/board/view.json?services=B").get_json()
    assert [s["id"] for s in view["services"]] == ["B"]
    assert [c["label"] for c in view["calls"]] == ["B-001"]
