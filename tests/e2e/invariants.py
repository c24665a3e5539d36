"""The §7.1 invariants (notes/sync.md) checked from what a black box leaves on disk: the hub
journal, every node's own log and replica, the paper printed and the LEDs' last frames.

Shared by the kill -9 black box (tests/e2e/test_blackbox.py) and the network black box
(tests/e2e/test_netns.py); the model test checks the same rules on live objects (simnet).
"""

from __future__ import annotations

from collections import Counter as Multiset
from collections.abc import Iterable, Mapping
from pathlib import Path

from core.journal import Journal
from core.model import TicketStatus
from core.queue import QueueState, fold


def read_log(directory: Path, prefix: str) -> list[dict]:
    journal = Journal(directory, prefix=prefix)
    try:
        return list(journal)
    finally:
        journal.close()


def node_logs(data: Path, epoch: str) -> tuple[list[dict], list[dict]]:
    """A node's own events and its replica of the hub log of ``epoch`` (folder per epoch)."""
    own = read_log(data / "own", "own")
    replica = read_log(data / "replica" / epoch, "hub")
    return own, [r["event"] for r in replica]


def check_hub_log(hub_log: list[dict]) -> list[str]:
    """hseq gapless from 1, every event id once; returns the ids in log order."""
    assert [r["hseq"] for r in hub_log] == list(range(1, len(hub_log) + 1))
    ids = [r["event"]["id"] for r in hub_log]
    assert len(ids) == len(set(ids)), "an event id logged twice"
    return ids


def check_node(node: str, ids: list[str], own: list[dict], replica: list[dict]) -> None:
    """Nothing a node logged is missing at the hub; its replica is the hub log."""
    logged = set(ids)
    missing = [e["id"] for e in own if e["id"] not in logged]
    assert not missing, f"{node} logged events the hub lost: {missing}"
    assert [e["id"] for e in replica] == ids, f"{node} replica != hub log"


def check_no_silent_double_call(hub_log: list[dict]) -> None:
    """Every call either holds its ticket or was answered (superseded / retracted)."""
    answered = {
        r["event"]["body"]["call"]
        for r in hub_log
        if r["event"]["type"] in ("call.superseded", "call.retracted")
    }
    step = fold([], [])
    for r in hub_log:
        step.apply(r)
        ev = r["event"]
        if ev["type"] == "ticket.called":
            t = step.tickets.get(ev["ticket"])
            assert (t is not None and t.call_id == ev["id"]) or ev["id"] in answered, ev["id"]


def check_tickets(state: QueueState, hub_log: list[dict], printed: Iterable[str]) -> None:
    """Nothing printed twice; one live call per counter; no never-printed ticket waiting;
    every printed ticket known; one served_by, a second service only as a flagged anomaly."""
    printed = list(printed)
    dup = [k for k, n in Multiset(printed).items() if n > 1]
    assert not dup, f"printed twice: {dup}"
    called = [t for t in state.tickets.values() if t.status == TicketStatus.CALLED]
    assert len({t.holder for t in called}) == len(called), "a counter holds two calls"
    for t in state.tickets.values():
        if t.status == TicketStatus.WAITING:
            assert t.key in printed, f"never-printed ticket waiting: {t.key}"
        if t.status == TicketStatus.SERVED:
            assert t.served_by in t.callers, t
    assert set(printed) <= set(state.tickets), "printed tickets the hub does not know"
    flagged = {
        (r["event"]["body"]["ticket"], r["event"]["body"]["second"])
        for r in hub_log
        if r["event"]["type"] == "anomaly.double_service"
    }
    for r in hub_log:
        ev = r["event"]
        if ev["type"] != "ticket.done":
            continue
        t = state.tickets.get(ev["ticket"])
        who = ev["body"]["counter"]
        if t is not None and t.status == TicketStatus.SERVED and t.served_by != who:
            assert (t.key, who) in flagged, f"{who} also served {t.key}, not flagged"


def check_leds(state: QueueState, shown: Mapping[str, tuple[str, str | None]]) -> None:
    """Each counter's last LED frame (mode, text) is what the fold says it serves."""
    for cid, (mode, text) in shown.items():
        cs = state.counter_view(cid)
        if cs.label:
            assert (mode, text) == ("text", cs.label), (cid, mode, text, cs.label)
        else:
            assert mode == "idle", (cid, mode, text)


def counts(hub_log: list[dict]) -> dict[str, int]:
    """What the conflict rules did (for the bench figures and coverage)."""
    types = Multiset(r["event"]["type"] for r in hub_log)
    modes = Multiset(
        r["event"]["body"].get("mode") for r in hub_log if r["event"]["type"] == "ticket.issued"
    )
    return {
        "events": len(hub_log),
        "double_service": types["anomaly.double_service"],
        "superseded": types["call.superseded"],
        "retracted": types["call.retracted"],
        "offline_calls": sum(
            1
            for r in hub_log
            if r["event"]["type"] == "ticket.called" and r["event"]["body"].get("mode") == "offline"
        ),
        "issued_online": modes["online"],
        "issued_lease": modes["lease"],
        "issued_prefix": modes["prefix"],
    }
