"""The browser board speaks, in a real headless Chromium against a real hub process.

The page's Web Audio is observed from outside the board's code: a script injected before the
page runs wraps fetch, decodeAudioData and AudioBufferSourceNode.start, so the test sees which
clip URLs were fetched, which decoded clips each played buffer is made of (sample by sample,
in order: gapless), when each started and ended (never two at once). The expected clips come
from core.announce, the one composer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chromium import AUDIO_SPY as SPY
from chromium import KIOSK_FLAGS, launch, needs_chromium, post, stop
from hubproc import HubProcess, demo_hub_profile

from core.announce import call_clips

pytestmark = needs_chromium

MAX_AGE_S = 10  # about two announcements: a call queued behind three others goes stale


@pytest.fixture
def hub(tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path):
    profile, tokens = demo_hub_profile(tmp_path, hub={"announce_max_age_s": MAX_AGE_S})
    process = HubProcess(python, profile, subprocess_env, repo_root)
    yield process.url, tokens["api"]
    process.stop()


def audio(page) -> dict:
    return page.js("JSON.parse(JSON.stringify(window.__audio))")


def wait_until(page, expression: str, timeout: float = 30.0):
    value = page.wait_js(f"Boolean({expression})", True, timeout)
    assert value is True, f"timed out: {expression}; audio: {audio(page)}"


def issue(base: str, token: str, *services: str) -> None:
    for i, service in enumerate(services):
        post(base, token, "/api/v1/tickets", {"req": f"t-{service}-{i}", "service": service})


def call(base: str, token: str, counter: str, action: str = "next", req: str = "") -> str:
    answer = post(base, token, f"/api/v1/counters/{counter}/{action}", {"req": req or f"{counter}"})
    return answer["ticket"]["label"]


def test_calls_are_heard_one_at_a_time_gapless_collapsed_and_never_stale(hub, tmp_path):
    base, token = hub
    proc, page = launch(tmp_path, *KIOSK_FLAGS)
    try:
        page.open(f"{base}/board", before=SPY)
        assert page.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
        wait_until(page, "LoketBoard.speaker.ctx.state === 'running'")
        assert page.js("document.getElementById('sound-overlay').hidden") is True
        issue(base, token, "C", "A", "D", "B")

        x = call(base, token, "C3", req="x")
        wait_until(page, "__audio.started.length === 1")  # X is being said
        y = call(base, token, "C1", req="y")
        # The screen shows Y at once; the voice is still on X.
        shown = page.wait_js("document.getElementById('now-number').textContent", y, 5)
        assert shown == y
        assert audio(page)["started"][0]["end"] is None
        # Near the end of X, Loket 1 presses RECALL twice: Y is still waiting, so the hall
        # hears Y once (were they queued, the repeats would still be fresh at their turn).
        wait_until(
            page,
            "LoketBoard.speaker.ctx.currentTime > __audio.started[0].start"
            " + __audio.started[0].duration - 1.2",
        )
        call(base, token, "C1", "recall", "y-recall-1")
        call(base, token, "C1", "recall", "y-recall-2")
        z = call(base, token, "C4", req="z")  # said after Y, in time
        w = call(base, token, "C2", req="w")  # behind X, Y and Z: too old by its turn

        wait_until(page, "__audio.started.length === 3 && __audio.started[2].end !== null", 40)
        time.sleep(1.0)  # W's turn came and went
        heard = audio(page)
        expected = [call_clips(x, 3), call_clips(y, 1), call_clips(z, 4)]
        assert [s["clips"] for s in heard["started"]] == expected
        # Fetched: exactly the clips said, each once; nothing of the dropped call.
        wanted = {clip for clips in expected for clip in clips}
        assert sorted(heard["fetched"]) == sorted(f"/sounds/id/{c}.wav" for c in wanted)
        assert heard["maxActive"] == 1
        for before, after in zip(heard["started"], heard["started"][1:], strict=False):
            assert after["start"] >= before["start"] + before["duration"] - 0.01  # no overlap
        assert any(
            level == "warning" and f"not announcing {w} -> 2" in text and "10 s limit" in text
            for level, text in page.console
        ), page.console

        call(base, token, "C1", "recall", "y-recall-3")  # said already: a recall is heard again
        wait_until(page, "__audio.started.length === 4", 20)
        assert audio(page)["started"][3]["clips"] == call_clips(y, 1)
        assert set(audio(page)["fetched"]) == {f"/sounds/id/{c}.wav" for c in wanted}  # cached
    finally:
        stop(proc, page)


def test_without_the_kiosk_flag_one_tap_turns_the_voice_on(hub, tmp_path):
    base, token = hub
    proc, page = launch(tmp_path)  # an ordinary browser: autoplay blocked
    try:
        page.open(f"{base}/board", before=SPY)
        wait_until(page, "!document.getElementById('sound-overlay').hidden", 10)
        overlay = page.js("document.getElementById('sound-overlay').textContent")
        assert "Ketuk layar untuk menyalakan suara panggilan" in overlay
        covers = page.js(
            """(() => {
          const o = document.getElementById('sound-overlay').getBoundingClientRect();
          return ['now-number', 'now-counter'].filter(id => {
            const r = document.getElementById(id).getBoundingClientRect();
            return r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom;
          });
        })()"""
        )
        assert covers == []  # the number and the counter stay readable meanwhile
        issue(base, token, "B")
        label = call(base, token, "C2", req="o-1")
        assert page.wait_js("document.getElementById('now-number').textContent", label) == label
        time.sleep(0.5)
        assert audio(page)["started"] == []  # blocked, and the board did not wait for it

        for kind in ("mousePressed", "mouseReleased"):
            page.call(
                "Input.dispatchMouseEvent", type=kind, x=200, y=200, button="left", clickCount=1
            )
        wait_until(page, "document.getElementById('sound-overlay').hidden", 10)
        wait_until(page, "__audio.started.length === 1", 10)  # the waiting call, still fresh
        assert audio(page)["started"][0]["clips"] == call_clips(label, 2)
    finally:
        stop(proc, page)


def test_sound_off_board_makes_no_audio_at_all(hub, tmp_path):
    base, token = hub
    proc, page = launch(tmp_path, *KIOSK_FLAGS)
    try:
        page.open(f"{base}/board?sound=0", before=SPY)
        assert page.wait_js("document.getElementById('conn').dataset.state", "online") == "online"
        assert page.js("document.getElementById('sound-overlay')") is None
        issue(base, token, "B")
        label = call(base, token, "C2", req="s-1")
        assert page.wait_js("document.getElementById('now-number').textContent", label) == label
        time.sleep(1.0)
        heard = audio(page)
        assert (heard["contexts"], heard["fetched"], heard["started"]) == (0, [], [])
    finally:
        stop(proc, page)


def test_the_browser_follows_the_same_rule_as_the_node(hub, tmp_path, repo_root):
    """The case table core/announce_queue.py is tested with, run through the page's
    transcription: same outcomes, same order, same drops."""
    base, _ = hub
    cases = json.loads((repo_root / "tests" / "announce_queue_cases.json").read_text("utf-8"))
    proc, page = launch(tmp_path)
    try:
        page.open(f"{base}/board?sound=0")
        mismatches = page.js(
            """((cases) => {
          const bad = [];
          for (const c of cases) {
            const q = new LoketAnnounceQueue(c.max_age_ms);
            for (const [op, a, expected] of c.steps) {
              let got;
              if (op === 'offer') got = q.offer(a.clips, a.at, a.now).outcome;
              else if (op === 'take') {
                const r = q.take(a.now);
                got = {play: r.item ? r.item.clips : null, dropped: r.dropped.map(d => d.clips)};
              } else got = q.pending.map(p => p.clips);
              if (JSON.stringify(got) !== JSON.stringify(expected))
                bad.push([c.name, op, a, expected, got]);
            }
          }
          return bad;
        })("""
            + json.dumps(cases["cases"])
            + ")"
        )
        assert mismatches == []
        assert len(cases["cases"]) >= 8
    finally:
        stop(proc, page)
