"""The catalogue editor's pages (issue 11 item 1): each form is one catalogue command, an
invalid edit comes back with the validator's message at its path in words, and the change
log names who changed what."""

from __future__ import annotations


def test_a_new_service_is_created_from_its_form(admin, authority, csrf):
    page = admin.get("/admin/catalogue/service/new")
    assert page.status_code == 200 and 'name="prefix"' in page.get_data(as_text=True)
    r = admin.post(
        "/admin/catalogue/service",
        data={
            "csrf_token": csrf("/admin/catalogue/"),
            "creating": "1",
            "entity_id": "P",
            "name": "Paspor",
            "prefix": "P",
            "agency": "dukcapil",
            "avg_service_min": "12,5",
            "sla_wait_min": "30",
            "capacity_stop": "on",
            "hours": "mon: 08:00-12:00\nfri: 08:00-11:30 13:30-15:00",
            "sessions": "pagi 08:00-12:00 40",
        },
    )
    assert r.status_code == 302
    service = authority.catalogue().service("P")
    assert service.name == "Paspor" and service.avg_service_min == 12.5
    assert service.sla_wait_min == 30 and service.sessions[0].quota == 40
    records = authority.records_since(0, 10_000)
    last = [r for r in records if r["event"]["type"] == "catalogue.set"][-1]["event"]
    assert last["body"]["by"] == "manajer" and last["body"]["id"] == "P"
    listing = admin.get("/admin/catalogue/").get_data(as_text=True)
    assert 'data-id="P"' in listing


def test_an_invalid_edit_shows_the_message_and_keeps_what_was_typed(admin, authority, csrf):
    before = authority.last_hseq
    r = admin.post(
        "/admin/catalogue/service",
        data={
            "csrf_token": csrf("/admin/catalogue/"),
            "entity_id": "A",
            "name": "Dukcapil KTP baru",
            "agency": "dukcapil",
            "avg_service_min": "enam",
            "prefix": "B",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-path="services.A.avg_service_min"' in html
    assert "Layanan A, kolom Rata-rata waktu layanan (menit)" in html
    assert 'value="Dukcapil KTP baru"' in html and 'value="enam"' in html
    assert authority.last_hseq == before  # nothing written
    assert authority.catalogue().service("A").name == "Dukcapil KTP"


def test_retire_pause_and_the_change_log(admin, authority, csrf):
    token = csrf("/admin/catalogue/")
    assert (
        admin.post("/admin/catalogue/service/B/pause", data={"csrf_token": token}).status_code
        == 302
    )
    closure = authority.catalogue().entities("closure")["pause-service-B"]
    assert closure.service == "B" and closure.date == authority.today()
    assert "dijeda" in admin.get("/admin/catalogue/").get_data(as_text=True)
    admin.post("/admin/catalogue/service/B/resume", data={"csrf_token": token})
    assert "pause-service-B" not in authority.catalogue().entities("closure")
    admin.post("/admin/catalogue/kiosk/K1/retire", data={"csrf_token": token})
    assert "K1" in authority.catalogue().retired("kiosk")
    log = admin.get("/admin/catalogue/changes?lang=en").get_data(as_text=True)
    assert "Kiosk K1 retired" in log and "manajer" in log and "Closure pause-service-B added" in log


def test_a_viewer_reads_but_may_not_edit(client, authority, csrf):
    from ui_records import PASSWORD, csrf_from

    from hub.auth import add_user

    add_user(authority.store, "lihat", PASSWORD, role="viewer")
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    client.post(
        "/admin/login", data={"username": "lihat", "password": PASSWORD, "csrf_token": token}
    )
    assert client.get("/admin/catalogue/service/A").status_code == 200
    assert client.get("/admin/catalogue/service/new").status_code == 403
    before = authority.last_hseq
    r = client.post(
        "/admin/catalogue/service/A/retire", data={"csrf_token": csrf("/admin/catalogue/")}
    )
    assert r.status_code == 403 and authority.last_hseq == before
