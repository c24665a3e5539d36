"""One plain test per design bug of docs/sync.md §8.4, on the real hub app and real nodes.

Each test drives ``simnet`` (the harness of the state machine) through the shrunk scenario and
then checks the §7.1 invariants at quiescence. Fold-only counterparts live in
``tests/core/test_conflicts.py`` and are referenced, not duplicated.

The last tests are bugs the e2e machine found in the product; they are strict xfails until the
fix lands (then they pass, xfail-strict fails, and the marker must go).
"""

from __future__ import annotations

import shutil

from simnet import (
    DAY_MS,
    PUSH,
    T0,
    check_continuous,
    check_quiescent,
)

from core.model import TicketStatus
from core.queue import fold

DAY = "2026-11-28"


def key(label: str, day: str = DAY) -> str:
    return f"{day}/{label}"


def settle(net) -> dict:
    net.quiesce()
    check_continuous(net)
    return check_quiescent(net)


def hub_ticket(net, label: str):
    return net.hub.authority.state.tickets[key(label)]


# -- bug 1 ------------------------------------------------------------------------------------


def test_bug1_compensation_events_are_not_fold_inputs_on_any_replica(net):
    """A superseded call: every replica folds the log (derived events included) to the hub's
    state. Fold level: tests/core/test_conflicts.py::test_bug1_derived_events_are_not_fold_inputs.
    """
    k1, c1, c2 = net.nodes["K1"], net.nodes["C1"], net.nodes["C2"]
    k1.press("A")  # A-007 online
    net.sync_all()
    c2.transport.partitioned = True
    c2.press("next")  # offline: A-007 (the only one waiting)
    c1.press("next")  # online: the hub gives A-007 to C1
    stats = settle(net)
    assert stats["superseded"] == 1
    assert hub_ticket(net, "A-007").holder == "C1"


# -- bug 2 ------------------------------------------------------------------------------------


def test_bug2_one_allocator_for_online_numbers_and_standby_blocks(net):
    """Blocks and online numbers never overlap, also after a restore's fence."""
    k1, k2 = net.nodes["K1"], net.nodes["K2"]
    backup = net.hub.backup()  # knows the four blocks, no ticket yet
    k1.press("A")
    k2.press("A")
    k1.transport.partitioned = True
    k1.press("A")  # block number A-001
    net.hub.restore(backup)
    net.quiesce()
    k2.press("A")
    k1.press("A")
    blocks = [
        (e["body"]["lo"], e["body"]["hi"])
        for e in net.hub.events("lease.granted")
        if e["body"]["service"] == "A"
    ]
    online = [
        e["body"]["number"]
        for e in net.hub.events("ticket.issued")
        if e["body"]["mode"] == "online" and e["body"]["service"] == "A"
    ]
    for n in online:
        assert not any(lo <= n <= hi for lo, hi in blocks), (n, blocks)
    settle(net)


# -- bug 3 ------------------------------------------------------------------------------------


def test_bug3_recovery_barrier_after_repeated_restores_never_reissues_a_printed_number(net):
    k1, k2 = net.nodes["K1"], net.nodes["K2"]
    backup = net.hub.backup()
    for _ in range(2):
        k1.press("A")
        k1.press("A")
        net.hub.restore(backup)
        k2.transport.partitioned = True
        k1.sync()  # K1 re-pushed in the new epoch; K2 has not yet
        assert net.hub.authority.barrier() == ["K2"]
        k1.press("A")  # refused (503 recovery_barrier): printed from K1's block, offline
        assert k1.printers[-1].tickets[-1].offline
        check_continuous(net)
        k2.transport.partitioned = False
        net.quiesce()
        assert net.hub.authority.barrier() is None
        k1.press("A")
        assert not k1.printers[-1].tickets[-1].offline
        check_continuous(net)
    settle(net)


# -- bug 4 ------------------------------------------------------------------------------------


def test_bug4_call_pushed_before_its_ticket_is_held_until_the_ticket_arrives(net):
    k1, c2 = net.nodes["K1"], net.nodes["C2"]
    backup = net.hub.backup()
    k1.transport.partitioned = True
    k1.press("A")  # A-001 from K1's block, offline
    k1.transport.partitioned = False
    k1.sync()
    c2.sync()
    c2.transport.partitioned = True
    c2.press("next")  # offline call of A-001, deps = [K1's ticket.issued]
    call = c2.ctx.outbox.own_events()[-1]
    assert call["type"] == "ticket.called" and call["deps"]
    net.hub.restore(backup)  # the ticket is gone from the hub

    # C2's own events reach the restored hub before K1 re-pushes the ticket.
    own = c2.ctx.outbox.own_events()
    status, body = net.hub.request(
        "C2",
        "POST",
        PUSH,
        {"node": "C2", "inc": c2.ctx.outbox.inc, "hub_epoch_seen": net.hub.epoch, "events": own},
    )
    assert status == 200 and call["id"] in body["held"]
    assert call["id"] not in {e["id"] for e in net.hub.events()}

    c2.transport.partitioned = False
    settle(net)
    ids = [e["id"] for e in net.hub.events()]
    assert ids.index(call["deps"][0]) < ids.index(call["id"])
    assert hub_ticket(net, "A-001").holder == "C2"


