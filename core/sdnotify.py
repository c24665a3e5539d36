"""systemd's notify protocol (``sd_notify``), stdlib only: READY=1 and watchdog pings.

The units ``setup.sh --pi`` installs are ``Type=notify`` with ``WatchdogSec``: systemd
counts the service started only once it said READY (the hub has bound its port, the node
has booted its role), and restarts it when the pings stop, which is what a hung process
(a deadlocked worker, a wedged driver) looks like from outside; ``Restart=on-failure``
alone only catches a process that exits. Outside systemd (no ``$NOTIFY_SOCKET``) every
call here does nothing, so a developer's ``loket hub serve`` is unchanged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(state: str, env: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to systemd; False when not under systemd."""
    env = os.environ if env is None else env
    path = env.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):  # an abstract socket
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall(state.encode())
        return True
    except OSError as exc:
        log.warning("cannot notify systemd (%s): %s", state, exc)
        return False


def extend_start(seconds: float, status: str, env: dict[str, str] | None = None) -> bool:
    """Ask systemd for ``seconds`` more before it gives up on a start still under way (a
    long journal replay): without it a ``Type=notify`` unit is killed after
    ``TimeoutStartSec`` and begins the same replay again, forever."""
    return notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}\nSTATUS={status}", env)


def watchdog_interval_s(env: dict[str, str] | None = None) -> float | None:
    """``WatchdogSec`` as systemd passed it (``$WATCHDOG_USEC``, for this PID), or None."""
    env = os.environ if env is None else env
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec) / 1_000_000
    except ValueError:
        return None
    return value if value > 0 else None


class Watchdog:
    """Pings ``WATCHDOG=1`` at half the interval while ``alive()`` says the process works.

    ``alive`` is the process's own judgement (the node: its worker thread still runs); when
    it turns False the pings stop and systemd restarts the service after ``WatchdogSec``.
    """

    def __init__(self, alive: Callable[[], bool] = lambda: True, env: dict | None = None):
        self.alive = alive
        self.env = env
        self.interval = watchdog_interval_s(env)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if self.interval is None:
            return False
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        assert self.interval is not None
        while not self._stop.wait(self.interval / 2):
            try:
                if self.alive():
                    notify("WATCHDOG=1", self.env)
            except Exception:  # noqa: BLE001 - a failing check means no ping: systemd acts
                log.exception("watchdog liveness check failed")


def ready(alive: Callable[[], bool] = lambda: True) -> Watchdog:
    """READY=1 and the watchdog pinger started (if systemd asked for one)."""
    notify("READY=1")
    dog = Watchdog(alive)
    dog.start()
    return dog
