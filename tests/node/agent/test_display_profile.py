"""The shipped hall display profile under `loket node run` (no --simulate), against a real hub
process: a counter's call reaches the loudspeaker as the composer's clips, gapless, through
pygame.mixer on SDL's disk driver, with the pygame board open on SDL's dummy video driver."""

from __future__ import annotations

import json
import wave
from pathlib import Path

from hubproc import HubProcess, NodeProcess, demo_hub_profile, shipped_node_profile, wait_until

from core.announce import call_clips
from core.paths import sounds_dir


def samples(clips: list[str]) -> bytes:
    """What the mixer plays for ``clips``: the WAVs' frames back to back (same format)."""
    out = b""
    for name in clips:
        with wave.open(str(sounds_dir("id") / f"{name}.wav"), "rb") as w:
            out += w.readframes(w.getnframes())
    return out


def test_the_shipped_display_profile_says_a_call_on_the_loudspeaker(
    tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path
) -> None:
    hub_profile, tokens = demo_hub_profile(tmp_path, pair=("api", "D1"))
    hub = HubProcess(python, hub_profile, subprocess_env, repo_root)
    profile = shipped_node_profile(
        tmp_path, "display-pygame.toml", hub.url, tokens["D1"], tmp_path / "hall", "display.toml"
    )
    speaker = tmp_path / "speaker.raw"
    env = {
        **subprocess_env,
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "disk",
        "SDL_DISKAUDIOFILE": str(speaker),  # paced like a real loudspeaker (no DELAY=0)
    }
    node = NodeProcess(python, profile, env, repo_root)
    try:
        status = tmp_path / "hall" / "status.json"
        wait_until(
            lambda: status.exists() and json.loads(status.read_text()).get("online"),
            "the hall display to reach the hub",
        )
        code, _ = hub.post("/api/v1/tickets", {"req": "p-1", "service": "C"}, tokens["api"])
        assert code == 201
        code, answer = hub.post("/api/v1/counters/C3/next", {"req": "p-2"}, tokens["api"])
        assert code == 200
        expected = samples(call_clips(answer["ticket"]["label"], 3))
        wait_until(
            lambda: speaker.exists() and expected in speaker.read_bytes(),
            "the call's clips, back to back, at the loudspeaker",
        )
    finally:
        output = node.stop()
        hub.stop()
    assert node.returncode == 0, output
    assert "Traceback" not in output, output
