"""Streams never starve commands: more streams and long-polls than the caps, held open over
real waitress (``hub.serving``), while tickets are issued: every issue answers."""

from __future__ import annotations

import http.client
import json
import os
import threading
from types import SimpleNamespace

import pytest

from hub import serving
from hub.streams import Caps

COMMAND_THREADS = 4
CAPS = Caps(streams=3, streams_per_ip=8, longpolls=2)


@pytest.fixture
def served(app):
    server = serving.create_server(
        app, host="127.0.0.1", port=0, threads=COMMAND_THREADS, caps=CAPS
    )
    gate = app.extensions["loket_streams"]
    gate.caps = CAPS
    loop = serving.start(server)
    # stop() may run twice (a test's own, then this): the second finds nothing left to close
    yield SimpleNamespace(port=server.effective_port, stop=lambda: serving.stop(server, gate, loop))
    assert serving.stop(server, gate, loop), "a worker thread outlived the stop"
    assert not loop.is_alive()


class Held:
    """An open request: its connection and its response (which owns the socket now: both
    are kept referenced, or the stream closes with them)."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.conn, self.response = conn, response

    def close(self) -> None:
        self.response.close()
        self.conn.close()


def open_held(port: int, path: str, token: str | None = None) -> tuple[int, Held]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()  # the status line: the stream itself stays open
    if response.status != 200 or path.startswith("/api/v1/sync"):
        response.read()
    return response.status, Held(conn, response)


def wait_until(predicate, rounds: int = 3000) -> None:
    done = threading.Event()
    for _ in range(rounds):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError("condition never held")


def call(
    port: int, method: str, path: str, token: str, body: dict | None = None
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_every_issue_answers_while_more_streams_than_the_caps_are_held(app, served, tokens, seed):
    port = served.port
    gate = app.extensions["loket_streams"]
    held: list[Held] = []
    polls: list[threading.Thread] = []
    poll_status: list[int] = []
    try:
        sse = []
        for _ in range(CAPS.streams + 3 + COMMAND_THREADS):
            status, conn = open_held(port, "/api/v1/stream")
            sse.append(status)
            held.append(conn)
        assert sse.count(200) == CAPS.streams, sse
        assert set(sse[CAPS.streams :]) == {503}, sse
        assert gate.held("sse") == CAPS.streams  # held open, each on a thread

        def poll(node: str) -> None:
            path = f"/api/v1/sync/changes?since={seed}&wait=25"
            status, conn = open_held(port, path, tokens[node])
            poll_status.append(status)
            conn.close()

        # long-polls from more nodes than their cap: the excess is refused at once
        for node in ("C1", "C2", "K1", "K2"):
            polls.append(threading.Thread(target=poll, args=(node,), daemon=True))
            polls[-1].start()
            if node == "C2":
                wait_until(lambda: gate.held("longpoll") == 2)
        wait_until(lambda: len(poll_status) == 2)  # the two refused
        issued = []
        for n in range(4 * COMMAND_THREADS):
            status, answer = call(
                port, "POST", "/api/v1/tickets", tokens["api"], {"req": f"sv:r{n}", "service": "B"}
            )
            issued.append((status, answer.get("ticket", {}).get("label")))
        assert [s for s, _ in issued] == [201] * len(issued)
        assert len({label for _, label in issued}) == len(issued)
        status, health = call(port, "GET", "/healthz", tokens["api"])
        assert status == 200 and health["ok"]
        status, called = call(
            port, "POST", "/api/v1/counters/C1/next", tokens["C1"], {"req": "sv:n1"}
        )
        assert status == 200 and called["event"]["type"] == "ticket.called"
    finally:
        for conn in held:
            conn.close()
    for t in polls:
        t.join(timeout=30)
    # two held (woken by the issues), the two beyond the cap refused
    assert sorted(poll_status) == [200, 200, 503, 503]


def test_the_caps_are_hub_keys_checked_with_their_path(tmp_path):
    import tomllib

    from core.config import HubSection, hub_config_from_dict
    from core.errors import ConfigError
    from core.paths import demo_hub_profile
    from hub.streams import caps_of

    raw = tomllib.loads(demo_hub_profile().read_text(encoding="utf-8"))

    def make_config(**hub):
        return hub_config_from_dict({**raw, "hub": {"data_dir": str(tmp_path), **hub}})

    config = make_config(max_streams=5, max_streams_per_ip=2, max_longpolls=40)
    assert caps_of(config.hub) == Caps(streams=5, streams_per_ip=2, longpolls=40)
    assert caps_of(HubSection()) == Caps()
    with pytest.raises(ConfigError) as exc:
        make_config(max_streams=0, max_streams_per_ip="8", max_longpolls=10**6)
    found = {p.path: p.message for p in exc.value.problems}
    assert set(found) == {"hub.max_streams", "hub.max_streams_per_ip", "hub.max_longpolls"}
    assert "out of range" in found["hub.max_streams"]
    assert "wrong type" in found["hub.max_streams_per_ip"]


def test_stop_ends_a_held_long_poll_before_it_lets_go_of_its_descriptors(
    app, served, tokens, seed, tmp_path
):
    """waitress's close() alone left the worker of a held request running; when it ended it
    wrote b"x" into the descriptor number of the trigger pipe, which by then was a file
    opened since (a node replica's journal segment: "record changed since open")."""
    port = served.port
    gate = app.extensions["loket_streams"]
    answers: list[tuple[int, dict]] = []
    poll = threading.Thread(
        target=lambda: answers.append(
            call(port, "GET", f"/api/v1/sync/changes?since={seed}&wait=25", tokens["C1"])
        )
    )
    poll.start()
    wait_until(lambda: gate.held("longpoll") == 1)
    status, board = open_held(port, "/api/v1/stream")  # a hall board's event stream
    assert status == 200
    assert served.stop()
    assert b"event: hello" in board.response.read()  # the stream ended (read() returns)
    board.close()
    # Files opened now get the lowest free numbers, the pipe's among them: nothing may write
    # into them while the last threads wind down.
    files = [tmp_path / f"segment-{i}.jsonl" for i in range(16)]
    fds = [os.open(f, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) for f in files]
    poll.join(30)
    for fd in fds:
        os.close(fd)
    assert {f.name: f.read_bytes() for f in files if f.read_bytes()} == {}
    # stop() did not wait the long-poll's 25 s: it ended it, with an empty answer.
    assert answers and answers[0][0] == 200 and answers[0][1]["results"] == []
    assert gate.held("longpoll") == 0
    # A request after the stop finds nobody listening.
    with pytest.raises(OSError):
        call(port, "GET", "/healthz", tokens["api"])
