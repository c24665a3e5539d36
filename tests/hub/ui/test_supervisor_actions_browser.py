"""Supervisor actions on the live view in a real headless Chromium (floor-followup): a
supervisor pauses a counter from its row and the row shows it paused; a specific call with a
reason typed into a row's form (kept while the page refreshes itself) reaches /admin/audit.

Debian's chromium over the DevTools protocol (tests/hub/ui/chromium.py), as the desk tests.
"""

from __future__ import annotations

import json

from chromium import needs_chromium, post
from ui_records import PASSWORD

from hub.auth import add_user, issue_operator_token

pytestmark = needs_chromium

ROW = "document.querySelector('tr[data-counter=C2]')"
STATE = "document.querySelector('tr[data-counter=C2] .state')?.textContent"
LABEL = "document.querySelector('tr[data-counter=C2] .label')?.textContent"


def log_in_supervisor(page, base: str, authority) -> None:
    add_user(authority.store, "pengawas", PASSWORD, role="supervisor")
    page.open(f"{base}/admin/login")
    page.js(
        "document.querySelector('[name=username]').value = 'pengawas';"
        f"document.querySelector('[name=password]').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form.login').submit()"
    )
    assert page.wait_js("location.pathname", "/admin/") == "/admin/"


def open_live(page, base: str) -> None:
    page.open(f"{base}/admin/supervisor/")
    assert page.wait_js("document.getElementById('link').textContent", "Diperbarui langsung")


def test_a_supervisor_pauses_a_counter_and_calls_a_ticket_from_the_live_view(
    served, browser, authority, tmp_path
):
    desk = issue_operator_token(authority.store, "front-desk", "supervisor")
    for i in range(3):
        post(served, desk, "/api/v1/tickets", {"req": f"sup-act-{i}", "service": "B"})
    log_in_supervisor(browser, served, authority)
    open_live(browser, served)

    # Pause C2 from its row: the hub answers in words, the row says paused.
    browser.js(f"{ROW}.querySelector('form.pause button').click()")
    assert browser.wait_js(STATE, "dijeda") == "dijeda"
    assert "Loket C2 ditunda." in browser.js("document.querySelector('.flash').textContent")
    assert browser.js(f"{ROW}.querySelector('form.call')") is None
    assert authority.state.counters["C2"].open is False

    # Resume it, then type a call into C1's row while a record arrives: the typing survives.
    browser.js(f"{ROW}.querySelector('form.pause button').click()")
    assert browser.wait_js(STATE, "menunggu tiket") == "menunggu tiket"
    open_live(browser, served)
    call = "document.querySelector('tr[data-counter=C2] form.call')"
    browser.js(
        f"{call}.ticket.value = 'B-003'; {call}.reason.value = 'ibu menggendong bayi';"
        f"{call}.reason.focus()"
    )
    post(served, desk, "/api/v1/tickets", {"req": "sup-act-9", "service": "B"})
    waiting = "document.querySelector('tr[data-service=B] .waiting').textContent"
    assert browser.wait_js(waiting, "4") == "4"  # the fragment was replaced
    assert browser.js(f"{call}.reason.value") == "ibu menggendong bayi"
    assert browser.js("document.activeElement.name") == "reason"
    browser.js(f"{call}.querySelector('button').click()")
    assert browser.wait_js(LABEL, "B-003") == "B-003"
    flash = browser.js("document.querySelector('.flash').textContent")
    assert flash == "Tiket B-003 dipanggil ke loket C2."
    browser.screenshot(tmp_path / "supervisor-actions.png")

    browser.open(f"{served}/admin/audit")
    browser.wait_js("document.readyState", "complete")
    audit = browser.js("document.body.innerText")
    assert "ibu menggendong bayi" in audit and "B-003" in audit and "pengawas" in audit
