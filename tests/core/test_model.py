"""Domain values: status sets and immutability."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.model import (
    FINAL_STATES,
    LIVE_STATES,
    Counter,
    CounterState,
    Service,
    Ticket,
    TicketStatus,
)

ROOT = Path(__file__).resolve().parents[2]


def test_live_and_final_partition_the_statuses():
    assert LIVE_STATES | FINAL_STATES == set(TicketStatus)
    assert not LIVE_STATES & FINAL_STATES
    assert LIVE_STATES == {TicketStatus.WAITING, TicketStatus.CALLED}


def test_status_values_are_the_wire_strings():
    assert [str(s) for s in TicketStatus] == [
        "waiting",
        "called",
        "served",
        "no_show",
        "cancelled",
        "void",
    ]
    assert TicketStatus("no_show") is TicketStatus.NO_SHOW


def _ticket(**over) -> Ticket:
    base = dict(
        key="2026-11-28/B-023",
        day="2026-11-28",
        service="B",
        label="B-023",
        number=23,
        status=TicketStatus.WAITING,
        order=(0, 1000, 5),
        issued_by="K1",
        issue_req="K1:i:r1",
        mode="online",
    )
    return Ticket(**{**base, **over})


def test_ticket_is_frozen_and_replace_makes_a_new_one():
    t = _ticket()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.status = TicketStatus.CALLED
    called = dataclasses.replace(t, status=TicketStatus.CALLED, holder="C1")
    assert t.status == TicketStatus.WAITING and called.holder == "C1"
    assert t.live and not dataclasses.replace(t, status=TicketStatus.VOID).live


def test_ticket_to_dict_is_json():
    t = _ticket(callers=frozenset({"C2", "C1"}), transfers=("A",), public="pQ3xY7kLm2Zs")
    d = json.loads(json.dumps(t.to_dict()))
    assert d["status"] == "waiting" and d["callers"] == ["C1", "C2"]
    assert d["order"] == [0, 1000, 5] and d["public"] == "pQ3xY7kLm2Zs"
    assert set(d) == {f.name for f in dataclasses.fields(Ticket)}


def test_config_values_and_counter_state_defaults():
    s = Service("B", "B", "Perekaman KTP-el", "dukcapil")
    assert s.daily_quota is None and s.avg_service_min == 10.0
    c = Counter("C3", "Loket 3", 3, ("B",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.number = 4
    cs = CounterState("C3", ("B",))
    assert cs.to_dict() == {
        "id": "C3",
        "services": ["B"],
        "open": True,
        "current": None,
        "call_id": None,
        "label": None,
        "last_done": None,
    }


def test_domain_modules_import_only_the_standard_library():
    code = (
        "import sys\n"
        "import core.model, core.events, core.queue, core.fold_rules, core.numbering, core.clock\n"
        "roots = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(roots & {'flask','tinydb','waitress','gpiozero','escpos','pygame',"
        "'serial','luma','PIL','hub','node'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
