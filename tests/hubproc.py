"""Real `loket hub serve` and `loket node` processes, for tests that must kill them like a
power cut or stop them like systemd does.

Shared by the restart, hall-board browser, black-box and node-process tests (importable
because tests/conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ONE_SERVICE_PROFILE = """
[mpp]
name = "{name}"
timezone = "Asia/Jakarta"

[hub]
host = "{host}"
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


def one_service_profile(
    tmp_path: Path,
    name: str,
    *,
    data: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
) -> Path:
    """``tmp_path/hub.toml``: agency bpjs, service B, counter C1, kiosk K1; on ``host`` and a
    free port (unless ``port``), its data in ``data`` (default ``tmp_path/data``)."""
    path = tmp_path / "hub.toml"
    text = ONE_SERVICE_PROFILE.format(
        name=name, host=host, port=port or free_port(), data=data or tmp_path / "data"
    )
    path.write_text(text, encoding="utf-8")
    return path


def demo_hub_profile(
    tmp_path: Path,
    *,
    pair: tuple[str, ...] = ("api",),
    hub: dict | None = None,
    name: str = "demo-belitung.toml",
    open_all_day: bool = True,
) -> tuple[Path, dict[str, str]]:
    """A shipped hub profile (``name`` in firmware_config/hub, the demo by default) on
    127.0.0.1 and a free port, its data in ``tmp_path/hub``, with tokens issued for ``pair``
    before the hub starts (a device token for a node of the profile's catalogue, else an
    operator token of role supervisor, such as the demo's ``api``); ``hub`` sets more
    ``[hub]`` keys. ``open_all_day`` (the default: these tests run on the real clock) drops
    the profile's calendar (``core.calendar.open_around_the_clock``). Returns (profile
    path, {node id: token})."""
    import json
    import re

    from core.config import load_hub_config
    from core.paths import demo_hub_profile as shipped
    from hub.auth import issue_operator_token, pair_node
    from hub.catalogue_export import folder_catalogue
    from hub.store import Store

    keys = {
        "host": "127.0.0.1",
        "port": free_port(),
        "data_dir": str(tmp_path / "hub"),
        **(hub or {}),
    }
    text = shipped().with_name(name).read_text(encoding="utf-8")
    for key, value in keys.items():
        line = f"{key} = {json.dumps(value)}"
        text, found = re.subn(rf"(?m)^{key} = .*$", line, text, count=1)
        if not found:
            text = text.replace("[hub]\n", f"[hub]\n{line}\n", 1)
    profile = tmp_path / "hub.toml"
    profile.write_text(text, encoding="utf-8")
    if open_all_day:
        from dataclasses import replace

        from core.calendar import open_around_the_clock
        from hub.catalogue_export import profile_text

        config = load_hub_config(profile)
        config = replace(config, catalogue=open_around_the_clock(config.catalogue))
        profile.write_text(profile_text(config)[0], encoding="utf-8")
    catalogue = folder_catalogue(load_hub_config(profile))
    store = Store(tmp_path / "hub")
    tokens = {
        name: pair_node(store, name, catalogue=catalogue)
        if catalogue.role_of(name)
        else issue_operator_token(store, name, "supervisor")
        for name in pair
    }
    store.close()
    return profile, tokens


class HubProcess:
    """``python -m loket.cli hub serve`` in the background, ready once it said where it
    listens; ``post()``, ``kill9()``, ``stop()``."""

    def __init__(self, python: str, config: Path, env: dict[str, str], cwd: Path):
        self.proc = subprocess.Popen(
            [python, "-m", "loket.cli", "hub", "serve", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
        )
        lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._pump = threading.Thread(target=self._read, args=(lines,), daemon=True)
        self._pump.start()
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

    def _read(self, lines: queue.Queue[str]) -> None:
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
            with e:  # an unread, unclosed error response leaks its socket
                return e.code, json.loads(e.read())

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        self._pump.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def get(url: str, token: str) -> dict:
    """GET ``url`` with a bearer token; the JSON answer (an HTTP error raises)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def wait_until(check, what: str, timeout: float = 60.0):
    """``check()``'s first true value within ``timeout`` s, else fail saying ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def fresh_health(hub_url: str, token: str, node_id: str) -> dict:
    """The hub's health entry of ``node_id`` once its heartbeat is fresh."""

    def health() -> dict | None:
        nodes = get(hub_url + "/api/v1/nodes", token)["nodes"]
        found = next(n["health"] for n in nodes if n["id"] == node_id)
        return found if found and found["fresh"] == "fresh" else None

    return wait_until(health, f"a fresh heartbeat of {node_id}")


def shipped_node_profile(
    tmp_path: Path, shipped: str, hub_url: str, token: str, data_dir: Path, name: str
) -> Path:
    """``firmware_config/node/<shipped>`` pointed at a test hub: its ``hub_url``, ``token``
    and ``data_dir`` lines replaced; written to ``tmp_path/<name>``."""
    from core.paths import firmware_config_dir

    text = (firmware_config_dir() / "node" / shipped).read_text("utf-8")
    for key, value in (("hub_url", hub_url), ("token", token), ("data_dir", str(data_dir))):
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", text)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


class NodeProcess:
    """``python -m loket.cli node <command> --config <profile>`` in the background."""

    def __init__(
        self, python: str, profile: Path, env: dict[str, str], cwd: Path, command: str = "run"
    ):
        self.proc = subprocess.Popen(
            [python, "-m", "loket.cli", "node", command, "--config", str(profile)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
        )

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def poll(self) -> int | None:
        return self.proc.poll()

    def output(self, timeout: float = 30) -> str:
        """Wait for the process to end (killed after ``timeout`` s); everything it printed."""
        try:
            return self.proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.communicate()[0]

    def stop(self) -> str:
        """Ctrl-C (SIGINT), as a technician would; returns everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.output()
