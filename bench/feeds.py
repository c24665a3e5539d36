"""Subscribers that timestamp hub records as they arrive: an SSE stream and a long-poll.

Arrivals are keyed by the event's `req`, which the benchmark chose, so the
subscriber needs no clock shared with the hub.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

from bench.client import Client


class _Subscriber:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.records = 0
        self.error: str | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _seen(self, record: dict[str, Any], now: float) -> None:
        event = record.get("event") or {}
        req = event.get("req")
        with self._cond:
            self.records += 1
            if req and req not in self.arrivals:
                self.arrivals[req] = now
            self._cond.notify_all()

    def wait_for(self, req: str, timeout: float) -> float | None:
        """The arrival time of `req` (perf_counter), or None after `timeout` seconds."""
        end = time.perf_counter() + timeout
        with self._cond:
            while req not in self.arrivals:
                left = end - time.perf_counter()
                if left <= 0 or self.error:
                    return None
                self._cond.wait(left)
            return self.arrivals[req]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._guarded, daemon=True)
        self._thread.start()

    def _guarded(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - reported in the JSON, not raised in a thread
            if not self._stop.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
                with self._cond:
                    self._cond.notify_all()

    def _run(self) -> None:
        raise NotImplementedError


class SseSubscriber(_Subscriber):
    """GET /api/v1/stream, parsed line by line as a browser's EventSource would."""

    def __init__(self, host: str, port: int, max_s: float = 600.0):
        super().__init__()
        self.host, self.port, self.max_s = host, port, max_s
        self.connected = threading.Event()
        self.hello: dict[str, Any] | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._sock: Any = None

    def _run(self) -> None:
        # The socket timeout bounds each read: a hub that stops sending ends this thread.
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self._conn.request("GET", "/api/v1/stream", headers={"Accept": "text/event-stream"})
        # Keep the socket: http.client hands it to the response (conn.sock becomes None)
        # when the stream has no length, and stop() must be able to cut it.
        self._sock = self._conn.sock
        resp = self._conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"/api/v1/stream answered {resp.status}")
        self.connected.set()
        try:
            self._read(resp)
        finally:
            resp.close()

    def _read(self, resp: http.client.HTTPResponse) -> None:
        end = time.monotonic() + self.max_s
        event_name, data = "message", []
        while not self._stop.is_set() and time.monotonic() < end:
            line = resp.readline()
            now = time.perf_counter()
            if not line:
                break
            text = line.decode("utf-8").rstrip("\r\n")
            if text == "":
                if data:
                    payload = json.loads("\n".join(data))
                    if event_name == "hello":
                        self.hello = payload
                    elif isinstance(payload, dict):
                        self._seen(payload, now)
                event_name, data = "message", []
            elif text.startswith("data:"):
                data.append(text[5:].lstrip(" "))
            elif text.startswith("event:"):
                event_name = text[6:].strip()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            # Shutting the socket down wakes the blocked readline.
            try:
                self._sock.shutdown(2)
            except OSError:
                pass
        if self._conn is not None:
            self._conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()


class LongPollSubscriber(_Subscriber):
    """GET /api/v1/sync/changes?since=N&wait=W in a loop, as a node's feed does."""

    def __init__(self, client: Client, since: int = 0, wait_s: int = 25, max_s: float = 600.0):
        super().__init__()
        self.client, self.since, self.wait_s, self.max_s = client, since, wait_s, max_s
        self.polls = 0

    def _run(self) -> None:
        end = time.monotonic() + self.max_s
        while not self._stop.is_set() and time.monotonic() < end:
            status, body, _ = self.client.request(
                "GET",
                f"/api/v1/sync/changes?since={self.since}&limit=500&wait={self.wait_s}",
                retry=False,
            )
            now = time.perf_counter()
            self.polls += 1
            if status != 200 or not isinstance(body, dict):
                raise RuntimeError(f"/api/v1/sync/changes answered {status}: {body!r:.200}")
            for record in body.get("results", []):
                self._seen(record, now)
            # Advance by what arrived, not by last_hseq: a commit between reading the records
            # and answering makes last_hseq run ahead, and skipping to it would lose a record.
            results = body.get("results") or []
            if results:
                self.since = max(self.since, int(results[-1]["hseq"]))

    def stop(self) -> None:
        self._stop.set()
        # A poll in flight returns within wait_s; closing the socket ends it sooner.
        sock = getattr(self.client._conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(2)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=self.wait_s + 5)
        self.client.close()
