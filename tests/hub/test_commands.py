"""``loket hub pair|adduser|backup|restore`` through the real command line entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from hubproc import one_service_profile

from hub.auth import node_for_token, verify_user
from hub.store import Store
from loket.cli import main


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return one_service_profile(tmp_path, "MPP CLI")


def test_pair_prints_a_token_that_authenticates(profile, tmp_path, capsys):
    assert main(["hub", "pair", "K1", "--config", str(profile)]) == 0
    token = capsys.readouterr().out.split("token for K1: ", 1)[1].split()[0]
    store = Store(tmp_path / "data")
    assert node_for_token(store, token) == "K1"
    store.close()


def test_adduser_from_a_password_file(profile, tmp_path, capsys):
    secret = tmp_path / "pw"
    secret.write_text("kata-sandi-panjang\n")
    args = ["hub", "adduser", "manager", "--config", str(profile), "--password-file", str(secret)]
    assert main(args) == 0
    store = Store(tmp_path / "data")
    assert verify_user(store, "manager", "kata-sandi-panjang") is not None
    store.close()


def test_backup_then_restore_gives_a_new_epoch(profile, tmp_path, capsys):
    store = Store(tmp_path / "data")
    old_epoch = store.setting("hub_epoch")
    store.close()
    assert main(["hub", "backup", str(tmp_path / "bk"), "--config", str(profile)]) == 0
    assert main(["hub", "restore", str(tmp_path / "bk"), "--config", str(profile)]) == 0
    assert "new hub epoch" in capsys.readouterr().out
    store = Store(tmp_path / "data")
    assert store.setting("hub_epoch") != old_epoch
    assert store.setting("restored") is True
    store.close()
