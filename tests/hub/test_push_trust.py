"""Push authorised by content: the forged-push corpus (issue 8, items 1 and 2).

Every case is an event a device token could send: each is refused with its reason, the log
does not change, and the refused event's ``seq`` is used up so the node's later events still
flow. Then the carry rule: a foreign event passes only with this hub's receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core.events import make_event

DAY = "2026-11-28"
T0 = 1_795_831_200_000  # the FakeClock start in conftest: 2026-11-28 09:00 WIB
INC = {"K1": "k1a", "K2": "k2a", "C1": "c1a", "C2": "c2a"}


def ev(node: str, seq: int, type_: str, body: dict, *, ticket=None, deps=(), **kw) -> dict:
    """A primary event of ``node`` with sane clock fields unless ``kw`` overrides them."""
    origin = kw.pop("origin", node)
    inc = kw.pop("inc", INC.get(origin, "x1"))
    clock = kw.pop("clock", {"wall_ms": T0, "boot_id": f"{origin}-boot", "mono_ms": 5_000})
    hlc = kw.pop("hlc", f"{T0:013d}.00000.{origin}")
    return make_event(
        origin, inc, seq, type_, ticket=ticket, req=f"{origin}:{inc}:r{seq}",
        deps=list(deps), hlc=hlc, clock=clock, body=body, **kw,
    ).to_dict()  # fmt: skip


def hub_only(node: str, type_: str, body: dict) -> dict:
    """An event of a type only the hub writes (``core.events.HUB_ONLY_TYPES``) under the
    node's own name: malformed by definition, so it is built by hand from a hello."""
    hello = ev(node, 1, "node.hello", {"boot_id": "b", "mono_ms": 1, "wall_ms": T0})
    return {**hello, "type": type_, "body": body}


def ticket_body(node: str, label: str, *, number=None, mode="prefix", lease=None, **over) -> dict:
    return {
        "service": "B", "number": number, "label": label, "day": DAY, "mode": mode,
        "kiosk": node, "priority": 0, "lease": lease, **over,
    }  # fmt: skip


def prefix_ticket(node: str, seq: int, n: int = 1, **over) -> dict:
    label = f"B-{node}-{n}"
    return ev(node, seq, "ticket.issued", ticket_body(node, label, **over), ticket=f"{DAY}/{label}")


def lease_ticket(node: str, seq: int, number: int, lease: str, *, deps=None, **over) -> dict:
    label = over.pop("label", f"B-{number:03d}")
    body = ticket_body(node, label, number=number, mode="lease", lease=lease, **over)
    return ev(
        node, seq, "ticket.issued", body, ticket=f"{DAY}/{label}",
        deps=[lease] if deps is None else deps,
    )  # fmt: skip


def call(node: str, seq: int, key: str, deps=(), **body) -> dict:
    full = {"counter": node, "expect_service": "B", "mode": "offline", **body}
    return ev(node, seq, "ticket.called", full, ticket=key, deps=deps)


@dataclass
class Hub:
    """The app under test with two granted leases and one online ticket of K1."""

    client: Any
    auth: Callable[[str], dict]
    authority: Any
    k1_lease: dict
    k2_lease: dict
    online: dict

    def push(self, node: str, events: list[dict], inc: str | None = None) -> Any:
        body = {"node": node, "inc": inc or INC[node], "hub_epoch_seen": None, "events": events}
        return self.client.post("/api/v1/sync/push", json=body, headers=self.auth(node))

    def log(self) -> list[str]:
        return [r["event"]["id"] for r in self.authority.records_since(0, 10_000)]


@pytest.fixture
def hub(client, auth, authority) -> Hub:
    def lease(node: str) -> dict:
        r = client.post(
            "/api/v1/leases", json={"req": f"L-{node}", "service": "B"}, headers=auth(node)
        )
        assert r.status_code == 200, r.json
        return r.json["event"]

    k1, k2 = lease("K1"), lease("K2")  # K1: B 1..8, K2: B 9..12
    online = client.post("/api/v1/tickets", json={"req": "o1", "service": "B"}, headers=auth("K1"))
    return Hub(client, auth, authority, k1, k2, online.json["event"])


def big(n: int) -> str:
    return "x" * n