# -- bug 5 ------------------------------------------------------------------------------------


def test_bug5_lost_call_reply_with_nothing_to_fall_back_on_is_retracted(net):
    """Fold level: tests/core/test_conflicts.py::test_bug5_one_live_call_per_counter."""
    k1, c2 = net.nodes["K1"], net.nodes["C2"]
    k1.press("A")
    k1.press("A")  # A-008; C2 has not pulled either
    c2.transport.drop_replies = 3  # the hub calls A-007 for C2, every answer is lost
    c2.press("next")  # fallback: C2's view has nothing waiting -> no event
    assert hub_ticket(net, "A-007").holder == "C2"
    c2.press("next")  # online: A-008; the hub's ghost call of A-007 is retracted
    stats = settle(net)
    assert stats["retracted"] == 1
    assert hub_ticket(net, "A-007").status == TicketStatus.WAITING
    assert c2.shown() == ("text", "A-008")


# -- bug 6 ------------------------------------------------------------------------------------


def test_bug6_called_ghost_is_voided_when_transferred_back_into_a_queue(net):
    """Fold level: tests/core/test_conflicts.py::
    test_bug6_called_ghost_is_voided_when_transferred_back."""
    k1, c1 = net.nodes["K1"], net.nodes["C1"]
    k1.transport.drop_replies = 3
    k1.press("A")  # hub issued A-007 (never printed); K1 printed A-001 from its block
    assert net.printed() == [key("A-001")]
    c1.sync()
    c1.press("next")  # the hub hands C1 the ghost A-007
    assert c1.shown() == ("text", "A-007")
    k1.sync()  # the printed ticket with the same req arrives: A-007 is a ghost
    c1.press("transfer", "hold")  # back into queue B -> voided, never waiting
    stats = settle(net)
    assert hub_ticket(net, "A-007").status == TicketStatus.VOID
    assert stats["void_ghost"] == 1


# -- bug 7 ------------------------------------------------------------------------------------


def test_bug7_derived_events_are_never_repushed_after_a_restore(net):
    k1, c1, c2 = net.nodes["K1"], net.nodes["C1"], net.nodes["C2"]
    backup = net.hub.backup()
    k1.press("A")
    net.sync_all()
    c2.transport.partitioned = True
    c2.press("next")
    c1.press("next")
    c2.transport.partitioned = False
    net.sync_all()
    net.sync_all()  # everyone's replica holds the call.superseded now
    assert any(r["event"]["type"] == "call.superseded" for r in c1.ctx.sync.replica.records())
    net.hub.restore(backup)
    stats = settle(net)
    pushed = [e for n in net.nodes.values() for e in n.transport.pushed]
    assert not [e["id"] for e in pushed if e["id"].startswith("hub:comp:")]
    assert stats["superseded"] == 1  # derived again by the new epoch, once


# -- bug 8 ------------------------------------------------------------------------------------


def test_bug8_finish_ends_only_the_call_it_names_after_a_transfer_round_trip(net):
    """Fold level: tests/core/test_conflicts.py::
    test_bug8_finish_event_ends_only_the_call_it_names."""
    k1, c1 = net.nodes["K1"], net.nodes["C1"]
    k1.press("A")
    net.sync_all()
    c1.transport.partitioned = True
    c1.press("next")  # call 1 of A-007 (offline)
    c1.press("transfer", "hold")  # to B
    c1.press("next")  # call 2: A-007 again, now in B
    c1.press("done")
    own = c1.ctx.outbox.own_events()
    calls = [e["id"] for e in own if e["type"] == "ticket.called"]
    done = [e for e in own if e["type"] == "ticket.done"][-1]
    assert len(calls) == 2 and done["deps"] == [calls[1]]
    settle(net)
    t = hub_ticket(net, "A-007")
    assert (t.status, t.served_by) == (TicketStatus.SERVED, "C1")
    assert c1.shown()[0] == "idle"


# -- bug 9 ------------------------------------------------------------------------------------


