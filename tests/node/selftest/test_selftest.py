"""`loket selftest --non-interactive` on every shipped node profile, through the libraries'
seams (gpiozero MockFactory, a recording SPI interface, pyserial loop://, SDL disk audio and
dummy video, escpos File), against a real hub app: passes, and fails with a readable table
when a pin, the SPI device or the printer is missing."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from wires import RecordingInterface, recording_factory

from core.clock import FakeClock
from core.config import load_hub_config, load_node_config
from core.paths import demo_hub_profile, firmware_config_dir
from node import selftest
from node.selftest_checks import Seams

T0 = 1_795_831_200_000

PROFILES = firmware_config_dir() / "node"


class AppTransport:
    """node.transport over a hub's Flask test client, with one node's token."""

    def __init__(self, app, token: str):
        self.client, self.token = app.test_client(), token

    def request(self, method, path, json=None, timeout=None):
        resp = self.client.open(
            path, method=method, json=json, headers={"Authorization": f"Bearer {self.token}"}
        )
        body = resp.get_json(silent=True) or {}
        resp.close()
        return resp.status_code, body


def demo_hub(tmp_path: Path) -> Iterator[SimpleNamespace]:
    """The demo profile's hub app with tokens for the nodes the shipped profiles name."""
    from hub import create_app
    from hub.auth import pair_node

    config = load_hub_config(demo_hub_profile())
    config = dataclasses.replace(
        config, hub=dataclasses.replace(config.hub, data_dir=str(tmp_path / "hub"))
    )
    clock = FakeClock(wall_ms=T0)
    app = create_app(config, clock=clock)
    authority = app.extensions["loket"]
    tokens = {n: pair_node(authority.store, n) for n in ("C1", "C3", "C4", "D1", "K1")}
    yield SimpleNamespace(app=app, tokens=tokens, clock=clock)
    authority.store.close()


@pytest.fixture
def hub(tmp_path: Path):
    yield from demo_hub(tmp_path)


def profile(tmp_path: Path, name: str, **replace: str) -> Path:
    text = (PROFILES / name).read_text("utf-8")
    text = re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "node"}"', text)
    for key, value in replace.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def run(path: Path, hub, node_id: str, **seams) -> tuple[int, str]:
    out = io.StringIO()
    transport = AppTransport(hub.app, hub.tokens[node_id])
    args = SimpleNamespace(config=path, non_interactive=True)
    code = selftest.run(args, out, Seams(transport=transport, clock=hub.clock, **seams))
    return code, out.getvalue()


def rows(output: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in output.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(PASS|FAIL|SKIP)\s+(.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3))
    return found


def test_max7219_counter_passes_and_lights_every_digit(tmp_path, hub) -> None:
    wire, pins = RecordingInterface(), recording_factory()
    code, out = run(profile(tmp_path, "counter-max7219.toml"), hub, "C1",
                    spi_interface=wire, pin_factory=pins)  # fmt: skip
    assert code == 0, out
    table = rows(out)
    for name in ("display", "button next", "button done", "button transfer", "hub", "token"):
        assert table[name][0] == "PASS", out
    assert table["button rate_4"] == ("PASS", "pin 5 responded")
    assert table["clock offset"] == ("PASS", "+0.000 s from the hub")
    assert "OK:" in out.splitlines()[-1]
    # every digit was lit on its own (all segments + DP = 0xFF), then all of them
    assert lit_states(wire) >= {*(frozenset({i}) for i in range(8)), frozenset(range(8))}


def lit_states(wire: RecordingInterface) -> set[frozenset[int]]:
    """Every set of fully lit digits (0 = leftmost) the wire showed, write by write."""
    regs: dict[int, int] = {}
    seen = set()
    for w in wire.writes:
        for i in range(0, len(w) - 1, 2):
            if w[i] in range(1, 9):
                regs[w[i]] = w[i + 1]
        seen.add(frozenset(8 - r for r, v in regs.items() if v == 0xFF))
    return seen


