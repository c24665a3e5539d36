"""The shipped hall display profile under `loket node run` (no --simulate), against a real hub
process: a counter's call reaches the loudspeaker as the composer's clips, gapless, through
pygame.mixer on SDL's disk driver, with the pygame board open on SDL's dummy video driver."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import wave
from pathlib import Path

from hubproc import HubProcess, demo_hub_profile

from core.announce import call_clips
from core.paths import firmware_config_dir, sounds_dir


def samples(clips: list[str]) -> bytes:
    """What the mixer plays for ``clips``: the WAVs' frames back to back (same format)."""
    out = b""
    for name in clips:
        with wave.open(str(sounds_dir("id") / f"{name}.wav"), "rb") as w:
            out += w.readframes(w.getnframes())
    return out


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_shipped_display_profile_says_a_call_on_the_loudspeaker(
    tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path
) -> None:
    hub_profile, tokens = demo_hub_profile(tmp_path, pair=("api", "D1"))
    hub = HubProcess(python, hub_profile, subprocess_env, repo_root)
    text = (firmware_config_dir() / "node" / "display-pygame.toml").read_text("utf-8")
    text = re.sub(r"(?m)^hub_url = .*$", f'hub_url = "{hub.url}"', text)
    text = re.sub(r"(?m)^token = .*$", f'token = "{tokens["D1"]}"', text)
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "hall"}"', text)
    profile = tmp_path / "display.toml"
    profile.write_text(text, "utf-8")
    speaker = tmp_path / "speaker.raw"
    env = {
        **subprocess_env,
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "disk",
        "SDL_DISKAUDIOFILE": str(speaker),  # paced like a real loudspeaker (no DELAY=0)
    }
    node = subprocess.Popen(
        [python, "-m", "loket.cli", "node", "run", "--config", str(profile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=repo_root,
    )
    try:
        status = tmp_path / "hall" / "status.json"
        wait_for(
            lambda: status.exists() and json.loads(status.read_text()).get("online"),
            60,
            "the hall display to reach the hub",
        )
        code, _ = hub.post("/api/v1/tickets", {"req": "p-1", "service": "C"}, tokens["api"])
        assert code == 201
        code, answer = hub.post("/api/v1/counters/C3/next", {"req": "p-2"}, tokens["api"])
        assert code == 200
        expected = samples(call_clips(answer["ticket"]["label"], 3))
        wait_for(
            lambda: speaker.exists() and expected in speaker.read_bytes(),
            60,
            "the call's clips, back to back, at the loudspeaker",
        )
    finally:
        node.send_signal(signal.SIGINT)
        try:
            output = node.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            node.kill()
            output = node.communicate()[0]
        hub.stop()
    assert node.returncode == 0, output
    assert "Traceback" not in output, output
