"""Nodes follow the catalogue in the log (contract C1): a change made at the hub reaches a
kiosk, a counter and the hall live through the feed; a node offline applies it when it heals;
a node whose fold has no catalogue yet works from the one it cached."""

from __future__ import annotations

import json
import shutil

from core.announce import call_clips
from core.hours import Hours

# The nodes' clocks start at T0, a Saturday 09:00: both keep the service open then (the
# calendar is enforced, core.calendar).
FRIDAY_PRAYER = {
    "mon": ["08:00-15:00"],
    "fri": ["08:00-11:30", "13:30-15:00"],
    "sat": ["08:00-12:00"],
}
RAMADAN = {"mon": ["08:00-14:00"], "fri": ["08:00-11:00", "13:30-14:30"], "sat": ["08:00-11:00"]}


def row(hub, table: str, entity_id: str, **changes) -> dict:
    found = next(r for r in hub.authority.catalogue().to_dict()[table] if r["id"] == entity_id)
    return {**found, **changes}


def edit(hub, kind: str, entity_id: str, **changes) -> list[dict]:
    value = row(hub, f"{kind}s" if kind != "agency" else "agencies", entity_id, **changes)
    return hub.authority.change_catalogue("set", kind, entity_id, value, by="manajer")


def printed(node) -> list:
    return node.ctx.devices.printer.tickets


def restart_without_replica(node, make_node, role: str):
    """Stop ``node`` and start it again on its data folder with the replica gone (a new
    hub epoch starts an empty one the same way), the hub unreachable."""
    node.ctx.outbox.close()
    node.ctx.sync.replica.close()
    data = node.ctx.data_dir
    shutil.rmtree(data / "replica")
    (data / "checkpoint.json").unlink()
    return make_node(node.ctx.node_id, role, clock=node.clock)


def test_an_online_kiosk_applies_each_change_as_it_arrives(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    [change] = edit(hub, "service", "A", name="KTP-el dan KK", hours=FRIDAY_PRAYER)
    kiosk.step()  # the feed brings the event
    assert change["id"] in kiosk.ctx.sync.replica
    assert kiosk.ctx.catalogue().service("A").hours == Hours.from_json(FRIDAY_PRAYER)
    kiosk.press("a")
    kiosk.step()
    assert printed(kiosk)[-1].service_name == "KTP-el dan KK"
    edit(hub, "agency", "dukcapil", name="Disdukcapil Kota")
    edit(hub, "kiosk", "K1", services=["B"])  # the lobby kiosk now only serves BPJS
    kiosk.step()
    kiosk.press("a")  # keypad a -> the kiosk's first service, now B
    kiosk.step()
    assert printed(kiosk)[-1].label.startswith("B-")
    assert kiosk.status()["lease_remaining"].keys() == {"B"}
    assert kiosk.role.services == ["B"]
    edit(hub, "kiosk", "K1", services=["A", "B"])
    hub.authority.change_catalogue("retire", "kiosk", "K1")
    kiosk.step()
    kiosk.press("a")  # retired: it offers nothing, and says why
    kiosk.step()
    assert len(printed(kiosk)) == 2 and "offers no service" in kiosk.status()["last_error"]
    assert kiosk.ctx.service_info("A")["name"] == "KTP-el dan KK"  # still named for reports


def test_an_offline_kiosk_keeps_the_old_catalogue_then_heals(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    kiosk.transport.down = True  # its cable is out; the hub goes on
    edit(hub, "service", "B", name="BPJS Kesehatan JKN", hours=RAMADAN)
    kiosk.step()
    kiosk.press("b")
    kiosk.step()
    offline = printed(kiosk)[-1]
    assert offline.offline and offline.service_name == "BPJS"  # what it knew
    assert kiosk.ctx.catalogue().service("B").hours is None
    kiosk.transport.down = False
    kiosk.step()
    assert kiosk.ctx.catalogue().service("B").hours == Hours.from_json(RAMADAN)
    kiosk.press("b")
    kiosk.step()
    assert printed(kiosk)[-1].service_name == "BPJS Kesehatan JKN"
    assert hub.authority.state.tickets[f"2026-11-28/{offline.label}"].mode == "lease"


def test_a_counter_calls_what_its_catalogue_entry_serves_now(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("a")
    kiosk.step()
    c2 = make_node("C2", "counter")
    c2.step()
    events = edit(hub, "counter", "C2", services=["A", "B"])
    assert [e["type"] for e in events] == ["catalogue.set", "roster.updated"]
    c2.step()
    assert c2.ctx.view.state().counter_view("C2").services == ("A", "B")
    hub.down = True  # offline, it calls from its own fold
    c2.press("next")
    c2.step()
    assert c2.ctx.devices.display.frame.text.strip() == printed(kiosk)[0].label


def test_the_hall_says_the_counter_number_of_the_catalogue(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("b")
    kiosk.step()
    hall = make_node("D1", "display")
    c2 = make_node("C2", "counter")
    edit(hub, "counter", "C2", number=7, name="Loket 7")
    c2.step()
    c2.press("next")
    c2.step()
    hall.step()
    label = printed(kiosk)[0].label
    assert hall.ctx.devices.announcer.played == [call_clips(label, 7)]
    assert hall.ctx.devices.screen.last["now"] == {"label": label, "counter": 7}


def test_a_kiosk_with_no_catalogue_folded_prints_from_the_cached_one(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    edit(hub, "service", "A", name="KTP-el dan KK")
    kiosk.step()
    cached = json.loads((kiosk.ctx.data_dir / "hub_info.json").read_text())
    assert cached["format"] == 2 and cached["catalogue"]["services"][0]["name"] == "KTP-el dan KK"
    hub.down = True
    again = restart_without_replica(kiosk, make_node, "kiosk")
    assert again.ctx.view.state().catalogue.hseq == 0  # nothing folded: the cache stands in
    again.press("a")
    again.step()
    ticket = printed(again)[-1]
    assert ticket.offline and ticket.service_name == "KTP-el dan KK"
    assert ticket.agency_name == "Dukcapil" and ticket.mpp_name == "MPP Uji"


def test_a_counter_with_no_catalogue_folded_serves_the_cached_roster(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("a")
    kiosk.step()
    c2 = make_node("C2", "counter")
    c2.step()
    edit(hub, "counter", "C2", services=["A", "B"])
    c2.step()
    hub.down = True
    again = restart_without_replica(c2, make_node, "counter")
    # The replica is gone, and the hub with it: the counter still serves A and B (the roster
    # it cached), not the B alone of its profile-era configuration.
    assert again.ctx.view.state().counter_view("C2").services == ("A", "B")
    hub.down = False
    again.step()
    assert again.ctx.view.state().catalogue.hseq > 0  # its own fold again


def test_an_upgraded_node_reads_the_older_cache_format(hub, make_node, tmp_path):
    data = tmp_path / "node-K2"
    data.mkdir()
    older = {
        "config": {
            "agencies": [{"id": "bpjs", "name": "BPJS Kesehatan"}],
            "services": [{"id": "B", "prefix": "B", "name": "BPJS Lama", "agency": "bpjs"}],
            "counters": [{"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]}],
        },
        "mpp": {},
    }
    (data / "hub_info.json").write_text(json.dumps(older))
    hub.down = True
    kiosk = make_node("K2", "kiosk", services=["B"])
    kiosk.press("a")  # its first (only) service
    kiosk.step()
    assert printed(kiosk)[-1].service_name == "BPJS Lama"
