"""Staff reprint of a kiosk's last ticket from the admin (issue 13 item 2): a supervisor's
button on /admin/floor commits a hub-only ``kiosk.reprint``; the kiosk hears it through its
feed and prints its last ticket again, once; a reprint recorded before its boot is not for it.
"""

from __future__ import annotations

import re

from core.clock import FakeClock
from hub.auth import add_user

PASSWORD = "reprint-pass-1"


def supervisor(hub):
    """The hub's test client, logged in as a supervisor; ``post(kiosk)`` presses Reprint."""
    add_user(hub.authority.store, "pengawas", PASSWORD, role="supervisor")
    client = hub.app.test_client()

    def token(path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    resp = client.post(
        "/admin/login",
        data={"username": "pengawas", "password": PASSWORD, "csrf_token": token("/admin/login")},
    )
    assert resp.status_code == 302

    def post(kiosk: str):
        data = {"kiosk": kiosk, "csrf_token": token("/admin/floor")}
        return client.post("/admin/floor/reprint", data=data, follow_redirects=True)

    return post


def test_a_reprint_from_the_admin_prints_the_kiosks_last_ticket_again(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    printer = kiosk.ctx.devices.printer
    kiosk.press("a")
    kiosk.step()
    assert [t.label for t in printer.tickets] == ["A-001"]
    press = supervisor(hub)
    page = press("K1").get_data(as_text=True)
    assert "Perintah cetak ulang dikirim ke kios K1." in page
    assert [e["body"] for e in hub.events("kiosk.reprint")] == [{"kiosk": "K1", "by": "pengawas"}]
    kiosk.step()  # the feed brings it
    assert [t.label for t in printer.tickets] == ["A-001", "A-001"]
    assert printer.jobs[1] == printer.jobs[0] and b"A-001" in printer.jobs[1]
    kiosk.step()  # heard once
    press("K2")  # another kiosk's reprint is not this one's
    kiosk.step()
    assert len(printer.jobs) == 2


def test_a_reprint_recorded_before_the_kiosk_booted_prints_nothing(hub, hub_clock, make_node):
    supervisor(hub)("K1")  # the kiosk is not even running
    later = FakeClock(wall_ms=hub_clock.wall_ms() + 60_000, mono_ms=1_000, boot_id="K1-later")
    kiosk = make_node("K1", "kiosk", clock=later)
    kiosk.press("a")
    kiosk.step()
    kiosk.step()
    assert [t.label for t in kiosk.ctx.devices.printer.tickets] == ["A-001"]


def test_an_unknown_kiosk_is_refused_in_words_and_nothing_is_written(hub):
    before = hub.authority.last_hseq
    page = supervisor(hub)("K9").get_data(as_text=True)
    assert "Kios tidak dikenal." in page
    assert hub.authority.last_hseq == before
