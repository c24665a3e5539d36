"""`loket node run` on the shipped counter profile beats to a real hub process: the hub
lists the node's health and logged its display's first status (device.status has a
producer reachable from a real entry point)."""

from __future__ import annotations

from pathlib import Path

from hubproc import (
    HubProcess,
    NodeProcess,
    demo_hub_profile,
    fresh_health,
    get,
    shipped_node_profile,
)


def test_node_run_sends_heartbeats(
    tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path
) -> None:
    hub_profile, tokens = demo_hub_profile(tmp_path, pair=("api", "C1"))
    hub = HubProcess(python, hub_profile, subprocess_env, repo_root)
    profile = shipped_node_profile(
        tmp_path, "counter-fake.toml", hub.url, tokens["C1"], tmp_path / "c1", "counter.toml"
    )
    node = NodeProcess(python, profile, subprocess_env, repo_root)
    try:
        health = fresh_health(hub.url, tokens["api"], "C1")
        assert health["state"] == "ok", health
        assert health["beat"]["role"] == "counter"
        assert health["devices"]["display"]["status"] == "ok"
        assert health["devices"]["buttons"]["status"] == "ok"
        feed = get(hub.url + "/api/v1/sync/changes?since=0&limit=500", tokens["api"])
        logged = [
            r["event"]["body"] for r in feed["results"] if r["event"]["type"] == "device.status"
        ]
        assert {(b["node"], b["device"], b["status"]) for b in logged} >= {("C1", "display", "ok")}
    finally:
        output = node.stop()
        hub.stop()
    assert node.returncode == 0, output
    assert "Traceback" not in output, output
