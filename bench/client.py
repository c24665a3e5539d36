"""A keep-alive JSON client over http.client, one per load-generator thread.

Why not urllib: it opens a new TCP connection per request, which would measure
connection set-up instead of the hub (issue 4 note).
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any


class Client:
    """One persistent connection to the hub on loopback; reconnects once on a dropped socket."""

    def __init__(self, host: str, port: int, token: str | None = None, timeout: float = 30.0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"benchmarks load loopback addresses only, got {host!r}")
        self.host, self.port, self.timeout = host, port, timeout
        self.token = token
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        retry: bool = True,
    ) -> tuple[int, Any, float]:
        """(status, decoded JSON or raw text, seconds from send to the whole body read).

        retry=False for a long-poll that another thread may cut short on purpose.
        """
        headers = {"Accept": "application/json"}
        tok = token or self.token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            conn = self._connection()
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                # A keep-alive socket the server closed: retry once on a fresh one.
                self.close()
                if attempt or not retry:
                    raise
                continue
            elapsed = time.perf_counter() - t0
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                decoded: Any = json.loads(raw) if raw else None
            except ValueError:
                decoded = raw.decode("utf-8", "replace")
            return resp.status, decoded, elapsed
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
