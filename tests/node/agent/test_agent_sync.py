"""Sync client: checkpoints, hub restore (epoch change) re-push, status file and command."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

from core.events import DERIVED_TYPES
from node import commands


class PushSpy:
    """Wraps a transport and keeps every pushed event."""

    def __init__(self, inner):
        self.inner = inner
        self.pushed: list[dict] = []

    def request(self, method, path, json=None, timeout=None):
        if path == "/api/v1/sync/push" and json:
            self.pushed.extend(json["events"])
        return self.inner.request(method, path, json=json, timeout=timeout)


def test_checkpoint_moves_only_with_the_replica(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("a")
    kiosk.step()
    replica = kiosk.ctx.sync.replica
    assert replica.since == replica.last_hseq == hub.authority.last_hseq
    assert replica.acked_through == kiosk.ctx.outbox.last_seq
    assert replica.hub_epoch == hub.authority.epoch


def test_hub_restore_repushes_every_primary_event_and_rebuilds_the_replica(hub, make_node):
    k1 = make_node("K1", "kiosk")
    c2 = make_node("C2", "counter")
    k1.press("b")
    k1.step()
    k1.transport.lose_replies = 3  # a ghost: the hub issued, the kiosk printed a lease number
    k1.press("b")
    k1.step()
    c2.step()
    c2.press("next")
    c2.step()
    backup = hub.backup()
    old_epoch = hub.authority.epoch

    k1.press("b")  # online after the backup: only the kiosk's log keeps these now
    k1.step()
    c2.press("done")
    c2.press("next")
    c2.step()
    k1.step()
    printed = [t.label for t in k1.ctx.devices.printer.tickets]
    called_before = [e["ticket"] for e in hub.events("ticket.called")]

    new_epoch = hub.restore(backup)
    assert new_epoch != old_epoch
    assert hub.authority.barrier() == ["K1", "K2"]
    spies = {}
    for node in (k1, c2):
        spies[node] = PushSpy(node.ctx.sync.transport)
        node.ctx.sync.transport = spies[node]
        node.ctx.transport = spies[node]
        node.step()

    for node in (k1, c2):
        assert node.ctx.sync.replica.hub_epoch == new_epoch
        assert node.ctx.sync.replica.last_hseq == hub.authority.last_hseq
        assert not [e for e in spies[node].pushed if e["type"] in DERIVED_TYPES]
    at_hub = [e["body"]["label"] for e in hub.events("ticket.issued")]
    assert set(printed) <= set(at_hub), "every printed ticket is back at the hub"
    assert len(at_hub) == len(set(at_hub))
    assert [e["ticket"] for e in hub.events("ticket.called")] == called_before
    own_ids = {e["id"] for e in k1.ctx.outbox.own_events() + c2.ctx.outbox.own_events()}
    assert own_ids <= {e["id"] for e in hub.events()}
    assert hub.authority.barrier() == ["K2"]  # K1 pushed in the new epoch

    make_node("K2", "kiosk", services=["B"]).step()
    assert hub.authority.barrier() is None
    k1.press("b")
    k1.step()
    new_label = k1.ctx.devices.printer.tickets[-1].label
    assert not k1.ctx.devices.printer.tickets[-1].offline
    assert new_label not in printed
    # The counter shows what the restored hub says it holds.
    cs = hub.authority.state.counter_view("C2")
    assert c2.ctx.view.state().counter_view("C2").label == cs.label


def test_status_file_and_command(hub, make_node, tmp_path):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    hub.down = True
    kiosk.press("a")
    kiosk.press("a")
    kiosk.step()
    out = io.StringIO()
    data_dir = kiosk.ctx.data_dir
    code = commands.status(SimpleNamespace(data_dir=str(data_dir), now_ms=None), out=out)
    text = out.getvalue()
    assert code == 0
    assert "online" in text and "NO (working offline)" in text
    backlog = kiosk.status()["backlog"]
    assert backlog >= 2
    assert re.search(rf"backlog +{backlog} event\(s\)", text)
    assert re.search(r'lease remaining +\{"A": 2, "B": 4\}', text)
    assert hub.authority.epoch in text
    assert "printer" in text and "ok" in text

    hub.down = False
    kiosk.step()
    out = io.StringIO()
    commands.status(SimpleNamespace(data_dir=str(data_dir), now_ms=None), out=out)
    assert re.search(r"online +yes", out.getvalue())
    assert re.search(r"backlog +0 event\(s\)", out.getvalue())
    # times in the MPP's timezone (the cached catalogue's), as every other screen shows them
    assert re.search(r"last sync +2026-11-28 09:00:00 WIB", out.getvalue()), out.getvalue()
    assert "UTC" not in out.getvalue()


def test_status_of_a_folder_without_node(tmp_path):
    out = io.StringIO()
    assert commands.status(SimpleNamespace(data_dir=str(tmp_path)), out=out) == 1
    assert "never started" in out.getvalue()


def test_corrupt_replica_is_set_aside_and_pulled_again(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    for _ in range(3):
        kiosk.press("a")
        kiosk.step()
    data_dir = kiosk.ctx.data_dir
    clock, devices = kiosk.clock, kiosk.ctx.devices
    kiosk.ctx.outbox.close()
    kiosk.ctx.sync.replica.close()
    segment = next((data_dir / "replica").glob("*/hub-*.jsonl"))
    lines = segment.read_bytes().splitlines(keepends=True)
    lines[1] = b"00000000 {garbage}\n"  # a bad record followed by good ones
    segment.write_bytes(b"".join(lines))

    again = make_node("K1", "kiosk", clock=clock, devices=devices)
    assert list((data_dir / "replica").glob("*.corrupt-1"))
    again.step()
    replica = again.ctx.sync.replica
    assert replica.last_hseq == hub.authority.last_hseq
    assert [r["event"]["id"] for r in replica.records()] == [
        r["event"]["id"] for r in hub.records()
    ]


def test_repushed_foreign_events_are_carried_until_the_new_replica_holds_them(hub, make_node):
    """A restored hub holds a re-pushed hub event back (its deps are not in yet) in RAM only.
    The node carries it durably, across its own restart and the hub's, and re-pushes it every
    round until its new replica holds it; then the carry set is gone."""
    k1 = make_node("K1", "kiosk")
    c1 = make_node("C1", "counter")
    k1.step()
    c1.step()
    backup = hub.backup()
    k1.transport.down = True
    k1.press("b")  # from K1's standby block, offline
    k1.step()
    assert k1.ctx.devices.printer.tickets[-1].offline
    k1.transport.down = False
    k1.step()
    c1.press("next")  # online: the hub calls K1's ticket, C1 logs the hub's event
    c1.drain()
    call = [e for e in c1.ctx.outbox.events() if e["type"] == "ticket.called"][-1]
    assert call["origin"] == "hub" and call["deps"]
    hub.restore(backup)
    c1.step()  # the epoch switch re-pushes the call before K1 re-pushed its ticket
    assert call["id"] in hub.authority.gate.held
    carry = c1.ctx.data_dir / "carry.json"
    assert carry.exists() and c1.ctx.sync.replica.carrying >= 1
    assert c1.status()["carrying"] == c1.ctx.sync.replica.carrying

    hub.restart()  # kill -9: what the hub held is gone
    c1.ctx.outbox.close()  # the counter loses power too
    c1.ctx.sync.replica.close()
    c1 = make_node("C1", "counter", clock=c1.clock)
    assert call["id"] in {e["id"] for e in c1.ctx.sync.replica.carried()}
    c1.step()  # pulls first: the carry waits until the replica caught up
    c1.step()
    assert call["id"] in hub.authority.gate.held  # pushed again after the restart
    k1.step()  # K1 re-pushes its ticket: the call goes in right behind it
    assert call["id"] in {e["id"] for e in hub.events()}
    c1.step()
    c1.step()
    assert c1.ctx.sync.replica.carrying == 0 and not carry.exists()
    assert c1.ctx.view.state().counter_view("C1").current == call["ticket"]
