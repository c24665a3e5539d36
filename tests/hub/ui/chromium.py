"""A real headless Chromium for the hall board tests, driven over the DevTools protocol.

``Page`` is the smallest CDP client (evaluate JS, screenshots, console messages);
``launch(tmp_path, *flags)`` starts Debian's chromium and returns (process, Page).
``serve_app(app)`` serves a hub app on loopback (``hub.serving``) in a thread, for tests whose
hub profile the validator would not take yet (the full-size MPP).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from node.hardware.screen_browser import UNATTENDED_FLAGS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt)")

# What the shipped kiosk (loket node board, the README) starts an unattended board with, and
# what lets a test hear it without anyone tapping the screen: one list, in the product.
KIOSK_FLAGS = UNATTENDED_FLAGS

# Watches the page's Web Audio from outside the board's code (run before the page's scripts):
# wraps fetch, decodeAudioData and AudioBufferSourceNode.start, so a test sees which clip
# URLs were fetched, which decoded clips each played buffer is made of (sample by sample, in
# order: gapless), when each started and ended (never two at once): window.__audio.
AUDIO_SPY = """(() => {
  const rec = window.__audio = {fetched: [], contexts: 0, started: [], active: 0, maxActive: 0};
  const urlOf = new WeakMap(), clips = [];
  const realFetch = window.fetch;
  window.fetch = function (input) {
    const url = String((input && input.url) || input);
    return realFetch.apply(this, arguments).then(resp => {
      if (url.indexOf('/sounds/') >= 0) {
        rec.fetched.push(new URL(url, location.href).pathname);
        const read = resp.arrayBuffer.bind(resp);
        resp.arrayBuffer = () => read().then(ab => { urlOf.set(ab, url); return ab; });
      }
      return resp;
    });
  };
  const Real = window.AudioContext;
  window.AudioContext = function () { rec.contexts += 1; return new Real(); };
  window.AudioContext.prototype = Real.prototype;
  const decode = Real.prototype.decodeAudioData;
  Real.prototype.decodeAudioData = function (ab, ok, fail) {
    const name = (urlOf.get(ab) || '?').split('/').pop().replace('.wav', '');
    return decode.call(this, ab, b => {
      clips.push({name: name, data: b.getChannelData(0).slice()});
      if (ok) ok(b);
    }, fail);
  };
  function at(data, off, clip) {
    if (clip.length > data.length - off) return false;
    for (let i = 0; i < clip.length; i++) if (data[off + i] !== clip[i]) return false;
    return true;
  }
  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function () {
    const data = this.buffer.getChannelData(0), seq = [];
    let off = 0;
    while (off < data.length) {
      const c = clips.find(c => at(data, off, c.data));
      if (!c) { seq.push('<unknown samples at ' + off + '>'); break; }
      seq.push(c.name);
      off += c.data.length;
    }
    const entry = {clips: seq, start: this.context.currentTime, duration: this.buffer.duration,
                   end: null};
    rec.started.push(entry);
    rec.active += 1;
    rec.maxActive = Math.max(rec.maxActive, rec.active);
    this.addEventListener('ended', () => {
      rec.active -= 1;
      entry.end = this.context.currentTime;
    });
    return start.apply(this, arguments);
  };
})();"""


class Page:
    """The smallest Chrome DevTools Protocol client: evaluate JS, take a screenshot."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client, a dev dependency

        self.ws = websocket.create_connection(ws_url, timeout=20)
        self.ids = iter(range(1, 10**6))
        self.console: list[tuple[str, str]] = []  # (level, text) of console messages

    def call(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("method") == "Runtime.consoleAPICalled":
                p = answer["params"]
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                self.console.append((p["type"], text))
            if answer.get("id") == msg_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def js(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
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

    def open(self, url: str, *, before: str | None = None) -> None:
        """Load ``url``; ``before`` is a script run in the page before any of its own."""
        self.call("Page.enable")
        self.call("Runtime.enable")
        if before:
            self.call("Page.addScriptToEvaluateOnNewDocument", source=before)
        self.call("Page.navigate", url=url)
        self.wait_js("document.readyState", "complete")

    def viewport(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def screenshot(self, path: Path) -> bytes:
        import base64

        png = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        path.write_bytes(png)
        return png

    def close(self) -> None:
        self.ws.close()


def launch(tmp_path: Path, *flags: str, size: tuple[int, int] = (1920, 1080)):
    """Start headless chromium; returns (process, Page on its first tab)."""
    profile = tmp_path / "chromium"
    profile.mkdir(parents=True, exist_ok=True)
    log = (tmp_path / "chromium.log").open("wb")  # read it when a test loses the browser
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
            f"--window-size={size[0]},{size[1]}",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            *flags,
            "about:blank",
        ],
        stdout=log,
        stderr=log,
    )
    log.close()
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
    return proc, Page(target["webSocketDebuggerUrl"])


def stop(proc: subprocess.Popen, page: Page) -> None:
    page.close()
    proc.kill()
    proc.wait(10)


def serve_app(app):
    """Serve the hub ``app`` on a free loopback port; returns (base url, stop())."""
    from hub import serving

    gate = app.extensions["loket_streams"]
    server = serving.create_server(app, host="127.0.0.1", port=0, threads=8, caps=gate.caps)
    loop = serving.start(server, name="loket-test-ui-hub")

    def shutdown() -> None:
        # hub.serving.stop: ends the board's event stream and joins every thread before it
        # closes a descriptor (a later file could reuse the number).
        serving.stop(server, gate, loop, timeout=10)
        assert not loop.is_alive(), "the test server's loop did not stop"

    return f"http://127.0.0.1:{server.effective_port}", shutdown


def post(base: str, token: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)
