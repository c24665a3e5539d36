"""Event (de)serialisation, the registry and the hub record."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.errors import EventError
from core.events import (
    DERIVED_TYPES,
    EVENT_TYPES,
    HUB_ONLY_TYPES,
    PRIMARY_TYPES,
    Event,
    derived_id,
    event_id,
    make_derived,
    make_event,
    make_record,
    parse_record,
)

DAY = "2026-11-28"
BODIES = {
    "ticket.issued": {
        "service": "B",
        "number": 23,
        "label": "B-023",
        "day": DAY,
        "mode": "online",
        "kiosk": "K1",
        "priority": 0,
        "lease": None,
        "public": "pQ3xY7kLm2Zs",
    },
    "ticket.called": {"counter": "C07", "expect_service": "B", "mode": "offline"},
    "ticket.recalled": {"counter": "C07"},
    "ticket.skipped": {"counter": "C07"},
    "ticket.done": {"counter": "C07"},
    "ticket.transferred": {"counter": "C07", "to": "A"},
    "ticket.cancelled": {"by": "admin", "reason": "duplicate"},
    "ticket.rated": {"counter": "C07", "score": 4},
    "survey.answered": {"answers": [4, 3, 3, 4, 2, 3, 4, 4, 1], "via": "status"},
    "lease.granted": {"kiosk": "K1", "service": "B", "day": DAY, "lo": 31, "hi": 40},
    "lease.released": {"kiosk": "K1", "service": "B", "day": DAY},
    "roster.updated": {"counter": "C07", "services": ["A", "B"], "open": True},
    "node.hello": {"boot_id": "3b0f", "mono_ms": 8812345, "wall_ms": 1718012345678},
    "catalogue.set": {"kind": "service", "id": "B", "value": {"name": "Akta"}, "by": "admin"},
    "catalogue.retired": {"kind": "kiosk", "id": "K9", "by": "admin"},
    "device.status": {"node": "K1", "device": "printer", "status": "out", "detail": "no paper"},
    "counter.paused": {"counter": "C07"},
    "counter.resumed": {"counter": "C07"},
    "audit.out_of_order": {
        "kind": "specific_call",
        "counter": "C07",
        "by": "sari",
        "reason": "lansia, ditunda",
    },  # fmt: skip
    "hall.running_text": {"text": "Loket 5 tutup pukul 12.00", "zone": None, "by": "spv"},
    "kiosk.reprint": {"kiosk": "K1", "by": "spv"},
    "day.closed": {"day": "2026-11-28", "not_served": ["t"], "summary": {}, "by": "timer"},
    "call.superseded": {"call": "C2:i:4", "counter": "C2", "winner": "C1", "ticket": "t"},
    "call.retracted": {"call": "hub:E:9", "counter": "C1", "ticket": "t"},
    "transfer.rejected": {"event": "C2:i:5", "counter": "C2", "ticket": "t"},
    "ticket.void_ghost": {"ticket": "t", "req": "K1:i:r9"},
    "anomaly.double_service": {"ticket": "t", "first": "C1", "second": "C2"},
    "rating.rejected": {"event": "C1:i:7", "reason": "already_rated"},
    "clock.skew": {"node": "C07", "skew_ms": 600_000},
    "booking.made": {"code_hash": "ab" * 32, "service": "A", "date": DAY, "session": None},
}
NO_TICKET = {
    "lease.granted",
    "lease.released",
    "roster.updated",
    "node.hello",
    "catalogue.set",
    "catalogue.retired",
    "device.status",
    "counter.paused",
    "counter.resumed",
    "hall.running_text",
    "kiosk.reprint",
    "booking.made",
}


def _primary(type_: str = "ticket.done", **over) -> dict:
    e = make_event(
        "hub" if type_ in HUB_ONLY_TYPES else "C07",
        "9f2c41d0",
        57,
        type_,
        ticket=None if type_ in NO_TICKET else f"{DAY}/B-023",
        req="C07:9f2c41d0:r31",
        deps=["hub:E5a1:88"],
        hlc="1718012345678.00003.C07",
        clock={"wall_ms": 1718012345678, "boot_id": "3b0f", "mono_ms": 8812345},
        body=BODIES[type_],
    ).to_dict()
    e.update(over)
    return e


def test_registry_covers_exactly_the_contract_types():
    assert set(EVENT_TYPES) == PRIMARY_TYPES | DERIVED_TYPES
    assert not PRIMARY_TYPES & DERIVED_TYPES
    assert set(BODIES) == set(EVENT_TYPES)
    assert {n for n, t in EVENT_TYPES.items() if t.derived} == DERIVED_TYPES


@pytest.mark.parametrize("type_", sorted(PRIMARY_TYPES))
def test_primary_events_round_trip_through_json(type_):
    d = _primary(type_)
    e = Event.from_dict(json.loads(json.dumps(d)))
    assert e.to_dict() == d
    assert e.id == f"{e.origin}:9f2c41d0:57" and e.deps == ("hub:E5a1:88",)
    assert not e.is_derived


@pytest.mark.parametrize("type_", sorted(DERIVED_TYPES))
def test_derived_events_round_trip_and_have_deterministic_ids(type_):
    cause = Event.from_dict(_primary())
    d = make_derived(cause, type_, type_, BODIES[type_])
    assert d.id == derived_id(cause.id, type_) == f"hub:comp:C07:9f2c41d0:57:{type_}"
    assert d.is_derived and d.deps == (cause.id,)
    assert Event.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    assert make_derived(cause, type_, type_, BODIES[type_]) == d


@pytest.mark.parametrize("type_", sorted(EVENT_TYPES))
def test_every_required_body_key_is_enforced_by_name(type_):
    for name, spec in EVENT_TYPES[type_].body.items():
        if spec.optional:
            continue
        body = {k: v for k, v in BODIES[type_].items() if k != name}
        if type_ in DERIVED_TYPES:
            d = make_derived(Event.from_dict(_primary()), type_, type_, BODIES[type_]).to_dict()
            d["body"] = body
        else:
            d = _primary(type_, body=body)
        with pytest.raises(EventError, match=rf"^body\.{name}: required$"):
            Event.from_dict(d)


@pytest.mark.parametrize(
    ("type_", "field", "value", "message"),
    [
        ("ticket.rated", "score", 5, "must be <= 4"),
        ("ticket.rated", "score", 0, "must be >= 1"),
        ("ticket.rated", "score", True, "got bool"),
        ("ticket.rated", "score", "4", "expected int, got str"),
        ("ticket.called", "mode", "sideways", "expected one of online, offline"),
        ("ticket.issued", "mode", "magic", "expected one of"),
        ("ticket.issued", "priority", None, "expected int, got NoneType"),
        ("roster.updated", "services", ["A", 3], r"\[1\] expected str"),
        ("roster.updated", "open", 1, "expected bool, got int"),
        ("lease.granted", "lo", 0, "must be >= 1"),
    ],
)
def test_bad_body_values_name_the_field(type_, field, value, message):
    d = _primary(type_)
    d["body"] = {**d["body"], field: value}
    with pytest.raises(EventError, match=rf"^body\.{field}: .*{message}"):
        Event.from_dict(d)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "ticket.eaten"}, "^type: unknown event type"),
        ({"id": "C07:9f2c41d0:58"}, "^id: must be origin:inc:seq"),
        ({"seq": 0, "id": "C07:9f2c41d0:0"}, "^seq: must be >= 1"),
        ({"seq": "57"}, "^seq: expected int"),
        ({"origin": None}, "^origin: required"),
        ({"ticket": None}, "^ticket: required"),
        ({"deps": "hub:E5a1:88"}, "^deps: expected list of str"),
        ({"v": 2}, "^v: unsupported version"),
        ({"body": []}, "^body: expected object"),
        ({"clock": {"wall_ms": "now"}}, r"^clock\.wall_ms: expected int"),
        ({"req": 31}, "^req: expected str"),
    ],
)
def test_bad_envelopes_name_the_field(change, message):
    with pytest.raises(EventError, match=message):
        Event.from_dict(_primary(**change))


def test_non_objects_are_rejected():
    with pytest.raises(EventError, match="^event: expected object"):
        Event.from_dict([1, 2])


def test_issued_ticket_key_must_match_day_and_label():
    with pytest.raises(EventError, match="^ticket: must be body.day/body.label"):
        Event.from_dict(_primary("ticket.issued", ticket=f"{DAY}/B-024"))


def test_issued_number_is_null_exactly_in_prefix_mode():
    d = _primary("ticket.issued")
    d["body"] = {**d["body"], "number": None}
    with pytest.raises(EventError, match="^body.number: null exactly when"):
        Event.from_dict(d)
    d["body"] = {**d["body"], "mode": "prefix", "label": "B-K2-1"}
    d["ticket"] = f"{DAY}/B-K2-1"
    assert Event.from_dict(d).body["number"] is None


def test_public_id_is_optional_on_issue():
    d = _primary("ticket.issued")
    del d["body"]["public"]
    assert "public" not in Event.from_dict(d).body


def test_lease_bounds_must_be_ordered():
    d = _primary("lease.granted")
    d["body"] = {**d["body"], "lo": 41}
    with pytest.raises(EventError, match="^body.hi: must be >= body.lo"):
        Event.from_dict(d)


def test_a_derived_type_needs_a_derived_id():
    d = _primary(type="call.superseded", body=BODIES["call.superseded"])
    with pytest.raises(EventError, match="^id: a derived event id starts with"):
        Event.from_dict(d)


def test_event_ids():
    assert event_id("hub", "E5a1", 88) == "hub:E5a1:88"
    assert derived_id("C2:i:4", "call.superseded") == "hub:comp:C2:i:4:call.superseded"


def test_events_are_frozen():
    e = Event.from_dict(_primary())
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.type = "ticket.skipped"


def test_make_event_validates():
    with pytest.raises(EventError, match="^body.counter: required"):
        make_event("C07", "i", 1, "ticket.done", ticket=f"{DAY}/B-001", body={})


def test_records_round_trip_and_errors_point_inside_the_event():
    e = Event.from_dict(_primary())
    rec = make_record(12, 1000, 990, e)
    assert rec == {"hseq": 12, "recv_ms": 1000, "est_ms": 990, "event": e.to_dict()}
    parsed = parse_record(json.loads(json.dumps(rec)))
    assert (parsed.hseq, parsed.recv_ms, parsed.est_ms, parsed.event) == (12, 1000, 990, e)
    assert parsed.to_dict() == rec
    bad = {**rec, "event": {**rec["event"], "body": {}}}
    with pytest.raises(EventError, match=r"^event\.body\.counter: required"):
        parse_record(bad)
    with pytest.raises(EventError, match="^hseq: required"):
        parse_record({k: v for k, v in rec.items() if k != "hseq"})
    with pytest.raises(EventError, match="^hseq: must be >= 1"):
        parse_record({**rec, "hseq": 0})
    with pytest.raises(EventError, match="^event: required"):
        parse_record({k: v for k, v in rec.items() if k != "event"})


@pytest.mark.parametrize("type_", sorted(HUB_ONLY_TYPES))
def test_catalogue_events_of_another_origin_are_malformed(type_):
    d = _primary(type_, origin="K1", id="K1:9f2c41d0:57")
    with pytest.raises(EventError, match=rf"^origin: {type_} is written by the hub only"):
        Event.from_dict(d)


def test_catalogue_kind_is_one_of_the_contract_kinds():
    d = _primary("catalogue.set")
    d["body"] = {**d["body"], "kind": "room"}
    with pytest.raises(EventError, match=r"^body\.kind: expected one of mpp, agency"):
        Event.from_dict(d)
