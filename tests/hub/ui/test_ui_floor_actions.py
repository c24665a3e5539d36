"""Supervisor actions from the live view and the floor page (floor-followup): pause/resume
and a specific call per counter row on /admin/supervisor/, with the answer or the refusal in
words on the page; a late recall with a reason on /admin/floor, audited; viewers see no
action. All through hub.floor_ops, as the counters' API."""

from __future__ import annotations

import re

from test_ui_floor import issue, login


def row(html: str, counter: str) -> str:
    return re.search(rf'<tr data-counter="{counter}".*?</tr>', html, re.S).group(0)


def test_a_viewer_sees_the_live_view_without_action_buttons(client, authority):
    login(client, "lihat", "viewer")
    for path in ("/admin/supervisor/", "/admin/supervisor/live"):
        html = client.get(path).get_data(as_text=True)
        assert "<form" not in row(html, "C1") and "Tindakan" not in html


def test_a_supervisor_pauses_from_the_live_view_and_comes_back_to_it(client, authority, csrf):
    login(client, "pengawas", "supervisor")
    html = client.get("/admin/supervisor/live").get_data(as_text=True)
    assert 'class="inline pause"' in row(html, "C2") and 'class="inline call"' in row(html, "C2")
    form = {"counter": "C2", "open": "0", "back": "supervisor", "csrf_token": csrf()}
    resp = client.post("/admin/floor/pause", data=form)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/supervisor/")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Loket C2 ditunda." in page
    assert authority.state.counters["C2"].open is False
    paused = row(page, "C2")
    assert "dijeda" in paused and "Buka kembali" in paused and 'class="inline call"' not in paused
    # An unknown back page is not followed: the floor page is the default.
    form = {"counter": "C2", "open": "1", "back": "https://evil.example/", "csrf_token": csrf()}
    resp = client.post("/admin/floor/pause", data=form)
    assert resp.headers["Location"].endswith("/admin/floor")
    assert authority.state.counters["C2"].open is True


def test_a_call_from_the_live_view_shows_the_refusal_or_the_call(client, authority, csrf):
    issue(authority, 3)
    login(client, "pengawas", "supervisor")
    offered = row(client.get("/admin/supervisor/live").get_data(as_text=True), "C2")
    assert re.findall(r'<option value="([^"]+)">', offered) == ["B-001", "B-002", "B-003"]
    form = {"counter": "C2", "ticket": "B-003", "reason": "", "back": "supervisor"}
    before = authority.last_hseq
    page = client.post(
        "/admin/floor/call", data={**form, "csrf_token": csrf()}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Tidak dipanggil: alasan wajib diisi." in page and "<h1>Pantauan supervisor" in page
    assert authority.last_hseq == before
    form["reason"] = "lansia di kursi roda"
    page = client.post(
        "/admin/floor/call", data={**form, "csrf_token": csrf()}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Tiket B-003 dipanggil ke loket C2." in page
    assert "B-003" in row(page, "C2") and "lansia di kursi roda" in page  # the audit section


def test_a_late_recall_from_the_floor_page_needs_a_reason_and_is_audited(
    client, authority, clock, csrf
):
    issue(authority, 1)
    authority.counter_command("C2", "next", "ui-recall-1")
    authority.counter_command("C2", "skip", "ui-recall-2")
    clock.advance(11 * 60_000)  # past the default 10-minute grace window
    login(client, "pengawas", "supervisor")
    page = client.get("/admin/floor").get_data(as_text=True)
    assert 'id="recall"' in page and "Panggil ulang tiket yang dilewati" in page
    form = {"counter": "C2", "ticket": "b-001", "reason": ""}
    page = client.post(
        "/admin/floor/recall", data={**form, "csrf_token": csrf()}, follow_redirects=True
    ).get_data(as_text=True)
    assert "masa tenggang B-001 sudah lewat, alasan wajib diisi" in page
    form["reason"] = "kembali dari fotokopi"
    page = client.post(
        "/admin/floor/recall", data={**form, "csrf_token": csrf(), "lang": "en"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "Ticket B-001 recalled to counter C2." in page
    assert authority.state.counters["C2"].current.endswith("/B-001")
    audit = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "kembali dari fotokopi" in audit and "Recalled after the grace window" in audit
    wrong = client.post(
        "/admin/floor/recall",
        data={"counter": "C1", "ticket": "B-001", "reason": "x", "csrf_token": csrf()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Not recalled: ticket B-001 was not skipped by this counter." in wrong


def test_a_viewer_may_not_recall_or_reprint(client, authority, csrf):
    login(client, "lihat", "viewer")
    page = client.get("/admin/floor").get_data(as_text=True)
    assert 'id="recall"' not in page and "/admin/floor/reprint" not in page
    token = csrf("/admin/floor")
    for path, form in (
        ("/admin/floor/recall", {"counter": "C2", "ticket": "B-001", "reason": "x"}),
        ("/admin/floor/reprint", {"kiosk": "K1"}),
    ):
        assert client.post(path, data={**form, "csrf_token": token}).status_code == 403
