"""A kiosk applies the calendar, quotas and the priority lane (C2, C3) online and offline:
an hours change reaches it live, and one made while it is offline after it heals; offline it
refuses with the same words, never prints past a quota, and logs the priority category."""

from __future__ import annotations

from conftest import fake_devices

# The nodes start at T0, Saturday 2026-11-28 09:00 WIB.
WEEKDAYS = {"mon": ["08:00-15:00"], "fri": ["08:00-11:30", "13:30-15:00"]}


def edit(hub, kind: str, entity_id: str, **changes) -> list[dict]:
    d = hub.authority.catalogue().to_dict()
    table = "agencies" if kind == "agency" else f"{kind}s"
    row = d["mpp"] if kind == "mpp" else next(r for r in d[table] if r["id"] == entity_id)
    value = {k: v for k, v in {**row, **changes}.items() if k != "id"}
    return hub.authority.change_catalogue("set", kind, entity_id, value, by="manajer")


def kiosk_with_notices(make_node, node_id="K1"):
    said: list[str] = []
    devices = fake_devices("kiosk")
    devices.notices = said.append
    return make_node(node_id, "kiosk", devices=devices), said


def printed(node) -> list:
    return node.ctx.devices.printer.tickets


def test_an_hours_change_reaches_an_online_kiosk_live(hub, make_node):
    kiosk, said = kiosk_with_notices(make_node)
    kiosk.step()
    kiosk.press("a")
    kiosk.step()
    assert len(printed(kiosk)) == 1
    edit(hub, "service", "A", hours=WEEKDAYS)  # A no longer opens on Saturdays
    kiosk.step()
    kiosk.press("a")
    kiosk.step()
    assert len(printed(kiosk)) == 1  # nothing printed
    refusal = kiosk.status()["last_refusal"]
    assert refusal["code"] == "closed"
    assert said == ["Layanan sedang tutup. Layanan dibuka kembali Senin 08.00."]
    kiosk.press("b")  # B keeps the mall's hours (always open here)
    kiosk.step()
    assert len(printed(kiosk)) == 2 and kiosk.status()["last_refusal"] is None


def test_an_hours_change_made_while_offline_applies_after_healing(hub, make_node):
    kiosk, said = kiosk_with_notices(make_node)
    kiosk.step()
    kiosk.transport.down = True
    edit(hub, "service", "B", hours=WEEKDAYS)
    kiosk.press("b")  # offline, by the hours it knows: open
    kiosk.step()
    assert printed(kiosk)[-1].offline and said == []
    kiosk.transport.down = False
    kiosk.step()  # heals: pushes its ticket, pulls the change
    assert kiosk.ctx.catalogue().service("B").hours is not None
    kiosk.transport.down = True  # offline again: the local calendar now says closed
    kiosk.press("b")
    kiosk.step()
    assert len(printed(kiosk)) == 1
    assert said == ["Layanan sedang tutup. Layanan dibuka kembali Senin 08.00."]
    assert kiosk.status()["last_refusal"]["code"] == "closed"


def test_offline_a_quota_service_prints_only_its_lease_never_prefix_numbers(hub, make_node):
    edit(hub, "service", "A", daily_quota=3)
    kiosk, said = kiosk_with_notices(make_node)
    kiosk.step()  # takes standby leases: A is capped at the quota
    lease = next(
        e["body"]
        for e in kiosk.ctx.outbox.events()
        if e["type"] == "lease.granted" and e["body"]["service"] == "A"
    )
    assert (lease["lo"], lease["hi"]) == (1, 3)
    hub.down = True
    for _ in range(4):
        kiosk.press("a")
        kiosk.step()
    assert [t.label for t in printed(kiosk)] == ["A-001", "A-002", "A-003"]
    assert kiosk.status()["last_refusal"]["code"] == "offline_quota"
    assert said and "kios" in said[-1]
    kiosk.press("b")  # B has no quota: lease, then prefix numbers as before
    kiosk.step()
    assert printed(kiosk)[-1].label.startswith("B-")


def test_an_offline_kiosk_refuses_a_session_whose_numbers_it_does_not_hold(hub, make_node):
    sessions = [
        {"id": "pagi", "start": "08:00", "end": "10:00", "quota": 2},
        {"id": "siang", "start": "10:00", "end": "15:00", "quota": 2},
    ]
    edit(hub, "service", "A", sessions=sessions)
    kiosk, _ = kiosk_with_notices(make_node)
    kiosk.step()  # its lease is the morning's: 1..2
    hub.down = True
    kiosk.clock.advance(3600 * 1000)  # 10:00: the afternoon session
    kiosk.press("a")
    kiosk.step()
    assert printed(kiosk) == [] and kiosk.status()["last_refusal"]["code"] == "offline_quota"


def test_the_priority_category_travels_online_and_offline(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    online = kiosk.role.issue("B", category="ibu_hamil")
    assert (online["body"]["category"], online["body"]["priority"]) == ("ibu_hamil", -1)
    kiosk.transport.down = True
    offline = kiosk.role.issue("B", category="lansia")
    assert offline["body"]["mode"] == "lease"
    assert (offline["body"]["category"], offline["body"]["priority"]) == ("lansia", -1)
    kiosk.transport.down = False
    kiosk.step()  # the hub accepts the pushed priority ticket
    pushed = hub.authority.state.tickets[offline["ticket"]]
    assert pushed.category == "lansia"
