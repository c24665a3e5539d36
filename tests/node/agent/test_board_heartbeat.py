"""A browser display sends heartbeats: `loket node board` on the shipped display-browser
profile starts a companion before it becomes Chromium (here a stand-in script), the hub lists
the display as reporting with its screen, and the companion stops when Chromium does. A
board URL the hub refuses is a screen fault; a profile without a token sends nothing and says
why."""

from __future__ import annotations

import io
import re
import time
from contextlib import redirect_stderr
from pathlib import Path

from hubproc import HubProcess, NodeProcess, demo_hub_profile, fresh_health

from core.config import load_node_config
from core.paths import firmware_config_dir
from node import board_heartbeat
from node.transport import HttpTransport


def browser_profile(tmp_path: Path, hub_url: str, token: str, chromium: Path, **more) -> Path:
    text = (firmware_config_dir() / "node" / "display-browser.toml").read_text("utf-8")
    text = re.sub(r'(?m)^id = "D2"', 'id = "D1"', text)
    text = re.sub(r"(?m)^hub_url = .*$", f'hub_url = "{hub_url}"', text)
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "d1"}"', text)
    text = re.sub(r"(?m)^# browser = .*$", f'browser = "{chromium}"', text)
    for key, value in more.items():
        text = re.sub(rf"(?m)^# {key} = .*$", f'{key} = "{value}"', text)
    if token:
        text = text.replace('role = "display"', f'role = "display"\ntoken = "{token}"')
    path = tmp_path / "display.toml"
    path.write_text(text, "utf-8")
    return path


def stand_in_chromium(tmp_path: Path) -> tuple[Path, Path]:
    """A 'chromium' that records its arguments and runs until the stop file appears."""
    stop = tmp_path / "stop-chromium"
    script = tmp_path / "chromium"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {tmp_path / "chromium.args"}\n'
        f"i=0; while [ ! -e {stop} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
    )
    script.chmod(0o755)
    return script, stop


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def test_node_board_beats_for_the_display_until_chromium_ends(
    tmp_path: Path, python: str, subprocess_env: dict, repo_root: Path
) -> None:
    hub_profile, tokens = demo_hub_profile(tmp_path, pair=("api", "D1"))
    hub = HubProcess(python, hub_profile, subprocess_env, repo_root)
    chromium, stop = stand_in_chromium(tmp_path)
    profile = browser_profile(tmp_path, hub.url, tokens["D1"], chromium)
    board = NodeProcess(python, profile, subprocess_env, repo_root, command="board")
    companions: list[int] = []
    try:
        health = fresh_health(hub.url, tokens["api"], "D1")
        assert health["state"] == "ok", health
        assert health["beat"]["role"] == "display"
        screen = health["devices"]["screen"]
        assert screen == {"status": "ok", "detail": "chromium kiosk on /board?display=D1"}
        assert health["beat"]["disk_free_mb"] > 0
        # the board process is Chromium now (exec: same pid), the companion its child
        assert "--kiosk" in (tmp_path / "chromium.args").read_text()
        companions = children_of(board.proc.pid)
        assert companions, "no heartbeat companion under Chromium"
    finally:
        stop.touch()  # Chromium ends: the board process was Chromium (exec)
        output = board.output()
        hub.stop()
    assert board.returncode == 0, output
    deadline = time.monotonic() + 30
    while not all(gone(pid) for pid in companions) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(pid) for pid in companions), "the companion outlived Chromium"
    assert "Traceback" not in output, output


class ClientTransport:
    """The transport contract over the hub app's test client, as display D1 (no import of
    the agent conftest's: a `from conftest import` breaks beside other test folders)."""

    def __init__(self, hub) -> None:
        self.client, self.token = hub.app.test_client(), hub.tokens["D1"]

    def request(self, method, path, json=None, timeout=None):
        auth = {"Authorization": f"Bearer {self.token}"}
        resp = self.client.open(path, method=method, json=json, headers=auth)
        body = resp.get_json(silent=True) or {}
        resp.close()
        return resp.status_code, body


def test_a_board_url_the_hub_refuses_is_a_screen_fault(hub, tmp_path) -> None:
    url = "http://hub.test/board?zone=lantai-9"
    profile = browser_profile(tmp_path, "http://hub.test", "t", Path("/bin/true"), url=url)
    beat = board_heartbeat.beat_for(load_node_config(profile), transport=ClientTransport(hub))
    assert beat.tick() is True
    (logged,) = [e["body"] for e in hub.events("device.status") if e["body"]["node"] == "D1"]
    assert (logged["device"], logged["status"]) == ("screen", "fault")
    assert "/board?zone=lantai-9 answers 400" in logged["detail"]


def test_without_a_token_no_companion_and_a_reason(tmp_path) -> None:
    profile = browser_profile(tmp_path, "http://127.0.0.1:9", "", Path("/bin/true"))
    err = io.StringIO()
    with redirect_stderr(err):
        assert board_heartbeat.start_companion(profile, load_node_config(profile)) is None
    assert "D1 has no [node] token, so it sends no heartbeat" in err.getvalue()


def test_the_companion_stops_when_its_parent_is_not_chromium_any_more(tmp_path) -> None:
    profile = browser_profile(tmp_path, "http://127.0.0.1:9", "t", Path("/bin/true"))
    beat = board_heartbeat.beat_for(load_node_config(profile))
    assert isinstance(beat.ctx.transport, HttpTransport)
    ticks = []
    beat.tick = lambda: ticks.append(1) or False  # type: ignore[method-assign]
    board_heartbeat.run(beat, parent=-1)  # not our parent: returns at once
    assert ticks == []
