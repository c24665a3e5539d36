"""A ticket's public status page: /t/<public>."""

from __future__ import annotations

import re


def test_unknown_or_malformed_public_id_is_404(client, authority) -> None:
    authority.issue("r1", "A", "K1", public="known-ticket-0001")
    assert client.get("/t/no-such-ticket-123").status_code == 404
    assert client.get("/t/bad%20id%3Cscript%3E").status_code == 404
    assert client.get("/t/no-such-ticket-123.json").status_code == 404


def test_waiting_ticket_shows_people_ahead_and_estimate(client, authority) -> None:
    authority.issue("r1", "B", "K1")
    authority.issue("r2", "B", "K1")
    authority.issue("r3", "B", "K1", public="pub-B003-abcdefgh")
    html = client.get("/t/pub-B003-abcdefgh").get_data(as_text=True)
    assert 'id="st-number">B-003<' in html
    assert "BPJS" in html
    assert "Menunggu dipanggil" in html
    assert 'id="st-ahead">2<' in html
    # 2 ahead x 10 min (BPJS) / 2 counters serving B = 10 min
    assert "± 10 menit" in html
    assert not re.search(r"https?://", html)
    info = client.get("/t/pub-B003-abcdefgh.json").get_json()
    assert (info["label"], info["people_ahead"], info["est_wait_min"]) == ("B-003", 2, 10)


def test_called_then_served_ticket(client, authority) -> None:
    authority.issue("r1", "A", "K1", public="pub-A001-abcdefgh")
    authority.counter_command("C1", "next", "r2")
    html = client.get("/t/pub-A001-abcdefgh").get_data(as_text=True)
    assert "Silakan menuju Loket 1" in html
    authority.counter_command("C1", "done", "r3")
    info = client.get("/t/pub-A001-abcdefgh.json").get_json()
    assert info["status"] == "served" and info["people_ahead"] is None
    assert "Selesai dilayani" in client.get("/t/pub-A001-abcdefgh").get_data(as_text=True)
