"""Closed days leave the node (issue 11 item 4): the replica drops the records before a
``day.closed`` once the hub holds them, a power cut during that switch loses nothing, and a
node without a replica starts from the hub's snapshot instead of record 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub import day_close
from node import replica as replica_mod
from node import replica_base
from node.replica import Replica

DAY_MS = 86_400_000
DAY1 = "2026-11-28"


class PowerCut(BaseException):
    """The process dies here (nothing after this line runs; what was fsync'd stays)."""


def shown(counter) -> str:
    frames = [f for f in counter.ctx.devices.display.history if f.mode != "flash"]
    return frames[-1].text if frames else ""


def disk_records(folder: Path) -> list[dict]:
    """Every record in a replica folder's segment files, read as bytes from the disk."""
    out = []
    for seg in sorted(folder.glob("hub-*.jsonl")):
        out += [json.loads(line[9:]) for line in seg.read_bytes().splitlines()]
    return out


def replica_folders(node) -> list[str]:
    return sorted(p.name for p in (Path(node.ctx.sync.replica.data_dir) / "replica").iterdir())


def day_one(hub, make_node):
    """Day 1: K1 prints three tickets, C1 serves one and holds another called; the hub
    closes the day, the clocks move to day 2 and both nodes pull the close."""
    kiosk, counter = make_node("K1", "kiosk"), make_node("C1", "counter")
    for _ in range(3):
        kiosk.press("b")
        kiosk.step()
    counter.step()
    counter.press("next")
    counter.step()
    counter.press("done")
    counter.step()
    counter.press("next")
    counter.step()
    # the hub's answers to its presses, logged before they were shown (node.outbox)
    own_day1 = [e["id"] for e in counter.ctx.outbox.events() if e.get("ticket")]
    assert own_day1 and shown(counter) != "----"
    day_close.close_day(hub.authority, DAY1, by="test")
    close = hub.events("day.closed")[0]
    for clock in (hub.clock, kiosk.clock, counter.clock):
        clock.advance(DAY_MS)
    kiosk.step()
    counter.step()
    kiosk.step()  # what the counter's step logged at the hub
    return kiosk, counter, hub.authority.logged_hseq(close["id"]), own_day1


def same_as_hub(node, hub) -> None:
    """The node's fold equals the hub's (queues, counters, numbers; not last_hseq)."""
    mine, theirs = node.ctx.view.state().snapshot(), hub.authority.state.snapshot()
    mine.pop("last_hseq"), theirs.pop("last_hseq")
    assert mine == theirs


def test_after_a_close_the_closed_day_is_gone_from_the_node_disk_and_it_still_works(hub, make_node):
    kiosk, counter, close_hseq, own_day1 = day_one(hub, make_node)
    for node in (kiosk, counter):
        replica = node.ctx.sync.replica
        assert replica.base_hseq == close_hseq
        # one folder, holding no record of the closed day (read from the files themselves)
        assert replica_folders(node) == [replica.folder.name]
        held = disk_records(replica.folder)
        assert all(r["hseq"] > close_hseq for r in held)
        assert not [r for r in held if (r["event"].get("ticket") or "").startswith(DAY1)]
        assert (replica.folder / replica_base.BASE_FILE).exists()
        assert len(replica) == hub.authority.last_hseq
    # own events of the dropped day are still known as held: the view does not apply
    # them again on top (a replayed call would light the LED with a closed day's ticket)
    assert all(eid in counter.ctx.sync.replica for eid in own_day1)
    assert counter.ctx.view.pending() == []
    assert shown(counter) == "----"  # the close ended the call it held
    same_as_hub(counter, hub)

    # day 2 works: a new ticket is printed, called and shown
    kiosk.press("b")
    kiosk.step()
    printed = kiosk.ctx.devices.printer.tickets[-1]
    counter.step()
    counter.press("next")
    counter.step()
    assert shown(counter) == printed.label
    assert hub.authority.state.counters["C1"].label == printed.label
    same_as_hub(counter, hub)

    # a restart opens only the open day: the base plus the records after the close
    clock, devices = counter.clock, counter.ctx.devices
    counter.ctx.outbox.close()
    counter.ctx.sync.replica.close()
    again = make_node("C1", "counter", clock=clock, devices=devices)
    replica = again.ctx.sync.replica
    assert replica.base_hseq == close_hseq
    assert [r["hseq"] for r in replica.records()] == list(
        range(close_hseq + 1, replica.last_hseq + 1)
    )
    assert shown(again) == printed.label
    same_as_hub(again, hub)


def test_a_closed_day_is_kept_while_an_own_event_of_it_is_unacknowledged(hub, make_node):
    kiosk, counter = make_node("K1", "kiosk"), make_node("C1", "counter")
    kiosk.press("b")
    kiosk.step()
    counter.step()
    counter.press("next")
    counter.step()
    counter.transport.down = True
    counter.press("done")  # offline: in the outbox only
    counter.step()
    day_close.close_day(hub.authority, DAY1, by="test")
    counter.transport.down = False
    # the hub logs the push but its answer is lost: the done is not acknowledged
    counter.transport.lose_replies, counter.transport.lose_path = 1, "/api/v1/sync/push"
    counter.ctx.sync.step()
    replica = counter.ctx.sync.replica
    assert replica.closes() and replica.base_hseq == 0  # the close is held, not dropped yet
    counter.ctx.sync.step()  # pushed again, acknowledged: now the day may go
    assert replica.base_hseq == hub.authority.logged_hseq(hub.events("day.closed")[0]["id"])
    assert counter.ctx.view.pending() == []


def _cut_before_base(monkeypatch):
    def cut(folder, base):
        raise PowerCut

    monkeypatch.setattr(replica_base, "write", cut)


def _cut_before_checkpoint(monkeypatch):
    write = replica_base.write

    def cut(folder, base):
        write(folder, base)
        raise PowerCut

    monkeypatch.setattr(replica_base, "write", cut)


def _cut_before_removal(monkeypatch):
    def cut(path, ignore_errors=False):
        raise PowerCut

    monkeypatch.setattr(replica_mod.shutil, "rmtree", cut)


def _cut_during_removal(monkeypatch):
    def cut(path, ignore_errors=False):
        next(Path(path).glob("hub-*.jsonl")).unlink()  # one file gone, the rest not
        raise PowerCut

    monkeypatch.setattr(replica_mod.shutil, "rmtree", cut)


CUTS = {
    "new folder written, no base yet": (_cut_before_base, False),
    "base written, checkpoint not switched": (_cut_before_checkpoint, False),
    "checkpoint switched, old folder still there": (_cut_before_removal, True),
    "old folder half removed": (_cut_during_removal, True),
}


@pytest.mark.parametrize("cut", list(CUTS))
def test_a_power_cut_at_any_step_of_the_prune_loses_nothing(hub, make_node, monkeypatch, cut):
    kiosk, counter = make_node("K1", "kiosk"), make_node("C1", "counter")
    kiosk.press("b")
    kiosk.step()
    counter.step()
    day_close.close_day(hub.authority, DAY1, by="test")
    close_hseq = hub.authority.logged_hseq(hub.events("day.closed")[0]["id"])
    for clock in (hub.clock, kiosk.clock, counter.clock):
        clock.advance(DAY_MS)
    kiosk.press("a")  # day 2's first ticket: records after the close to carry over
    kiosk.step()
    inject, switched = CUTS[cut]
    with monkeypatch.context() as m:
        inject(m)
        with pytest.raises(PowerCut):
            counter.step()
    data_dir = Path(counter.ctx.sync.replica.data_dir)
    counter.ctx.outbox.close()
    counter.ctx.sync.replica.close()

    replica = Replica(data_dir)  # the next boot opens whichever folder the checkpoint names
    assert replica.base_hseq == (close_hseq if switched else 0)
    assert sorted(p.name for p in (data_dir / "replica").iterdir()) == [replica.folder.name]
    assert len(replica) == replica.last_hseq == hub.authority.last_hseq
    replica.close()
    again = make_node("C1", "counter", clock=counter.clock)
    again.step()
    assert again.ctx.sync.replica.base_hseq == close_hseq  # pruned now, if it was not yet
    same_as_hub(again, hub)
    again.press("next")
    again.step()
    assert shown(again) == hub.authority.state.counters["C1"].label != "----"


def test_a_new_node_starts_from_the_hub_snapshot_not_from_record_one(hub, make_node):
    kiosk, counter, close_hseq, _ = day_one(hub, make_node)
    kiosk.press("a")
    kiosk.step()
    before = hub.authority.last_hseq
    display = make_node("D1", "display")
    display.step()
    replica = display.ctx.sync.replica
    # the hub's fold when it was asked (after the display's first push, its node.hello)
    snapshot_hseq = replica.base_hseq
    assert before < snapshot_hseq == hub.authority.last_hseq
    pulls = [p for m, p in display.transport.calls if p.startswith("/api/v1/sync/changes")]
    assert pulls and all(f"since={snapshot_hseq}&" in p for p in pulls)  # never since=0
    assert ("GET", "/api/v1/sync/snapshot") in display.transport.calls
    assert disk_records(replica.folder) == []
    same_as_hub(display, hub)
    # and it follows the feed from there: a call reaches its fold
    counter.press("next")
    counter.step()
    display.step()
    assert [r["hseq"] for r in replica.records()] == list(
        range(snapshot_hseq + 1, hub.authority.last_hseq + 1)
    )
    same_as_hub(display, hub)


def test_before_any_close_a_new_node_pulls_the_log_from_the_start(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("b")
    kiosk.step()
    display = make_node("D1", "display")
    display.step()
    assert display.ctx.sync.replica.base_hseq == 0
    pulls = [p for m, p in display.transport.calls if p.startswith("/api/v1/sync/changes")]
    assert pulls[0].startswith("/api/v1/sync/changes?since=0&")
    same_as_hub(display, hub)


def test_after_a_hub_restore_a_pruned_node_starts_the_new_epoch_from_its_snapshot(hub, make_node):
    kiosk, counter, close_hseq, _ = day_one(hub, make_node)
    backup = hub.backup()  # taken after the close: the restored hub has a closed day
    kiosk.press("a")  # day 2, after the backup: only the kiosk's log keeps it now
    kiosk.step()
    printed = kiosk.ctx.devices.printer.tickets[-1].label
    new_epoch = hub.restore(backup)
    for node in (kiosk, counter):
        node.transport.calls.clear()
        node.step()
        node.step()
    for node in (kiosk, counter):
        replica = node.ctx.sync.replica
        assert replica.hub_epoch == new_epoch
        pulls = [p for m, p in node.transport.calls if p.startswith("/api/v1/sync/changes")]
        # the first pull asked the old feed position and saw the new epoch; once the
        # replica was started over, it pulled after the snapshot, never from record 1
        assert not [p for p in pulls[1:] if "since=0&" in p]
        assert replica.base_hseq > 0
        assert replica_folders(node) == [replica.folder.name]
        assert len(replica) == hub.authority.last_hseq
        same_as_hub(node, hub)
    # the ticket printed after the backup came back through the kiosk's re-push
    assert printed in [e["body"]["label"] for e in hub.events("ticket.issued")]
    counter.press("next")
    counter.step()
    assert shown(counter) == hub.authority.state.counters["C1"].label != "----"


def own_log_records(node) -> list[dict]:
    folder = node.ctx.outbox.folder
    out = []
    for seg in sorted(folder.glob("own-*.jsonl")):
        out += [json.loads(line[9:]) for line in seg.read_bytes().splitlines()]
    return out


def test_the_own_log_drops_what_the_hub_logged_before_the_close_and_keeps_its_numbers(
    hub, make_node
):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("b")
    kiosk.step()
    kiosk.transport.down = True
    kiosk.press("b")  # offline: a number of its standby block, an own ticket.issued
    kiosk.step()
    kiosk.transport.down = False
    kiosk.step()
    outbox = kiosk.ctx.outbox
    day1 = [e for e in outbox.events() if (e.get("ticket") or "").startswith(DAY1)]
    assert [e for e in day1 if e["origin"] == "K1"] and [e for e in day1 if e["origin"] == "hub"]
    last_seq, req = outbox.last_seq, outbox.new_req()
    day_close.close_day(hub.authority, DAY1, by="test")
    hub.clock.advance(DAY_MS)
    kiosk.clock.advance(DAY_MS)
    kiosk.step()
    assert outbox.folder.name != "own" and (Path(kiosk.ctx.data_dir) / "own.json").exists()
    assert sorted(p.name for p in Path(kiosk.ctx.data_dir).glob("own*")) == [
        outbox.folder.name,
        "own.json",
    ]
    assert not [r for r in own_log_records(kiosk) if (r.get("ticket") or "").startswith(DAY1)]
    assert outbox.events() == own_log_records(kiosk)

    # a restart keeps counting where it was: no seq, req or id is ever used twice
    clock, devices = kiosk.clock, kiosk.ctx.devices
    kiosk.ctx.outbox.close()
    kiosk.ctx.sync.replica.close()
    again = make_node("K1", "kiosk", clock=clock, devices=devices)
    assert again.ctx.outbox.last_seq == last_seq + 1  # its node.hello of this boot
    assert _req_n(again.ctx.outbox.new_req()) > _req_n(req)
    again.press("a")
    again.step()
    assert not again.ctx.devices.printer.tickets[-1].offline
    assert again.ctx.sync.status()["backlog"] == 0
    ids = [e["id"] for e in hub.events()]
    assert len(ids) == len(set(ids))
    same_as_hub(again, hub)


def _req_n(req: str) -> int:
    return int(req.rpartition(":r")[2])


@pytest.mark.parametrize("switched", [False, True], ids=["before own.json", "after own.json"])
def test_a_power_cut_while_the_own_log_is_compacted_loses_nothing(
    hub, make_node, monkeypatch, switched
):
    from node import outbox as outbox_mod

    kiosk = make_node("K1", "kiosk")
    kiosk.press("b")
    kiosk.step()
    day_close.close_day(hub.authority, DAY1, by="test")
    hub.clock.advance(DAY_MS)
    kiosk.clock.advance(DAY_MS)
    kiosk.transport.down = True
    kiosk.press("a")  # day 2, offline: must survive whatever happens next
    kiosk.step()
    pending = kiosk.ctx.outbox.own_events(after_seq=kiosk.ctx.sync.replica.acked_through)
    assert [e for e in pending if e["type"] == "ticket.issued"]
    kiosk.transport.down = False
    write = outbox_mod.write_json_atomic

    def cut(path, value, **kw):
        if switched:
            write(path, value, **kw)
        raise PowerCut

    with monkeypatch.context() as m:
        m.setattr(outbox_mod, "write_json_atomic", cut)
        with pytest.raises(PowerCut):
            kiosk.step()
    data_dir = Path(kiosk.ctx.data_dir)
    kiosk.ctx.outbox.close()
    kiosk.ctx.sync.replica.close()
    again = make_node("K1", "kiosk", clock=kiosk.clock)
    assert len([p for p in data_dir.glob("own*") if p.is_dir()]) == 1
    held = {e["id"] for e in again.ctx.outbox.events()}
    assert {e["id"] for e in pending} <= held
    again.step()
    at_hub = {e["id"] for e in hub.events()}
    assert {e["id"] for e in pending} <= at_hub
    same_as_hub(again, hub)


def test_a_late_close_keeps_the_next_day_s_lease_numbers_in_the_kiosk_log(hub, make_node):
    """The hub closes day 1 only when day 2 has begun (it was down at midnight): the kiosk
    already holds a day-2 lease and printed from it offline. Those events were logged before
    the close, yet they stay in its own log: it counts its lease numbers from there."""
    kiosk = make_node("K1", "kiosk")
    kiosk.press("b")
    kiosk.step()
    hub.clock.advance(DAY_MS)
    kiosk.clock.advance(DAY_MS)
    kiosk.press("b")  # online on day 2; the kiosk then tops up its day-2 block
    kiosk.step()
    kiosk.transport.down = True
    for _ in range(2):
        kiosk.press("b")  # offline: numbers of the day-2 block
    kiosk.step()
    kiosk.transport.down = False
    kiosk.step()
    day2 = hub.authority.today()
    assert [t for t in kiosk.ctx.devices.printer.tickets if t.offline]
    kiosk = restarted(make_node, kiosk)  # its node.hello: an own event of no day, after them
    kiosk.step()
    day_close.close_day(hub.authority, DAY1, by="test")
    kiosk.step()
    assert kiosk.ctx.sync.replica.base_hseq > 0  # pruned, and the own log compacted
    assert not [e for e in kiosk.ctx.outbox.events() if (e.get("ticket") or "").startswith(DAY1)]
    kept = [e for e in kiosk.ctx.outbox.events() if (e.get("ticket") or "").startswith(day2)]
    own_kept = [e["seq"] for e in kept if e["origin"] == "K1"]
    assert own_kept and kiosk.ctx.outbox.last_seq > max(own_kept)
    last_seq = kiosk.ctx.outbox.last_seq
    kiosk = restarted(make_node, kiosk)
    assert kiosk.ctx.outbox.last_seq == last_seq + 1  # the hello, never a used seq again
    kiosk.transport.down = True
    for _ in range(2):
        kiosk.press("b")
    kiosk.step()
    kiosk.transport.down = False
    kiosk.step()
    labels = [t.label for t in kiosk.ctx.devices.printer.tickets[1:]]  # day 2's
    assert len(labels) == len(set(labels)) == 5
    keys = [e["ticket"] for e in hub.events("ticket.issued") if e["ticket"].startswith(day2)]
    assert len(keys) == len(set(keys))
    assert kiosk.ctx.sync.status()["backlog"] == 0 and kiosk.ctx.sync.last_rejected is None
    ids = [e["id"] for e in hub.events()]
    assert len(ids) == len(set(ids))


def restarted(make_node, node):
    """The same node on the same data folder and devices, after a clean stop."""
    node.ctx.outbox.close()
    node.ctx.sync.replica.close()
    return make_node(node.ctx.node_id, node.role_name, clock=node.clock, devices=node.ctx.devices)