def test_a_missing_spi_device_fails_with_a_readable_row(tmp_path, hub) -> None:
    code, out = run(profile(tmp_path, "counter-max7219.toml", spi_port="7"), hub, "C1",
                    pin_factory=recording_factory())  # fmt: skip
    assert code == 1
    result, detail = rows(out)["display"]
    assert result == "FAIL" and "cannot open" in detail and "spidev" in detail, out
    assert out.splitlines()[-1].startswith("FAILED: 1 of") and "(display)" in out


def test_a_dead_button_wire_fails_its_row_only(tmp_path, hub) -> None:
    from gpiozero.pins.mock import MockPin

    pins = recording_factory()

    class CutWire(MockPin):
        def drive_low(self):
            pass  # the wire to the button is cut: pressing changes nothing

    pins.pin(22, pin_class=CutWire)
    code, out = run(profile(tmp_path, "counter-tm1637.toml"), hub, "C3", pin_factory=pins)
    assert code == 1
    table = rows(out)
    assert table["button skip"] == ("FAIL", "pin 22: no press seen")
    assert table["button next"] == ("PASS", "pin 17 responded")
    assert table["display"][0] == "PASS"


def test_serial_panel_counter_passes_on_loop(tmp_path, hub) -> None:
    code, out = run(profile(tmp_path, "counter-serial.toml"), hub, "C4",
                    serial_url="loop://", pin_factory=recording_factory())  # fmt: skip
    assert code == 0, out


def test_display_node_plays_and_draws(tmp_path, hub, monkeypatch) -> None:
    speaker = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(speaker))
    monkeypatch.setenv("SDL_DISKAUDIODELAY", "0")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    code, out = run(profile(tmp_path, "display-pygame.toml"), hub, "D1")
    assert code == 0, out
    table = rows(out)
    assert table["speaker"][0] == "PASS" and table["screen"][0] == "PASS"
    assert speaker.stat().st_size > 0


def kiosk_profile(tmp_path: Path, printer_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""[node]
id = "K1"
role = "kiosk"
hub_url = "http://hub.test"
token = "unused"
data_dir = "{tmp_path / "kiosk"}"
services = ["A", "B"]

[printer]
backend = "file"
path = "{printer_path}"
profile = "TM-T20II"
""",
        "utf-8",
    )
    return path


def test_kiosk_prints_a_test_ticket_and_fails_without_a_printer(tmp_path, hub) -> None:
    paper = tmp_path / "lp0"
    paper.touch()
    code, out = run(kiosk_profile(tmp_path, paper), hub, "K1")
    assert code == 0, out
    assert b"TES-001" in paper.read_bytes()
    assert rows(out)["printer"][0] == "PASS"

    code, out = run(kiosk_profile(tmp_path, tmp_path / "no" / "lp0"), hub, "K1")
    assert code == 1
    result, detail = rows(out)["printer"]
    assert result == "FAIL" and "offline" in detail, out


def test_an_unreachable_hub_and_a_wrong_token(tmp_path, hub) -> None:
    from core.config import load_node_config as load

    config = load(profile(tmp_path, "counter-fake.toml", hub_url='"http://127.0.0.1:9"'))
    table = {r.name: r for r in selftest.run_checks(config)}
    assert table["hub"].result == "FAIL" and "does not answer" in table["hub"].detail
    assert table["button next"].result == "PASS"  # the fake panel is pressed in software
    bad = AppTransport(hub.app, "not-a-token")
    table = {r.name: r for r in selftest.run_checks(config, Seams(transport=bad, clock=hub.clock))}
    assert table["token"].result == "FAIL" and "401" in table["token"].detail


def test_the_cli_prints_the_table_and_exits_non_zero(tmp_path, capsys) -> None:
    from loket.cli import main

    path = profile(tmp_path, "counter-fake.toml", hub_url='"http://127.0.0.1:9"')
    assert load_node_config(path).node.id == "C1"
    assert main(["selftest", "--non-interactive", "--profile", str(path)]) == 1
    out = capsys.readouterr().out
    assert "CHECK" in out and "RESULT" in out and re.search(r"hub\s+FAIL", out)
