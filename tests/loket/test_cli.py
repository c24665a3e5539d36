"""The ``loket`` command: parsing, validation before dispatch, lazy dispatch, exit codes."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from core.errors import ConfigError, ConfigProblem, JournalCorruptError
from core.paths import demo_hub_profile
from loket import cli

DEMO = str(demo_hub_profile())

NODE = """
[node]
id = "K1"
role = "kiosk"
hub_url = "http://127.0.0.1:8080"
token = "t0ken"
services = ["A"]

[printer]
backend = "fake"
"""


class Recorder:
    """Stands in for hub.commands / node.commands / loket.demo: records each dispatch."""

    def __init__(self, result=0, raises=None):
        self.calls = []
        self.result = result
        self.raises = raises

    def __call__(self, name):
        def command(args):
            self.calls.append((name, args))
            if self.raises:
                raise self.raises
            return self.result

        return command


@pytest.fixture
def commands(monkeypatch):
    """Fake subcommand modules in sys.modules; returns the recorder."""
    rec = Recorder()
    for module, names in {
        "hub.commands": ("serve", "pair", "adduser", "backup", "restore"),
        "node.commands": ("run", "status"),
        "loket.demo": ("run",),
    }.items():
        fake = types.ModuleType(module)
        for name in names:
            setattr(fake, name, rec(f"{module}.{name}"))
        monkeypatch.setitem(sys.modules, module, fake)
    return rec


@pytest.fixture
def node_profile(tmp_path):
    path = tmp_path / "k1.toml"
    path.write_text(NODE, "utf-8")
    return path


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"loket {cli.version()}"
    assert cli.version()[0].isdigit()


def test_config_check_ok_for_hub_and_node(capsys, node_profile):
    assert cli.main(["config", "check", DEMO]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: {DEMO}: hub profile for 'Mal Pelayanan Publik Kabupaten Belitung'")
    assert "1 displays, 34 holidays" in out  # the shipped list and the profile's own
    assert cli.main(["config", "check", str(node_profile)]) == 0
    assert "kiosk node 'K1' (printer=fake)" in capsys.readouterr().out


def test_config_check_says_which_counters_need_wider_displays(capsys):
    full = str(Path(DEMO).with_name("mpp-banyumas.toml"))
    assert cli.main(["config", "check", full]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "16 agencies, 30 services, 25 counters, 2 kiosks, 2 displays" in lines[0]
    assert lines[1].startswith("  a display of 5+ digits (7seg, serial) for counters C5, C6,")
    assert lines[2] == (
        "  a display of 6+ digits (7seg, serial) for counters C1, C2, C3, C4, C11, C13"
    )
    # Kiosk K2 serves floor 2: its offline labels reach three 7-segment counters there.
    assert lines[4] == (
        "  kiosk K2's offline labels (ST-K2-1) show K as three bars on the 7-segment "
        "counters C16, C17, C19"
    )


def test_config_check_names_the_counter_that_cannot_show_a_prefix(tmp_path, capsys):
    full = Path(DEMO).with_name("mpp-banyumas.toml").read_text("utf-8")
    bad = tmp_path / "mpp.toml"
    bad.write_text(full.replace('services = ["SK"]\ndisplay = "matrix"', 'services = ["SK"]'))
    assert cli.main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: counters[14].services[0]: counter 'C15' serves 'SK', whose prefix 'SK' " in err
    assert "cannot be shown on a 7seg display (K, S)" in err


def test_config_check_lists_every_problem_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(NODE.replace("kiosk", "kios").replace("hub_url", "hub_ur"), "utf-8")
    assert cli.main(["config", "check", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}: node.role: 'kios' is not allowed" in captured.err
    assert f"{bad}: node.hub_ur: unknown key" in captured.err
    assert f"{bad}: node.hub_url: missing" in captured.err


def test_hub_commands_dispatch_with_parsed_args(commands, tmp_path):
    assert cli.main(["hub", "pair", "K1", "--config", DEMO]) == 0
    assert cli.main(["hub", "serve", "--config", DEMO, "--port", "9001", "--data", "d"]) == 0
    (pair_name, pair), (serve_name, serve) = commands.calls
    assert pair_name == "hub.commands.pair" and pair.node_id == "K1"
    assert str(pair.config) == DEMO
    assert serve_name == "hub.commands.serve"
    assert (serve.port, serve.host, str(serve.data), str(serve.data_dir)) == (9001, None, "d", "d")


def test_adduser_reads_password_file(commands, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("rahasia kuat\n", "utf-8")
    assert (
        cli.main(["hub", "adduser", "sari", "--config", DEMO, "--password-file", str(secret)]) == 0
    )
    ((_, args),) = commands.calls
    assert (args.username, args.password, args.role) == ("sari", "rahasia kuat", None)


def test_adduser_unreadable_password_file_is_exit_2(commands, tmp_path, capsys):
    missing = tmp_path / "nope"
    assert (
        cli.main(["hub", "adduser", "sari", "--config", DEMO, "--password-file", str(missing)]) == 2
    )
    assert commands.calls == []
    assert f"{missing}: (file): cannot read" in capsys.readouterr().err


def test_node_and_demo_dispatch(commands, node_profile):
    assert cli.main(["node", "run", "--config", str(node_profile), "--simulate"]) == 0
    assert cli.main(["node", "status", "--config", str(node_profile)]) == 0
    assert cli.main(["demo", "--port", "8099"]) == 0
    names = [name for name, _ in commands.calls]
    assert names == ["node.commands.run", "node.commands.status", "loket.demo.run"]
    run, _, demo = (args for _, args in commands.calls)
    assert run.simulate is True
    assert (demo.port, demo.data, demo.data_dir, demo.profile) == (8099, None, None, None)


def test_demo_profile_is_validated_before_the_demo_runs(commands, tmp_path, capsys):
    full = Path(DEMO).with_name("mpp-banyumas.toml")
    assert cli.main(["demo", "--profile", str(full)]) == 0
    assert commands.calls[0][1].profile == full
    bad = tmp_path / "mall.toml"
    bad.write_text(full.read_text("utf-8").replace('id = "SK"', 'id = "SKCK"'), "utf-8")
    assert cli.main(["demo", "--profile", str(bad)]) == 2
    assert len(commands.calls) == 1  # the bad mall never started
    assert "services[14].prefix: missing, and the id 'SKCK' is not a prefix" in (
        capsys.readouterr().err
    )


def test_bad_profile_stops_before_the_subcommand(commands, tmp_path, capsys):
    bad = tmp_path / "hub.toml"
    bad.write_text('[mpp]\nname = "x"\ntimezone = "Mars/Olympus"\n', "utf-8")
    assert cli.main(["hub", "serve", "--config", str(bad)]) == 2
    assert cli.main(["node", "run", "--config", str(tmp_path / "missing.toml")]) == 2
    assert commands.calls == []  # nothing ran, so nothing bound a port or opened a device
    err = capsys.readouterr().err
    assert "mpp.timezone: unknown timezone 'Mars/Olympus'" in err
    assert "agencies: missing" in err and "missing.toml: (file): no such file" in err


def test_subcommand_exit_codes_and_errors(commands, capsys, node_profile):
    commands.result = 3
    assert cli.main(["node", "status", "--config", str(node_profile)]) == 3
    commands.raises = JournalCorruptError("/var/node/events-0000000000.jsonl", 7)
    assert cli.main(["node", "status", "--config", str(node_profile)]) == 1
    assert "events-0000000000.jsonl:7" in capsys.readouterr().err
    commands.raises = ConfigError([ConfigProblem("x.toml", "node.id", "bad; expected y")])
    assert cli.main(["node", "status", "--config", str(node_profile)]) == 2
    commands.raises = ModuleNotFoundError("No module named 'flask'", name="flask")
    assert cli.main(["hub", "pair", "K1", "--config", DEMO]) == 1
    assert "pip install 'loket[hub]'" in capsys.readouterr().err
    commands.raises = KeyboardInterrupt()
    assert cli.main(["node", "run", "--config", str(node_profile)]) == 130


@pytest.mark.parametrize(
    "argv",
    [[], ["hub"], ["hub", "serve"], ["demo", "--port", "70000"], ["node", "fly", "--config", "x"]],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage: loket" in capsys.readouterr().err


def test_python_m_loket_cli_in_a_fresh_interpreter(python, subprocess_env, tmp_path):
    done = subprocess.run(
        [python, "-m", "loket.cli", "config", "check", DEMO],
        env=subprocess_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("OK: ")
