"""The rules of an MPP day hold at offline kiosks and counters too (issue 9 acceptance): a
Hypothesis state machine over the real hub and nodes (``simnet``) with opening hours (a
lunch break and closing at 15:00 on the Saturday the clocks start on), a daily quota on A
and the priority lane. Rules: issue (a share in a priority category), NEXT/DONE, partitions
and heals, time passing (through the break and past closing).

Invariants after every step, over every log (the hub's and each kiosk's own): no ticket was
issued outside the hours by the clock that issued it; A never passes its quota (no prefix
numbers for A, numbers within 1..quota, at most quota tickets). At the end, healed and
synced, the counters drain the queue online: nobody starves, and no counter makes more
priority calls in a row than the rule allows while a normal visitor waits (nor more normal
calls in a row than it allows while a priority visitor waits).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from simnet import COUNTERS, KIOSKS, NODE_IDS, SimNet

from core import calendar
from core.priority import is_priority
from node.roles.kiosk import IssueRefused

TMP_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
EXAMPLES = int(os.environ.get("LOKET_SIM_EXAMPLES", "20"))
STEPS = int(os.environ.get("LOKET_SIM_STEPS", "30"))
QUOTA = 6
MAX_IN_ROW = 2
RULES = {
    "mpp": {
        "hours": {"sat": ["08:00-12:00", "13:00-15:00"]},
        "priority": {"rule": {"kind": "max_in_row", "n": MAX_IN_ROW}},
    },
    "services": {"A": {"daily_quota": QUOTA}, "B": {"cutoff_min": 30}},
}
CALENDAR_CODES = {"closed", "holiday", "closure", "cutoff"}
categories = st.sampled_from([None, None, None, "lansia", "ibu_hamil"])


def issued_events(net: SimNet) -> dict[str, dict]:
    """Every ticket.issued any log holds, by id (the hub's and the kiosks' own)."""
    out = {
        r["event"]["id"]: r["event"]
        for r in net.hub.records()
        if r["event"]["type"] == "ticket.issued"
    }
    for kid in KIOSKS:
        for ev in net.nodes[kid].ctx.outbox.events():
            if ev["type"] == "ticket.issued":
                out.setdefault(ev["id"], ev)
    return out


class RulesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.net: SimNet | None = None

    @initialize(lease=st.sampled_from([2, 3, 4]))
    def setup(self, lease: int) -> None:
        root = Path(tempfile.mkdtemp(prefix="loket-rules-mpp-rules-", dir=TMP_DIR))
        self.net = SimNet(root, lease_size=lease, rules=RULES)
        self.net.sync_all()

    def _after(self) -> None:
        self.net.advance(1_000)
        self.net.sync_all()

    @rule(kiosk=st.sampled_from(KIOSKS), service=st.sampled_from(["A", "B"]), category=categories)
    def issue(self, kiosk: str, service: str, category: str | None) -> None:
        role = self.net.nodes[kiosk].node.role
        try:
            role.issue(service, category)
        except IssueRefused as refused:
            assert refused.message  # the visitor is told why
        role.maintain()
        self._after()

    @rule(
        kiosk=st.sampled_from(KIOSKS),
        service=st.sampled_from(["A", "B"]),
        minutes=st.sampled_from([0, 30, 150, 200, 370]),
        n=st.integers(1, 5),
    )
    def offline_burst(self, kiosk: str, service: str, minutes: int, n: int) -> None:
        """A kiosk loses the hub, time goes by (into the break, past the cut-off or closing),
        visitors keep pressing: the kiosk decides alone."""
        self.net.nodes[kiosk].transport.partitioned = True
        self.net.advance(minutes * 60_000)
        for _ in range(n):
            self.issue(kiosk, service, None)

    @rule(counter=st.sampled_from(COUNTERS), button=st.sampled_from(["next", "done", "next"]))
    def press(self, counter: str, button: str) -> None:
        self.net.nodes[counter].press(button)
        self._after()

    @rule(node=st.sampled_from(NODE_IDS), cut=st.booleans())
    def partition(self, node: str, cut: bool) -> None:
        self.net.nodes[node].transport.partitioned = cut

    @rule(minutes=st.sampled_from([10, 45, 120]))
    def time_passes(self, minutes: int) -> None:
        self.net.advance(minutes * 60_000)
        self.net.sync_all()

    @invariant()
    def rules_hold(self) -> None:
        if self.net is None:
            return
        catalogue = self.net.hub.authority.state.catalogue
        a_tickets = set()
        for ev in issued_events(self.net).values():
            b = ev["body"]
            wall = ev["clock"]["wall_ms"]
            allowed = calendar.availability(catalogue, b["service"], wall, open_counters=None)
            assert allowed.code not in CALENDAR_CODES, (ev["ticket"], allowed)
            if b["service"] == "A":
                assert b["mode"] != "prefix", ev
                assert 1 <= b["number"] <= QUOTA, ev
                a_tickets.add(ev["ticket"])
        assert len(a_tickets) <= QUOTA

    def teardown(self) -> None:
        net = self.net
        if net is None:
            return
        try:
            net.quiesce()
            self.rules_hold()
            self._drain(net)
        finally:
            net.destroy()

    def _drain(self, net: SimNet) -> None:
        hub = net.hub.authority
        day = hub.today()
        runs: dict[str, tuple[bool, int]] = {}
        for _ in range(200):
            if not hub.state.waiting(day=day):
                break
            for cid in COUNTERS:
                cs = hub.state.counter_view(cid)
                if cs.current is not None:
                    net.nodes[cid].press("done")
                    net.sync_all()
                waiting = [t for t in hub.state.waiting(day=day) if t.service in cs.services]
                net.nodes[cid].press("next")
                net.sync_all()
                key = hub.state.counter_view(cid).current
                if key is None or key not in {t.key for t in waiting}:
                    continue
                lane = is_priority(hub.state.tickets[key])
                prev = runs.get(cid)
                run = (lane, prev[1] + 1 if prev and prev[0] == lane else 1)
                runs[cid] = run
                others = [t for t in waiting if is_priority(t) != lane and t.key != key]
                if others:
                    assert run[1] <= (MAX_IN_ROW if lane else 1), (cid, run)
        assert hub.state.waiting(day=day) == []  # nobody starves


RulesMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
TestRulesModel = RulesMachine.TestCase
