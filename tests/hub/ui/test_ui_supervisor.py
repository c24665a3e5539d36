"""The supervisor's live view (issue 11 item 3) without a browser: the figures of the
fragment the page reloads, the service-level alert from ``sla_wait_min``, paused counters,
and who sees the cancel form."""

from __future__ import annotations

import re

import pytest
from ui_records import PASSWORD, csrf_from

MIN = 60_000


def set_sla(authority, sid: str, minutes) -> list[dict]:
    row = next(s for s in authority.catalogue().to_dict()["services"] if s["id"] == sid)
    value = {k: v for k, v in row.items() if k != "id"}
    return authority.change_catalogue("set", "service", sid, {**value, "sla_wait_min": minutes})


def cell(html: str, row: str, cls: str) -> str:
    m = re.search(rf'<tr data-{row}[^>]*>.*?class="[^"]*\b{cls}\b[^"]*">([^<]*)<', html, re.S)
    assert m, (row, cls)
    return m.group(1).strip()


def test_waiting_longest_wait_and_the_alert_past_the_limit(admin, authority, clock):
    set_sla(authority, "A", 5)
    authority.issue("r1", "A", "K1")
    clock.advance(3 * MIN)
    authority.issue("r2", "A", "K1")
    page = admin.get("/admin/supervisor/live").get_data(as_text=True)
    assert cell(page, 'service="A"', "waiting") == "2"
    assert "Semua layanan dalam batas waktu tunggu." in page
    clock.advance(3 * MIN)  # the first ticket has waited 6 minutes, the limit is 5
    page = admin.get("/admin/supervisor/live?lang=en").get_data(as_text=True)
    assert "A · Dukcapil KTP: longest wait 6 min, over the limit of 5 min" in page
    assert '<tr data-service="A" class="alert">' in page
    assert '<tr data-service="B" class="">' in page  # B has no limit


def test_counters_serving_idle_and_paused_with_since_when(admin, authority, clock):
    authority.issue("r1", "B", "K1")
    clock.advance(2 * MIN)
    authority.counter_command("C1", "next", "r2")
    authority.update_roster("C2", open=False, by="manajer")
    clock.advance(4 * MIN)
    page = admin.get("/admin/supervisor/live").get_data(as_text=True)
    assert cell(page, 'counter="C1"', "state") == "melayani"
    assert cell(page, 'counter="C1"', "label") == "B-001"
    assert cell(page, 'counter="C2"', "state") == "dijeda"
    c1 = re.search(r'<tr data-counter="C1".*?</tr>', page, re.S).group(0)
    assert "09:02" in c1 and "4 mnt" in c1  # called at 09:02, serving for 4 minutes


@pytest.mark.parametrize("bad", [0, 601, "lima", True])
def test_sla_wait_min_is_validated_at_its_path(authority, bad):
    from core.errors import ConfigError

    before = authority.last_hseq
    with pytest.raises(ConfigError) as err:
        set_sla(authority, "A", bad)
    assert [p.path for p in err.value.problems] == ["services.A.sla_wait_min"]
    assert authority.last_hseq == before


def test_a_viewer_watches_and_a_supervisor_may_cancel(client, admin, authority):
    from hub.auth import add_user

    add_user(authority.store, "lihat", PASSWORD, role="viewer")
    viewer = client.application.test_client()
    token = csrf_from(viewer.get("/admin/login").get_data(as_text=True))
    viewer.post(
        "/admin/login", data={"username": "lihat", "password": PASSWORD, "csrf_token": token}
    )
    page = viewer.get("/admin/supervisor/").get_data(as_text=True)
    assert "Pantauan supervisor" in page
    assert 'name="ticket"' not in page
    authority.issue("r1", "A", "K1")
    page = admin.get("/admin/supervisor/").get_data(as_text=True)
    assert 'name="confirm"' in page and 'name="next" value="/admin/supervisor/"' in page
    form = {"csrf_token": csrf_from(page), "ticket": "A-001", "reason": "left", "confirm": "1"}
    form["next"] = "/admin/supervisor/"
    r = admin.post("/admin/tickets/cancel", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/supervisor/")
    assert "Tiket A-001 dibatalkan." in admin.get("/admin/supervisor/").get_data(as_text=True)
    again = admin.post("/admin/tickets/cancel", data=form, follow_redirects=True)
    assert "Tidak dibatalkan: tiket tidak dapat dibatalkan lagi" in again.get_data(as_text=True)


def test_a_device_fault_from_a_heartbeat_shows_in_the_live_view(admin, authority):
    """The kiosk's heartbeat (``POST /api/v1/nodes/K1/heartbeat``, C4) says its printer is out
    of paper: the live view lists it among the device faults, in the page's words."""
    from hub.auth import pair_node

    token = pair_node(authority.store, "K1", catalogue=authority.catalogue())
    beat = {
        "version": "0.1.0",
        "uptime_s": 30,
        "address": "10.0.0.21",
        "role": "kiosk",
        "backlog": 0,
        "last_sync_ms": None,
        "clock_offset_ms": 15,
        "disk_free_mb": 900,
        "cpu_temp_c": None,
        "undervoltage": None,
        "devices": {"printer": {"status": "out", "detail": ""}},
    }
    assert "Tidak ada gangguan perangkat" in admin.get("/admin/supervisor/live").get_data(
        as_text=True
    )
    r = admin.post(
        "/api/v1/nodes/K1/heartbeat", json=beat, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.get_json()
    page = admin.get("/admin/supervisor/live").get_data(as_text=True)
    fault = re.search(r'<li data-node="K1">(.*?)</li>', page, re.S).group(1)
    assert "Printer kertas habis" in fault
    english = admin.get("/admin/supervisor/live?lang=en").get_data(as_text=True)
    assert "Printer" in english and "kertas habis" not in english


def test_out_of_order_calls_are_read_defensively():
    """Their producer (counter-actions' ``audit.out_of_order``) is another branch's: whatever
    shape arrives, the view shows what it can and never fails."""
    from hub.admin_supervisor import out_of_order

    records = [
        {"hseq": 1, "recv_ms": 0, "event": {"type": "ticket.called", "body": {}}},
        {
            "hseq": 2,
            "recv_ms": 0,
            "event": {
                "type": "audit.out_of_order",
                "ticket": "2026-11-28/B-007",
                "body": {"counter": "C2", "by": "spv", "reason": "lansia"},
            },
        },
        {"hseq": 3, "recv_ms": 0, "event": {"type": "audit.out_of_order", "body": "odd"}},
    ]
    rows = out_of_order(records)
    assert [r["ticket"] for r in rows] == ["", "B-007"]
    assert rows[1]["counter"] == "C2" and rows[1]["reason"] == "lansia"
