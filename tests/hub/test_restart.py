"""A real hub process (waitress), killed with SIGKILL right after acknowledging a ticket.

What was acknowledged must survive: the same request gets the same ticket after the restart,
and numbering continues after it. The stream endpoint is checked over real sockets too.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hubproc import HubProcess, one_service_profile

from hub.auth import pair_node
from hub.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def profile(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "hub-data"
    config = one_service_profile(tmp_path, "MPP Restart", data=data)
    store = Store(data)
    token = pair_node(store, "K1")
    store.close()
    return config, token


def test_acknowledged_ticket_survives_kill_9(profile, python, subprocess_env, repo_root):
    config, token = profile
    hub = HubProcess(python, config, subprocess_env, repo_root)
    try:
        status, first = hub.post("/api/v1/tickets", {"req": "K1:a:r1", "service": "B"}, token)
        assert status == 201 and first["ticket"]["label"] == "B-001"
        hub.kill9()  # right after the acknowledgement: no clean shutdown of anything
    finally:
        hub.stop()

    hub = HubProcess(python, config, subprocess_env, repo_root)
    try:
        status, again = hub.post("/api/v1/tickets", {"req": "K1:a:r1", "service": "B"}, token)
        assert status == 200
        assert again["event"] == first["event"]
        status, second = hub.post("/api/v1/tickets", {"req": "K1:a:r2", "service": "B"}, token)
        assert status == 201 and second["ticket"]["label"] == "B-002"
    finally:
        hub.stop()


def test_stream_over_waitress_resumes_from_last_event_id(
    profile, python, subprocess_env, repo_root
):
    config, token = profile
    hub = HubProcess(python, config, subprocess_env, repo_root)
    try:
        with urllib.request.urlopen(hub.url + "/healthz", timeout=30) as answer:
            seed = json.loads(answer.read())["last_hseq"]  # the catalogue seed (contract C1)
        for n in (1, 2):
            hub.post("/api/v1/tickets", {"req": f"r{n}", "service": "B"}, token)
        first = seed + 1
        resume = {"Last-Event-ID": str(first)}
        request = urllib.request.Request(hub.url + "/api/v1/stream", headers=resume)
        with urllib.request.urlopen(request, timeout=30) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            lines = []
            while not any(line.startswith("id: ") for line in lines):
                lines.append(stream.readline().decode().rstrip("\n"))
            assert lines[0] == "retry: 2000"
            assert "event: hello" in lines
            assert lines[-1] == f"id: {first + 1}"
            record = stream.readline().decode()
            assert record == "event: record\n"
            data = json.loads(stream.readline().decode().removeprefix("data: "))
            assert data["event"]["req"] == "r2"
    finally:
        hub.stop()
