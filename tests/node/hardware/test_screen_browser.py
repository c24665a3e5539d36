"""The Chromium kiosk hall display: the shipped profile validates (no token: the board is
public), ``loket node board`` becomes Chromium with the kiosk and autoplay flags on
``<hub>/board?display=<id>``, mistakes are caught by ``loket config check``, and the systemd
unit starts it under cage, checks the profile first, keeps the screen on and restarts it.

The board itself in Chromium, started with these flags: tests/hub/ui/test_board_zones_browser.py.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import pytest

from core.config import load_node_config, node_config_from_dict
from core.errors import ConfigError
from core.paths import firmware_config_dir
from node.hardware.errors import HardwareError
from node.hardware.screen import make_screen
from node.hardware.screen_browser import KIOSK_FLAGS, board_url, chromium_argv

PROFILE = firmware_config_dir() / "node" / "display-browser.toml"
UNIT = firmware_config_dir() / "systemd" / "loket-board.service"


@pytest.fixture
def chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A program named chromium first on the PATH (what apt installs on a Pi)."""
    program = tmp_path / "bin" / "chromium"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    return program


def profile(tmp_path: Path, **screen) -> dict:
    return {
        "node": {
            "id": "D2",
            "role": "display",
            "hub_url": "http://hub.local:8080",
            "data_dir": str(tmp_path / "node"),
        },
        "screen": {"backend": "browser", **screen},
    }


def problems(raw: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        node_config_from_dict(raw)
    return {p.path: p.message for p in err.value.problems}


def test_the_shipped_profile_opens_its_displays_board_in_kiosk_mode(chromium) -> None:
    cfg = load_node_config(PROFILE)
    assert cfg.node.token == "" and cfg.sound is None
    argv = chromium_argv(cfg)
    assert argv[0] == str(chromium)
    assert argv[-1] == "http://hub.local:8080/board?display=D2"
    assert argv[-2] == "--user-data-dir=/var/lib/loket/node/chromium"
    assert argv[1:-2] == list(KIOSK_FLAGS)
    for flag in ("--kiosk", "--autoplay-policy=no-user-gesture-required", "--noerrdialogs"):
        assert flag in argv


def test_language_silence_and_an_explicit_url(tmp_path) -> None:
    cfg = node_config_from_dict(profile(tmp_path, lang="en", sound=False))
    assert (
        board_url(cfg.node, cfg.screen) == "http://hub.local:8080/board?display=D2&lang=en&sound=0"
    )
    url = "http://10.0.0.2:8080/board?zone=lantai-2"
    cfg = node_config_from_dict(profile(tmp_path, url=url))
    assert board_url(cfg.node, cfg.screen) == url


def test_config_check_catches_what_would_make_a_wrong_tv(tmp_path) -> None:
    raw = profile(tmp_path, url="ftp://hub/board", colour="red")
    raw["sound"] = {"backend": "pygame"}
    found = problems(raw)
    assert "no [sound] section" in found["sound"]  # the hall would hear every call twice
    assert "http(s) URL" in found["screen.url"]
    assert "screen.colour" in found
    counter = profile(tmp_path)
    counter["node"].update(role="counter", counter="C1", id="C1", token="t")
    counter["buttons"] = {"backend": "fake"}
    assert "hall display's board" in problems(counter)["screen.backend"]


def test_a_display_zone_key_is_for_displays_only(tmp_path) -> None:
    shown = profile(tmp_path)
    shown["node"]["zone"] = "lantai-2"
    assert node_config_from_dict(shown).node.zone == "lantai-2"
    kiosk = {
        "node": {"id": "K1", "role": "kiosk", "hub_url": "http://hub", "token": "t",
                 "services": ["A"], "zone": "lantai-1"},
        "printer": {"backend": "fake"},
    }  # fmt: skip
    assert "only used by role 'display'" in problems(kiosk)["node.zone"]


def test_the_node_agent_refuses_to_pretend_it_draws_a_browser_board() -> None:
    with pytest.raises(HardwareError, match="loket node board"):
        make_screen({"backend": "browser"})


def test_without_chromium_the_error_says_what_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HardwareError, match="apt install chromium cage"):
        chromium_argv(node_config_from_dict(profile(tmp_path)))
    with pytest.raises(HardwareError, match='no \\[screen\\] backend = "browser"'):
        chromium_argv(load_node_config(firmware_config_dir() / "node" / "display-pygame.toml"))


def test_loket_node_board_prints_the_command_line(chromium, capsys) -> None:
    from loket.cli import main

    assert main(["node", "board", "--config", str(PROFILE), "--print"]) == 0
    argv = shlex.split(capsys.readouterr().out)
    assert argv[0] == str(chromium) and argv[-1].endswith("/board?display=D2")
    assert main(["config", "check", str(PROFILE)]) == 0
    assert "display node 'D2' (screen=browser)" in capsys.readouterr().out


def test_the_unit_checks_the_profile_keeps_the_screen_on_and_restarts() -> None:
    lines = [ln.strip() for ln in UNIT.read_text().splitlines() if ln.strip() and ln[0] != "#"]
    keys: dict[str, list[str]] = {}
    for line in lines:
        if "=" in line and not line.startswith("["):
            key, _, value = line.partition("=")
            keys.setdefault(key, []).append(value)
    assert keys["ExecStart"] == [
        "/usr/bin/cage -d -s -- /opt/loket/.venv/bin/loket node board --config /etc/loket/node.toml"
    ]
    pre = keys["ExecStartPre"]
    assert pre[0] == "/opt/loket/.venv/bin/loket config check /etc/loket/node.toml"
    assert "setterm --blank 0 --powerdown 0" in pre[1]
    assert keys["Restart"] == ["always"]
    assert "loket-node.service" in keys["Conflicts"][0]
    assert keys["WantedBy"] == ["graphical.target"]
