"""Counter node: online/offline NEXT, superseded calls, restart, ratings, idle display."""

from __future__ import annotations

from core.model import TicketStatus


def issue(make_node, hub, n: int, key: str = "b") -> list[str]:
    """Print n tickets at kiosk K1 (online); returns their labels in queue order.

    Numbers are not consecutive: the kiosk also holds a standby lease from the same
    allocator (e.g. B-001, then lease B-002..B-005, then B-006).
    """
    kiosk = make_node("K1", "kiosk")
    for _ in range(n):
        kiosk.press(key)
        kiosk.step()
    return [t.label for t in kiosk.ctx.devices.printer.tickets]


def shown(counter) -> str:
    """What the LED shows once any flash is over (a flash overlays the number for a while)."""
    frames = [f for f in counter.ctx.devices.display.history if f.mode != "flash"]
    return frames[-1].text if frames else ""


def called_at_c2(make_node, hub, tickets: int):
    """``tickets`` issued at the kiosk, then C2 pressed NEXT once and synced."""
    issue(make_node, hub, tickets)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    return c2


def served_one(make_node, hub):
    """C2 has called and finished one ticket: the moment a visitor may rate the service."""
    issue(make_node, hub, 1)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.press("done")
    c2.step()
    return c2


def test_online_next_shows_the_hub_call_after_logging_it(hub, make_node):
    c2 = called_at_c2(make_node, hub, 2)
    assert shown(c2) == "B-001"
    called = [e for e in c2.ctx.outbox.events() if e["type"] == "ticket.called"]
    assert len(called) == 1 and called[0]["origin"] == "hub"  # the hub's event, logged here
    assert called[0]["body"]["mode"] == "online"
    hub_ticket = hub.authority.state.tickets[called[0]["ticket"]]
    assert hub_ticket.status == TicketStatus.CALLED and hub_ticket.holder == "C2"


def test_next_on_an_empty_queue_shows_idle(hub, make_node):
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    assert shown(c2) == "----"
    assert not [e for e in c2.ctx.outbox.events() if e["type"] == "ticket.called"]


def test_offline_next_uses_the_local_view_and_reaches_the_hub_later(hub, make_node):
    issue(make_node, hub, 3)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.transport.down = True
    c2.press("next")
    c2.step()
    mine = [e for e in c2.ctx.outbox.own_events() if e["type"] == "ticket.called"]
    assert len(mine) == 1 and mine[0]["body"]["mode"] == "offline"
    # Residue class among B's counters C1, C2, C3: C2 is index 1 -> B-001 (1 mod 3 == 1).
    assert shown(c2) == "B-001"
    assert c2.ctx.devices.display.frame.offline is True
    assert mine[0]["deps"], "an offline call depends on the ticket's issue event"

    c2.transport.down = False
    c2.step()
    assert mine[0]["id"] in {e["id"] for e in hub.events("ticket.called")}
    assert hub.authority.state.tickets[mine[0]["ticket"]].holder == "C2"
    assert shown(c2) == "B-001"
    assert c2.ctx.devices.display.frame.offline is False


def test_superseded_call_flashes_and_calls_the_next_ticket(hub, make_node):
    labels = issue(make_node, hub, 3)
    c2 = make_node("C2", "counter")
    c3 = make_node("C3", "counter")
    c2.step()
    c3.step()
    c2.transport.down = True
    c2.press("next")  # offline: B-001 from its residue class
    c2.step()
    assert shown(c2) == "B-001"
    c3.press("next")  # online: the hub gives the head of the queue, B-001, to C3
    c3.step()
    assert shown(c3) == "B-001"

    c2.transport.down = False
    c2.step()  # push: the call loses; pull: call.superseded -> auto NEXT (online)
    assert [e["body"]["counter"] for e in hub.events("call.superseded")] == ["C2"]
    assert shown(c2) == labels[1]
    flashes = [f for f in c2.ctx.devices.display.history if f.mode == "flash"]
    assert [f.text for f in flashes] == ["B-001"]  # "called elsewhere": the lost number
    assert hub.authority.state.tickets[f"2026-11-28/{labels[1]}"].holder == "C2"
    c2.step()  # the replayed feed does not trigger a second auto call
    assert shown(c2) == labels[1]
    assert len([e for e in hub.events("ticket.called") if e["body"]["counter"] == "C2"]) == 2


def test_restart_restores_the_number_on_display_even_without_hub(hub, make_node):
    c2 = called_at_c2(make_node, hub, 2)
    assert shown(c2) == "B-001"
    clock = c2.clock
    c2.ctx.outbox.close()
    c2.ctx.sync.replica.close()

    hub.down = True
    again = make_node("C2", "counter", clock=clock)  # a fresh display, same data folder
    assert shown(again) == "B-001"
    assert again.ctx.devices.display.frame.offline is False  # not known offline yet
    again.step()
    assert again.ctx.devices.display.frame.offline is True


def test_offline_done_then_restart_shows_idle(hub, make_node):
    c2 = called_at_c2(make_node, hub, 1)
    hub.down = True
    c2.press("done")
    c2.step()
    assert shown(c2) == "----"
    c2.ctx.outbox.close()
    c2.ctx.sync.replica.close()
    again = make_node("C2", "counter", clock=c2.clock)
    assert shown(again) == "----"  # the pending done is in the local view


