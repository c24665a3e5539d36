"""Regression (found by the sync model): a printed ticket is never lost to a clock.

A kiosk prints an offline ticket while a clock is a day or more off, then pushes it. Before
the fix the hub refused it (``bad_day``: its day was after the hub's tomorrow) and the refused
seq was used up, so a ticket a visitor held never reached the log. Two faults, two fixes:

- the kiosk's wall clock steps forward while it is cut off: its service day follows the hub's
  time carried on by its boot clock (``node.outbox.Outbox.now_ms``), so the slip says today;
- a kiosk rebooted into 1970 and stepped back an hour has a wall clock before 1970: its
  events say 0 (``core.clock.stamp``), which the hub's bounds accept;
- the hub's clock steps back two days after the kiosk last heard it: the hub accepts the
  ticket of a day up to ``hub.pushcheck.MAX_DAYS_AHEAD`` ahead and flags its estimate
  (``est_clamped``, a notice on the supervisor's page) instead of losing it.
"""

from __future__ import annotations

import test_sync_model as model
from simnet import DAY_MS, printed_key


def machine(monkeypatch) -> model.SyncMachine:
    monkeypatch.setattr(model, "event", lambda *a, **k: None)  # outside a Hypothesis run
    monkeypatch.setattr(model, "target", lambda *a, **k: None)
    m = model.SyncMachine()
    m.setup(auto=False, lease=2)
    return m


def test_a_kiosk_clock_stepped_forward_offline_still_prints_today(monkeypatch) -> None:
    m = machine(monkeypatch)
    try:
        today = m.net.hub.authority.today()
        m.partition(node="K2", cut=True)
        m.clock_jump(who="K2", delta=DAY_MS)
        m.clock_jump(who="K2", delta=DAY_MS)
        m.issue([("K2", "A")])
        m.continuous()
        slip = m.net.nodes["K2"].printers[-1].tickets[-1]
        assert printed_key(slip).startswith(f"{today}/")
        m.partition(node="K2", cut=False)
        m.sync(node="all", how="step")
        m.continuous()
        assert printed_key(slip) in m.net.hub.authority.state.tickets
    finally:
        m.teardown()


def test_a_ticket_dated_after_the_hubs_tomorrow_is_logged_and_flagged(monkeypatch) -> None:
    m = machine(monkeypatch)
    try:
        m.partition(node="K2", cut=True)
        m.clock_jump(who="hub", delta=-DAY_MS)
        m.clock_jump(who="hub", delta=-DAY_MS)
        m.issue([("K2", "B")])
        key = printed_key(m.net.nodes["K2"].printers[-1].tickets[-1])
        m.partition(node="K2", cut=False)
        m.sync(node="all", how="step")
        m.continuous()
        records = [r for r in m.net.hub.records() if r["event"].get("ticket") == key]
        assert [r["event"]["type"] for r in records] == ["ticket.issued"]
        assert records[0].get("est_clamped") is True
    finally:
        m.teardown()


def test_a_kiosk_clock_before_1970_still_gets_its_ticket_logged(monkeypatch) -> None:
    m = machine(monkeypatch)
    try:
        m.node_crash(node="K2", into_1970=True)
        m.partition(node="K2", cut=True)
        m.clock_jump(who="K2", delta=-3_600_000)
        m.issue([("K2", "B")])
        key = printed_key(m.net.nodes["K2"].printers[-1].tickets[-1])
        m.partition(node="K2", cut=False)
        m.sync(node="all", how="step")
        m.continuous()
        assert key in m.net.hub.authority.state.tickets
    finally:
        m.teardown()
