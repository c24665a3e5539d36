"""The hall board on screens of every shape, with the shipped full-size MPP (Banyumas: 30
services, 25 counters):
in a real headless Chromium at portrait 1080x1920, 1366x768, 720p, 1080p and 4K, every element
is inside the viewport and inside its box, no one-line text is cut, the waiting tiles page
instead of overflowing (every service on some page), each tile leads with its service letter
(checked in the screenshot's pixels too), the running text line fits under the tiles, and the
clock is the hub's time in the MPP's zone.

Set LOKET_SCREENSHOTS=<folder> to keep the screenshots.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from chromium import KIOSK_FLAGS, launch, needs_chromium, post, serve_app, stop

pytestmark = needs_chromium

SIZES = {
    "portrait-1080x1920": (1080, 1920),
    "1366x768": (1366, 768),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "4k": (3840, 2160),
}

# Every visible element's box against the viewport, and against its tile for tile parts.
BOXES = """(() => {
  const W = innerWidth, H = innerHeight, bad = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className ? '.' + String(e.className).split(' ').join('.') : '');
  for (const e of document.body.querySelectorAll('*')) {
    if (e.tagName === 'SCRIPT' || !e.getClientRects().length) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
      bad.push(['outside viewport', name(e), [r.left, r.top, r.right, r.bottom]]);
    // Whatever hides its overflow must hold its content: nothing clipped out of sight.
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.top < b.top - 0.5 || r.right > b.right + 0.5 ||
          r.bottom > b.bottom + 0.5) bad.push(['clipped by ' + name(a), name(e), e.textContent]);
    }
    const tile = e.closest('.queues li');
    if (tile && tile !== e) {
      const t = tile.getBoundingClientRect();
      if (r.left < t.left - 0.5 || r.top < t.top - 0.5 || r.right > t.right + 0.5 ||
          r.bottom > t.bottom + 0.5) bad.push(['outside its tile', name(e)]);
    }
    const list = e.closest('.queues');
    if (tile === e && list) {
      const l = list.getBoundingClientRect();
      if (r.bottom > l.bottom + 0.5) bad.push(['tile below the tile area', name(e)]);
    }
  }
  // Texts must show all their characters: nothing cut off sideways, and where the box
  // hides what overflows (overflow not visible), nothing cut off at the bottom either.
  const lines = '.mpp, .clock, .conn, .now-title, .now-number, .now-counter, .call-number, ' +
    '.call-counter, .history h2, .foot-head, .q-letter, .q-count, .q-name, .ticker';
  for (const e of document.querySelectorAll(lines)) {
    if (!e.getClientRects().length) continue;
    const hides = getComputedStyle(e).overflowY !== 'visible';
    if (e.scrollWidth > e.clientWidth + 1 || (hides && e.scrollHeight > e.clientHeight + 1))
      bad.push(['text cut', name(e), e.textContent, e.scrollWidth, e.clientWidth,
                e.scrollHeight, e.clientHeight]);
  }
  return bad;
})()"""

TILES = """[...document.querySelectorAll('#queues li')].filter(li => !li.hidden).map(li => {
  const l = li.querySelector('.q-letter').getBoundingClientRect();
  return {id: li.dataset.service, letter: li.querySelector('.q-letter').textContent,
          box: [l.left, l.top, l.width, l.height]};
})"""


@pytest.fixture(scope="module")
def full_hub(tmp_path_factory):
    from core.config import load_hub_config, override_hub
    from core.paths import firmware_config_dir
    from hub import create_app
    from hub.auth import issue_operator_token

    data = tmp_path_factory.mktemp("fullsize") / "hub"
    config = load_hub_config(firmware_config_dir() / "hub" / "mpp-banyumas.toml")
    config = override_hub(config, host="127.0.0.1", port=0, data_dir=str(data))
    # One desk token fills a whole hall at once: the per-token issue limit would stop it.
    config = dataclasses.replace(config, hub=dataclasses.replace(config.hub, issue_per_min=0))
    app = create_app(config)
    auth = app.extensions["loket"]
    token = issue_operator_token(auth.store, "api", "supervisor")  # a front desk's token
    base, shutdown = serve_app(app)
    services = auth.state.catalogue.services
    for i, sid in enumerate(services):
        for n in range(1 + i % 4):
            post(base, token, "/api/v1/tickets", {"req": f"i-{sid}-{n}", "service": sid})
    # Six calls, the last one the board's big number.
    last = None
    for n in (1, 2, 3, 22, 24, 25):
        last = post(base, token, f"/api/v1/counters/C{n}/next", {"req": f"n-{n}"})["ticket"]
    # The running text line takes its share of every screen too (a short one stands still).
    auth.commit_hub_event(
        "hall.running_text",
        body={"text": "Selamat datang di MPP Banyumas", "zone": None, "by": "spv"},
    )
    prefixes = {sid: s.prefix for sid, s in services.items()}
    yield base, auth, prefixes, last["label"]
    shutdown()
    auth.store.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    proc, page = launch(tmp_path_factory.mktemp("chromium"), *KIOSK_FLAGS)
    yield page
    stop(proc, page)


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_full_size_board_fits_every_screen(full_hub, browser, size, tmp_path) -> None:
    base, auth, prefixes, last_label = full_hub
    width, height = SIZES[size]
    browser.viewport(width, height)
    browser.open(f"{base}/board")
    assert browser.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
    assert browser.js("[innerWidth, innerHeight]") == [width, height]
    assert browser.js("document.getElementById('sound-overlay').hidden") is True  # kiosk flags
    assert browser.js("document.getElementById('now-number').textContent") == last_label
    assert browser.js("document.querySelectorAll('#calls li').length") == 5
    ticker = "document.getElementById('ticker')"
    assert browser.js(f"{ticker}.hidden || {ticker}.classList.contains('running')") is False

    mark = browser.js("document.getElementById('page-mark').textContent")
    assert mark.startswith("1/"), "30 services cannot fit one page at readable size"
    pages = int(mark.split("/")[1])
    assert 2 <= pages <= 4  # paging, and not so many pages that a visitor waits long
    seen: dict[str, str] = {}
    for p in range(pages):
        browser.js(f"LoketBoard.showPage({p})")
        bad = browser.js(BOXES)
        assert bad == [], f"page {p + 1}/{pages} at {size}:\n" + "\n".join(map(str, bad))
        tiles = browser.js(TILES)
        assert tiles, f"page {p + 1} is empty"
        for tile in tiles:
            assert tile["letter"] == prefixes[tile["id"]]
            # Readable across the hall: at least 3% of the screen's height.
            assert tile["box"][3] >= 0.03 * height, tile
            seen[tile["id"]] = tile["letter"]
        if p == 0:
            png = browser.screenshot(tmp_path / f"board-{size}.png")
            assert_letters_drawn(png, tiles, (width, height))
            keep = os.environ.get("LOKET_SCREENSHOTS")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(tmp_path / f"board-{size}.png", Path(keep) / f"board-{size}.png")
    assert sorted(seen) == sorted(prefixes), "some service is on no page"

    # The clock: the hub's time in Asia/Jakarta, not the browser's (headless runs in UTC).
    hub_now = datetime.fromtimestamp(auth.now_ms() / 1000, ZoneInfo("Asia/Jakarta"))
    shown = browser.js("document.getElementById('clock').textContent")
    assert shown in {hub_now.strftime("%H:%M"), _minute_before(hub_now)}


def assert_letters_drawn(png: bytes, tiles: list[dict], size: tuple[int, int]) -> None:
    """The screenshot itself: every letter badge is yellow with dark glyph pixels in it."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == size
    for tile in tiles:
        left, top, w, h = (round(v) for v in tile["box"])
        badge = image.crop((left, top, left + w, top + h))
        colours = badge.getcolors(maxcolors=w * h)
        yellow = sum(n for n, c in colours if c[0] > 230 and c[1] > 190 and c[2] < 90)
        dark = sum(n for n, c in colours if max(c) < 60)
        assert yellow > 0.3 * w * h and dark > 0.03 * w * h, (tile, yellow, dark)


def _minute_before(moment: datetime) -> str:
    from datetime import timedelta

    return (moment - timedelta(minutes=1)).strftime("%H:%M")
