"""`loket node run` on the shipped counter profile beats to a real hub process: the hub
lists the node's health and logged its display's first status (device.status has a
producer reachable from a real entry point)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from hubproc import HubProcess, demo_hub_profile

from core.paths import firmware_config_dir


def get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def test_node_run_sends_heartbeats(
    tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path
) -> None:
    hub_profile, tokens = demo_hub_profile(tmp_path, pair=("api", "C1"))
    hub = HubProcess(python, hub_profile, subprocess_env, repo_root)
    text = (firmware_config_dir() / "node" / "counter-fake.toml").read_text("utf-8")
    text = re.sub(r"(?m)^hub_url = .*$", f'hub_url = "{hub.url}"', text)
    text = re.sub(r"(?m)^token = .*$", f'token = "{tokens["C1"]}"', text)
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "c1"}"', text)
    profile = tmp_path / "counter.toml"
    profile.write_text(text, "utf-8")
    node = subprocess.Popen(
        [python, "-m", "loket.cli", "node", "run", "--config", str(profile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env,
        cwd=repo_root,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            nodes = get(hub.url + "/api/v1/nodes", tokens["api"])["nodes"]
            health = next(n["health"] for n in nodes if n["id"] == "C1")
            if health and health["fresh"] == "fresh":
                break
            time.sleep(0.2)
        assert health and health["state"] == "ok", health
        assert health["beat"]["role"] == "counter"
        assert health["devices"]["display"]["status"] == "ok"
        assert health["devices"]["buttons"]["status"] == "ok"
        feed = get(hub.url + "/api/v1/sync/changes?since=0&limit=500", tokens["api"])
        logged = [
            r["event"]["body"] for r in feed["results"] if r["event"]["type"] == "device.status"
        ]
        assert {(b["node"], b["device"], b["status"]) for b in logged} >= {("C1", "display", "ok")}
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
