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
from hubproc import HubProcess, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt)")


def _start_hub(profile_path: Path, tmp_path: Path, python: str, env: dict, root: Path):
    """A real hub process on a shipped profile, so a test can kill it like a power cut."""
    import re

    from hub.auth import pair_node
    from hub.store import Store

    text = profile_path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^host = .*$", 'host = "127.0.0.1"', text, count=1)
    text = re.sub(r"(?m)^port = .*$", f"port = {free_port()}", text, count=1)
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "hub"}"', text, count=1)
    profile = tmp_path / "hub.toml"
    profile.write_text(text, encoding="utf-8")
    store = Store(tmp_path / "hub")
    token = pair_node(store, "api")
    kiosk_token = pair_node(store, "K1")
    store.close()
    return HubProcess(python, profile, env, root), token, kiosk_token


@pytest.fixture
def hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    """A real hub process on the demo profile."""
    from core.paths import demo_hub_profile

    process, token, _ = _start_hub(demo_hub_profile(), tmp_path, python, subprocess_env, repo_root)
    yield process.url, token, process
    process.stop()


@pytest.fixture
def full_hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    """A real hub process on the full-size Banyumas profile (30 services, 25 counters)."""
    from core.paths import demo_hub_profile

    full = demo_hub_profile().with_name("mpp-banyumas.toml")
    process, token, kiosk = _start_hub(full, tmp_path, python, subprocess_env, repo_root)
    yield process, token, kiosk
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
        _post(base, token, "/api/v1/tickets", {"req": f"b-{service}", "service": service})
        _post(base, token, f"/api/v1/counters/{counter}/next", {"req": f"n-{counter}"})
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
    called = _post(base, token, "/api/v1/counters/C14/next", {"req": "n-C14"})["ticket"]
    assert called["label"] == label

    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"{base}/board")
    assert browser.wait_js("document.getElementById('now-number').textContent", label) == label
    assert browser.js("document.querySelectorAll('.calls li').length") == 4
    assert browser.js("document.getElementById('now-number').dataset.chars") == "8"
    assert browser.js(_OVERFLOWING) == []
    # The stream's next call is drawn by board.js, sized the same way.
    _post(base, token, "/api/v1/tickets", {"req": "b-SK2", "service": "SK"})
    latest = _post(base, token, "/api/v1/counters/C15/next", {"req": "n-C15b"})["ticket"]
    assert browser.wait_js("document.getElementById('now-number').textContent", latest["label"])
    assert browser.js("document.querySelector('.calls li .call-number').textContent") == label
    assert browser.js(_OVERFLOWING) == []

    # The ticket's status page on a small phone (360 px wide) keeps the number on one line.
    browser.call(
        "Emulation.setDeviceMetricsOverride", width=360, height=740, deviceScaleFactor=1,
        mobile=True,
    )  # fmt: skip
    browser.call("Page.navigate", url=f"{base}/t/sk-k1-12-public")
    assert browser.wait_js("document.getElementById('st-number').textContent", label) == label
    fits = """(() => { const r = document.createRange();
      r.selectNodeContents(document.getElementById('st-number'));
      const rects = [...r.getClientRects()];
      return new Set(rects.map(x => Math.round(x.top))).size === 1
        && rects.every(x => x.left >= 0 && x.right <= innerWidth) })()"""
    assert browser.js(fits) is True


def _today(base: str) -> str:
    with urllib.request.urlopen(f"{base}/board/view.json", timeout=10) as resp:
        return json.load(resp)["day"]