# (case, pushing node, event builder (hub -> event), expected reason code)
FORGED: list[tuple[str, str, Callable[[Hub], dict], str]] = [
    ("wrong origin", "K1", lambda h: prefix_ticket("K2", 1), "foreign_event"),
    ("counter issues", "C1", lambda h: prefix_ticket("C1", 1, kiosk="C1"), "type_not_allowed"),
    ("kiosk calls", "K1", lambda h: call("K1", 1, h.online["ticket"], counter="C1"),
     "type_not_allowed"),
    ("roster change from a counter", "C2", lambda h: hub_only("C2", "roster.updated",
     {"counter": "C2", "services": ["A"], "open": True}), "hub_only"),
    ("catalogue edit from a kiosk", "K1", lambda h: hub_only("K1", "catalogue.set",
     {"kind": "kiosk", "id": "K1", "value": {"name": "K1", "services": ["A", "B"]},
      "by": "K1"}), "hub_only"),
    ("catalogue retire from a counter", "C1", lambda h: hub_only("C1", "catalogue.retired",
     {"kind": "counter", "id": "C2", "by": "C1"}), "hub_only"),
    ("hall running text from a counter", "C1", lambda h: hub_only("C1", "hall.running_text",
     {"text": "Gratis!", "zone": None, "by": "C1"}), "hub_only"),
    ("reprint order from a kiosk", "K1", lambda h: hub_only("K1", "kiosk.reprint",
     {"kiosk": "K1", "by": "K1"}), "hub_only"),
    ("other counter", "C1", lambda h: call("C1", 1, h.online["ticket"], counter="C2"),
     "other_counter"),
    ("online call pushed", "C1", lambda h: call("C1", 1, h.online["ticket"], mode="online"),
     "online_by_hub"),
    ("hub origin, this epoch", "K1", lambda h: {**h.online, "id": f"hub:{h.authority.epoch}:99",
     "seq": 99}, "foreign_hub_event"),
    ("hub origin, old epoch", "K1", lambda h: ev("K1", 7, "ticket.issued",
     ticket_body("K1", "B-777", number=777, mode="online"), ticket=f"{DAY}/B-777",
     origin="hub", inc="old"), "foreign_event"),
    ("forged lease range", "K1", lambda h: ev("K1", 1, "lease.granted",
     {"kiosk": "K1", "service": "B", "day": DAY, "lo": 100, "hi": 200}), "type_not_allowed"),
    ("out-of-lease number", "K1", lambda h: lease_ticket("K1", 1, 9, h.k1_lease["id"]),
     "outside_lease"),
    ("another kiosk's lease", "K1", lambda h: lease_ticket("K1", 1, 9, h.k2_lease["id"]),
     "lease_not_yours"),
    ("lease not in deps", "K1", lambda h: lease_ticket("K1", 1, 2, h.k1_lease["id"], deps=[]),
     "lease_unknown"),
    ("a ticket as lease", "K1", lambda h: lease_ticket("K1", 1, 2, h.online["id"]),
     "lease_unknown"),
    ("lease number, wrong label", "K1", lambda h: lease_ticket("K1", 1, 2, h.k1_lease["id"],
     label="B-222"), "bad_label"),
    ("prefix label of another kiosk", "K1", lambda h: ev("K1", 1, "ticket.issued",
     ticket_body("K1", "B-K2-1"), ticket=f"{DAY}/B-K2-1"), "bad_label"),
    ("online mode pushed", "K1", lambda h: ev("K1", 1, "ticket.issued",
     ticket_body("K1", "B-050", number=50, mode="online"), ticket=f"{DAY}/B-050"),
     "online_by_hub"),
    ("as another kiosk", "K1", lambda h: prefix_ticket("K1", 1, kiosk="K2"), "other_kiosk"),
    ("service not at kiosk", "K2", lambda h: ev("K2", 1, "ticket.issued",
     ticket_body("K2", "A-K2-1", service="A"), ticket=f"{DAY}/A-K2-1"), "service_not_at_kiosk"),
    ("unknown service", "K1", lambda h: ev("K1", 1, "ticket.issued",
     ticket_body("K1", "Z-K1-1", service="Z"), ticket=f"{DAY}/Z-K1-1"), "unknown_service"),
    ("priority out of domain", "K1", lambda h: prefix_ticket("K1", 1, priority=99),
     "bad_priority"),
    ("bad public id", "K1", lambda h: prefix_ticket("K1", 1, public="<script>"), "bad_public"),
    ("poisoned mono clock", "K1", lambda h: ev("K1", 1, "node.hello",
     {"boot_id": "b", "mono_ms": 10**17, "wall_ms": T0}), "bad_clock"),
    ("poisoned envelope clock", "K1", lambda h: {**prefix_ticket("K1", 1),
     "clock": {"wall_ms": T0, "boot_id": "b", "mono_ms": 10**17}}, "bad_clock"),
    ("negative wall clock", "C1", lambda h: {**call("C1", 1, h.online["ticket"]),
     "clock": {"wall_ms": -(10**17), "boot_id": "b", "mono_ms": 1}}, "bad_clock"),
    ("unreadable hlc", "K1", lambda h: {**prefix_ticket("K1", 1), "hlc": "soon"}, "bad_clock"),
    ("huge boot id", "K1", lambda h: {**prefix_ticket("K1", 1),
     "clock": {"wall_ms": T0, "boot_id": big(500), "mono_ms": 1}}, "bad_clock"),
    ("extra clock key", "K1", lambda h: {**prefix_ticket("K1", 1),
     "clock": {"wall_ms": T0, "boot_id": "b", "mono_ms": 1, "offset": 1e300}}, "bad_clock"),
    ("ticket of 1970", "K1", lambda h: ev("K1", 1, "ticket.issued",
     {**ticket_body("K1", "B-K1-1"), "day": "1970-01-01"}, ticket="1970-01-01/B-K1-1"),
     "bad_day"),
    ("ticket of next week", "C1", lambda h: call("C1", 1, "2026-12-05/B-001"), "bad_day"),
    ("not a ticket key", "C1", lambda h: call("C1", 1, "B-001"), "bad_ticket"),
    ("transfer to nowhere", "C1", lambda h: ev("C1", 1, "ticket.transferred",
     {"counter": "C1", "to": "Z"}, ticket=h.online["ticket"]), "unknown_service"),
    ("cancel another's ticket", "K2", lambda h: ev("K2", 1, "ticket.cancelled",
     {"by": "K2", "reason": "print_failed"}, ticket=h.online["ticket"], deps=[h.online["id"]]),
     "not_own_ticket"),
    ("huge event", "K1", lambda h: prefix_ticket("K1", 1, a=big(3000), b=big(3000)), "too_large"),
    ("pause another counter", "C1", lambda h: ev("C1", 1, "counter.paused", {"counter": "C2"}),
     "other_counter"),
    ("kiosk pauses a counter", "K1", lambda h: ev("K1", 1, "counter.paused", {"counter": "C1"}),
     "type_not_allowed"),
    ("audit record from a counter", "C1", lambda h: hub_only("C1", "audit.out_of_order",
     {"kind": "specific_call", "counter": "C1", "by": "C1", "reason": "x"}), "hub_only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("node", "make", "code"), [c[1:] for c in FORGED], ids=[c[0] for c in FORGED]
)
def test_a_forged_push_is_refused_with_its_reason_and_leaves_the_log_unchanged(
    hub, node, make, code
):
    before = hub.log()
    forged = make(hub)
    r = hub.push(node, [forged])
    assert r.status_code == 200, r.json
    [rejection] = r.json["rejected"]
    assert rejection["id"] == forged["id"]
    assert rejection["reason"].split(":")[0] == code, rejection["reason"]
    assert hub.log() == before
    assert hub.authority.rebuilds == 0
    # the refusal reaches a person: the device page lists it with its reason
    assert hub.authority.rejections[0]["reason"] == rejection["reason"]


def test_a_refused_event_uses_up_its_seq_so_the_next_ones_flow(hub):
    forged = prefix_ticket("K1", 1, kiosk="K2")
    good = prefix_ticket("K1", 2, n=2)
    r = hub.push("K1", [forged, good])
    assert [x["id"] for x in r.json["rejected"]] == [forged["id"]]
    assert r.json["acked_through"] == 2 and r.json["held"] == []
    assert hub.log()[-1] == good["id"]


def test_honest_offline_events_pass(hub):
    lease = hub.k1_lease
    ticket = lease_ticket("K1", 1, 3, lease["id"])
    prefix = prefix_ticket("K1", 2, n=1)
    called = call("C1", 1, ticket["ticket"], deps=[ticket["id"]])
    done = ev(
        "C1", 2, "ticket.done", {"counter": "C1"}, ticket=ticket["ticket"], deps=[called["id"]]
    )
    rated = ev("C1", 3, "ticket.rated", {"counter": "C1", "score": 4}, ticket=ticket["ticket"])
    cancel = ev("K1", 3, "ticket.cancelled", {"by": "K1", "reason": "print_failed"},
                ticket=prefix["ticket"], deps=[prefix["id"]])  # fmt: skip
    assert hub.push("K1", [ticket, prefix, cancel]).json["rejected"] == []
    assert hub.push("C1", [called, done, rated]).json["rejected"] == []
    hello = ev("C2", 1, "node.hello", {"boot_id": "b", "mono_ms": 1, "wall_ms": 0})
    assert hub.push("C2", [hello]).json["rejected"] == []
    ids = set(hub.log())
    assert {e["id"] for e in (ticket, prefix, called, done, rated, cancel, hello)} <= ids


def test_a_carried_event_needs_this_hubs_receipt(hub):
    """After a restore, K2 re-pushes what it pulled: K1's events and hub events. With the
    receipt this hub put on them they pass; stripped or altered, they are refused."""
    logged = [r["event"] for r in hub.authority.records_since(0, 100)]
    assert all(len(e["receipt"]) == 32 for e in logged)  # every primary event is sealed
    k1_ticket = prefix_ticket("K1", 1)
    assert hub.push("K1", [k1_ticket]).json["rejected"] == []
    sealed = hub.authority.records_since(len(logged), 1)[0]["event"]
    # the same event again from another node: already held, so a no-op
    assert hub.push("K2", [sealed]).json["rejected"] == []
    # an altered copy under a new id, with the old receipt: refused
    altered = {**sealed, "id": "K1:k1b:1", "inc": "k1b"}
    r = hub.push("K2", [altered])
    assert r.json["rejected"][0]["reason"].startswith("foreign_event")
    other = ev("K1", 1, "ticket.issued", ticket_body("K1", "B-K1-5"), ticket=f"{DAY}/B-K1-5",
               inc="k1c")  # fmt: skip
    r = hub.push("K2", [other])
    assert r.json["rejected"][0]["reason"].startswith("foreign_event")


def test_a_carried_event_of_an_old_hub_epoch_passes_with_its_receipt(
    app, config, clock, tokens, authority, tmp_path
):
    from hub import create_app
    from hub.store import restore_from

    client = app.test_client()
    hdr = {"Authorization": f"Bearer {tokens['K1']}"}
    backup = authority.store.backup_to(tmp_path / "backup")
    lost = client.post("/api/v1/tickets", json={"req": "r", "service": "B"}, headers=hdr).json
    authority.store.close()
    epoch = restore_from(backup, config.hub.data_dir)
    app2 = create_app(config, clock=clock)
    try:
        c2 = {"Authorization": f"Bearer {tokens['C2']}"}  # C2 pulled it before the restore
        body = {"node": "C2", "inc": "c2a", "hub_epoch_seen": epoch, "events": [lost["event"]]}
        r = app2.test_client().post("/api/v1/sync/push", json=body, headers=c2)
        assert r.json["rejected"] == []
        ids = [x["event"]["id"] for x in app2.extensions["loket"].records_since(0, 1000)]
        assert lost["event"]["id"] in ids
    finally:
        app2.extensions["loket"].store.close()


def test_an_estimate_outside_its_service_day_is_clamped_and_flagged(hub, clock):
    """A hello claiming 19 years of uptime anchors the boot 19 years back; a ticket of today
    made 1 ms after that boot would be estimated in 2007. It is kept inside its day."""
    boot = {"wall_ms": 0, "boot_id": "K1-boot", "mono_ms": 19 * 365 * 86_400_000}
    hello = ev("K1", 1, "node.hello", {"boot_id": "K1-boot", "mono_ms": boot["mono_ms"],
               "wall_ms": 0}, clock=boot)  # fmt: skip
    ticket = {**prefix_ticket("K1", 2), "clock": {**boot, "mono_ms": 1}}
    assert hub.push("K1", [hello, ticket]).json["rejected"] == []
    record = hub.authority.records_since(0, 100)[-1]
    assert record["event"]["id"] == ticket["id"]
    day_start = T0 - 9 * 3_600_000  # 2026-11-28 00:00 WIB
    assert record["est_clamped"] is True and record["est_ms"] == day_start
    honest = hub.authority.records_since(0, 100)[0]
    assert "est_clamped" not in honest
    # and the supervisor's dashboard lists it among the notices
    from hub.auth import add_user

    add_user(hub.authority.store, "spv", "kata-sandi-panjang", role="viewer")
    page = hub.client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"username": "spv", "password": "kata-sandi-panjang", "csrf_token": token}
    hub.client.post("/admin/login", data=form)
    dashboard = hub.client.get("/admin/").get_data(as_text=True)
    assert "clock.clamped" in dashboard and "B-K1-1" in dashboard


