"""The delay relay of the network black box (``bench.slowlink``), on loopback: bytes go
through whole and in order both ways, none before the delay, and ends of stream and resets
are passed on. The only clock check is a lower bound (nothing arrives early), which a slow
machine cannot break."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from bench.slowlink import DelayRelay

DELAY_MS = 200
MESSAGES = 200


class Relay:
    """A relay served by an event loop in a thread, for blocking test sockets."""

    def __init__(self, target: tuple[str, int], delay_ms: float):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.relay = DelayRelay(target, delay_ms)
        self.port = self._call(self.relay.start())

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def close(self) -> None:
        self._call(self.relay.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


class Target:
    """A TCP server that answers each connection with ``reply(conn)`` in a thread."""

    def __init__(self, reply):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.seen: list[dict] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.settimeout(30)
        with conn:
            self.seen.append(self.reply(conn))

    def join(self) -> dict:
        self.thread.join(timeout=30)
        self.sock.close()
        return self.seen[0]


def read_all(conn: socket.socket) -> tuple[bytes, float | None]:
    """Everything until the end of stream, and when its first byte came."""
    data, first = b"", None
    while chunk := conn.recv(65536):
        first = first or time.monotonic()
        data += chunk
    return data, first


def numbered(tag: str) -> list[bytes]:
    return [f"{tag}{i:05d};".encode() for i in range(MESSAGES)]


@pytest.fixture
def relay_to() -> Iterator:
    made: list[Relay] = []

    def make(target: Target | int) -> Relay:
        port = target if isinstance(target, int) else target.port
        made.append(Relay(("127.0.0.1", port), DELAY_MS))
        return made[-1]

    yield make
    for relay in made:
        relay.close()


def test_bytes_arrive_whole_in_order_both_ways_and_not_before_the_delay(relay_to) -> None:
    def answer(conn: socket.socket) -> dict:
        got, first = read_all(conn)  # the client's half-close ends this
        sent = time.monotonic()
        for message in numbered("down"):
            conn.sendall(message)
        return {"got": got, "first": first, "sent": sent}

    target = Target(answer)
    relay = relay_to(target)
    with relay.connect() as conn:
        sent = time.monotonic()
        for message in numbered("up"):
            conn.sendall(message)
        conn.shutdown(socket.SHUT_WR)
        back, back_first = read_all(conn)  # the target's close ends this
    seen = target.join()

    assert seen["got"] == b"".join(numbered("up"))
    assert back == b"".join(numbered("down"))
    assert seen["first"] - sent >= DELAY_MS / 1000
    assert back_first - seen["sent"] >= DELAY_MS / 1000
    assert relay.relay.connections == 1


def test_a_stream_larger_than_a_chunk_goes_through_whole(relay_to) -> None:
    blob = bytes(range(256)) * 8192  # 2 MiB: many chunks in flight, each held in order

    def answer(conn: socket.socket) -> dict:
        got, _ = read_all(conn)
        conn.sendall(got[::-1])
        return {"got": got}

    target = Target(answer)
    with relay_to(target).connect() as conn:
        conn.sendall(blob)
        conn.shutdown(socket.SHUT_WR)
        back, _ = read_all(conn)
    assert target.join()["got"] == blob
    assert back == blob[::-1]


def test_a_reset_by_the_client_ends_the_target_connection(relay_to) -> None:
    got_it = threading.Event()

    def answer(conn: socket.socket) -> dict:
        first = b""
        while len(first) < len(b"half a request"):
            first += conn.recv(100)
        got_it.set()
        try:
            rest, _ = read_all(conn)
        except ConnectionResetError:
            return {"first": first, "end": "reset"}
        return {"first": first, "end": "eof", "rest": rest}

    target = Target(answer)
    conn = relay_to(target).connect()
    conn.sendall(b"half a request")
    assert got_it.wait(30)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # linger 0: a reset
    seen = target.join()  # returns only once the target's side ended
    assert seen["first"] == b"half a request"
    assert seen.get("rest", b"") == b""


def test_a_target_that_is_down_ends_the_client_connection(relay_to) -> None:
    spare = socket.create_server(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with relay_to(port).connect() as conn:
        try:
            data, _ = read_all(conn)
        except ConnectionResetError:
            data = b""
    assert data == b""


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="delay_ms"):
        DelayRelay(("127.0.0.1", 1), -1)
