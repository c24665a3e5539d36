"""A service taken off a kiosk while it is cut off: what it printed from its older catalogue
still lands that day (hub.withdrawn), and from the next day on it is refused as before."""

from __future__ import annotations

from test_push_trust import DAY, INC, T0, ev, prefix_ticket, ticket_body

from hub.authority import Authority

DAY_MS = 86_400_000


def push(client, auth, node: str, events: list[dict]):
    body = {"node": node, "inc": INC[node], "hub_epoch_seen": None, "events": events}
    return client.post("/api/v1/sync/push", json=body, headers=auth(node))


def take_b_off_k1(authority) -> None:
    row = next(k for k in authority.catalogue().to_dict()["kiosks"] if k["id"] == "K1")
    value = {k: v for k, v in row.items() if k != "id"}
    authority.change_catalogue("set", "kiosk", "K1", {**value, "services": ["A"]}, by="manajer")


def ids(answer) -> list[str]:
    return [r["id"] for r in answer.json["rejected"]]


def test_a_ticket_printed_from_the_older_catalogue_lands_the_same_day(
    client, auth, authority, config, clock
):
    take_b_off_k1(authority)
    # a fresh ticket at the hub: K1 no longer offers B
    online = client.post("/api/v1/tickets", json={"req": "o1", "service": "B"}, headers=auth("K1"))
    assert online.status_code == 409 and online.json["error"] == "service_not_at_kiosk"
    # what K1 printed offline before it heard the edit
    printed = prefix_ticket("K1", 1)
    answer = push(client, auth, "K1", [printed])
    assert answer.status_code == 200 and answer.json["rejected"] == []
    assert authority.event(printed["id"]) is not None
    # K2 never offered A: still refused
    never = ev("K2", 1, "ticket.issued", ticket_body("K2", "A-K2-1", service="A"),
               ticket=f"{DAY}/A-K2-1")  # fmt: skip
    refused = push(client, auth, "K2", [never])
    assert refused.json["rejected"][0]["reason"].startswith("service_not_at_kiosk")
    # a restart (the open day replayed from the log) keeps the rule for the day
    again = Authority(config, authority.store, clock)
    later = prefix_ticket("K1", 2, n=2)
    assert again.push("K1", INC["K1"], None, [later])["rejected"] == []


def test_from_the_next_day_on_the_kiosk_is_held_to_its_new_catalogue(
    client, auth, authority, clock
):
    take_b_off_k1(authority)
    clock.advance(DAY_MS)
    tomorrow = "2026-11-29"
    label = "B-K1-1"
    late = ev("K1", 1, "ticket.issued", {**ticket_body("K1", label), "day": tomorrow},
              ticket=f"{tomorrow}/{label}",
              clock={"wall_ms": T0 + DAY_MS, "boot_id": "K1-boot", "mono_ms": 5_000})  # fmt: skip
    answer = push(client, auth, "K1", [late])
    assert answer.json["rejected"][0]["reason"].startswith("service_not_at_kiosk")
    assert authority.event(late["id"]) is None