def test_pages_never_fail_on_a_poisoned_stored_value(config, clock):
    """A log written before estimates were bounded may hold est_ms = -1e17: the admin
    dashboard, reports, CSV and board render it (the report falls back to recv_ms)."""
    from hub import create_app
    from hub.auth import add_user
    from hub.store import Store

    store = Store(config.hub.data_dir)
    poisoned = prefix_ticket("K1", 1)
    store.append([{"hseq": 1, "recv_ms": T0, "est_ms": -(10**17), "event": poisoned}])
    store.sync()
    add_user(store, "manajer", "kata-sandi-panjang")
    app = create_app(config, clock=clock, store=store)
    try:
        web = app.test_client()
        page = web.get("/admin/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"username": "manajer", "password": "kata-sandi-panjang", "csrf_token": token}
        assert web.post("/admin/login", data=data).status_code == 302
        csv = f"/admin/reports.csv?table=tickets&from={DAY}&to={DAY}"
        for path in ("/admin/", "/admin/reports", csv,
                     "/admin/nodes", "/board", "/board/view.json", "/api/v1/state"):  # fmt: skip
            assert web.get(path).status_code == 200, path
        assert "B-K1-1" in web.get(csv).get_data(as_text=True)
    finally:
        store.close()


def test_a_display_may_only_say_hello(authority):
    from core.events import Event
    from hub import pushcheck

    authority.change_catalogue("set", "display", "D1", {"name": "Hall"})  # an admin adds it
    ctx = pushcheck.Context(authority.catalogue(), DAY, lambda eid: None)
    hello = Event.from_dict(ev("D1", 1, "node.hello", {"boot_id": "b", "mono_ms": 1, "wall_ms": 0}))
    assert pushcheck.check(ctx, "D1", hello) is None
    ticket = Event.from_dict(prefix_ticket("D1", 2, kiosk="D1"))
    assert pushcheck.check(ctx, "D1", ticket).startswith("type_not_allowed")


def test_a_forgery_under_another_nodes_id_does_not_release_what_waits_for_it(hub):
    """C1's offline call waits for K2's ticket; K1 pushing a forged event with that ticket's
    id is refused, and the call still waits for the real one (it must not be 'gone')."""
    real = prefix_ticket("K2", 1)
    waiting = call("C1", 1, real["ticket"], deps=[real["id"]])
    assert hub.push("C1", [waiting]).json["held"] == [waiting["id"]]
    forged = {**real, "body": {**real["body"], "priority": 5}}
    assert hub.push("K1", [forged]).json["rejected"][0]["reason"].startswith("foreign_event")
    assert hub.push("C1", [waiting]).json["held"] == [waiting["id"]]
    assert hub.push("K2", [real]).json["rejected"] == []
    assert hub.log()[-2:] == [real["id"], waiting["id"]]


def test_a_counter_pauses_and_resumes_itself_offline(hub):
    paused = ev("C2", 1, "counter.paused", {"counter": "C2"})
    assert hub.push("C2", [paused]).json["rejected"] == []
    assert hub.authority.state.counters["C2"].open is False
    resumed = ev("C2", 2, "counter.resumed", {"counter": "C2"})
    assert hub.push("C2", [resumed]).json["rejected"] == []
    assert hub.authority.state.counters["C2"].open is True


def test_a_late_recall_pushed_with_a_reason_is_still_refused_by_the_fold(hub, clock):
    """Only the hub's recall past the grace window carries weight (it is audited); a
    counter's reason is just a body key the fold ignores."""
    t = hub.online["ticket"]
    called = call("C1", 1, t, deps=[hub.online["id"]])
    skipped = ev("C1", 2, "ticket.skipped", {"counter": "C1"}, ticket=t, deps=[called["id"]])
    assert hub.push("C1", [called, skipped]).json["rejected"] == []
    late = ev("C1", 3, "ticket.recalled", {"counter": "C1", "reason": "trust me"}, ticket=t,
              clock={"wall_ms": T0 + 3_600_000, "boot_id": "C1-boot", "mono_ms": 3_605_000},
              hlc=f"{T0 + 3_600_000:013d}.00000.C1")  # fmt: skip
    clock.advance(3_600_000)
    assert hub.push("C1", [late]).json["rejected"] == []
    assert hub.authority.state.tickets[t].status == "no_show"
    assert hub.authority.state.rejections[-1]["reason"] == "grace_over"
