"""A node notices the hub quickly both ways (issue 8 item 8): the /healthz probe, the status
file written at every online/offline change, a press on a dead link decided within one RPC
timeout, and a hub whose long-poll places are taken is asked again when it said."""

from __future__ import annotations

import io
import re
import threading
import time
from types import SimpleNamespace

import pytest

from node import commands
from node.roles import base
from node.transport import HubUnreachable


def status_text(node) -> str:
    out = io.StringIO()
    commands.status(SimpleNamespace(data_dir=str(node.ctx.data_dir), now_ms=None), out=out)
    return out.getvalue()


def test_the_probe_brings_a_node_back_and_the_status_file_follows_at_once(hub, make_node):
    counter = make_node("C1", "counter")
    counter.step()
    sync = counter.ctx.sync
    counter.transport.down = True
    assert sync.probe_once() is False
    assert sync.online is True  # one lost probe on a flaky link is not an outage
    assert sync.probe_once() is False
    assert sync.online is False
    assert re.search(r"online +NO \(working offline\)", status_text(counter))

    counter.transport.down = False
    sync._wake.clear()
    assert sync.probe_once() is True
    assert sync.online is True
    assert re.search(r"online +yes", status_text(counter))  # without any push or pull
    assert sync._wake.is_set() and sync._back.is_set()  # the loops leave their backoff
    assert counter.transport.calls[-1] == ("GET", "/healthz")


def test_a_hub_that_answers_with_an_error_is_reachable(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.step()
    kiosk.ctx.sync.set_online(False, "test")
    hub.authority.store.close()  # its /healthz may fail now: any HTTP answer will do
    try:
        assert kiosk.ctx.sync.probe_once() is True
    finally:
        hub.restart()


class DeadLink:
    """Every request times out after its whole timeout (a link dropped without a reset);
    the clock is advanced instead of sleeping."""

    def __init__(self, now: list[float]):
        self.now = now
        self.timeouts: list[float] = []

    def request(self, method, path, json=None, timeout=None):
        self.timeouts.append(timeout)
        self.now[0] += timeout
        raise HubUnreachable(f"{method} {path}: timed out (test)")


def test_a_press_on_a_dead_link_falls_back_within_one_rpc_timeout(hub, make_node, monkeypatch):
    kiosk = make_node("K1", "kiosk")
    kiosk.press("a")
    kiosk.step()
    counter = make_node("C1", "counter")
    counter.step()
    now = [1000.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: now[0])
    dead = DeadLink(now)
    counter.ctx.transport = dead
    start = now[0]
    counter.press("next")
    counter.drain()
    # one attempt used the whole budget: no retries after it
    assert dead.timeouts == [pytest.approx(base.RPC_TIMEOUT)]
    assert now[0] - start <= base.RPC_TIMEOUT
    # and the LED shows the offline call of the waiting ticket
    assert counter.ctx.devices.display.history[-1].text == "A-001"
    assert counter.ctx.sync.online is False


def test_a_full_hub_is_asked_again_when_it_said(hub, make_node):
    counter = make_node("C1", "counter")
    counter.step()
    gate = hub.app.extensions["loket_streams"]
    for n in range(gate.caps.longpolls):
        assert gate.enter("longpoll", f"other-{n}") is None
    sync = counter.ctx.sync
    assert sync.pull_once(wait=20) == []
    assert sync._retry_after == 5.0 and "too_many_streams" in sync.last_error
    assert sync.online is True  # the hub answered: not an outage


def test_a_failed_request_makes_the_probe_ask_at_once(hub, make_node):
    """A node online probes every probe_online_s; when another request fails meanwhile (its
    connection reset), the probe decides at once instead of leaving it offline until then
    (seen on the network black box: 4.8 s offline beside a live hub after a heal)."""
    counter = make_node("C1", "counter")
    counter.step()
    sync = counter.ctx.sync
    sync.probe_online_s = 600.0  # the probe would not come again within this test
    probes = counter.transport.calls
    loop = threading.Thread(target=sync._probe_loop, daemon=True)
    loop.start()
    try:
        assert wait_for(lambda: probes.count(("GET", "/healthz")) == 1)
        sync.set_online(False, "POST /api/v1/sync/push: connection reset (test)")
        assert wait_for(lambda: probes.count(("GET", "/healthz")) == 2)
        assert wait_for(lambda: sync.online is True)
    finally:
        sync._stop.set()
        sync._recheck.set()
        loop.join(10)
    assert not loop.is_alive()


def wait_for(ok, limit_s: float = 30.0) -> bool:
    """Poll ``ok`` until it holds; a deadline to fail on, far below probe_online_s."""
    end = time.monotonic() + limit_s
    while not ok():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True
