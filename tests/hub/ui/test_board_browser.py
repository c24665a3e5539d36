"""The hall board in a real headless Chromium: the number a counter calls appears on the TV
through the page's own EventSource, with no reload and no polling, and the stream's loss is
shown. Skipped (with the reason) where Debian's chromium is not installed; .ci/run installs it.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from hubproc import HubProcess, demo_hub_profile

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt)")


@pytest.fixture
def hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    """A real hub process on the demo profile, so the test can kill it like a power cut."""
    profile, tokens = demo_hub_profile(tmp_path)
    process = HubProcess(python, profile, subprocess_env, repo_root)
    yield process.url, tokens["api"], process
    process.stop()


class Page:
    """The smallest Chrome DevTools Protocol client: evaluate JS, take a screenshot."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client, a dev dependency

        self.ws = websocket.create_connection(ws_url, timeout=20)
        self.ids = iter(range(1, 10**6))

    def call(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == msg_id:
                return answer.get("result", {})

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_js(self, expression: str, expected, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value == expected:
                return value
            time.sleep(0.1)
        return value


@pytest.fixture
def browser(tmp_path: Path):
    profile = tmp_path / "chromium"
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1920,1080",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("chromium did not open its DevTools port")
        time.sleep(0.1)
    port = int(port_file.read_text().split()[0])
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
        target = next(t for t in json.load(resp) if t["type"] == "page")
    page = Page(target["webSocketDebuggerUrl"])
    yield page
    page.ws.close()
    proc.kill()
    proc.wait(10)


def _post(base: str, token: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_a_call_reaches_the_board_live_and_a_lost_stream_is_shown(hub, browser, tmp_path):
    base, token, hub_process = hub
    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"{base}/board")
    assert browser.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
    assert browser.js("document.getElementById('now-number').textContent") == "\u2014"

    _post(base, token, "/api/v1/tickets", {"req": "b-1", "service": "C"})
    called = _post(base, token, "/api/v1/counters/C3/next", {"req": "b-2"})["ticket"]["label"]

    shown = browser.wait_js("document.getElementById('now-number').textContent", called)
    assert shown == called
    counter = browser.js("document.getElementById('now-counter').textContent")
    assert "3" in counter  # "Loket 3"
    # No asset came from outside the hub (the hall has no internet).
    urls = browser.js("performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(base) for u in urls), urls

    shot = browser.call("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "board.png").write_bytes(png)

    hub_process.kill9()  # the hub dies: the TV must say so instead of freezing silently
    state = browser.wait_js("document.getElementById('conn').dataset.state", "offline")
    assert state == "offline"
