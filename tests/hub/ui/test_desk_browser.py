"""The manager's and supervisor's desk in a real headless Chromium (issue 11 acceptance):
a service added in the catalogue editor reaches the hall board and a kiosk node (over real
HTTP, through its feed) without a restart; an invalid edit shows the validator's message;
the supervisor's live view follows a call within a second, through its event stream.

Debian's chromium driven over the DevTools protocol (tests/hub/ui/chromium.py), as the
other browser tests here: Playwright is not a dependency of this project.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from chromium import needs_chromium, post
from ui_records import PASSWORD

from core.clock import FakeClock

pytestmark = needs_chromium


@pytest.fixture
def kiosk(tmp_path: Path, served, authority, clock):
    """Kiosk K1 as a node on its own data folder, talking HTTP to the served hub."""
    from hub.auth import pair_node
    from node.app import build_node
    from node.hardware.printer import FakePrinter
    from node.roles.base import Devices
    from node.transport import HttpTransport

    token = pair_node(authority.store, "K1", catalogue=authority.catalogue())
    config = SimpleNamespace(
        node=SimpleNamespace(
            id="K1",
            role="kiosk",
            hub_url=served,
            token=token,
            data_dir=str(tmp_path / "node-K1-desk"),
            counter=None,
            services=["A", "B"],
        ),
        mpp=SimpleNamespace(name="MPP Kota Contoh", timezone="Asia/Jakarta"),
        sound=SimpleNamespace(backend="fake", lang="id"),
    )
    node_clock = FakeClock(wall_ms=clock.wall_ms(), mono_ms=1_000, boot_id="K1-desk")
    node = build_node(
        config,
        transport=HttpTransport(served, token, timeout=5.0),
        clock=node_clock,
        hardware=Devices(printer=FakePrinter()),
    )
    node.start(threads=False)
    yield node
    node.ctx.outbox.close()
    node.ctx.sync.replica.close()


def log_in(page, base: str, user: str) -> None:
    page.open(f"{base}/admin/login")
    page.js(
        f"document.querySelector('[name=username]').value = {json.dumps(user)};"
        f"document.querySelector('[name=password]').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form.login').submit()"
    )
    assert page.wait_js("location.pathname", "/admin/") == "/admin/"


def submit_form(page, url: str, values: dict[str, str], landing: str) -> str:
    """Open ``url``, type ``values`` into the entity form, submit; the path it lands on."""
    page.open(url)
    page.js(
        f"Object.entries({json.dumps(values)}).forEach(([k, v]) => "
        "{ document.querySelector(`form.entity [name=${k}]`).value = v; });"
        "document.querySelector('form.entity').submit()"
    )
    page.wait_js("location.pathname", landing, timeout=10)
    page.wait_js("document.readyState", "complete")
    return page.js("location.pathname")


VIEW_FETCHED = """performance.getEntriesByType('resource')
  .some(e => e.name.includes('/board/view.json') && e.responseEnd > 0)"""
RENAME_FROM_BOARD = """(async () => {
  const page = await (await fetch('/admin/catalogue/service/P')).text();
  const form = new DOMParser().parseFromString(page, 'text/html').querySelector('form.entity');
  const data = new FormData(form);
  data.set('name', 'Paspor dan Visa');
  const answer = await fetch(form.action, {method: 'POST', body: data});
  return new URL(answer.url).pathname;
})()"""


def test_a_service_added_in_the_admin_reaches_board_and_kiosk(
    served, browser, kiosk, authority, admin_user, tmp_path
):
    kiosk.step()
    assert kiosk.role.services == ["A", "B"]
    log_in(browser, served, admin_user)
    new_service = {
        "entity_id": "P",
        "name": "Paspor Elektronik",
        "prefix": "P",
        "agency": "dukcapil",
        "avg_service_min": "12",
    }
    landed = submit_form(
        browser, f"{served}/admin/catalogue/service/new", new_service, "/admin/catalogue/"
    )
    assert landed == "/admin/catalogue/"
    assert browser.js("!!document.querySelector('#kind-service tr[data-id=P]')")
    landed = submit_form(
        browser,
        f"{served}/admin/catalogue/kiosk/K1",
        {"services": "A, B, P"},
        "/admin/catalogue/",
    )
    assert landed == "/admin/catalogue/"

    browser.open(f"{served}/board")
    assert "Paspor Elektronik" in browser.js("document.body.innerText")
    # With the board open, the admin's same form renames the service (sent from this tab,
    # which shares the admin's session): the open board follows without a reload.
    assert browser.wait_js("document.getElementById('conn').dataset.state", "online")
    assert browser.wait_js(VIEW_FETCHED, True)  # the refresh after the stream's hello is done
    assert browser.js(RENAME_FROM_BOARD) == "/admin/catalogue/"
    name = "document.querySelector('#queues li[data-service=P] .q-name').textContent"
    assert browser.wait_js(name, "Paspor dan Visa", timeout=5) == "Paspor dan Visa"
    assert browser.js("performance.getEntriesByType('navigation').length") == 1
    kiosk.step()  # the feed brings both events; the node was never restarted
    assert kiosk.role.services == ["A", "B", "P"]
    kiosk.press("c")  # the keypad's third button is the new service
    kiosk.step()
    ticket = kiosk.ctx.devices.printer.tickets[-1]
    assert ticket.label.startswith("P-") and ticket.service_name == "Paspor dan Visa"

    # An invalid edit: the validator's message at its key path in words, the typed text kept.
    before = authority.last_hseq
    landed = submit_form(
        browser,
        f"{served}/admin/catalogue/service/P",
        {"avg_service_min": "dua belas", "name": "Paspor baru"},
        "/admin/catalogue/service",
    )
    assert landed == "/admin/catalogue/service"
    problems = browser.js("document.querySelector('.problems').innerText")
    assert "Layanan P, kolom Rata-rata waktu layanan (menit)" in problems
    assert "avg_service_min" not in problems.split(":")[0]
    assert browser.js("document.querySelector('[name=avg_service_min]').value") == "dua belas"
    assert browser.js("document.querySelector('[name=name]').value") == "Paspor baru"
    assert authority.last_hseq == before
    browser.screenshot(tmp_path / "catalogue-invalid.png")


def test_the_supervisor_view_follows_a_call_within_a_second(served, browser, authority, admin_user):
    from hub.auth import issue_operator_token

    desk = issue_operator_token(authority.store, "front-desk", "supervisor")
    log_in(browser, served, admin_user)
    browser.open(f"{served}/admin/supervisor/")
    # The stream's hello is in: the page listens.
    assert browser.wait_js("document.getElementById('link').textContent", "Diperbarui langsung")
    cell = "document.querySelector('tr[data-counter=C1] .label').textContent"
    assert browser.js(cell) == "—"
    post(served, desk, "/api/v1/tickets", {"req": "sup-1", "service": "A"})
    waiting = "document.querySelector('tr[data-service=A] .waiting').textContent"
    assert browser.wait_js(waiting, "1", timeout=1.0) == "1"
    called = post(served, desk, "/api/v1/counters/C1/next", {"req": "sup-2"})
    label = called["ticket"]["label"]
    assert browser.wait_js(cell, label, timeout=1.0) == label
    assert browser.js("document.querySelector('tr[data-counter=C1] .state').textContent") == (
        "melayani"
    )
    assert browser.js(waiting) == "0"


PHONE_PAGES = (
    "/admin/",
    "/admin/supervisor/",
    "/admin/catalogue/",
    "/admin/catalogue/service/A",
    "/admin/catalogue/changes",
    "/admin/nodes",
    "/admin/devices",
    "/admin/reports",
)


def test_the_desk_pages_fit_a_phone(served, browser, authority, admin_user, tmp_path):
    """On a 360 px wide phone no page is wider than the screen: wide tables scroll inside
    their own box, forms stack."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=360,
        height=740,
        deviceScaleFactor=2,
        mobile=True,
    )
    log_in(browser, served, admin_user)
    for path in PHONE_PAGES:
        browser.open(f"{served}{path}?lang=en")
        width = browser.js("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    browser.screenshot(tmp_path / "phone-reports.png")
