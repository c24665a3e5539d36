"""``GET /api/v1/stream``: the hub log as Server-Sent Events, for browsers and hall boards.

Frames: first ``retry: 2000`` and ``event: hello`` ``{hub_epoch, last_hseq, hub_ms}``, then one
``id: <hseq>`` / ``event: record`` / ``data: <record json>`` per record after ``Last-Event-ID``
(header, or ``?last_event_id=`` for a first connect), and ``: heartbeat`` when nothing happened
for ``LOKET_SSE_HEARTBEAT_S`` seconds, so a dead client is noticed at the next write.

Each open stream holds one waitress thread for its lifetime (docs/hardware.md "Web push"), so
streams are capped per client address (``LOKET_SSE_MAX_PER_IP``; 429 above it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from flask import Flask, Response, current_app, jsonify, request

from hub.errors import error_body
from hub.views import without_survey_answers


class StreamLimiter:
    """Counts open streams per client address."""

    def __init__(self, per_ip: int):
        self.per_ip = per_ip
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, addr: str) -> bool:
        with self._lock:
            if self._open.get(addr, 0) >= self.per_ip:
                return False
            self._open[addr] = self._open.get(addr, 0) + 1
            return True

    def release(self, addr: str) -> None:
        with self._lock:
            left = self._open.get(addr, 0) - 1
            if left > 0:
                self._open[addr] = left
            else:
                self._open.pop(addr, None)

    def count(self, addr: str) -> int:
        with self._lock:
            return self._open.get(addr, 0)


def frame(data: dict, *, event: str, id_: int | None = None) -> str:
    head = f"id: {id_}\n" if id_ is not None else ""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"{head}event: {event}\ndata: {text}\n\n"


def _resume_point(last_hseq: int) -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or ""
    try:
        value = int(raw.strip())
    except ValueError:
        return last_hseq  # a new client starts at "now"; it loads /api/v1/state first
    if value > last_hseq:
        # Only possible for a client of an earlier hub epoch (restored hub): waiting for that
        # hseq would silently skip records, so start at "now"; hello's hub_epoch tells it to
        # reload the state.
        return last_hseq
    return max(0, value)


def register(app: Flask) -> None:
    limiter = StreamLimiter(int(app.config["LOKET_SSE_MAX_PER_IP"]))
    app.extensions["loket_streams"] = limiter

    @app.get("/api/v1/stream")
    def stream() -> Response:
        authority = current_app.extensions["loket"]
        heartbeat = float(current_app.config["LOKET_SSE_HEARTBEAT_S"])
        retry = int(current_app.config["LOKET_SSE_RETRY_MS"])
        addr = request.remote_addr or "?"
        if not limiter.acquire(addr):
            body = error_body("too_many_streams", f"at most {limiter.per_ip} streams per client")
            return jsonify(body), 429
        since = _resume_point(authority.last_hseq)

        def generate() -> Iterator[str]:
            nonlocal since
            try:
                hello = {
                    "hub_epoch": authority.epoch,
                    "last_hseq": authority.last_hseq,
                    "hub_ms": authority.now_ms(),
                }
                yield f"retry: {retry}\n" + frame(hello, event="hello")
                while True:
                    records = authority.records_since(since, 200)
                    for record in records:
                        public = without_survey_answers(record)
                        yield frame(public, event="record", id_=record["hseq"])
                        since = record["hseq"]
                    if records:
                        continue
                    if not authority.wait_for(since, heartbeat):
                        yield ": heartbeat\n\n"
            finally:
                # Runs when the client went away (the next write failed) or the server closes.
                limiter.release(addr)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(generate(), mimetype="text/event-stream", headers=headers)
