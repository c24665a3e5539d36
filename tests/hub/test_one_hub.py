"""One hub per data folder, and CLI tools that agree with a running hub (issue 8, item 6).

Real ``loket hub serve`` processes: a second one on the same folder refuses before it binds
(one line naming the folder and the PID holding it); ``loket hub pair``, ``adduser``,
``backup`` and ``lift-barrier`` while the hub runs go through it (the token works at once,
nothing is lost when the hub writes next); ``restore`` refuses. And the start-up faults that
used to be tracebacks: a journal out of order, a port in use, a bad ``[hub] host``.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hubproc import HubProcess, free_port, one_service_profile

pytestmark = pytest.mark.slow


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return one_service_profile(tmp_path, "MPP Satu Hub")


def loket(python, env, cwd, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "loket.cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, input=stdin,
    )  # fmt: skip


def get(url: str, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def token_of(out: str, name: str) -> str:
    return out.split(f"token for {name}: ", 1)[1].split()[0]


def test_a_second_hub_on_the_same_folder_refuses_before_binding(
    profile, tmp_path, python, subprocess_env, repo_root
):
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        other_port = free_port()
        second = loket(python, subprocess_env, repo_root, "hub", "serve", "--config",
                       str(profile), "--port", str(other_port))  # fmt: skip
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr  # one line, no traceback
        assert str(tmp_path / "data") in lines[0] and f"PID {hub.proc.pid}" in lines[0]
        # it never bound its port: something else can take it
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", other_port))
    finally:
        hub.stop()


def test_cli_writes_go_through_the_running_hub(
    profile, tmp_path, python, subprocess_env, repo_root
):
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        paired = loket(python, subprocess_env, repo_root, "hub", "pair", "K1",
                       "--config", str(profile))  # fmt: skip
        assert paired.returncode == 0, paired.stderr
        token = token_of(paired.stdout, "K1")
        # the token works at once, against the running hub
        status, answer = hub.post("/api/v1/tickets", {"req": "K1:r1", "service": "B"}, token)
        assert status == 201 and answer["ticket"]["label"] == "B-001"
        op = loket(python, subprocess_env, repo_root, "hub", "pair", "desk", "--role",
                   "viewer", "--config", str(profile))  # fmt: skip
        assert op.returncode == 0, op.stderr
        status, _ = get(hub.url + "/api/v1/nodes", token_of(op.stdout, "desk"))
        assert status == 200
        unknown = loket(python, subprocess_env, repo_root, "hub", "pair", "C9",
                        "--config", str(profile))  # fmt: skip
        assert unknown.returncode == 2 and "not a counter, kiosk or display" in unknown.stderr

        secret = tmp_path / "pw"
        secret.write_text("kata-sandi-panjang\n")
        added = loket(python, subprocess_env, repo_root, "hub", "adduser", "manajer",
                      "--role", "supervisor", "--password-file", str(secret),
                      "--config", str(profile))  # fmt: skip
        assert added.returncode == 0, added.stderr

        backup = loket(python, subprocess_env, repo_root, "hub", "backup",
                       str(tmp_path / "bk"), "--config", str(profile))  # fmt: skip
        assert backup.returncode == 0, backup.stderr
        assert (tmp_path / "bk" / "hub.json").exists()
        backed_up = json.loads((tmp_path / "bk" / "hub.json").read_text())
        assert "manajer" in json.dumps(backed_up["users"])

        restore = loket(python, subprocess_env, repo_root, "hub", "restore",
                        str(tmp_path / "bk"), "--config", str(profile))  # fmt: skip
        assert restore.returncode == 1 and "in use by a running hub" in restore.stderr
        assert (tmp_path / "data").exists() and not list(tmp_path.glob("data.before-restore-*"))

        # a later write of the hub's own keeps what the CLI wrote (it was the hub's write)
        status, _ = hub.post("/api/v1/tickets", {"req": "K1:r2", "service": "B"}, token)
        assert status == 201
    finally:
        hub.stop()
    from hub.auth import node_for_token, verify_user
    from hub.store import Store

    store = Store(tmp_path / "data")
    try:
        assert node_for_token(store, token) == "K1"
        assert verify_user(store, "manajer", "kata-sandi-panjang")["role"] == "supervisor"
    finally:
        store.close()


def test_the_control_file_is_for_root_and_the_hub_user_only(
    profile, tmp_path, python, subprocess_env, repo_root
):
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        control = tmp_path / "data" / "control.json"
        assert oct(control.stat().st_mode & 0o777) == "0o600"
        info = json.loads(control.read_text())
        assert info["pid"] == hub.proc.pid and info["url"] == hub.url
        forged = urllib.request.Request(
            hub.url + "/control/pair", data=b'{"node_id": "K1"}', method="POST",
            headers={"Content-Type": "application/json", "X-Loket-Control": "guess"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=30)
        with refused.value:
            assert refused.value.code == 401
    finally:
        hub.stop()
    assert not (tmp_path / "data" / "control.json").exists()  # removed at a clean stop


def test_lift_barrier_from_the_cli_with_and_without_a_running_hub(
    profile, tmp_path, python, subprocess_env, repo_root
):
    from hub.store import Store, restore_from

    store = Store(tmp_path / "data")
    store.backup_to(tmp_path / "bk")
    store.close()
    restore_from(tmp_path / "bk", tmp_path / "data")
    paired = loket(python, subprocess_env, repo_root, "hub", "pair", "K1", "--config", str(profile))
    token = token_of(paired.stdout, "K1")
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        status, body = hub.post("/api/v1/tickets", {"req": "r", "service": "B"}, token)
        assert status == 503 and body["error"] == "recovery_barrier"
        lifted = loket(python, subprocess_env, repo_root, "hub", "lift-barrier",
                       "--config", str(profile))  # fmt: skip
        assert lifted.returncode == 0, lifted.stderr
        status, body = hub.post("/api/v1/tickets", {"req": "r", "service": "B"}, token)
        assert status == 201
    finally:
        hub.stop()


def test_a_journal_out_of_order_says_what_happened_and_how_to_recover(
    profile, tmp_path, python, subprocess_env, repo_root
):
    from core.events import make_event
    from core.journal import Journal

    def hello(seq: int) -> dict:
        body = {"boot_id": "b", "mono_ms": seq, "wall_ms": 0}
        return make_event("K1", "k1a", seq, "node.hello", body=body).to_dict()

    journal = Journal(tmp_path / "data" / "journal", prefix="events")
    journal.append([{"hseq": 1, "recv_ms": 1, "est_ms": 1, "event": hello(1)},
                    {"hseq": 3, "recv_ms": 1, "est_ms": 1, "event": hello(2)}])  # fmt: skip
    journal.close()
    done = loket(python, subprocess_env, repo_root, "hub", "serve", "--config", str(profile))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "out of order" in done.stderr and "loket hub restore" in done.stderr


def test_a_port_in_use_is_one_line(profile, tmp_path, python, subprocess_env, repo_root):
    import socket

    port = int(profile.read_text().split("port = ", 1)[1].split()[0])
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        done = loket(python, subprocess_env, repo_root, "hub", "serve", "--config", str(profile))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    # and the folder is free again for the next try
    assert not os.path.exists(tmp_path / "data" / "control.json")
    from hub.store import Store

    Store(tmp_path / "data").close()


@pytest.mark.parametrize("host", ["http://0.0.0.0", "0.0.0.0:8080", "hub pi", "999.1.1.1"])
def test_a_bad_host_is_a_config_error_with_its_key_path(
    tmp_path, python, subprocess_env, repo_root, host
):
    path = one_service_profile(tmp_path, "MPP Satu Hub", host=host, port=8080)
    done = loket(python, subprocess_env, repo_root, "config", "check", str(path))
    assert done.returncode == 2
    assert f"{path}: hub.host: {host!r} is not an address to listen on" in done.stderr
