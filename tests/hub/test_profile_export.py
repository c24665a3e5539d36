"""`loket hub export-profile` and `loket hub import-profile`: the catalogue in the log and
the TOML profile, both ways (contract C1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hubproc import HubProcess, free_port

from core.catalogue import Catalogue
from core.clock import FakeClock
from core.config import load_hub_config
from hub import create_app
from loket import cli

T0 = 1_795_831_200_000

PROFILE = """
[mpp]
name = "MPP Ekspor"
timezone = "Asia/Makassar"

[hub]
host = "127.0.0.1"
port = {port}
data_dir = "{data}"
threads = 8

[[agencies]]
id = "samsat"
name = "Samsat"

[[services]]
id = "P"
name = "Pajak Kendaraan"
agency = "samsat"
daily_quota = 80

[services.hours]
mon = ["08:00-12:00", "13:00-15:00"]
fri = ["08:00-11:00", "13:30-15:00"]

[[services.sessions]]
id = "pagi"
start = "08:00"
end = "12:00"
quota = 50

[[counters]]
id = "C1"
number = 1
services = ["P"]

[[kiosks]]
id = "K1"
name = "Kiosk Lobi"
services = ["P"]

[calendar]
cuti_bersama = false

[[holidays]]
date = 2026-07-14
name = "HUT Kota"
"""


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(PROFILE.format(port=free_port(), data=tmp_path / "data"), "utf-8")
    return path


def start(profile: Path):
    app = create_app(
        load_hub_config(profile), clock=FakeClock(wall_ms=T0), settings={"LOKET_UI": False}
    )
    return app.extensions["loket"]


def test_export_writes_the_live_catalogue_without_touching_a_running_hub(profile, tmp_path, capsys):
    hub = start(profile)
    try:
        row = next(s for s in hub.catalogue().to_dict()["services"] if s["id"] == "P")
        hub.change_catalogue("set", "service", "P", {**row, "name": "Pajak Kendaraan Bermotor"})
        journal = hub.store.journal.segments[-1]
        with open(journal, "ab") as f:
            f.write(b'0badc0de {"torn')  # what a power cut mid-write leaves
        size = journal.stat().st_size
        out = tmp_path / "exported.toml"
        assert cli.main(["hub", "export-profile", "--config", str(profile), "--out", str(out)]) == 0
        assert journal.stat().st_size == size  # read, never repaired under the hub's feet
        exported = load_hub_config(out)
        assert Catalogue.from_dict(exported.catalogue) == hub.catalogue()
        assert exported.catalogue["services"][0]["name"] == "Pajak Kendaraan Bermotor"
        assert str(exported.hub.data_dir) == str(tmp_path / "data")  # [hub] as the file had it
        assert "shipped_holidays = false" in out.read_text("utf-8")
    finally:
        hub.store.close()
    assert "profile written to" in capsys.readouterr().err


def test_import_applies_the_profile_s_differences_as_events(profile, tmp_path, capsys):
    start(profile).store.close()
    out = tmp_path / "edited.toml"
    cli.main(["hub", "export-profile", "--config", str(profile), "--out", str(out)])
    text = out.read_text("utf-8")
    text = text.replace('name = "Kiosk Lobi"', 'name = "Kiosk Pintu Utara"')
    text = text.replace("daily_quota = 80", "daily_quota = 60")
    text += '\n[[kiosks]]\nid = "K2"\nname = "Kiosk Lantai 2"\nservices = ["P"]\n'
    out.write_text(text, "utf-8")
    capsys.readouterr()
    assert cli.main(["hub", "import-profile", "--config", str(out), "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "would apply 3 catalogue change(s)" in dry and "set kiosk K2" in dry
    hub = start(profile)
    try:
        assert "K2" not in hub.catalogue().kiosks  # a dry run writes nothing
    finally:
        hub.store.close()
    assert cli.main(["hub", "import-profile", "--config", str(out)]) == 0
    assert "applied 3 catalogue change(s)" in capsys.readouterr().out
    hub = start(profile)
    try:
        cat = hub.catalogue()
        assert cat.kiosk("K1").name == "Kiosk Pintu Utara" and cat.service("P").daily_quota == 60
        assert cat == Catalogue.from_dict(load_hub_config(out).catalogue)
        by = {r["event"]["body"].get("by") for r in hub.records_since(0, 10_000)}
        assert by == {"profile", "import-profile"}
        # The original profile now differs from the log: reported, and the log wins.
        assert "set service P" in hub.profile_differences
    finally:
        hub.store.close()
    assert cli.main(["hub", "import-profile", "--config", str(out)]) == 0
    assert "applied 0 catalogue change(s)" in capsys.readouterr().out


@pytest.mark.slow
def test_import_goes_through_the_hub_that_serves_that_folder(
    profile, python, subprocess_env, repo_root, capsys
):
    """The running hub holds the folder (its lock), so the CLI cannot write the journal
    itself: it hands the profile to the hub's control route and the hub applies it, seen at
    once by its own API. A profile the hub's validator refuses changes nothing."""
    import json
    import urllib.request

    hub = HubProcess(python, profile, subprocess_env, repo_root)
    try:
        assert cli.main(["hub", "export-profile", "--config", str(profile)]) == 0
        assert 'name = "Pajak Kendaraan"' in capsys.readouterr().out
        text = profile.read_text(encoding="utf-8")
        profile.write_text(text.replace('name = "Kiosk Lobi"', 'name = "Kiosk Selatan"'))
        assert cli.main(["hub", "import-profile", "--config", str(profile), "--dry-run"]) == 0
        assert "would apply 1 catalogue change(s):\n  set kiosk K1" in capsys.readouterr().out
        assert cli.main(["hub", "import-profile", "--config", str(profile)]) == 0
        assert "applied 1 catalogue change(s)" in capsys.readouterr().out
        with urllib.request.urlopen(hub.url + "/api/v1/catalogue", timeout=10) as answer:
            kiosks = json.load(answer)["catalogue"]["kiosks"]
        assert [k["name"] for k in kiosks] == ["Kiosk Selatan"]
        assert cli.main(["hub", "import-profile", "--config", str(profile)]) == 0
        assert "applied 0 catalogue change(s)" in capsys.readouterr().out
    finally:
        hub.stop()
