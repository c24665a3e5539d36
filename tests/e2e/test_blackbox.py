"""Black box on loopback: a real hub process (waitress), killed with SIGKILL mid-stream.

The hub runs as ``python -m loket.cli hub serve`` on a free port with a temp profile. Two kiosks
and three counters are real node code (``build_node`` with the real ``HttpTransport``) in this
process, stepped explicitly so the run is deterministic: node processes would only add a
keyboard pipe in front of the same code (``loket node run --simulate``), and stepping here
lets the test know when a press has been handled without sleeping.

Workload: issue and call for a while, ``kill -9`` the hub, keep issuing and calling (leases,
prefix numbers, offline calls), start the hub again on the same data folder, heal, sync to a
fixpoint. Then the §7.1 invariants are checked **from the logs only** (tests/e2e/invariants.py):
the hub journal and every node's own log and replica, read back from disk with
``core.journal``, plus the paper the kiosks printed and the LEDs.
"""

from __future__ import annotations

from collections import Counter as Multiset
from pathlib import Path
from types import SimpleNamespace

import pytest
from hubproc import HubProcess, free_port
from invariants import (
    check_hub_log,
    check_leds,
    check_no_silent_double_call,
    check_node,
    check_tickets,
    node_logs,
    read_log,
)
from simnet import printed_key

from core.queue import fold

PROFILE = """
[mpp]
name = "MPP Black Box"
timezone = "Asia/Jakarta"

[hub]
host = "127.0.0.1"
port = {port}
data_dir = "{data}"
threads = 12

[[agencies]]
id = "dukcapil"
name = "Dukcapil"

[[services]]
id = "A"
name = "KTP"
agency = "dukcapil"

[[services]]
id = "B"
name = "KK"
agency = "dukcapil"

[[counters]]
id = "C1"
name = "Loket 1"
number = 1
services = ["A", "B"]

[[counters]]
id = "C2"
name = "Loket 2"
number = 2
services = ["A"]

[[counters]]
id = "C3"
name = "Loket 3"
number = 3
services = ["B"]

[[kiosks]]
id = "K1"
name = "Kiosk 1"
services = ["A", "B"]
lease_size = 3

[[kiosks]]
id = "K2"
name = "Kiosk 2"
services = ["A", "B"]
lease_size = 3
"""

NODES = {"K1": "kiosk", "K2": "kiosk", "C1": "counter", "C2": "counter", "C3": "counter"}


def node_config(node_id: str, role: str, url: str, token: str, data: Path) -> SimpleNamespace:
    return SimpleNamespace(
        node=SimpleNamespace(
            id=node_id,
            role=role,
            hub_url=url,
            token=token,
            data_dir=str(data),
            counter=node_id if role == "counter" else None,
            services=["A", "B"] if role == "kiosk" else [],
        ),
        mpp=SimpleNamespace(name="MPP Black Box", timezone="Asia/Jakarta"),
        sound=SimpleNamespace(backend="fake", lang="id"),
    )


@pytest.fixture
def mall(tmp_path: Path):
    from hub.auth import pair_node
    from hub.store import Store

    data = tmp_path / "hub-data"
    config = tmp_path / "hub.toml"
    port = free_port()
    config.write_text(PROFILE.format(port=port, data=data))
    store = Store(data)
    tokens = {n: pair_node(store, n) for n in NODES}
    store.close()
    return SimpleNamespace(
        config=config, data=data, url=f"http://127.0.0.1:{port}", tokens=tokens, root=tmp_path
    )


def test_hub_kill9_mid_stream_then_restart_keeps_every_invariant(
    mall, python, subprocess_env, repo_root
):
    from node.app import build_node
    from node.hardware.display import FakeDisplay
    from node.hardware.printer import FakePrinter
    from node.roles.base import Devices
    from node.transport import HttpTransport

    hub = HubProcess(python, mall.config, subprocess_env, repo_root)
    nodes = {}
    papers: dict[str, FakePrinter] = {}  # real ESC/POS rendering; .tickets = what was printed
    leds: dict[str, FakeDisplay] = {}
    for nid, role in NODES.items():
        if role == "kiosk":
            papers[nid] = FakePrinter()
            devices = Devices(printer=papers[nid])
        else:
            leds[nid] = FakeDisplay(8)
            devices = Devices(display=leds[nid])
        cfg = node_config(nid, role, mall.url, mall.tokens[nid], mall.root / f"node-{nid}")
        transport = HttpTransport(mall.url, mall.tokens[nid], timeout=5.0)
        nodes[nid] = build_node(cfg, transport=transport, hardware=devices)
        nodes[nid].start(threads=False)

    def step_all() -> None:
        for n in nodes.values():
            n.step()

    def press(nid: str, button: str) -> None:
        nodes[nid].press(button)
        nodes[nid].drain()

    script = ["next", "done", "next", "skip", "next", "transfer", "next", "done", "recall"]
    try:
        step_all()
        for i in range(36):
            if i == 12:
                hub.kill9()  # mid-stream: acknowledged events must survive
            if i == 24:
                hub = HubProcess(python, mall.config, subprocess_env, repo_root)
            press("K1" if i % 2 else "K2", "A" if i % 3 else "B")
            press(("C1", "C2", "C3")[i % 3], script[i % len(script)])
            if i % 4 == 0:
                step_all()
        for _ in range(20):  # heal and sync to a fixpoint (bounded)
            before = [(n.ctx.sync.replica.last_hseq, n.ctx.outbox.last_seq) for n in nodes.values()]
            step_all()
            after = [(n.ctx.sync.replica.last_hseq, n.ctx.outbox.last_seq) for n in nodes.values()]
            if before == after and all(
                n.ctx.sync.replica.acked_through == n.ctx.outbox.last_seq for n in nodes.values()
            ):
                break
        else:
            pytest.fail("no fixpoint after 20 sync rounds")
        epochs = {n.ctx.sync.replica.hub_epoch for n in nodes.values()}
    finally:
        hub.stop()
        for n in nodes.values():
            n.ctx.outbox.close()
            n.ctx.sync.replica.close()

    # -- read everything back from disk --------------------------------------------------
    assert len(epochs) == 1, "a kill -9 restart keeps the hub epoch"
    hub_log = read_log(mall.data / "journal", "events")
    ids = check_hub_log(hub_log)
    epoch = epochs.pop()

    state = fold(hub_log, [])
    printed = [printed_key(t) for p in papers.values() for t in p.tickets]
    assert printed, "the kiosks printed tickets"
    modes = Multiset(
        r["event"]["body"]["mode"] for r in hub_log if r["event"]["type"] == "ticket.issued"
    )
    assert modes["online"] and (modes["lease"] or modes["prefix"]), modes

    for nid in NODES:
        # one replica folder per hub epoch (node.replica names it after the epoch)
        check_node(nid, ids, *node_logs(mall.root / f"node-{nid}", epoch))
    check_no_silent_double_call(hub_log)
    check_tickets(state, hub_log, printed)
    shown = {}
    for cid, led in leds.items():
        base = [f for f in led.history if f.mode != "flash"][-1]
        shown[cid] = (base.mode, base.text)
    check_leds(state, shown)