def test_bug9_counter_display_is_the_fold_after_two_restores(net):
    """Fold level: tests/core/test_conflicts.py::
    test_bug9_counter_display_is_the_fold_after_evidence_done."""
    k1, c2 = net.nodes["K1"], net.nodes["C2"]
    first = net.hub.backup()
    for _ in range(3):
        k1.press("A")
    net.sync_all()
    c2.press("next")
    c2.press("done")
    c2.press("next")
    second = net.hub.backup()
    c2.press("done")
    c2.press("next")
    net.hub.restore(second)
    net.quiesce()
    c2.press("done")
    net.hub.restore(first)
    settle(net)
    cs = net.hub.authority.state.counter_view("C2")
    assert c2.shown() == (("text", cs.label) if cs.label else ("idle", c2.shown()[1]))


# -- bug 10 -----------------------------------------------------------------------------------


def _superseded_scenario(net):
    k1, c1, c2 = net.nodes["K1"], net.nodes["C1"], net.nodes["C2"]
    k1.press("A")
    net.sync_all()
    c2.transport.partitioned = True
    c2.press("next")  # offline call of A-007
    c1.press("next")  # the hub gives A-007 to C1
    c2.transport.partitioned = False
    return c2.ctx.outbox.own_events()[-1]


def test_bug10_cause_and_its_derived_events_are_committed_in_one_write(net):
    batches: list[list[str]] = []
    store = net.hub.authority.store
    append = store.append

    def spy(records):
        records = list(records)
        batches.append([r["event"]["id"] for r in records])
        return append(records)

    store.append = spy
    lost_call = _superseded_scenario(net)
    net.nodes["C2"].sync()
    batch = next(b for b in batches if lost_call["id"] in b)
    assert f"hub:comp:{lost_call['id']}:call.superseded" in batch
    settle(net)


def test_bug10_a_backup_between_a_losing_call_and_its_superseded_is_rederived(net, tmp_path):
    lost_call = _superseded_scenario(net)
    net.nodes["C2"].sync()
    records = net.hub.records()
    cut = next(r["hseq"] for r in records if r["event"]["id"] == lost_call["id"])
    sup_id = f"hub:comp:{lost_call['id']}:call.superseded"
    assert records[cut]["event"]["id"] == sup_id  # right behind its cause

    # A backup whose journal ends with the losing call (its call.superseded not yet there).
    backup = net.hub.backup()
    segments = sorted((backup / "journal").glob("*.jsonl"))
    kept, seen = [], 0
    for seg in segments:
        lines = seg.read_text(encoding="utf-8").splitlines(keepends=True)
        take = lines[: max(0, cut - seen)]
        seen += len(lines)
        if take:
            seg.write_text("".join(take), encoding="utf-8")
            kept.append(seg)
        else:
            seg.unlink()
    net.hub.restore(backup)
    ids = [e["id"] for e in net.hub.events()]
    assert sup_id in ids, "the missing call.superseded is re-derived at startup"
    settle(net)


# -- bug 11 -----------------------------------------------------------------------------------


def test_bug11_node_rebooted_into_1970_trusts_the_hub_and_hub_flags_node_time_ahead(net):
    k1, c3 = net.nodes["K1"], net.nodes["C3"]
    k1.crash_restart(wall_ms=0)  # no RTC: 1970
    k1.transport.partitioned = True
    k1.press("A")  # offline: the service day still follows the last hub time in the log
    assert k1.printed()[-1] == key("A-001")
    k1.transport.partitioned = False
    c3.clock.jump_wall(DAY_MS)  # a node a day ahead: the hub must not follow it
    c3.crash_restart()  # its node.hello is stamped a day ahead
    settle(net)
    assert net.hub.events("clock.skew")
    assert int(net.hub.authority.hlc.last().split(".")[0]) < T0 + DAY_MS
    assert hub_ticket(net, "A-001").issued_ms > T0 - DAY_MS


# -- hub epoch in hub event ids -----------------------------------------------------------------


def test_hub_event_ids_carry_the_epoch_so_a_restored_hub_never_reuses_one(net):
    k1 = net.nodes["K1"]
    backup = net.hub.backup()
    old_epoch = net.hub.epoch
    k1.press("A")  # hub:<old>:5
    net.hub.restore(backup)
    net.quiesce()
    k1.press("B")  # hub:<new>:... may reuse the number 5, never the id
    settle(net)
    issued = {e["body"]["label"]: e["id"] for e in net.hub.events("ticket.issued")}
    assert issued["A-007"].startswith(f"hub:{old_epoch}:")
    assert issued["B-007"].startswith(f"hub:{net.hub.epoch}:")


# -- bugs found by the e2e machine (strict xfail until fixed) --------------------------------


