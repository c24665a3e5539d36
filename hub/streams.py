"""How many held requests (SSE streams, changes long-polls) the hub keeps open at once.

A held request occupies a thread for as long as it is open. ``hub.serving`` gives them a pool
of their own so they never take a command's thread; this gate keeps that pool from filling up:
above its caps a stream is answered at once with 503 ``too_many_streams`` and ``Retry-After``
(429 above the per-client cap), which costs a few milliseconds of a spare thread of the same
pool. Reasons and figures: ``docs/streams.md``.

Kinds: ``"sse"`` (``GET /api/v1/stream``, public: keyed by client address) and
``"longpoll"`` (``GET /api/v1/sync/changes?wait=N``, N > 0, authenticated: keyed by caller id).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from flask import Response, jsonify

from hub.errors import error_body

SSE_PATH = "/api/v1/stream"
CHANGES_PATH = "/api/v1/sync/changes"
KINDS = ("sse", "longpoll")
# A node's old long-poll may still be held (its link died, it restarted) when it asks again.
LONGPOLLS_PER_CALLER = 2
# Threads of the stream pool beyond the caps: the excess is refused by these, at once.
SPARE_THREADS = 4
RETRY_AFTER_S = 5
# How often a held request looks whether the server is stopping (hub.serving.stop joins the
# threads: a long-poll must not keep a stop waiting for its whole ``wait``).
WAKE_S = 1.0


@dataclass(frozen=True)
class Caps:
    """``[hub] max_streams``, ``max_streams_per_ip`` and ``max_longpolls``."""

    streams: int = 32
    streams_per_ip: int = 8
    longpolls: int = 128

    @property
    def pool_threads(self) -> int:
        """Threads the stream pool needs so that a held request never waits for one."""
        return self.streams + self.longpolls + SPARE_THREADS

    def total(self, kind: str) -> int:
        return self.streams if kind == "sse" else self.longpolls

    def per_key(self, kind: str) -> int:
        return self.streams_per_ip if kind == "sse" else LONGPOLLS_PER_CALLER


def caps_of(hub_cfg: object) -> Caps:
    default = Caps()
    return Caps(
        streams=int(getattr(hub_cfg, "max_streams", default.streams)),
        streams_per_ip=int(getattr(hub_cfg, "max_streams_per_ip", default.streams_per_ip)),
        longpolls=int(getattr(hub_cfg, "max_longpolls", default.longpolls)),
    )


def is_held(path: str, query: str) -> bool:
    """Whether a request may be held open (decided before the app sees it, by
    ``hub.serving``): the SSE stream, and a changes request that asks to wait."""
    if path == SSE_PATH:
        return True
    if path != CHANGES_PATH:
        return False
    wait = parse_qs(query or "").get("wait", ["0"])[-1]
    try:
        return float(wait) > 0
    except ValueError:
        return False  # the route answers 422 at once


class StreamGate:
    """Counts held requests per kind and per key (client address or caller id)."""

    def __init__(self, caps: Caps):
        self.caps = caps
        self._open: dict[tuple[str, str], int] = {}
        self._total = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def enter(self, kind: str, key: str) -> str | None:
        """Take a place; None when taken, else why not (``"full"``, ``"per_client"`` or
        ``"closing"``)."""
        with self._lock:
            if self._closing.is_set():
                return "closing"
            if self._total[kind] >= self.caps.total(kind):
                return "full"
            if self._open.get((kind, key), 0) >= self.caps.per_key(kind):
                return "per_client"
            self._open[(kind, key)] = self._open.get((kind, key), 0) + 1
            self._total[kind] += 1
            return None

    def leave(self, kind: str, key: str) -> None:
        with self._lock:
            left = self._open.get((kind, key), 0) - 1
            if left < 0:
                return
            self._total[kind] -= 1
            if left:
                self._open[(kind, key)] = left
            else:
                self._open.pop((kind, key), None)

    def held(self, kind: str, key: str | None = None) -> int:
        with self._lock:
            return self._total[kind] if key is None else self._open.get((kind, key), 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._total)

    def wait(self, authority: Any, hseq: int, timeout: float) -> bool:
        """``authority.wait_for(hseq, timeout)`` that :meth:`close` cuts short (within
        ``WAKE_S``); True if records after ``hseq`` came."""
        deadline = time.monotonic() + timeout
        while not self._closing.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if authority.wait_for(hseq, min(left, WAKE_S)):
                return True
        return False

    def close(self) -> None:
        """The server is stopping: held requests end, new ones are refused."""
        self._closing.set()

    @property
    def closing(self) -> bool:
        return self._closing.is_set()


def refusal(kind: str, why: str, caps: Caps) -> tuple[Response, int]:
    """503 (every place taken) or 429 (this client holds its share), with Retry-After in the
    header and as ``retry_after_s`` in the body (a node's transport reads only the body)."""
    what = "streams" if kind == "sse" else "long-polls"
    if why == "per_client":
        message = f"at most {caps.per_key(kind)} open {what} per client; close one or retry later"
        status = 429
    elif why == "closing":
        message = "the hub is stopping; retry later"
        status = 503
    else:
        message = f"all {caps.total(kind)} places for open {what} are taken; retry later"
        status = 503
    body = {**error_body("too_many_streams", message), "retry_after_s": RETRY_AFTER_S}
    response = jsonify(body)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response, status
