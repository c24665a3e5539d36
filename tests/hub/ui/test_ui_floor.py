"""The supervisor's floor page and the audit list: a specific call with a reason, a pause,
and every out-of-order call listed with who, when and why (issue 9 items 5-6)."""

from __future__ import annotations

from ui_records import PASSWORD, csrf_from

from hub.auth import add_user


def login(client, user: str, role: str) -> None:
    add_user(client.application.extensions["loket"].store, user, PASSWORD, role=role)
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    resp = client.post(
        "/admin/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302


def issue(authority, n: int, service: str = "B") -> None:
    for i in range(n):
        authority.issue(f"ui-floor-{service}-{i}", service, "K1")


def test_a_supervisor_calls_a_specific_ticket_with_a_reason(client, authority, csrf):
    issue(authority, 3)
    login(client, "sari", "supervisor")
    page = client.get("/admin/floor").get_data(as_text=True)
    assert "Panggil tiket tertentu" in page and "B-003" in page
    before = authority.last_hseq
    form = {"counter": "C2", "ticket": "b-003", "reason": "", "csrf_token": csrf("/admin/floor")}
    resp = client.post("/admin/floor/call", data=form, follow_redirects=True)
    assert "alasan wajib diisi" in resp.get_data(as_text=True)
    assert authority.last_hseq == before  # nothing written without a reason
    form["reason"] = "lansia di kursi roda"
    resp = client.post("/admin/floor/call", data=form, follow_redirects=True)
    assert "Tiket B-003 dipanggil ke loket C2." in resp.get_data(as_text=True)
    assert authority.state.counters["C2"].label == "B-003"
    audit = client.get("/admin/audit?day=2026-11-28").get_data(as_text=True)
    assert "Panggilan tiket tertentu" in audit
    assert "lansia di kursi roda" in audit and "sari" in audit and "B-003" in audit


def test_a_supervisor_pauses_and_resumes_a_counter_in_english(client, authority, csrf):
    login(client, "sari", "supervisor")
    token = csrf("/admin/floor")
    data = {"counter": "C2", "open": "0", "lang": "en", "csrf_token": token}
    resp = client.post("/admin/floor/pause", data=data, follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "Counter C2 paused." in text and "Paused" in text and "Menunggu" not in text
    assert authority.state.counters["C2"].open is False
    data["open"] = "1"
    client.post("/admin/floor/pause", data=data)
    assert authority.state.counters["C2"].open is True


def test_a_viewer_reads_the_pages_but_may_not_act(client, authority, csrf):
    login(client, "lihat", "viewer")
    page = client.get("/admin/floor").get_data(as_text=True)
    assert "Lantai layanan" in page and "Panggil tiket tertentu" not in page
    assert client.get("/admin/audit").status_code == 200
    form = {"counter": "C2", "open": "0", "csrf_token": csrf("/admin/floor")}
    assert client.post("/admin/floor/pause", data=form).status_code == 403
    assert authority.state.counters["C2"].open is True