def test_view_roster_after_restart(make_net):
    """Found by the machine: LocalView seeded its fold with the roster before boot() loaded
    hub_info.json, so a restarted counter knew no services (CLOSED, offline NEXT called
    nobody). Fixed in 79ccb92."""
    net = make_net(workarounds=False)
    k1, c2 = net.nodes["K1"], net.nodes["C2"]
    k1.press("A")
    net.sync_all()
    c2.crash_restart()
    net.hub.up = False
    assert c2.shown()[0] == "idle"
    c2.press("next")
    assert c2.shown() == ("text", "A-007")


def test_kiosk_ahead_of_the_hub_day_asks_for_a_lease_once(net):
    """Found by the machine (no fixpoint: a kiosk a day ahead asked for a block at every
    maintain()); fixed in 0ec2c5e. The hub's day wins, one request per service."""
    k1 = net.nodes["K1"]
    before = len(net.hub.events("lease.granted"))
    k1.clock.jump_wall(DAY_MS)
    for _ in range(5):
        k1.sync()
    assert len(net.hub.events("lease.granted")) - before <= 2
    net.quiesce()


def test_restore_with_a_ghost_in_the_old_epoch_keeps_every_printed_ticket(net):
    """Found by the machine: hub.pushgate gated re-pushed hub events of a past epoch on gapless
    seq; a hub event nobody kept (an issue whose reply was lost) left a gap, so every later hub
    event of that epoch was held forever: a printed ticket was lost and its number issued
    again. Hub events are now gated on their deps alone."""
    k1, k2 = net.nodes["K1"], net.nodes["K2"]
    backup = net.hub.backup()
    k1.transport.drop_replies = 3
    k1.press("A")  # hub:<old>:5 = A-007, a ghost only the old hub log had
    k2.press("A")  # hub:<old>:6 = A-008, printed, kept in K2's log
    net.hub.restore(backup)
    net.quiesce()
    k1.press("A")
    k2.press("A")
    check_continuous(net)  # no number printed twice
    assert key("A-008") in net.hub.authority.state.tickets
    settle(net)  # the two new tickets reach every replica first


def test_hub_state_last_hseq_counts_derived_records(net):
    """Found by the machine: the hub folded only the primary records it committed, so
    QueueState.last_hseq (GET /api/v1/state) lagged the log. Fixed in 2566c0a."""
    _superseded_scenario(net)
    net.nodes["C2"].sync()
    hub = net.hub.authority
    assert hub.state.last_hseq == hub.last_hseq == fold(net.hub.records()).last_hseq


def test_offline_ticket_paper_shows_its_service_day(net):
    """Found by the machine: an HLC merged while the wall clock was ahead kept tomorrow, the
    service day came from one reading and the printed time from another: today's ticket
    with tomorrow's date. Fixed in 79ccb92 (one reading per offline ticket)."""
    k1, k2 = net.nodes["K1"], net.nodes["K2"]
    k2.clock.jump_wall(DAY_MS)
    k1.press("A")
    k2.sync()  # merges the hub's time while its own wall clock is a day ahead
    k2.clock.jump_wall(-DAY_MS)  # NTP steps it back
    k2.transport.partitioned = True
    k2.press("A")
    logged = k2.ctx.outbox.own_events()[-1]["ticket"]
    assert k2.printed()[-1] == logged


def test_repushed_event_held_at_the_hub_survives_a_hub_restart(net):
    """Found by the machine: hub.pushgate keeps held events in RAM only, and node.sync
    re-pushed foreign primaries (hub events from RPC answers, replica records) only once, at
    the epoch switch: a hub restart while one was held lost it; the counter kept showing a call
    the hub never had (the ticket waiting there: silent double call). The node now carries
    them (node.replica carry set) and re-pushes until its new replica holds them."""
    k1, c2 = net.nodes["K1"], net.nodes["C2"]
    backup = net.hub.backup()
    k1.transport.partitioned = True
    k1.press("A")  # A-001 from K1's block
    k1.transport.partitioned = False
    k1.sync()  # the hub has it; C2 has not pulled
    c2.press("next")  # online: the hub calls A-001 (deps = K1's issue), C2 logs that event
    call = c2.ctx.outbox.events()[-1]
    net.hub.restore(backup)
    c2.sync()  # C2 re-pushes first: the call waits for its dependency
    assert call["id"] in net.hub.authority.gate.held
    net.hub.crash_restart()
    settle(net)
    assert c2.shown() == ("text", "A-001")


def test_backup_folders_are_plain_copies(net, tmp_path):
    """The harness restores with ``hub.store.restore_from``; a copied backup works too."""
    backup = net.hub.backup()
    copy = shutil.copytree(backup, tmp_path / "copied-backup")
    net.hub.restore(copy)
    settle(net)
