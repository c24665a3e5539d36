"""A floor's TV in a real headless Chromium, started as the shipped kiosk starts it (the
flags and URL ``loket node board`` builds from firmware_config/node/display-browser.toml:
``/board?display=D2``), on the full-size Banyumas hub: it shows and speaks only lantai-2's
calls and tiles, and the running text a supervisor sets for its floor appears live.
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from chromium import AUDIO_SPY, launch, needs_chromium, post, serve_app, stop

from core.announce import call_clips

pytestmark = needs_chromium


@pytest.fixture
def banyumas(tmp_path):
    from core.config import load_hub_config, override_hub
    from core.paths import firmware_config_dir
    from hub import create_app
    from hub.auth import issue_operator_token

    config = load_hub_config(firmware_config_dir() / "hub" / "mpp-banyumas.toml")
    config = override_hub(config, host="127.0.0.1", port=0, data_dir=str(tmp_path / "hub"))
    config = dataclasses.replace(config, hub=dataclasses.replace(config.hub, issue_per_min=0))
    app = create_app(config)
    auth = app.extensions["loket"]
    token = issue_operator_token(auth.store, "api", "supervisor")
    base, shutdown = serve_app(app)
    yield base, auth, token
    shutdown()
    auth.store.close()


def kiosk_argv(tmp_path, base: str) -> list[str]:
    """The shipped browser display profile, pointed at this hub, as loket node board runs it."""
    import tomllib

    from core.config import node_config_from_dict
    from core.paths import firmware_config_dir
    from node.hardware.screen_browser import chromium_argv

    path = firmware_config_dir() / "node" / "display-browser.toml"
    raw = tomllib.loads(path.read_text("utf-8"))
    raw["node"].update(hub_url=base, data_dir=str(tmp_path / "node"))
    return chromium_argv(node_config_from_dict(raw, source=path))


def audio(page) -> dict:
    return page.js("JSON.parse(JSON.stringify(window.__audio))")


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    value = page.wait_js(f"Boolean({expression})", True, timeout)
    assert value is True, f"timed out: {expression}; audio: {audio(page)}"


def test_the_upstairs_tv_shows_and_speaks_only_upstairs(banyumas, tmp_path) -> None:
    base, auth, token = banyumas
    argv = kiosk_argv(tmp_path, base)
    assert argv[-1] == f"{base}/board?display=D2"
    flags = [a for a in argv[1:-1] if not a.startswith("--user-data-dir=")]
    assert "--kiosk" in flags and "--autoplay-policy=no-user-gesture-required" in flags
    for n, service in enumerate(["A1", "A1", "ST", "ST"]):
        post(base, token, "/api/v1/tickets", {"req": f"t{n}", "service": service})

    proc, page = launch(tmp_path, *flags)
    try:
        page.open(argv[-1], before=AUDIO_SPY)
        assert page.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
        wait_until(page, "LoketBoard.speaker.ctx.state === 'running'")
        upstairs = {"ST", "S5", "SB", "SK", "SM", "TA", "TC", "HJ", "HU", "IM", "NP", "LP"}
        tiles = page.js("[...document.querySelectorAll('#queues li')].map(l => l.dataset.service)")
        assert set(tiles) == upstairs and len(tiles) == 12

        said = []
        for counter, number in (("C1", 1), ("C11", 11), ("C2", 2), ("C12", 12)):
            answer = post(base, token, f"/api/v1/counters/{counter}/next", {"req": counter})
            said.append((answer["ticket"]["label"], number))
        (down1, _), (up1, _), (down2, _), (up2, _) = said
        wait_until(page, "__audio.started.length === 2 && __audio.started[1].end !== null", 40)
        time.sleep(0.5)  # anything else queued would have started by now
        heard = audio(page)
        assert [s["clips"] for s in heard["started"]] == [call_clips(up1, 11), call_clips(up2, 12)]
        assert heard["maxActive"] == 1
        shown = page.js(
            "[document.getElementById('now-number').textContent,"
            " ...[...document.querySelectorAll('#calls .call-number')].map(e => e.textContent)]"
        )
        assert shown == [up2, up1], "the ground floor's calls are not on the upstairs TV"
        assert down1 not in shown and down2 not in shown

        # A supervisor's running text for lantai-2 (and another for lantai-1) arrives live.
        auth.commit_hub_event(
            "hall.running_text",
            body={"text": "Samsat tutup 12.00", "zone": "lantai-2", "by": "spv"},
        )
        auth.commit_hub_event(
            "hall.running_text", body={"text": "Dukcapil: bawa KK", "zone": "lantai-1", "by": "spv"}
        )
        line = page.wait_js(
            "document.getElementById('ticker-text').textContent", "Samsat tutup 12.00"
        )
        assert line == "Samsat tutup 12.00"
        long = "Pelayanan Samsat hari ini tutup pukul 12.00 WIB karena pemeliharaan sistem. " * 2
        auth.commit_hub_event(
            "hall.running_text", body={"text": long.strip(), "zone": None, "by": "spv"}
        )
        auth.commit_hub_event(
            "hall.running_text", body={"text": "", "zone": "lantai-2", "by": "spv"}
        )
        assert page.wait_js(
            "document.getElementById('ticker').classList.contains('running')", True
        ), "a text longer than its line runs through it"
        box = page.js(
            "(() => { const r = document.getElementById('ticker').getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight]; })()"
        )
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= box[4] and box[3] <= box[5]
    finally:
        stop(proc, page)
