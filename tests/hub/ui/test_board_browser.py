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
