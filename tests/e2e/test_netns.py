"""Network black box: hub, kiosk and two counters of one service as real processes, each in
its own network namespace (``bench.netlab``), with real network faults instead of dead
processes (issue 8 item 8).

One counter's cable is pulled while its peer keeps calling the same service; a half-open
link (answers dropped, no reset) in the middle of a button's RPC; lossy links (iptables
random drops) with one counter 150 ms slower each way, then the other 800 ms slower (longer
than a press's RPC timeout). Delay is ``tc netem`` where the kernel has it, else the relay of
``bench.slowlink`` (``Lab.delay``); a machine with neither runs the rest and prints
"delay phase skipped" with the reason. After each phase the network heals and every node
must be back online with an empty backlog; at the end the §7.1 invariants are checked from
the logs on disk (``tests/e2e/invariants.py``), plus: a press while the link is dead or slow
shows a call (the press is decided within one RPC timeout, node.roles.base) and the relay, if
used, carried the delayed counters' traffic.
The elapsed seconds are printed for the record; ``bench/reconnect.py`` reports them as figures
(tests never assert timings).

CI runs the short version (about a minute). The long one repeats the outage ``LOKET_NETNS_
ROUNDS`` times (default 6) with more traffic::

    LOKET_NETNS_LONG=1 .venv/bin/python -m pytest tests/e2e/test_netns.py -q -s -p no:cacheprovider

Needs root, ``ip`` and ``iptables`` (skipped with the reason otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from invariants import (
    check_hub_log,
    check_no_silent_double_call,
    check_node,
    check_tickets,
    counts,
    node_logs,
    read_log,
)

from core.queue import fold

LONG = os.environ.get("LOKET_NETNS_LONG") == "1"
ROUNDS = int(os.environ.get("LOKET_NETNS_ROUNDS", "6")) if LONG else 1
RECONNECT_BOUND_S = 30.0  # a wait deadline, not a measured figure: far above the 3 s target


@pytest.fixture
def mall(tmp_path: Path):
    from bench.netlab import Lab, unavailable
    from bench.netmall import MEMBERS, Mall

    why = unavailable()
    if why:
        pytest.skip(f"network black box: {why}")
    with Lab(MEMBERS) as lab:
        m = Mall(lab, tmp_path)
        try:
            m.start()
            yield m
        finally:
            m.stop()


def outage(mall, figures: dict) -> None:
    """C1's cable is pulled while C2 goes on calling service A, then the kiosk's; C2's answers
    vanish in the middle of one press (half-open); then the network heals."""
    lab = mall.lab
    lab.cut("C1")
    took, shown = mall.press("C1", "n")  # its long-poll is held right now: it just goes quiet
    figures.setdefault("press_on_dead_link_s", []).append(round(took, 3))
    assert shown is not None, "a press on a dead link showed no call"
    for _ in range(2):
        mall.issue(1)
        mall.press("C2", "n")
        mall.press("C2", "d")
    lab.cut("K1")  # the kiosk's cable too: it prints from its standby lease
    mall.issue(1)
    mall.press("C1", "d")
    mall.press("C1", "n", timeout=5)
    lab.half_open("C2")  # the hub acts on C2's next press, its answer never arrives
    took, _ = mall.press("C2", "n", timeout=10)
    figures.setdefault("press_half_open_s", []).append(round(took, 3))
    mall.issue(1)
    heal(mall, figures)
    mall.press("C1", "d", timeout=5)
    mall.press("C2", "d", timeout=5)


def flaky(mall, figures: dict) -> None:
    """Lossy links for the counters, C2's also 150 ms slower each way, while work goes on."""
    lab = mall.lab
    lab.lossy("C1", 0.2)
    lab.lossy("C2", 0.2)
    delayed = slow_down(mall, "C2", 150, figures)
    for _ in range(2):
        mall.issue(1)
        mall.press("C1", "n", timeout=8)
        took, _ = mall.press("C2", "n", timeout=8)
        mall.press("C1", "d", timeout=8)
        mall.press("C2", "d", timeout=8)
        if delayed:
            figures.setdefault("press_delay_150ms_lossy_s", []).append(round(took, 3))
    heal(mall, figures)


def slow(mall, figures: dict) -> None:
    """C1's link 800 ms slower each way: a press outlasts the 0.8 s RPC timeout, so it lands
    late or the counter falls back to its offline call; then the link heals."""
    if not slow_down(mall, "C1", 800, figures):
        return
    mall.issue(1)
    took, shown = mall.press("C1", "n", timeout=8)
    figures.setdefault("press_delay_800ms_s", []).append(round(took, 3))
    assert shown is not None, "a press on a slow link showed no call"
    mall.press("C1", "d", timeout=8)
    heal(mall, figures)


def slow_down(mall, name: str, ms: int, figures: dict) -> bool:
    """Delay ``name``'s link; False (said on the output) when this machine cannot."""
    from bench.netlab import DelayUnavailable

    try:
        how = mall.lab.delay(name, ms, log=mall.root / f"{name}-delay-{ms}ms.log")
    except DelayUnavailable as err:
        print(f"network black box: delay phase skipped: {err}")
        figures.setdefault("delay_skipped", []).append(str(err))
        return False
    figures.setdefault("delay_by", set()).add(how)
    return True


def heal(mall, figures: dict) -> None:
    lab = mall.lab
    lab.heal()
    figures.setdefault("reconnect_s", []).append(round(mall.wait_synced(RECONNECT_BOUND_S), 3))


def test_cut_half_open_and_lossy_links_keep_every_invariant(mall):
    figures: dict = {}
    mall.issue(6)
    mall.press("C1", "n")
    mall.press("C2", "n")
    mall.press("C1", "d")
    mall.press("C2", "d")
    for _ in range(ROUNDS):
        outage(mall, figures)
        flaky(mall, figures)
        slow(mall, figures)
        mall.issue(2 if LONG else 1)
    mall.wait_converged()
    epoch = mall.status("C1")["hub_epoch"]
    printed = mall.printed()
    mall.stop()
    print("netns figures:", figures)

    hub_log = read_log(mall.hub_data / "journal", "events")
    ids = check_hub_log(hub_log)
    for node in ("K1", "C1", "C2"):
        own, replica = node_logs(mall.data(node), epoch)
        check_node(node, ids, own, replica)
    check_no_silent_double_call(hub_log)
    state = fold(hub_log, [])
    day = state_day(hub_log)
    check_tickets(state, hub_log, [f"{day}/{label}" for label in printed])
    found = counts(hub_log)
    print("netns counts:", found)
    assert found["offline_calls"] >= ROUNDS, "the cut counter called offline"
    assert found["issued_lease"] + found["issued_prefix"] >= ROUNDS, "the cut kiosk printed"
    phases = 2 if "delay_skipped" in figures else 3
    assert len(figures["reconnect_s"]) == phases * ROUNDS
    if "relay" in figures.get("delay_by", ()):
        relayed = mall.lab.relayed
        assert relayed.get("C1", 0) > 0 and relayed.get("C2", 0) > 0, f"nothing relayed: {relayed}"


def state_day(hub_log: list[dict]) -> str:
    """The service day of the run (the black box runs within one day)."""
    days = {r["event"]["body"]["day"] for r in hub_log if r["event"]["type"] == "ticket.issued"}
    assert len(days) == 1, days
    return days.pop()
