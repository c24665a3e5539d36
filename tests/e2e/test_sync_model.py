"""Model-based test of sync against the REAL code (docs/sync.md §7.2 layers 2+3, issue 5).

A Hypothesis ``RuleBasedStateMachine`` drives the real hub app (Flask test client, data folder
on tmp), real nodes (``build_node``: two kiosks, three counters, fake devices) through a
simulated network (``tests/e2e/simnet.py``) and per-node ``FakeClock``s. Rules: issue, the
counter buttons, partition/heal, hub down/up, lost requests and lost replies, node and hub
crash-restarts, ±24 h clock jumps, backups and restores from a backup taken at an earlier step,
explicit sync steps. ``@initialize`` picks auto-sync (every node syncs after every step, like
the SSE feed) or manual sync (stale nodes until a sync rule runs).

Invariants of §7.1 run after every step (no duplicate printed number, no acknowledged event
missing from the hub log) and at the end after healing everything and syncing to a fixpoint
(convergence, no silent double call, displays = fold, no ghost waiting, one ``served_by``,
incremental fold == fresh fold). ``event()`` records coverage (superseded calls, retractions,
voided ghosts, double services, restores); ``target()`` steers towards conflicts.

CI runs 50 examples of up to 35 steps (about a minute on 2 cores; a failure then spends minutes
shrinking). The nightly long run (the bugs of §8.4 needed 2 000 examples; ~1 s each)::

    LOKET_SIM_EXAMPLES=2000 LOKET_SIM_STEPS=60 .venv/bin/python -m pytest \
        tests/e2e/test_sync_model.py -q -p no:cacheprovider --hypothesis-show-statistics

Known product bugs the machine found are side-stepped by the ``WORKAROUND_*`` flags in
``simnet.py`` (each has a strict xfail in ``test_sync_regressions.py``); set a flag to False
once its fix lands, or to see the machine find the bug again.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from simnet import (
    COUNTERS,
    DAY_MS,
    HOUR,
    KIOSKS,
    NODE_IDS,
    SimNet,
    check_continuous,
    check_quiescent,
)

# fsync on tmpfs is cheap: the machine runs ~5x faster there (durability is not what it checks)
TMP_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
EXAMPLES = int(os.environ.get("LOKET_SIM_EXAMPLES", "50"))
STEPS = int(os.environ.get("LOKET_SIM_STEPS", "35"))

nodes = st.sampled_from(NODE_IDS)
kiosks = st.sampled_from(KIOSKS)
counters = st.sampled_from(COUNTERS)
# weighted: NEXT and DONE are what staff press most
buttons = st.sampled_from(
    ["next", "done", "hold_done", "done", "skip", "recall", "transfer", "hold_transfer"]
)
# the two counters serving each service (C1 serves both)
SHARED = {"A": ("C1", "C2"), "B": ("C1", "C3")}
jumps = st.sampled_from([-DAY_MS, DAY_MS, -HOUR, 10 * 60_000])


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.net: SimNet | None = None
        self.auto = True
        self.steps = 0

    @initialize(auto=st.booleans(), lease=st.sampled_from([2, 3, 5]))
    def setup(self, auto: bool, lease: int) -> None:
        root = Path(tempfile.mkdtemp(prefix="loket-sim-", dir=TMP_DIR))
        self.net = SimNet(root, lease_size=lease)
        self.auto = auto
        event(f"sync mode: {'auto' if auto else 'manual'}")
        self.net.sync_all()
        self.net.hub.backup()  # a restore point from the start of the day: restores always possible

    # -- helpers --------------------------------------------------------------------------
    def _after(self) -> None:
        self.steps += 1
        self.net.advance(1_000)
        if self.auto:
            self.net.sync_all()

    # -- what people do (bursts, so that work dominates the runs) ----------------------------
    @rule(presses=st.lists(st.tuples(kiosks, st.sampled_from(["A", "B"])), min_size=1, max_size=4))
    def issue(self, presses: list[tuple[str, str]]) -> None:
        for kiosk, service in presses:
            self.net.nodes[kiosk].press(service)
            self._after()

    @rule(presses=st.lists(st.tuples(counters, buttons), min_size=1, max_size=4))
    def counter_buttons(self, presses: list[tuple[str, str]]) -> None:
        for counter, button in presses:
            n = self.net.nodes[counter]
            if button.startswith("hold_"):
                n.press(button[5:], "hold")
            else:
                n.press(button)
            self._after()

    @rule(
        kiosk=kiosks,
        service=st.sampled_from(["A", "B"]),
        counter=counters,
        button=buttons,
    )
    def issue_and_press(self, kiosk: str, service: str, counter: str, button: str) -> None:
        self.issue([(kiosk, service)])
        self.counter_buttons([(counter, button)])

    # -- macros that steer towards the conflict rules of §4 -----------------------------------
    @rule(
        service=st.sampled_from(["A", "B"]),
        swap=st.booleans(),
        kiosk=kiosks,
        finish=st.sampled_from([(), ("done",), ("done", "done"), ("skip", "done")]),
    )
    def race(self, service: str, swap: bool, kiosk: str, finish) -> None:
        """A ticket arrives, one counter calls it offline while another calls online; then
        maybe both finish it (evidence beats a call, double service)."""
        pair = SHARED[service] if not swap else SHARED[service][::-1]
        self.issue([(kiosk, service)])
        off, on = self.net.nodes[pair[0]], self.net.nodes[pair[1]]
        off.transport.partitioned = True
        off.press("next")
        on.press("next")
        for i, button in enumerate(finish):
            (off if i == 0 else on).press(button)
        off.transport.partitioned = False
        self._after()

    @rule(node=nodes, data=st.data())
    def lost_answer(self, node: str, data: st.DataObject) -> None:
        """The hub acts on a press, every retry's answer is lost: the node falls back."""
        self.net.nodes[node].transport.drop_replies = 3
        if node in KIOSKS:
            self.issue([(node, data.draw(st.sampled_from(["A", "B"]), label="service"))])
        else:
            self.counter_buttons([(node, data.draw(buttons, label="button"))])
        self.net.nodes[node].transport.drop_replies = 0

    # -- the network ----------------------------------------------------------------------
    @rule(node=nodes, cut=st.booleans())
    def partition(self, node: str, cut: bool) -> None:
        """Unplug (or plug back) one node's cable."""
        self.net.nodes[node].transport.partitioned = cut
        self._after()

    @rule(up=st.booleans())
    def hub_network(self, up: bool) -> None:
        self.net.hub.up = up
        self._after()

    @rule(node=nodes, what=st.sampled_from(["request", "reply"]), n=st.integers(1, 3))
    def lose(self, node: str, what: str, n: int) -> None:
        """The next n requests of this node never arrive / are handled but never answered."""
        t = self.net.nodes[node].transport
        if what == "request":
            t.drop_requests = n
        else:
            t.drop_replies = n

    # -- crashes, clocks, backups -----------------------------------------------------------
    @rule(node=nodes, into_1970=st.booleans())
    def node_crash(self, node: str, into_1970: bool) -> None:
        """Power cut; without an RTC the Pi may boot into 1970."""
        self.net.nodes[node].crash_restart(wall_ms=0 if into_1970 else None)
        self._after()

    @rule()
    def hub_crash(self) -> None:
        """kill -9 of the hub, also while it holds re-pushed events back (RAM only)."""
        self.net.hub.crash_restart()
        self._after()

    @rule(who=st.sampled_from((*NODE_IDS, "hub")), delta=jumps)
    def clock_jump(self, who: str, delta: int) -> None:
        clock = self.net.hub_clock if who == "hub" else self.net.nodes[who].clock
        clock.jump_wall(delta)
        self.net.advance(1_000)

    @rule(ms=st.sampled_from([5_000, 60_000, 10 * 60_000]))
    def time_passes(self, ms: int) -> None:
        self.net.advance(ms)

    @precondition(lambda self: self.net is not None and len(self.net.hub.backups) < 4)
    @rule()
    def take_backup(self) -> None:
        self.net.hub.backup()

    @precondition(lambda self: self.net is not None and self.net.hub.backups)
    @rule(data=st.data())
    def restore_backup(self, data: st.DataObject) -> None:
        backup = data.draw(st.sampled_from(self.net.hub.backups), label="backup")
        self.net.restore_hub(backup)
        self._after()

    # -- syncing ----------------------------------------------------------------------------
    @rule(node=st.sampled_from((*NODE_IDS, "all")), how=st.sampled_from(["step", "push", "pull"]))
    def sync(self, node: str, how: str) -> None:
        for n in self.net.nodes.values() if node == "all" else [self.net.nodes[node]]:
            if how == "step":
                n.sync()
            elif how == "push":
                n.ctx.sync.push_once()
            else:
                n.ctx.sync.pull_once(0)
            n.node.drain()

    # -- invariants ---------------------------------------------------------------------------
    @invariant()
    def continuous(self) -> None:
        if self.net is not None:
            check_continuous(self.net)

    def teardown(self) -> None:
        net = self.net
        if net is None:
            return
        try:
            net.quiesce()
            check_continuous(net)
            stats = check_quiescent(net)
            for name, count in stats.items():
                event(f"{name}: {'0' if count == 0 else '1-2' if count <= 2 else '3+'}")
            event(f"hub restores: {min(net.hub.restores, 2)}")
            event(f"hub crashes: {min(net.hub.crashes, 2)}")
            crashes = sum(n.crashes for n in net.nodes.values())
            event(f"node crashes: {min(crashes, 2)}")
            for kind, count in sorted(net.faults.items()):
                event(f"fault {kind}: {'yes' if count else 'no'}")
            target(
                float(
                    stats["superseded"]
                    + stats["retracted"]
                    + stats["void_ghost"]
                    + 2 * stats["double_service"]
                ),
                label="conflicts",
            )
        finally:
            net.destroy()


SyncMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    database=None,
)
TestSyncModel = SyncMachine.TestCase
