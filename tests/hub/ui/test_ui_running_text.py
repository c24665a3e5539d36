"""The running text line: a supervisor sets it in the admin (``POST /admin/running-text``,
CSRF), it is logged as a hub event (``hall.running_text``) and every board shows it, for
every screen or one zone's. Malformed text is refused with a reason, and nothing is logged.
(A device's push of one is refused as ``hub_only``: tests/hub/test_push_trust.py.)
"""

from __future__ import annotations

import pytest
from ui_records import PASSWORD, csrf_from

from core.catalogue import value_of
from hub.auth import add_user


def login(client, user: str, role: str):
    add_user(client.application.extensions["loket"].store, user, PASSWORD, role=role)
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302
    return csrf_from(client.get("/admin/running-text").get_data(as_text=True))


def texts_logged(authority) -> list[dict]:
    return [
        r["event"]["body"]
        for r in authority.records_since(0, 10_000)
        if r["event"]["type"] == "hall.running_text"
    ]


def board_text(client, query: str = "") -> str:
    return client.get(f"/board/view.json{query}").get_json()["running_text"]


def test_a_supervisor_sets_it_and_every_board_shows_it(client, authority) -> None:
    token = login(client, "spv", "supervisor")
    assert board_text(client) == ""
    resp = client.post(
        "/admin/running-text",
        data={"text": "  Layanan BPJS tutup pukul 12.00 hari ini  ", "csrf_token": token},
    )
    assert resp.status_code == 302
    assert texts_logged(authority) == [
        {"text": "Layanan BPJS tutup pukul 12.00 hari ini", "zone": None, "by": "spv"}
    ]
    assert board_text(client) == "Layanan BPJS tutup pukul 12.00 hari ini"
    html = client.get("/board").get_data(as_text=True)
    assert 'id="ticker-text">Layanan BPJS tutup pukul 12.00 hari ini<' in html
    page = client.get("/admin/running-text").get_data(as_text=True)
    assert "Teks berjalan disimpan." in page and "Layanan BPJS tutup" in page
    # An empty text clears it.
    client.post("/admin/running-text", data={"text": "", "csrf_token": token})
    assert board_text(client) == ""
    assert 'id="ticker" hidden' in client.get("/board").get_data(as_text=True)


def test_a_zones_text_beats_the_one_for_every_screen(client, authority) -> None:
    # Give agency dukcapil a zone through the catalogue (what the admin's edit does).
    value = value_of(authority.catalogue().to_dict(), "agency", "dukcapil")
    authority.change_catalogue("set", "agency", "dukcapil", {**value, "zone": "lantai-1"})
    token = login(client, "spv", "supervisor")
    for zone, text in (("", "Selamat datang"), ("lantai-1", "Dukcapil: bawa KK asli")):
        client.post("/admin/running-text", data={"text": text, "zone": zone, "csrf_token": token})
    assert board_text(client, "?zone=lantai-1") == "Dukcapil: bawa KK asli"
    assert board_text(client) == "Selamat datang"
    assert board_text(client, "?services=B") == "Selamat datang"


@pytest.mark.parametrize(
    ("form", "code", "words"),
    [
        ({"text": "x" * 201}, "invalid_running_text", "has 201 characters; expected at most 200"),
        ({"text": "baris satu\nbaris dua"}, "invalid_running_text", "U+000A"),
        ({"text": "harga \u202enaik"}, "invalid_running_text", "U+202E"),
        ({"text": "ok", "zone": "lantai-9"}, "unknown_zone", "no zone 'lantai-9'"),
    ],
)
def test_malformed_input_is_refused_with_a_reason(client, authority, form, code, words) -> None:
    token = login(client, "spv", "supervisor")
    before = authority.last_hseq
    resp = client.post("/admin/running-text", data={**form, "csrf_token": token})
    assert resp.status_code == 422
    assert resp.get_json()["error"] == code and words in resp.get_json()["message"]
    assert authority.last_hseq == before and texts_logged(authority) == []


def test_viewers_read_it_but_may_not_set_it_and_csrf_is_checked(client, authority) -> None:
    token = login(client, "pengamat", "viewer")
    page = client.get("/admin/running-text").get_data(as_text=True)
    assert "Tidak ada teks berjalan." in page and 'name="text"' not in page
    denied = client.post("/admin/running-text", data={"text": "x", "csrf_token": token})
    assert denied.status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    token = login(client, "spv", "supervisor")
    assert client.post("/admin/running-text", data={"text": "x"}).status_code == 400  # no CSRF
    assert texts_logged(authority) == []
