"""A real hub process (waitress), killed with SIGKILL right after acknowledging a ticket.

What was acknowledged must survive: the same request gets the same ticket after the restart,
and numbering continues after it. The stream endpoint is checked over real sockets too.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hub.auth import pair_node
from hub.store import Store

pytestmark = pytest.mark.slow

PROFILE = """
[mpp]
name = "MPP Restart"
timezone = "Asia/Jakarta"

[hub]
host = "127.0.0.1"
port = {port}
data_dir = "{data}"
threads = 8

[[agencies]]
id = "bpjs"
name = "BPJS"

[[services]]
id = "B"
name = "BPJS"
agency = "bpjs"

[[counters]]
id = "C1"
name = "Loket 1"
number = 1
services = ["B"]

[[kiosks]]
id = "K1"
name = "Kiosk 1"
services = ["B"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, python: str, config: Path, env: dict[str, str], cwd: Path):
        self.proc = subprocess.Popen(
            [python, "-m", "core.cli", "hub", "serve", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
        )
        lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, args=(lines,), daemon=True)
        self._pump_thread.start()
        self.output: list[str] = []
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                self.stop()
                pytest.fail("hub did not start:\n" + "".join(self.output))
            self.output.append(line)
            if "serving on http://" in line:
                self.url = line.split("serving on ", 1)[1].split()[0].rstrip("/")
                return
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail("hub exited:\n" + "".join(self.output))

    def _pump(self, lines: queue.Queue[str]) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            lines.put(line)

    def post(self, path: str, body: dict, token: str) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._pump_thread.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def profile(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "hub-data"
    config = tmp_path / "hub.toml"
    config.write_text(PROFILE.format(port=free_port(), data=data))
    store = Store(data)
    token = pair_node(store, "K1")
    store.close()
    return config, token


def test_acknowledged_ticket_survives_kill_9(profile, python, subprocess_env, repo_root):
    config, token = profile
    hub = Hub(python, config, subprocess_env, repo_root)
    try:
        status, first = hub.post("/api/v1/tickets", {"req": "K1:a:r1", "service": "B"}, token)
        assert status == 201 and first["ticket"]["label"] == "B-001"
        hub.kill9()  # right after the acknowledgement: no clean shutdown of anything
    finally:
        hub.stop()

    hub = Hub(python, config, subprocess_env, repo_root)
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
    hub = Hub(python, config, subprocess_env, repo_root)
    try:
        for n in (1, 2):
            hub.post("/api/v1/tickets", {"req": f"r{n}", "service": "B"}, token)
        request = urllib.request.Request(hub.url + "/api/v1/stream", headers={"Last-Event-ID": "1"})
        with urllib.request.urlopen(request, timeout=30) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            lines = []
            while not any(line.startswith("id: ") for line in lines):
                lines.append(stream.readline().decode().rstrip("\n"))
            assert lines[0] == "retry: 2000"
            assert "event: hello" in lines
            assert lines[-1] == "id: 2"
            record = stream.readline().decode()
            assert record == "event: record\n"
            data = json.loads(stream.readline().decode().removeprefix("data: "))
            assert data["event"]["req"] == "r2"
    finally:
        hub.stop()