def test_hold_done_finishes_and_calls_next_and_rating_counts_once(hub, make_node):
    labels = issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.step()
    c2.press("done", "hold")
    c2.step()
    assert shown(c2) == labels[1]
    assert hub.authority.state.tickets["2026-11-28/B-001"].status == TicketStatus.SERVED
    c2.press("rate_4")
    c2.press("rate_1")  # a second press is not a second rating
    c2.step()
    rated = hub.events("ticket.rated")
    assert [(e["ticket"], e["body"]["score"]) for e in rated] == [("2026-11-28/B-001", 4)]


def test_rating_after_the_window_is_ignored(hub, make_node):
    c2 = served_one(make_node, hub)
    c2.clock.advance(121_000)
    c2.press("rate_3")
    c2.step()
    assert hub.events("ticket.rated") == []


def test_offline_rating_is_logged_and_pushed(hub, make_node):
    c2 = served_one(make_node, hub)
    hub.down = True
    c2.press("rate_2")
    c2.step()
    hub.down = False
    c2.step()
    rated = hub.events("ticket.rated")
    assert [(e["origin"], e["body"]["score"]) for e in rated] == [("C2", 2)]


def test_offline_transfer_and_skip_carry_the_call_as_dep(hub, make_node):
    issue(make_node, hub, 2)
    c1 = make_node("C1", "counter")
    c1.step()
    c1.press("next")
    c1.step()
    first = shown(c1)
    hub.down = True
    c1.press("transfer", "hold")  # C1 serves A and B: the other service is the target
    c1.step()
    assert shown(c1) == "----"
    c1.press("next")  # the transferred visitor keeps their place, now in A (C1 serves A)
    c1.press("skip")
    c1.step()
    own = [e for e in c1.ctx.outbox.own_events() if e["type"].startswith("ticket.")]
    assert [e["type"] for e in own] == ["ticket.transferred", "ticket.called", "ticket.skipped"]
    assert own[0]["body"]["to"] == "A"
    assert own[2]["deps"] == [own[1]["id"]]  # the skip ends exactly that call
    hub.down = False
    c1.step()
    moved = hub.authority.state.tickets[f"2026-11-28/{first}"]
    assert moved.service == "A" and moved.transfers == ("A",)
    assert moved.status == TicketStatus.NO_SHOW


def test_lost_next_reply_falls_back_with_the_same_req_and_the_ghost_call_is_retracted(
    hub, make_node
):
    labels = issue(make_node, hub, 3)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.transport.lose_replies = 3  # the hub calls a ticket three times over, C2 never hears
    c2.press("next")
    c2.step()
    own = [e for e in c2.ctx.outbox.own_events() if e["type"] == "ticket.called"]
    assert len(own) == 1 and own[0]["body"]["mode"] == "offline"
    hub_calls = [e for e in hub.events("ticket.called") if e["origin"] == "hub"]
    assert {e["req"] for e in hub_calls} == {own[0]["req"]}
    # One live call per counter: the ticket C2 shows is the one the hub has C2 holding.
    held = [t for t in hub.authority.state.tickets.values() if t.holder == "C2"]
    assert [t.label for t in held] == [shown(c2)]
    assert shown(c2) in labels
    retracted = hub.events("call.retracted")
    assert [e["body"]["call"] for e in retracted] == [hub_calls[0]["id"]]


def test_hold_skip_recalls_the_last_no_show_online_and_offline(hub, make_node):
    labels = issue(make_node, hub, 2)
    c2 = make_node("C2", "counter")
    c2.step()
    c2.press("next")
    c2.press("skip")
    c2.step()
    assert shown(c2) == "----"
    c2.press("skip", "hold")  # online: the visitor came back
    c2.step()
    assert shown(c2) == labels[0]
    ticket = hub.authority.state.tickets[f"2026-11-28/{labels[0]}"]
    assert ticket.status == TicketStatus.CALLED and ticket.holder == "C2"

    c2.press("skip")
    c2.step()
    hub.down = True
    c2.press("skip", "hold")  # offline: the same, from the local view
    c2.step()
    assert shown(c2) == labels[0]
    own = [e for e in c2.ctx.outbox.own_events() if e["type"] == "ticket.recalled"]
    assert len(own) == 1 and own[0]["deps"]
    hub.down = False
    c2.step()
    ticket = hub.authority.state.tickets[f"2026-11-28/{labels[0]}"]
    assert ticket.status == TicketStatus.CALLED and ticket.call_id == own[0]["id"]


def test_offline_next_never_calls_yesterdays_leftovers(hub, make_node, hub_clock):
    issue(make_node, hub, 1)  # B-001 of 28 November, never called
    c2 = make_node("C2", "counter")
    c2.step()
    hub.down = True
    c2.clock.advance(86_400_000)  # the next morning, hub still down
    c2.press("next")
    c2.step()
    assert shown(c2) == "----"
    assert not [e for e in c2.ctx.outbox.own_events() if e["type"] == "ticket.called"]


def test_restarted_counter_knows_its_services_while_the_hub_is_down(hub, make_node):
    labels = issue(make_node, hub, 1)
    c2 = make_node("C2", "counter")
    c2.step()
    clock = c2.clock
    c2.ctx.outbox.close()
    c2.ctx.sync.replica.close()
    hub.down = True
    again = make_node("C2", "counter", clock=clock)  # roster from the cached hub info
    assert shown(again) == "----"
    again.press("next")
    again.step()
    assert shown(again) == labels[0]
