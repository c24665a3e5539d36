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
    assert "Layanan A, kolom Rata-rata waktu layanan (menit)</strong>: jenis isian salah" in html
    assert "wrong type: got string &#39;enam&#39;" in html  # the checker's own sentence
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


def test_the_mall_hours_a_holiday_a_closure_and_a_counter_from_their_forms(admin, authority, csrf):
    token = csrf("/admin/catalogue/")
    mall = admin.get("/admin/catalogue/mpp/mpp").get_data(as_text=True)
    assert 'value="MPP Kota Contoh"' in mall
    r = admin.post(
        "/admin/catalogue/mpp",
        data={
            "csrf_token": token,
            "name": "MPP Kota Contoh",
            "timezone": "Asia/Jakarta",
            "lang": "id",
            "hours": "mon: 08:00-15:00\nfri: 08:00-11:30 13:30-15:00",
        },
    )
    assert r.status_code == 302
    cat = authority.catalogue()
    assert cat.mpp.hours.to_json() == {
        "mon": ["08:00-15:00"],
        "fri": ["08:00-11:30", "13:30-15:00"],
    }
    assert cat.mpp.priority.categories  # not on the form, carried over
    r = admin.post(
        "/admin/catalogue/holiday",
        data={
            "csrf_token": token,
            "creating": "1",
            "entity_id": "2026-10-10",
            "name": "Ulang tahun kota",
            "kind": "local",
        },
    )
    assert (
        r.status_code == 302
        and authority.catalogue().get("holiday", "2026-10-10").name == "Ulang tahun kota"
    )
    again = admin.post(
        "/admin/catalogue/holiday",
        data={"csrf_token": token, "creating": "1", "entity_id": "2026-10-10", "name": "Lagi"},
    )
    assert again.status_code == 422 and "Kode 2026-10-10 sudah dipakai." in again.get_data(
        as_text=True
    )
    form = {"csrf_token": token, "creating": "1", "entity_id": "renovasi", "date": "2026-12-01"}
    r = admin.post(
        "/admin/catalogue/closure", data={**form, "agency": "bpjs", "reason": "Renovasi"}
    )
    assert (
        r.status_code == 302 and authority.catalogue().get("closure", "renovasi").agency == "bpjs"
    )
    r = admin.post(
        "/admin/catalogue/counter",
        data={
            "csrf_token": token,
            "entity_id": "C2",
            "name": "Loket 2",
            "number": "2",
            "services": "A, B",
            "display": "matrix",
            "zone": "lantai2",
        },
    )
    assert r.status_code == 302
    c2 = authority.catalogue().counters["C2"]
    assert c2.services == ("A", "B") and c2.display == "matrix" and c2.zone == "lantai2"
    # The live roster follows the configured services (C1's roster.updated, by the admin).
    roster = [
        r["event"]
        for r in authority.records_since(0, 10_000)
        if r["event"]["type"] == "roster.updated"
    ]
    assert roster[-1]["body"] == {
        "counter": "C2",
        "services": ["A", "B"],
        "open": True,
        "by": "manajer",
    }
    # A counter number is required: the form says so and nothing changes.
    r = admin.post(
        "/admin/catalogue/counter", data={"csrf_token": token, "entity_id": "C2", "services": "B"}
    )
    assert r.status_code == 422 and "Loket C2, kolom Nomor loket" in r.get_data(as_text=True)
    assert admin.post("/admin/catalogue/nope", data={"csrf_token": token}).status_code == 404
    assert admin.get("/admin/catalogue/service/ZZ").status_code == 404
