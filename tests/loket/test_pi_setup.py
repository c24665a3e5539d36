"""`setup.sh --pi ROLE --profile F`: the dry run of every role prints every step and changes
nothing; the generated units pass `systemd-analyze verify`; a real run into a scratch root
makes the user, groups, folders, unit (enabled), udev rule, SPI line and chrony settings,
and a second run changes nothing. The debootstrap chroot run is test_pi_chroot.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.paths import demo_hub_profile, firmware_config_dir
from loket import pi_setup

NODE = firmware_config_dir() / "node"
REPO = Path(__file__).resolve().parents[2]


def kiosk_profile(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[node]\nid = "K1"\nrole = "kiosk"\nhub_url = "http://10.0.0.2:8080"\n'
        'token = "t"\ndata_dir = "/var/lib/loket/node"\nservices = ["A"]\n\n'
        '[printer]\nbackend = "usb"\nvendor_id = "0x0416"\nproduct_id = "0x5011"\n',
        "utf-8",
    )
    return path


def profiles(tmp_path: Path) -> dict[str, Path]:
    return {
        "hub": demo_hub_profile(),
        "kiosk": kiosk_profile(tmp_path),
        "counter": NODE / "counter-max7219.toml",
        "display": NODE / "display-pygame.toml",
    }


def dry_run(role: str, profile: Path, root: Path) -> subprocess.CompletedProcess:
    root.mkdir()
    return subprocess.run(
        ["./setup.sh", "--pi", role, "--profile", str(profile), "--dry-run", "--root", str(root)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("role", pi_setup.ROLES)
def test_dry_run_of_every_role_through_setup_sh(role, tmp_path) -> None:
    root = tmp_path / "root"
    done = dry_run(role, profiles(tmp_path)[role], root)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "useradd --system" in out and "usermod --root" in out
    unit = "loket-hub.service" if role == "hub" else "loket-node.service"
    assert f"write /etc/systemd/system/{unit}" in out
    assert "/etc/chrony/conf.d/loket.conf" in out and "journald.conf.d/loket.conf" in out
    assert ("99-loket.rules" in out) == (role != "hub")
    assert ("dtparam=spi=on" in out) == (role == "counter")  # the MAX7219 profile
    assert out.rstrip().endswith("nothing changed")
    assert list(root.iterdir()) == []  # a dry run touches nothing
    assert "pip" not in done.stderr.lower()  # no venv work in a dry run
    if role == "display":  # the pygame board: today's steps, no browser in sight
        assert "chromium" not in out and "loket-board" not in out and "graphical" not in out


def test_dry_run_of_a_browser_display(tmp_path) -> None:
    root = tmp_path / "root"
    done = dry_run("display", NODE / "display-browser.toml", root)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    apt = next(line for line in out.splitlines() if "apt-get install" in line).split()
    assert {"chromium", "cage", "fonts-dejavu-core"} <= set(apt)
    for group in ("video", "render", "input", "audio"):
        assert f"usermod --root {root} -aG {group} loket" in out
    assert "write /etc/systemd/system/loket-board.service" in out
    assert "write /etc/systemd/system/loket-node.service" not in out
    assert "link /etc/systemd/system/default.target -> /usr/lib/systemd/system/graphical" in out
    assert f"systemctl --root {root} disable loket-node.service" in out
    assert f"systemctl --root {root} enable loket-board.service" in out
    assert "folder /var/lib/loket/node/chromium (700 loket:loket)" in out
    assert "'consoleblank=0' on /boot/firmware/cmdline.txt" in out
    assert list(root.iterdir()) == []


def test_a_profile_of_another_role_is_refused(tmp_path) -> None:
    code = pi_setup.main(["kiosk", "--profile", str(NODE / "counter-fake.toml"), "--dry-run"])
    assert code == 1


def test_a_broken_profile_stops_before_any_step(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[node]\nid = "C1"\nrole = "counter"\n', "utf-8")
    assert pi_setup.main(["counter", "--profile", str(bad), "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert "node.hub_url" in captured.err and "would" not in captured.out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", ["loket-hub.service", "loket-node.service"])
def test_generated_units_verify(unit, tmp_path) -> None:
    path = tmp_path / unit
    path.write_text(pi_setup.unit_text(unit, REPO), "utf-8")
    assert (REPO / ".venv" / "bin" / "loket").exists()
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert "Type=notify" in text and "WatchdogSec=" in text and "Restart=on-failure" in text
    assert f"ExecStart={REPO}/.venv/bin/loket" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_board_unit_verifies(tmp_path) -> None:
    """cage must be installed for the verify (it checks ExecStart's binary): a fake one
    stands in where it is not, so the unit's own syntax and directives are still checked."""
    text = pi_setup.unit_text("loket-board.service", REPO)
    if not Path("/usr/bin/cage").exists():
        cage = tmp_path / "cage"
        cage.write_text("#!/bin/sh\n")
        cage.chmod(0o755)
        text = text.replace("/usr/bin/cage", str(cage))
    path = tmp_path / "loket-board.service"
    path.write_text(text, "utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Restart=always" in text and "WantedBy=graphical.target" in text
    assert f"{REPO}/.venv/bin/loket node board" in text


def scratch_root(tmp_path: Path) -> Path:
    """The few files useradd/groupadd need, as on a fresh Debian (no gpio/spi groups)."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    groups = {"root": 0, "lp": 7, "dialout": 20, "audio": 29, "video": 44, "input": 101}
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/group").write_text("".join(f"{g}:x:{n}:\n" for g, n in groups.items()))
    (root / "etc/gshadow").write_text("".join(f"{g}:*::\n" for g in groups))
    return root


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("systemctl") is None,
    reason="a real run needs root, useradd and systemctl",
)


def check_counter_root(root: Path) -> None:
    """What a counter's set-up root must hold (shared with the chroot test)."""
    group = (root / "etc/group").read_text()
    assert "loket:x:" in (root / "etc/passwd").read_text()
    for g in pi_setup.GROUPS:
        line = next(x for x in group.splitlines() if x.startswith(f"{g}:"))
        assert "loket" in line.split(":")[3].split(","), line
    for folder, mode in (("etc/loket", 0o750), ("var/lib/loket", 0o750)):
        assert (root / folder).stat().st_mode & 0o777 == mode
    assert (root / "etc/loket/node.toml").stat().st_mode & 0o777 == 0o640
    wants = root / "etc/systemd/system/multi-user.target.wants/loket-node.service"
    assert wants.is_symlink()
    assert "Type=notify" in (root / "etc/systemd/system/loket-node.service").read_text()
    assert 'GROUP="lp"' in (root / "etc/udev/rules.d/99-loket.rules").read_text()
    assert "dtparam=spi=on" in (root / "boot/firmware/config.txt").read_text()
    chrony = (root / "etc/chrony/conf.d/loket.conf").read_text()
    assert "server hub.local iburst prefer" in chrony and "makestep 1 -1" in chrony
    assert "SystemMaxUse=" in (root / "etc/systemd/journald.conf.d/loket.conf").read_text()


@needs_root
def test_a_real_run_into_a_scratch_root_is_idempotent(tmp_path, capsys) -> None:
    root = scratch_root(tmp_path)
    args = ["counter", "--profile", str(NODE / "counter-max7219.toml"), "--root", str(root),
            "--skip", "apt"]  # fmt: skip
    assert pi_setup.main(args) == 0
    check_counter_root(root)
    capsys.readouterr()
    assert pi_setup.main(args) == 0
    assert "0 step(s) changed" in capsys.readouterr().out


@needs_root
def test_the_hub_serves_time_to_the_lan(tmp_path) -> None:
    root = scratch_root(tmp_path)
    args = ["hub", "--profile", str(demo_hub_profile()), "--root", str(root), "--skip", "apt"]
    assert pi_setup.main(args) == 0
    chrony = (root / "etc/chrony/conf.d/loket.conf").read_text()
    assert "allow" in chrony.split() and "local stratum 10" in chrony
    assert (root / "etc/systemd/system/multi-user.target.wants/loket-hub.service").is_symlink()
    assert not (root / "etc/udev/rules.d/99-loket.rules").exists()


def check_browser_display_root(root: Path) -> None:
    """What a browser display's set-up root must hold (shared with the chroot test)."""
    group = (root / "etc/group").read_text()
    for g in ("video", "render", "input", "audio"):
        line = next(x for x in group.splitlines() if x.startswith(f"{g}:"))
        assert "loket" in line.split(":")[3].split(","), line
    system = root / "etc/systemd/system"
    assert (system / "graphical.target.wants/loket-board.service").is_symlink()
    assert os.readlink(system / "default.target").endswith("graphical.target")
    assert not (system / "multi-user.target.wants/loket-node.service").exists()
    chromium = root / "var/lib/loket/node/chromium"
    assert chromium.stat().st_mode & 0o777 == 0o700
    loket_uid = next(
        int(x.split(":")[2]) for x in (root / "etc/passwd").read_text().splitlines()
        if x.startswith("loket:")
    )  # fmt: skip
    assert chromium.stat().st_uid == loket_uid
    assert "cage" in (system / "loket-board.service").read_text()


@needs_root
def test_a_browser_display_boots_to_the_board_not_the_node_agent(tmp_path, capsys) -> None:
    root = scratch_root(tmp_path)
    # this Pi ran the pygame board before: its node agent is enabled and must end up disabled
    system = root / "etc/systemd/system"
    (system / "multi-user.target.wants").mkdir(parents=True)
    (system / "loket-node.service").write_text(pi_setup.unit_text("loket-node.service", REPO))
    (system / "multi-user.target.wants/loket-node.service").symlink_to(
        "/etc/systemd/system/loket-node.service"
    )
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1 rootwait\n")
    args = ["display", "--profile", str(NODE / "display-browser.toml"), "--root", str(root),
            "--skip", "apt"]  # fmt: skip
    assert pi_setup.main(args) == 0
    check_browser_display_root(root)
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline == "console=tty1 root=PARTUUID=1 rootwait consoleblank=0\n"
    capsys.readouterr()
    assert pi_setup.main(args) == 0
    assert "0 step(s) changed" in capsys.readouterr().out
