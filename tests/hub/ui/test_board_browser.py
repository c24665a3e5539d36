"""The hall board in a real headless Chromium: the number a counter calls appears on the TV
through the page's own EventSource, with no reload and no polling, and the stream's loss is
shown. Skipped (with the reason) where Debian's chromium is not installed; .ci/run installs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import launch, needs_chromium, post, stop
from hubproc import HubProcess, demo_hub_profile

pytestmark = needs_chromium


@pytest.fixture
def hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    """A real hub process on the demo profile, so the test can kill it like a power cut."""
    profile, tokens = demo_hub_profile(tmp_path)
    process = HubProcess(python, profile, subprocess_env, repo_root)
    yield process.url, tokens["api"], process
    process.stop()


@pytest.fixture
def browser(tmp_path: Path):
    proc, page = launch(tmp_path)
    yield page
    stop(proc, page)


def test_a_call_reaches_the_board_live_and_a_lost_stream_is_shown(hub, browser, tmp_path):
    base, token, hub_process = hub
    browser.open(f"{base}/board")
    assert browser.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
    assert browser.js("document.getElementById('now-number').textContent") == "\u2014"

    post(base, token, "/api/v1/tickets", {"req": "b-1", "service": "C"})
    called = post(base, token, "/api/v1/counters/C3/next", {"req": "b-2"})["ticket"]["label"]

    shown = browser.wait_js("document.getElementById('now-number').textContent", called)
    assert shown == called
    counter = browser.js("document.getElementById('now-counter').textContent")
    assert "3" in counter  # "Loket 3"
    # No asset came from outside the hub (the hall has no internet).
    urls = browser.js("performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(base) for u in urls), urls
    browser.screenshot(tmp_path / "board.png")

    hub_process.kill9()  # the hub dies: the TV must say so instead of freezing silently
    state = browser.wait_js("document.getElementById('conn').dataset.state", "offline")
    assert state == "offline"


@pytest.fixture
def full_hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    """A real hub process on the full-size Banyumas profile (30 services, 25 counters)."""
    profile, tokens = demo_hub_profile(tmp_path, pair=("api", "K1"), name="mpp-banyumas.toml")
    process = HubProcess(python, profile, subprocess_env, repo_root)
    yield process, tokens["api"], tokens["K1"]
    process.stop()


# Everything on the board that must never spill out of its box, as a JS list of offenders.
_OVERFLOWING = """[...document.querySelectorAll('.now, .calls li, #now-number')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""


def test_long_prefixes_fit_the_board(full_hub, browser):
    """SK-014 and an offline kiosk's SK-K1-12 on a 1920x1080 TV: each call stays on one line
    inside its box, the big number included."""
    from core.events import make_event

    hub_process, token, kiosk_token = full_hub
    base = hub_process.url
    for service, counter in [("SK", "C15"), ("A2", "C1"), ("TK", "C10"), ("HJ", "C17")]:
        post(base, token, "/api/v1/tickets", {"req": f"b-{service}", "service": service})
        post(base, token, f"/api/v1/counters/{counter}/next", {"req": f"n-{counter}"})
    # The lobby kiosk, offline with its lease spent, printed a prefix-mode number.
    label = "SK-K1-12"
    issued = make_event(
        "K1", "k1inc", 1, "ticket.issued", ticket=f"{_today(base)}/{label}", req="K1:k1inc:r1",
        body={"service": "SK", "number": None, "label": label, "day": _today(base),
              "mode": "prefix", "kiosk": "K1", "priority": 0, "lease": None,
              "public": "sk-k1-12-public"},
    )  # fmt: skip
    status, answer = hub_process.post(
        "/api/v1/sync/push",
        {"node": "K1", "inc": "k1inc", "hub_epoch_seen": None, "events": [issued.to_dict()]},
        kiosk_token,
    )
    assert status == 200 and answer["acked_through"] == 1, answer
    called = post(base, token, "/api/v1/counters/C14/next", {"req": "n-C14"})["ticket"]
    assert called["label"] == label

    browser.open(f"{base}/board")
    assert browser.wait_js("document.getElementById('now-number').textContent", label) == label
    assert browser.js("document.querySelectorAll('.calls li').length") == 4
    assert browser.js(_OVERFLOWING) == []
    # The stream's next call is drawn by board.js, fitted the same way.
    post(base, token, "/api/v1/tickets", {"req": "b-SK2", "service": "SK"})
    latest = post(base, token, "/api/v1/counters/C15/next", {"req": "n-C15b"})["ticket"]
    assert browser.wait_js("document.getElementById('now-number').textContent", latest["label"])
    assert browser.js("document.querySelector('.calls li .call-number').textContent") == label
    assert browser.js(_OVERFLOWING) == []

    # The ticket's status page on a small phone (360 px wide) keeps the number on one line.
    browser.viewport(360, 740)
    browser.open(f"{base}/t/sk-k1-12-public")
    assert browser.wait_js("document.getElementById('st-number').textContent", label) == label
    fits = """(() => { const r = document.createRange();
      r.selectNodeContents(document.getElementById('st-number'));
      const rects = [...r.getClientRects()];
      return new Set(rects.map(x => Math.round(x.top))).size === 1
        && rects.every(x => x.left >= 0 && x.right <= innerWidth) })()"""
    assert browser.js(fits) is True


def _today(base: str) -> str:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base}/board/view.json", timeout=10) as resp:
        return json.load(resp)["day"]
