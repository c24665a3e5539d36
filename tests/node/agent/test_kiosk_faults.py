"""Printer faults told to people and to the hub, numbers never wasted (issue 13, item 2).

The kiosk drives a real python-escpos network printer against a local fake that answers the
status queries (tests/netprinter.py); the hub is the real app (conftest's Flask transport).
"""

from __future__ import annotations

import pytest
from netprinter import COVER_OPEN, PAPER_OK, PAPER_OUT, FakeNetworkPrinter

from node.hardware.printer import make_printer
from node.roles.base import Devices


@pytest.fixture
def net_printer():
    server = FakeNetworkPrinter(PAPER_OK)
    yield server
    server.stop()


def kiosk_on(make_node, server, *, screen: bool = False):
    printer = make_printer(
        {"backend": "network", "host": "127.0.0.1", "port": server.port, "timeout": 2}
    )
    printer.status_timeout = 2  # generous on a loaded machine; the fake always answers
    node = make_node("K1", "kiosk", devices=Devices(printer=printer))
    if screen:  # the touchscreen, drawn offscreen: what a visitor would read
        from node.kiosk_ui.app import KioskUI

        node.ctx.devices.screen = KioskUI(
            node.role, node.submit, {"width": 1024, "height": 600}, offscreen=True
        )
    return node


def on_screen(node) -> str:
    ui = node.ctx.devices.screen
    ui.step()
    return " ".join(" ".join(t for t, _d, _b in ui.canvas.texts).split())


def device_list(hub) -> dict:
    """The rows of the admin's device page (the same ``GET /api/v1/nodes`` carries)."""
    from hub.admin import node_rows

    with hub.app.test_request_context():
        return {r["id"]: r for r in node_rows()}


def test_paper_out_before_a_press_takes_no_number_and_the_hub_shows_the_fault(
    hub, make_node, net_printer
):
    kiosk = kiosk_on(make_node, net_printer, screen=True)
    net_printer.reply = PAPER_OUT
    kiosk.press("a")
    kiosk.step()
    assert hub.events("ticket.issued") == []  # no number taken
    outcome = kiosk.role.last_outcome
    assert (outcome.kind, outcome.code) == ("printer", "out")
    assert "Kertas tiket habis Mohon hubungi petugas. Nomor tidak diambil." in on_screen(kiosk)
    assert net_printer.jobs == 0
    row = device_list(hub)["K1"]
    assert row["devices"]["printer"] == {"status": "out", "detail": "paper out"}
    assert row["faults"] == ["printer: out (paper out)"]

    net_printer.reply = PAPER_OK  # paper refilled: the next idle poll clears the fault
    kiosk.role.tick()
    assert device_list(hub)["K1"]["faults"] == []
    kiosk.press("a")
    kiosk.step()
    assert len(hub.events("ticket.issued")) == 1
    assert kiosk.role.last_outcome.kind == "printed"
    assert kiosk.role.last_outcome.label.encode() in net_printer.received


def test_cover_open_is_its_own_fault(hub, make_node, net_printer):
    kiosk = kiosk_on(make_node, net_printer)
    net_printer.cause = COVER_OPEN
    kiosk.role.tick()  # the idle poll: the fault is at the hub before anyone presses
    assert device_list(hub)["K1"]["faults"] == ["printer: cover_open (cover open)"]


def test_paper_out_mid_print_keeps_the_number_on_screen_and_reprints_it(
    hub, make_node, net_printer
):
    kiosk = kiosk_on(make_node, net_printer, screen=True)
    net_printer.run_out_during_next_job = True
    kiosk.press("a")
    kiosk.step()
    outcome = kiosk.role.last_outcome
    assert (outcome.kind, outcome.label) == ("print_failed", "A-001")
    text = on_screen(kiosk)
    assert "A-001" in text and "Tiket gagal dicetak" in text and "Cetak ulang" in text
    assert net_printer.jobs == 1  # not sent again into an empty printer
    # The number stays in the queue (the visitor holds it, on screen) and the hub knows why.
    waiting = hub.authority.snapshot()["state"]["waiting"]["A"]
    assert [t["label"] for t in waiting] == ["A-001"]
    assert hub.events("ticket.cancelled") == []
    assert device_list(hub)["K1"]["faults"] == ["printer: out (paper out)"]

    net_printer.reply = PAPER_OK
    kiosk.role.reprint()
    assert kiosk.role.last_outcome.kind == "printed"
    assert net_printer.jobs == 2
    assert net_printer.received.count(b"A-001") == 2
    assert [e["body"]["label"] for e in hub.events("ticket.issued")] == ["A-001"]


def test_the_heartbeat_route_checks_what_it_is_sent(hub):
    client = hub.app.test_client()
    headers = {"Authorization": f"Bearer {hub.tokens['K1']}"}
    bad = client.post(
        "/api/v1/nodes/K1/heartbeat",
        json={"devices": {"printer": {"status": "?"}}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.get_json()["error"] == "invalid_field"
    other = client.post(
        "/api/v1/nodes/K2/heartbeat",
        json={"devices": {"printer": {"status": "ok"}}},
        headers=headers,
    )
    assert other.status_code == 403
    assert device_list(hub)["K1"]["devices"] == {}
