"""``loket provision`` against real hubs (issue 14, item 1 acceptance).

End to end: a real ``loket hub serve`` process (tests/hubproc.py), ``loket hub device add``
as a subprocess (through the running hub's control route), ``loket provision`` (its main())
exchanging the code over HTTP; the node's calls then succeed, a reused code fails with a
clear message, ``loket hub revoke`` makes the next call 401. Expiry needs the hub's clock
moved, so that part runs the app with a FakeClock behind a real HTTP server in a thread.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hubproc import HubProcess, NodeProcess, demo_hub_profile

from core.config import load_node_config
from loket.cli import main

CODE = re.compile(r"code for (\S+) \((\w+)\): ([A-Z2-9]{4}-[A-Z2-9]{4})")


def loket(python, env, cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "loket.cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip


def call(url: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        with exc:
            exc.read()
            return exc.code


def provision(hub: str, code: str, tmp: Path, *extra: str) -> int:
    return main(
        ["provision", "--hub", hub, "--code", code, "--out", str(tmp / "etc" / "node.toml"),
         "--data", str(tmp / "node-data"), *extra]
    )  # fmt: skip


@pytest.mark.slow
def test_add_provision_call_reuse_and_revoke_end_to_end(
    tmp_path, python, subprocess_env, repo_root, capsys
):
    profile, _ = demo_hub_profile(tmp_path, pair=())
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        added = loket(python, subprocess_env, repo_root,
                      "hub", "device", "add", "C3", "--config", str(profile))  # fmt: skip
        assert added.returncode == 0, added.stderr
        node, role, code = CODE.search(added.stdout).groups()
        assert (node, role) == ("C3", "counter")
        assert "loket provision --hub http://127.0.0.1:" in added.stdout

        assert provision(hub.url, code, tmp_path, "--template", "counter-tm1637") == 0
        out = capsys.readouterr()
        assert "Provisioned C3: counter" in out.out and "check     OK" in out.out
        token_file = tmp_path / "etc" / "token"
        token = token_file.read_text().strip()
        assert token not in out.out + out.err + added.stdout  # never printed
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

        config = load_node_config(tmp_path / "etc" / "node.toml")
        assert (config.node.id, config.node.role, config.node.counter) == ("C3", "counter", "C3")
        assert config.node.token_file == token_file and config.node.token == token
        assert config.node.hub_url == hub.url
        assert config.node.data_dir == tmp_path / "node-data"
        assert config.display.backend == "tm1637" and list(config.display.get("prefixes")) == ["C"]
        assert config.buttons.get("pins")["next"] == 17  # the template's hardware is kept

        # the node's calls succeed
        assert call(hub.url + "/api/v1/counters/C3/next", token, {"req": "C3:r1"}) == 200
        assert call(hub.url + "/api/v1/sync/changes?since=0", token) == 200

        # the code works once: a second Pi gets a clear message and nothing is written
        other = tmp_path / "second"
        assert provision(hub.url, code, other, "--template", "counter-tm1637") == 1
        err = capsys.readouterr().err
        assert "the hub refused the code: this code was used" in err and "works once" in err
        assert not (other / "etc").exists()

        listed = loket(python, subprocess_env, repo_root, "hub", "tokens", "--config", str(profile))
        assert listed.returncode == 0, listed.stderr
        row = next(ln for ln in listed.stdout.splitlines() if ln.startswith("C3 "))
        assert "device" in row and "counter" in row and token[:6] in row and "active" in row
        assert token not in listed.stdout

        revoked = loket(python, subprocess_env, repo_root,
                        "hub", "revoke", token[:8], "--config", str(profile))  # fmt: skip
        assert revoked.returncode == 0, revoked.stderr
        assert "revoked the token of C3" in revoked.stdout
        # refused at once, on the very next request
        assert call(hub.url + "/api/v1/sync/changes?since=0", token) == 401
        again = loket(python, subprocess_env, repo_root,
                      "hub", "revoke", "C3", "--config", str(profile))  # fmt: skip
        assert again.returncode == 2 and "already revoked" in again.stderr
        unknown = loket(python, subprocess_env, repo_root,
                        "hub", "device", "add", "Z9", "--config", str(profile))  # fmt: skip
        assert unknown.returncode == 2 and "not a counter, kiosk or display" in unknown.stderr
    finally:
        hub.stop()


@pytest.mark.slow
def test_the_node_agent_runs_on_the_provisioned_profile(
    tmp_path, python, subprocess_env, repo_root, capsys
):
    profile, _ = demo_hub_profile(tmp_path, pair=())
    hub = HubProcess(python, profile, subprocess_env, repo_root)
    node = None
    try:
        added = loket(python, subprocess_env, repo_root,
                      "hub", "device", "add", "C1", "--config", str(profile))  # fmt: skip
        code = CODE.search(added.stdout).group(3)
        assert provision(hub.url, code, tmp_path, "--template", "counter-fake") == 0
        capsys.readouterr()
        node = NodeProcess(python, tmp_path / "etc" / "node.toml", subprocess_env, repo_root)
        status = tmp_path / "node-data" / "status.json"
        deadline = time.monotonic() + 60
        while not (status.exists() and json.loads(status.read_text() or "{}").get("online")):
            assert node.poll() is None, node.output()
            assert time.monotonic() < deadline, "the provisioned counter never reached the hub"
            time.sleep(0.1)
    finally:
        output = ""
        if node is not None:
            output = node.stop()
        hub.stop()
    assert node.returncode == 0, output
    assert "Traceback" not in output and "401" not in output, output


def test_device_add_without_a_running_hub_writes_the_store(
    tmp_path, python, subprocess_env, repo_root
):
    profile, tokens = demo_hub_profile(tmp_path, pair=("C1",))
    listed = loket(python, subprocess_env, repo_root, "hub", "tokens", "--config", str(profile))
    assert listed.returncode == 0 and tokens["C1"][:6] in listed.stdout, listed.stderr
    assert "(times in Asia/Jakarta)" in listed.stdout
    revoked = loket(python, subprocess_env, repo_root,
                    "hub", "revoke", "C1", "--config", str(profile))  # fmt: skip
    assert revoked.returncode == 0 and "revoked the token of C1" in revoked.stdout
    added = loket(python, subprocess_env, repo_root, "hub", "device", "add", "D1",
                  "--minutes", "30", "--config", str(profile))  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "(display)" in added.stdout and "(30 min)" in added.stdout
    from hub.store import Store

    store = Store(tmp_path / "hub")
    try:
        [doc] = store.pairing_codes()
        assert doc["node"] == "D1" and doc["expires_ms"] - doc["created_ms"] == 30 * 60_000
        assert store.node("C1")["revoked_ms"]
    finally:
        store.close()


# -- against an app with a FakeClock behind a real HTTP server ----------------------------------


@pytest.fixture
def served(tmp_path):
    """(url, authority, clock) of a hub app served by werkzeug on an ephemeral port."""
    from werkzeug.serving import make_server

    from core.clock import FakeClock
    from core.config import load_hub_config
    from hub import create_app

    profile, _ = demo_hub_profile(tmp_path, pair=())
    clock = FakeClock(wall_ms=1_795_831_200_000, mono_ms=1_000, boot_id="provision")
    app = create_app(load_hub_config(profile), clock=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app.extensions["loket"], clock
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()
        app.extensions["loket"].store.close()


def code_for(authority, node: str) -> str:
    from hub.pairing import new_code

    made = new_code(
        authority.store, node, catalogue=authority.catalogue(), now_ms=authority.now_ms()
    )
    return made["code"]


def test_an_expired_code_fails_with_a_clear_message(served, tmp_path, capsys):
    url, authority, clock = served
    code = code_for(authority, "K1")
    clock.advance(16 * 60_000)
    assert provision(url, code, tmp_path) == 1
    err = capsys.readouterr().err
    assert "the hub refused the code: this code expired 1 min ago" in err
    assert "loket hub device add K1" in err
    assert not (tmp_path / "etc").exists()


def test_default_template_per_role_and_the_kiosk_profile(served, tmp_path, capsys):
    url, authority, _ = served
    assert provision(url, code_for(authority, "K1"), tmp_path) == 0
    assert "template kiosk-usb" in capsys.readouterr().out
    config = load_node_config(tmp_path / "etc" / "node.toml")
    assert config.node.role == "kiosk" and config.node.services == ("A", "B", "C", "D")
    assert config.printer.backend == "usb"


def test_a_template_of_another_role_does_not_spend_the_code(served, tmp_path, capsys):
    url, authority, _ = served
    code = code_for(authority, "D1")
    assert provision(url, code, tmp_path, "--template", "counter-fake") == 1
    assert "a display, not a counter" in capsys.readouterr().err
    assert not (tmp_path / "etc").exists()
    assert provision(url, code, tmp_path, "--template", "display-pygame") == 0
    assert load_node_config(tmp_path / "etc" / "node.toml").node.id == "D1"


def test_readable_errors_before_anything_is_spent(served, tmp_path, capsys):
    url, authority, _ = served
    code = code_for(authority, "C1")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "node.toml").write_text("# a profile already here\n")
    assert provision(url, code, tmp_path) == 2
    assert "exists; add --force" in capsys.readouterr().err
    assert provision(url, code, tmp_path, "--force", "--template", "nope") == 2
    assert "no template 'nope'; expected one of: counter-fake" in capsys.readouterr().err
    assert provision("http://127.0.0.1:9", code, tmp_path, "--force") == 1
    assert "cannot reach the hub at http://127.0.0.1:9" in capsys.readouterr().err
    assert main(["provision", "--hub", url]) == 2
    assert "--code CODE are needed" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        spoiled = ["--out", str(locked / "etc" / "node.toml")]
        if os.geteuid() != 0:  # root writes anywhere
            assert provision(url, code, tmp_path, *spoiled) == 2
            assert "is not writable for this user" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)
    # none of that spent the code
    assert provision(url, code, tmp_path, "--force") == 0


def test_a_template_for_another_display_kind_is_noted(served, tmp_path, capsys):
    url, authority, _ = served
    assert provision(url, code_for(authority, "C4"), tmp_path, "--template", "counter-serial") == 0
    out = capsys.readouterr().out
    assert "Note: the hub lists C4's display as '7seg' but the template drives a 'serial'" in out


def test_list_names_every_template_with_its_role(capsys):
    assert main(["provision", "--list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^counter-max7219\s+counter\s+.*\(default\)$", out, re.M)
    assert re.search(r"^display-pygame\s+display\s", out, re.M)
    assert re.search(r"^kiosk-usb\s+kiosk\s", out, re.M)
