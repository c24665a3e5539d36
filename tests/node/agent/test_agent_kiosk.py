"""Kiosk node: online tickets, lease tickets offline, prefix numbers, re-push on reconnect."""

from __future__ import annotations


def printed_labels(node) -> list[str]:
    return [t.label for t in node.ctx.devices.printer.tickets]


def test_online_ticket_is_logged_before_it_is_printed(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    printer = kiosk.ctx.devices.printer
    seen_in_log = []
    real_print = printer.print_ticket

    def print_and_check(ticket):
        # At the moment of printing, the hub's event must already be in the node's own log.
        seen_in_log.append(
            [e["body"]["label"] for e in kiosk.ctx.outbox.events() if e["type"] == "ticket.issued"]
        )
        real_print(ticket)

    printer.print_ticket = print_and_check
    kiosk.press("a")  # keypad a -> service A
    kiosk.step()

    assert printed_labels(kiosk) == ["A-001"]
    assert seen_in_log == [["A-001"]]
    assert b"A-001" in printer.jobs[0]
    assert printer.tickets[0].offline is False
    assert [e["body"]["label"] for e in hub.events("ticket.issued")] == ["A-001"]


def test_offline_uses_the_lease_then_prefix_numbers_and_the_hub_gets_all(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()  # online: the kiosk takes a standby lease per service
    leases = [e for e in kiosk.ctx.outbox.events() if e["type"] == "lease.granted"]
    assert {e["body"]["service"] for e in leases} == {"A", "B"}
    lease_b = next(e["body"] for e in leases if e["body"]["service"] == "B")
    size = lease_b["hi"] - lease_b["lo"] + 1

    kiosk.press("b")  # one online ticket first
    kiosk.step()
    hub.down = True
    for _ in range(size + 2):
        kiosk.press("b")
        kiosk.step()
    labels = printed_labels(kiosk)
    offline = [t for t in kiosk.ctx.devices.printer.tickets if t.offline]
    assert len(offline) == size + 2
    lease_labels = [f"B-{n:03d}" for n in range(lease_b["lo"], lease_b["hi"] + 1)]
    assert [t.label for t in offline] == [*lease_labels, "B-K1-1", "B-K1-2"]
    assert kiosk.status()["online"] is False
    assert kiosk.status()["backlog"] >= size + 2

    hub.down = False
    kiosk.step()
    kiosk.press("b")  # online again: the hub's allocator continues past every lease
    kiosk.step()
    labels = printed_labels(kiosk)
    at_hub = [e["body"]["label"] for e in hub.events("ticket.issued")]
    assert sorted(at_hub) == sorted(labels)
    assert len(set(at_hub)) == len(at_hub), "no number printed twice"
    assert kiosk.status()["backlog"] == 0
    assert kiosk.status()["online"] is True


def test_lost_reply_falls_back_with_the_same_req_and_the_ghost_is_voided(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    kiosk.transport.lose_replies = 3  # all three tries reach the hub, no answer comes back
    kiosk.transport.lose_path = "/api/v1/tickets"  # the heartbeat's replies are not the point
    kiosk.press("a")
    kiosk.step()
    printed = kiosk.ctx.devices.printer.tickets
    assert len(printed) == 1 and printed[0].offline
    issued = hub.events("ticket.issued")
    assert len({e["req"] for e in issued}) == 1  # the hub's ghost and the lease ticket
    voided = hub.events("ticket.void_ghost")
    assert len(voided) == 1
    state = hub.authority.snapshot()["state"]
    waiting = [w["label"] for w in state["waiting"].get("A", [])]
    assert waiting == [printed[0].label]


def test_restart_continues_lease_numbers_from_the_log(hub, make_node, tmp_path):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    hub.down = True
    kiosk.press("a")
    kiosk.step()
    first = printed_labels(kiosk)[-1]
    devices, clock = kiosk.ctx.devices, kiosk.clock
    kiosk.ctx.outbox.close()
    kiosk.ctx.sync.replica.close()

    again = make_node("K1", "kiosk", devices=devices, clock=clock)
    again.press("a")
    again.step()
    second = printed_labels(again)[-1]
    assert first != second
    hellos = [e for e in again.ctx.outbox.events() if e["type"] == "node.hello"]
    assert len(hellos) == 2  # one per boot
    seqs = [e["seq"] for e in again.ctx.outbox.own_events()]
    assert seqs == list(range(1, len(seqs) + 1))  # gapless across the restart


def test_printer_status_is_reported(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.ctx.devices.printer.paper = "low"
    assert kiosk.status()["printer"] == "low"


def test_no_number_is_taken_while_the_printer_is_out_of_paper(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.ctx.devices.printer.paper = "out"
    kiosk.press("a")
    kiosk.step()
    assert kiosk.ctx.devices.printer.jobs == []
    assert hub.events("ticket.issued") == []
    assert kiosk.role.last_outcome.kind == "printer"
    assert kiosk.role.last_outcome.code == "out"
    assert kiosk.status()["printer"] == "out"


def test_a_ticket_that_could_not_be_printed_is_cancelled(hub, make_node):
    from node.hardware.errors import HardwareError

    kiosk = make_node("K1", "kiosk")  # no screen: nobody would ever see the number
    kiosk.ctx.devices.printer.fail = HardwareError("paper jam")
    kiosk.press("a")
    kiosk.step()
    assert kiosk.ctx.devices.printer.jobs == []
    cancelled = hub.events("ticket.cancelled")
    issued = [e["ticket"] for e in hub.events("ticket.issued")]
    assert [(e["ticket"], e["body"]["reason"]) for e in cancelled] == [(issued[0], "print_failed")]
    assert "A" not in hub.authority.snapshot()["state"]["waiting"]
    assert kiosk.role.last_outcome.kind == "printer"


def test_recovery_barrier_keeps_the_kiosk_online_but_printing_from_its_lease(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    backup = hub.backup()
    hub.restore(backup)
    kiosk.step()
    assert hub.authority.barrier() == ["K2"]  # K1 re-synced, K2 not yet: no new numbers
    kiosk.press("a")
    kiosk.step()
    ticket = kiosk.ctx.devices.printer.tickets[-1]
    assert ticket.offline and not ticket.label.startswith("A-K1")  # a lease number
    assert kiosk.status()["online"] is True


def test_a_kiosk_clock_a_day_ahead_does_not_keep_asking_for_leases(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    kiosk.clock.jump_wall(86_400_000)
    for _ in range(3):
        kiosk.step()
    grants = [e for e in hub.events("lease.granted") if e["body"]["kiosk"] == "K1"]
    assert len(grants) <= 4  # one per service, plus at most one more ask per service


def test_offline_paper_shows_the_service_day_of_its_ticket(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.clock.jump_wall(86_400_000)  # a day ahead while it syncs with the hub
    kiosk.step()
    kiosk.clock.jump_wall(-86_400_000)  # NTP steps it back
    hub.down = True
    kiosk.press("a")
    kiosk.step()
    logged = kiosk.ctx.outbox.own_events()[-1]
    paper = kiosk.ctx.devices.printer.tickets[-1]
    day, month, year = paper.issued_at.split()[0].split("-")
    assert logged["body"]["day"] == f"{year}-{month}-{day}" == "2026-11-28"


def test_a_service_the_hub_does_not_offer_here_is_a_config_problem(hub, make_node):
    """The node profile knows only the ids' syntax; the hub's catalogue (read at first
    contact) says K2 offers B only and knows no Z: `loket node status` names each problem
    with its key path, and the buttons follow the catalogue (B alone), online or offline."""
    kiosk = make_node("K2", "kiosk", services=["B", "A", "Z"])
    kiosk.step()
    problems = kiosk.status()["config_problems"]
    assert problems == [
        "node.services[1]: the hub's catalogue does not offer 'A' at kiosk K2; expected one of: B",
        "node.services[2]: service 'Z' is not a service of the hub; expected one of: A, B",
    ]
    kiosk.press("b")  # the profile's A: no second button in the catalogue's keypad
    kiosk.press("c")  # the profile's Z: none either
    kiosk.step()
    hub.down = True
    kiosk.press("c")
    kiosk.step()
    assert printed_labels(kiosk) == []
    kiosk.press("a")  # B is fine, offline from its lease
    kiosk.step()
    assert printed_labels(kiosk) == ["B-001"]


def test_a_profile_service_issues_nothing_while_the_catalogue_lacks_the_kiosk(hub, make_node):
    """Before the catalogue has an entry for this kiosk its profile's services stand in, and
    one the hub does not know issues nothing (a ticket nobody would call), online or not."""
    from hub.auth import pair_node

    hub.tokens["K9"] = pair_node(hub.authority.store, "K9")  # K9 is not in the catalogue yet
    kiosk = make_node("K9", "kiosk", services=["B", "Z"])
    kiosk.step()
    assert kiosk.status()["config_problems"] == [
        "node.services[1]: service 'Z' is not a service of the hub; expected one of: A, B"
    ]
    kiosk.press("b")  # keypad b -> Z
    kiosk.step()
    assert printed_labels(kiosk) == []
    assert kiosk.status()["last_error"].startswith("node.services[1]: service 'Z'")


def test_a_refused_offline_ticket_reaches_the_node_status(hub, make_node):
    """K2 never reached the hub, so it could not know the hub offers it B only: its offline
    A ticket is refused at the push, and `loket node status` shows why (the admin's device
    page too); later tickets still flow."""
    hub.down = True
    kiosk = make_node("K2", "kiosk", services=["A", "B"])
    kiosk.press("a")  # A, offline, never contacted: a prefix number
    kiosk.step()
    assert printed_labels(kiosk) == ["A-K2-1"]
    hub.down = False
    kiosk.step()
    status = kiosk.status()
    assert status["last_rejected"]["reason"].startswith("service_not_at_kiosk")
    assert status["backlog"] == 0  # the refused event used up its seq
    assert status["config_problems"] == [
        "node.services[0]: the hub's catalogue does not offer 'A' at kiosk K2; expected one of: B"
    ]
    assert hub.app.extensions["loket"].rejections[0]["node"] == "K2"
    assert [e["body"]["label"] for e in hub.events("ticket.issued")] == []
