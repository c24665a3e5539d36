"""The slow, real run of issue 14 item 4: `setup.sh --pi counter`, `--pi hub` and `--pi
display` with the browser profile into a fresh Debian bookworm root made by debootstrap (units
installed and enabled, not started), then the user, groups, folders, unit, udev rule and
chrony settings are checked (for the browser display: the board unit enabled, the node agent
not, the graphical default target, Chromium's profile folder).

Runs only with LOKET_CHROOT=1 (as root, with debootstrap and network for its first run):
the bookworm root is cached in /var/cache/loket-chroot/bookworm and copied fresh for each
test. Packages are left out (``--skip apt``): the root has no network of its own to need.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_pi_setup import REPO, check_browser_display_root, check_counter_root

from core.paths import demo_hub_profile, firmware_config_dir

CACHE = Path(os.environ.get("LOKET_CHROOT_CACHE", "/var/cache/loket-chroot"))
MIRROR = os.environ.get("LOKET_CHROOT_MIRROR", "http://deb.debian.org/debian")

pytestmark = pytest.mark.skipif(
    os.environ.get("LOKET_CHROOT") != "1", reason="slow: set LOKET_CHROOT=1 (README, Tests)"
)


@pytest.fixture(scope="module")
def bookworm() -> Path:
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        pytest.fail("LOKET_CHROOT=1 needs root and debootstrap (apt install debootstrap)")
    base = CACHE / "bookworm"
    if not (base / "usr/sbin/useradd").exists():
        tmp = CACHE / "bookworm.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(tmp), MIRROR],
            check=True, capture_output=True, timeout=1800,
        )  # fmt: skip
        tmp.rename(base)
    return base


def fresh_root(bookworm: Path, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    subprocess.run(["cp", "-a", str(bookworm), str(root)], check=True, timeout=600)
    return root


def setup_sh(role: str, profile: Path, root: Path) -> str:
    done = subprocess.run(
        ["./setup.sh", "--pi", role, "--profile", str(profile), "--root", str(root),
         "--skip", "apt"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_counter_in_a_bookworm_root(bookworm, tmp_path) -> None:
    root = fresh_root(bookworm, tmp_path)
    setup_sh("counter", firmware_config_dir() / "node" / "counter-max7219.toml", root)
    check_counter_root(root)
    # the root's own tools agree: its passwd/group databases know the user and its groups
    ids = subprocess.run(["chroot", str(root), "id", "loket"], capture_output=True, text=True)
    assert ids.returncode == 0 and "gpio" in ids.stdout and "spi" in ids.stdout, ids.stdout
    assert "0 step(s) changed" in setup_sh(
        "counter", firmware_config_dir() / "node" / "counter-max7219.toml", root
    )


def test_hub_in_a_bookworm_root(bookworm, tmp_path) -> None:
    root = fresh_root(bookworm, tmp_path)
    setup_sh("hub", demo_hub_profile(), root)
    assert (root / "etc/systemd/system/multi-user.target.wants/loket-hub.service").is_symlink()
    chrony = (root / "etc/chrony/conf.d/loket.conf").read_text()
    assert "local stratum 10" in chrony and "allow" in chrony.split()
    assert (root / "etc/loket/hub.toml").stat().st_mode & 0o777 == 0o640
    ids = subprocess.run(["chroot", str(root), "id", "loket"], capture_output=True, text=True)
    assert ids.returncode == 0, ids.stderr


def test_browser_display_in_a_bookworm_root(bookworm, tmp_path) -> None:
    root = fresh_root(bookworm, tmp_path)
    profile = firmware_config_dir() / "node" / "display-browser.toml"
    setup_sh("display", profile, root)
    check_browser_display_root(root)
    # systemd's own view of the root: the board is enabled, the node agent is not
    for unit, state in (("loket-board.service", "enabled"), ("loket-node.service", "")):
        done = subprocess.run(
            ["systemctl", "--root", str(root), "is-enabled", unit], capture_output=True, text=True
        )
        assert done.stdout.strip().startswith(state) if state else done.returncode != 0, unit
    assert "0 step(s) changed" in setup_sh("display", profile, root)
