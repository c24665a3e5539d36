"""A backup after every daily close to ``[hub] backup_dir`` (hub.nightly_backup)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from hub import create_app
from hub.store import Store, restore_from
from tests.hub.conftest import make_config
from tests.hub.test_day_close import DAY_MS, day_with_leftovers
from tests.hub.test_pairing_admin import csrf_of, login


@pytest.fixture
def usb(tmp_path):
    return tmp_path / "usb"


@pytest.fixture
def app(tmp_path, clock, usb):
    config = make_config(tmp_path / "hub", backup_dir=str(usb), backup_keep=2)
    app = create_app(config, clock=clock, settings={"LOKET_SSE_HEARTBEAT_S": 0.2})
    app.config["TESTING"] = True
    yield app
    app.extensions["loket"].store.close()


def close_now(supervisor, day: str) -> str:
    page = supervisor.get("/admin/archive").get_data(as_text=True)
    resp = supervisor.post("/admin/day/close", data={"csrf_token": csrf_of(page), "day": day})
    assert resp.status_code == 302
    return supervisor.get("/admin/archive").get_data(as_text=True)


def logged_types(data_dir) -> list[str]:
    store = Store(data_dir)
    try:
        return [r["event"]["type"] for r in store.records()]
    finally:
        store.close()


def test_closing_the_day_writes_a_restorable_backup_and_says_so(
    app, client, auth, req, authority, usb, tmp_path
):
    supervisor = login(app, "supervisor")
    assert "Belum ada cadangan ke" in supervisor.get("/admin/archive").get_data(as_text=True)
    day_with_leftovers(client, auth, req)
    day = authority.today()
    page = close_now(supervisor, day)
    backup = usb / f"loket-{day}"
    assert f"Cadangan terakhir: hari {day}, ditulis ke {backup}" in page
    assert not list(usb.glob(".*partial"))
    # what `loket hub restore` does with it: the closed day is in the restored log
    restored = tmp_path / "restored"
    restore_from(backup, restored)
    types = logged_types(restored)
    assert types.count("ticket.issued") == 3 and types[-1] == "day.closed"


def test_sealed_segments_are_linked_not_copied_and_old_backups_go(
    app, client, auth, req, authority, clock, usb
):
    days = []
    for _ in range(3):
        day_with_leftovers(client, auth, req)
        days.append(authority.today())
        close_now(login(app, "supervisor"), days[-1])  # a session lasts less than a day
        clock.advance(DAY_MS)
    assert [p.name for p in sorted(usb.iterdir())] == [f"loket-{d}" for d in days[1:]]  # keep 2
    older, newer = (usb / f"loket-{d}" / "journal" for d in days[1:])
    shared = [p.name for p in older.iterdir() if (newer / p.name).exists()]
    assert shared
    linked = [n for n in shared if (older / n).stat().st_ino == (newer / n).stat().st_ino]
    assert linked, "a sealed segment was copied again"
    # each folder is whole: the newer one holds every segment of the hub
    assert {p.name for p in newer.iterdir()} >= {p.name for p in older.iterdir()}


def test_a_failed_backup_keeps_the_close_and_shows_on_the_page(
    app, client, auth, req, authority, usb
):
    usb.write_text("not a folder: the stick is not mounted")  # mkdir under it fails
    supervisor = login(app, "supervisor")
    day_with_leftovers(client, auth, req)
    day = authority.today()
    page = close_now(supervisor, day)
    assert any(
        r["event"]["type"] == "day.closed" for r in authority.store.records()
    )  # the close stands
    assert f"GAGAL membuat cadangan setelah tutup hari {day}" in page
    assert "(flashdisk tidak terpasang?)" in page
    assert "Errno" not in page and "NotADirectoryError" not in page  # one language a page
    english = supervisor.get("/admin/archive?lang=en").get_data(as_text=True)
    assert f"The backup after closing {day}" in english and "FAILED" in english
    assert "is the USB stick mounted?" in english


def test_backup_dir_must_be_an_absolute_folder(tmp_path):
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path / "hub", backup_dir="backups", backup_keep=0)
    text = str(err.value)
    assert "hub.backup_dir" in text and "absolute" in text
    assert "hub.backup_keep" in text
    assert make_config(tmp_path / "hub").hub.backup_dir is None


def test_config_check_says_where_the_backup_goes(tmp_path, capsys):
    from core.paths import firmware_config_dir
    from loket.cli import main

    shipped = firmware_config_dir() / "hub" / "demo-belitung.toml"
    profile = shipped.read_text()
    assert main(["config", "check", str(shipped)]) == 0
    assert "no [hub] backup_dir: no backup after the daily close" in capsys.readouterr().out
    with_usb = tmp_path / "hub.toml"
    usb = profile.replace('# backup_dir = "/media/loket-backup"', 'backup_dir = "/media/usb"')
    with_usb.write_text(usb)
    assert main(["config", "check", str(with_usb)]) == 0
    out = capsys.readouterr().out
    assert "after each daily close the hub backs up to /media/usb (newest 7 kept)" in out


def test_sealed_segments_are_copied_without_holding_the_writers_lock(
    app, client, auth, req, authority, clock, tmp_path, monkeypatch
):
    import shutil
    import threading

    from hub import store as store_module

    for _ in range(2):  # two service days: at least one sealed segment
        day_with_leftovers(client, auth, req)
        clock.advance(DAY_MS)
    day_with_leftovers(client, auth, req)
    sealed = authority.store.journal.segments[:-1]
    assert sealed
    free_while: dict[str, bool] = {}
    real_copy2 = shutil.copy2

    def copy2(src, dst, **kw):
        if src in sealed:  # could another thread (a command) take the lock now?
            got: list[bool] = []
            t = threading.Thread(
                target=lambda: (
                    got.append(authority.store.lock.acquire(timeout=2))
                    or authority.store.lock.release()
                )
            )
            t.start()
            t.join()
            free_while[src.name] = got == [True]
        return real_copy2(src, dst, **kw)

    monkeypatch.setattr(store_module.shutil, "copy2", copy2)
    authority.store.backup_to(tmp_path / "whole")
    assert free_while and all(free_while.values()), free_while
    assert sorted(p.name for p in (tmp_path / "whole" / "journal").iterdir()) == sorted(
        p.name for p in authority.store.journal.segments
    )
