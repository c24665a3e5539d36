"""The start-up checkpoint (issue 11 item 4): a cache of open state, never a source of truth."""

from __future__ import annotations

import logging

from hub import checkpoint, day_close
from hub.authority import Authority
from tests.hub.test_api import issue, press
from tests.hub.test_day_close import DAY_MS, day_with_leftovers


def memory(authority) -> dict:
    """Everything a replay builds, comparable across two Authorities."""
    image = authority.replay_image()
    plain = {k: v for k, v in image.items() if k not in ("state", "gate", "anchors")}
    return {
        **plain,
        "state": image["state"].snapshot(),
        "tickets": image["state"].tickets,
        "closed_days": image["state"].closed_days,
        "catalogue": image["state"].catalogue.to_dict(),
        "gate": vars(image["gate"]),
        "anchors": vars(image["anchors"]),
    }


def closed_then_more(client, auth, req, authority, clock) -> None:
    day_with_leftovers(client, auth, req)
    day = authority.today()
    clock.advance(DAY_MS)
    assert day_close.Timer(authority).tick() == [day]
    issue(client, auth, req())  # the next day, after the checkpoint
    assert press(client, auth, "C1", "next", req()).status_code == 200


def test_start_up_replays_only_what_follows_the_checkpoint(
    client, auth, req, authority, clock, config, caplog
):
    closed_then_more(client, auth, req, authority, clock)
    covered = checkpoint.load(authority)["hseq"]
    assert 0 < covered < authority.last_hseq
    replayed = []
    real = authority.store.records

    def records(start=0):
        replayed.append(start)
        return real(start)

    authority.store.records = records
    caplog.set_level(logging.INFO, logger="hub.checkpoint")
    warm = Authority(config, authority.store, clock)
    assert replayed[0] == covered and "ignored" not in caplog.text
    authority.store.records = real
    path = checkpoint.path_of(authority.store.data_dir)
    path.unlink()
    cold = Authority(config, authority.store, clock)
    assert "no start-up checkpoint" in caplog.text
    assert memory(warm) == memory(cold) == memory(authority)
    assert [t.day for t in warm.state.tickets.values()] == [authority.today()]


def test_a_torn_or_foreign_checkpoint_means_a_full_replay(
    client, auth, req, authority, clock, config, caplog, tmp_path
):
    closed_then_more(client, auth, req, authority, clock)
    path = checkpoint.path_of(authority.store.data_dir)
    good = path.read_bytes()
    want = memory(authority)
    caplog.set_level(logging.INFO, logger="hub.checkpoint")
    cases = {
        "torn": good[: len(good) // 2],
        "edited": good[:-1] + bytes([good[-1] ^ 1]),
        "foreign": checkpoint.seal(b"another hub's key", good[40:]),
        "empty": b"",
    }
    for what, blob in cases.items():
        caplog.clear()
        path.write_bytes(blob)
        again = Authority(config, authority.store, clock)
        assert "seal does not match" in caplog.text, what
        assert "replaying the whole journal" in caplog.text, what
        assert memory(again) == want, what


def test_a_checkpoint_of_records_the_journal_does_not_hold_is_ignored(
    client, auth, req, authority, clock, config, caplog
):
    """Written, then the disk lost the records it covers (or a backup was restored)."""
    closed_then_more(client, auth, req, authority, clock)
    store = authority.store
    image = authority.replay_image()
    ahead = dict(image, hseq=image["hseq"] + 1000)
    caplog.set_level(logging.INFO, logger="hub.checkpoint")
    path = checkpoint.path_of(store.data_dir)
    payload = checkpoint.dumps({"version": checkpoint.VERSION, **ahead})
    path.write_bytes(checkpoint.seal(checkpoint.key_of(store), payload))
    Authority(config, store, clock)
    assert "ahead of the journal" in caplog.text
    other = dict(image, hseq=image["hseq"] - 1)  # its "last" names another record
    payload = checkpoint.dumps({"version": checkpoint.VERSION, **other})
    path.write_bytes(checkpoint.seal(checkpoint.key_of(store), payload))
    again = Authority(config, store, clock)
    assert "is not the one it covered" in caplog.text
    assert memory(again) == memory(authority)


def test_a_full_replay_over_closed_days_writes_the_checkpoint_at_once(
    client, auth, req, authority, clock, config, caplog
):
    """The first start after an upgrade (another VERSION) replays the journal once only."""
    closed_then_more(client, auth, req, authority, clock)
    path = checkpoint.path_of(authority.store.data_dir)
    path.unlink()
    caplog.set_level(logging.INFO, logger="hub.checkpoint")
    cold = Authority(config, authority.store, clock)
    assert "no start-up checkpoint" in caplog.text
    image = checkpoint.load(cold)
    assert image is not None and image["hseq"] == authority.last_hseq
    caplog.clear()
    warm = Authority(config, authority.store, clock)
    assert "replaying the whole journal" not in caplog.text
    assert memory(warm) == memory(cold) == memory(authority)


def test_a_long_replay_keeps_asking_systemd_for_time(
    client, auth, req, authority, clock, config, monkeypatch, tmp_path
):
    """Type=notify: a start that outlasts TimeoutStartSec is killed and begins again."""
    import socket

    import hub.authority

    closed_then_more(client, auth, req, authority, clock)
    checkpoint.path_of(authority.store.data_dir).unlink()
    monkeypatch.setattr(hub.authority, "REPLAY_EXTEND_EVERY", 5)
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(path)
        systemd.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        Authority(config, authority.store, clock)
        got = []
        while True:
            try:
                got.append(systemd.recv(256).decode())
            except BlockingIOError:
                break
    assert len(got) == authority.last_hseq // 5
    assert got[0] == "EXTEND_TIMEOUT_USEC=90000000\nSTATUS=replaying the journal: 5 records"
