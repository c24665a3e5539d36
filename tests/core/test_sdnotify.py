"""core.sdnotify speaks systemd's datagram protocol (a socket stands in for systemd)."""

from __future__ import annotations

import os
import socket

from core.sdnotify import Watchdog, notify, watchdog_interval_s


def test_notify_sends_the_state_to_the_socket(tmp_path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        assert notify("READY=1", {"NOTIFY_SOCKET": path})
        assert server.recv(64) == b"READY=1"


def test_outside_systemd_nothing_happens() -> None:
    assert notify("READY=1", {}) is False
    assert watchdog_interval_s({}) is None
    assert Watchdog(env={}).start() is False


def test_the_watchdog_interval_is_for_this_process_only() -> None:
    env = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval_s(env) == 20.0
    assert watchdog_interval_s({**env, "WATCHDOG_PID": "1"}) is None


def test_pings_stop_when_the_process_is_not_alive(tmp_path) -> None:
    path = str(tmp_path / "notify")
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000", "WATCHDOG_PID": str(os.getpid())}
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(5)
        alive = [True]
        dog = Watchdog(lambda: alive[0], env)
        assert dog.start()
        assert server.recv(64) == b"WATCHDOG=1"
        alive[0] = False
        dog.stop()
