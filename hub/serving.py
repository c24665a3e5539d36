"""The hub's HTTP server: waitress with two thread pools, one for commands, one for streams.

waitress runs every request on a thread of one pool. A request that is held open (an SSE
stream, a node's changes long-poll) keeps its thread for seconds to hours, so enough of them
would leave none for ``POST /api/v1/tickets`` or a counter's NEXT (issue 8 item 5: 16
anonymous streams froze a 16-thread hub for 24 s). :class:`SplitDispatcher` looks at each
request before a thread takes it and queues held ones (``hub.streams.is_held``) on a pool of
their own, sized so that every place ``hub.streams.StreamGate`` allows has a thread and a
few spare threads refuse the excess at once. Commands keep ``[hub] threads`` to themselves.

Accepted sockets get TCP keepalive and ``TCP_USER_TIMEOUT``: a client whose link died without
a reset (a pulled cable, a switch port gone) is dropped by the kernel once a heartbeat goes
unacknowledged for ``USER_TIMEOUT_MS``, which frees its place (docs/streams.md).

waitress takes a dispatcher through ``create_server(_dispatcher=...)``, a parameter its own
tests use; :class:`SplitDispatcher` has the interface waitress calls (``add_task``,
``set_thread_count``, ``shutdown``).

:func:`stop` is the only way a server is closed. waitress's own ``close()`` closes the pipe
its worker threads write one byte to (``b"x"``, the "trigger") to wake its loop, but leaves
the workers running: a request still held (a long-poll) writes that byte when it ends, into
whatever file the process opened since under the pipe's number. In the test suite that was
a node replica's journal segment, whose next record then failed its CRC ("record changed
since open", and waitress's "Bad file descriptor" when the number was still free).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from hub.streams import Caps, StreamGate, is_held

log = logging.getLogger(__name__)
# Triggers of servers whose workers outlived stop(): kept open (and referenced) until the
# process ends, so a late wake-up lands in our own pipe.
_kept_open: list[Any] = []

USER_TIMEOUT_MS = 20_000
KEEPALIVE = (10, 5, 3)  # idle s, interval s, probes


def socket_options() -> list[tuple[int, int, int]]:
    """waitress's default (TCP_NODELAY) plus dead-peer detection, for accepted sockets."""
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
    idle, interval, count = KEEPALIVE
    for name, value in (
        ("TCP_KEEPIDLE", idle),
        ("TCP_KEEPINTVL", interval),
        ("TCP_KEEPCNT", count),
        ("TCP_USER_TIMEOUT", USER_TIMEOUT_MS),
    ):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


class SplitDispatcher:
    """Routes each waitress task (a channel with its next request) to one of two pools."""

    def __init__(self, commands: int, streams: int):
        from waitress.task import ThreadedTaskDispatcher

        self.commands = ThreadedTaskDispatcher()
        self.streams = ThreadedTaskDispatcher()
        self.sizes = (commands, streams)

    def set_thread_count(self, count: int) -> None:
        # waitress calls this only for its own dispatcher; the sizes are ours.
        self.commands.set_thread_count(self.sizes[0])
        self.streams.set_thread_count(self.sizes[1])

    def pool_for(self, task: Any) -> Any:
        requests = getattr(task, "requests", None) or [None]
        request = requests[0]
        path = getattr(request, "path", "") or ""
        query = getattr(request, "query", "") or ""
        return self.streams if is_held(path, query) else self.commands

    def add_task(self, task: Any) -> None:
        self.pool_for(task).add_task(task)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Stop both pools; True once no worker thread is left."""
        self.streams.shutdown(cancel_pending, timeout / 2)
        self.commands.shutdown(cancel_pending, timeout / 2)
        return not self.streams.threads and not self.commands.threads


def create_server(
    app: Any,
    *,
    host: str,
    port: int,
    threads: int,
    caps: Caps,
    ident: str = "loket-hub",
    **waitress_kw: Any,
) -> Any:
    """A waitress server for ``app``: ``threads`` for commands, ``caps.pool_threads`` for
    held requests (``waitress_kw``: e.g. a socket ``map`` of its own, for tests). Raises
    OSError when the address cannot be bound."""
    import waitress

    # A socket map of its own: waitress's default is one map for the whole process.
    waitress_kw.setdefault("map", {})
    dispatcher = SplitDispatcher(threads, caps.pool_threads)
    dispatcher.set_thread_count(threads)
    try:
        server = waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            # every held request is a connection too, and half-open ones linger until reaped
            connection_limit=max(100, threads * 4) + caps.pool_threads * 2,
            ident=ident,
            _dispatcher=dispatcher,
            **waitress_kw,
        )
    except BaseException:
        dispatcher.shutdown(timeout=1)
        raise
    # Not a keyword of create_server: waitress sets these on every socket it accepts.
    server.adj.socket_options = socket_options()
    return server


def start(server: Any, name: str = "loket-hub-http") -> threading.Thread:
    """Run ``server``'s loop on a daemon thread (the demo, tests); end it with :func:`stop`."""
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    return thread


def stop(
    server: Any,
    gate: StreamGate | None = None,
    loop: threading.Thread | None = None,
    timeout: float = 5.0,
) -> bool:
    """Stop a server of :func:`create_server` for good; True if every worker finished.

    In this order: stop listening, end the held requests (``gate``), join the worker threads,
    and only then close the connections and the trigger pipe, so that no worker is left to
    write into a descriptor number that a later file reuses (see the module docstring). If a
    worker outlives ``timeout`` the pipe is kept open instead, until the process ends.
    ``loop``: the thread running ``server.run()`` (:func:`start`); descriptors are closed on
    it, between two ``select()`` calls, and it ends once they are all closed. Without a live
    loop (``run()`` on this thread has returned) they are closed here.
    """
    from waitress import wasyncore

    _on_loop(server, loop, lambda: wasyncore.dispatcher.close(server), timeout)  # listener
    if gate is not None:
        gate.close()
    finished = server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
    if not finished:
        log.warning("hub server: worker threads still running after %.1f s", timeout)

    def close_the_rest() -> None:
        for channel in list(server.active_channels.values()):
            channel.close()
        if finished:
            server.trigger.close()
        else:
            server.trigger.del_channel()
            _kept_open.append(server.trigger)

    _on_loop(server, loop, close_the_rest, timeout)
    if loop is not None:
        loop.join(timeout)
    return finished


def _on_loop(server: Any, loop: threading.Thread | None, fn: Any, timeout: float) -> None:
    """``fn()`` on the loop thread (a descriptor closed under its running ``select()`` makes
    it fail with EBADF), or here when no loop runs."""
    if loop is None or not loop.is_alive():
        fn()
        return
    done = threading.Event()

    def thunk() -> None:
        try:
            fn()
        finally:
            done.set()

    server.trigger.pull_trigger(thunk)
    if not done.wait(timeout):
        log.warning("hub server: its loop did not run the stop within %.1f s", timeout)
