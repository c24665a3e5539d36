"""A node's heartbeat reaches the admin device page (issue 14 item 3, contract C4): a kiosk
out of paper shows as a fault, and a silent counter as stale, within one heartbeat."""

from __future__ import annotations

import re

import pytest

from core.health import STALE_AFTER_MS
from node.hardware.display import FakeDisplay
from node.hardware.printer import FakePrinter
from node.roles.base import Devices

PASSWORD = "kata-sandi-teknisi"


def admin_page(hub) -> str:
    from hub.auth import add_user

    client = hub.app.test_client()
    if not any(u.get("username") == "tek" for u in hub.authority.store.users()):
        add_user(hub.authority.store, "tek", PASSWORD, role="viewer")
    html = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post(
        "/admin/login", data={"username": "tek", "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302
    page = client.get("/admin/devices")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def row(html: str, node_id: str) -> str:
    match = re.search(rf'<tr class="([^"]+)" id="node-{node_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {node_id}"
    return match.group(1) + " " + match.group(2)


def test_printer_fault_and_stale_counter_on_the_device_page(make_node, hub) -> None:
    printer = FakePrinter()
    kiosk = make_node("K1", "kiosk", devices=Devices(printer=printer))
    counter = make_node("C1", "counter", devices=Devices(display=FakeDisplay(8)))
    assert kiosk.heartbeat.tick() and counter.heartbeat.tick()
    html = admin_page(hub)
    assert "health-ok" in row(html, "K1") and "health-ok" in row(html, "C1")

    printer.paper = "out"
    assert kiosk.heartbeat.tick()  # a change: sent at once, not after 30 s
    hub.clock.advance(STALE_AFTER_MS + 1_000)  # the counter said nothing since
    kiosk.clock.advance(1_000)
    assert not kiosk.heartbeat.tick()  # nothing changed and no beat due: nothing sent
    kiosk.clock.advance(30_000)
    assert kiosk.heartbeat.tick()  # due again

    html = admin_page(hub)
    k1, c1 = row(html, "K1"), row(html, "C1")
    assert "health-fault" in k1 and "kertas habis" in k1
    assert "health-stale" in c1 and "Tidak melapor" in c1
    assert html.index('id="node-K1"') < html.index('id="node-C1"')  # faults first
    logged = [(e["body"]["node"], e["body"]["device"], e["body"]["status"])
              for e in hub.events("device.status")]  # fmt: skip
    assert logged == [("K1", "printer", "ok"), ("C1", "display", "ok"), ("K1", "printer", "out")]


def test_the_heartbeat_body_describes_the_node(make_node, hub) -> None:
    counter = make_node("C1", "counter")
    body = counter.heartbeat.body()
    assert body["role"] == "counter" and body["devices"]["display"]["status"] == "ok"
    assert body["clock_offset_ms"] == hub.clock.wall_ms() - counter.clock.wall_ms()
    assert body["disk_free_mb"] > 0


def test_a_hub_that_is_down_costs_the_node_nothing(make_node) -> None:
    counter = make_node("C1", "counter")
    counter.transport.down = True
    assert counter.heartbeat.tick() is False
    counter.transport.down = False
    assert counter.heartbeat.tick() is True  # the unsent status is still news


def test_a_display_that_fails_to_draw_is_a_fault(make_node, hub) -> None:
    class BrokenSpi(FakeDisplay):
        broken = False

        def _present(self, frame, dot):
            if self.broken:
                raise OSError("SPI device /dev/spidev0.0 gone")
            super()._present(frame, dot)

    display = BrokenSpi(8)
    counter = make_node("C1", "counter", devices=Devices(display=display))
    display.broken = True
    with pytest.raises(OSError):
        display.show("A-001")
    counter.heartbeat.tick()
    devices = hub.app.extensions["loket_health"].rows(["C1"])[0]["devices"]
    assert devices["display"] == {
        "status": "fault",
        "detail": "OSError: SPI device /dev/spidev0.0 gone",
    }
    display.broken = False
    display.show("A-001")
    counter.heartbeat.tick()
    assert [e["body"]["status"] for e in hub.events("device.status")] == ["fault", "ok"]


def test_the_supervisor_dashboard_names_a_kiosk_out_of_paper(make_node, hub) -> None:
    from hub.auth import add_user

    printer = FakePrinter()
    kiosk = make_node("K1", "kiosk", devices=Devices(printer=printer))
    printer.paper = "out"
    kiosk.heartbeat.tick()
    add_user(hub.authority.store, "spv", PASSWORD, role="supervisor")
    client = hub.app.test_client()
    html = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/admin/login", data={"username": "spv", "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/").get_data(as_text=True)
    alert = re.search(r'<ul class="device-alerts">(.*?)</ul>', page, re.S)
    assert alert and "K1" in alert.group(1) and "Printer kertas habis" in alert.group(1)
