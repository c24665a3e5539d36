"""``GET /api/v1/stream``: the hub log as Server-Sent Events, for browsers and hall boards.

Frames: first ``retry: 2000`` and ``event: hello`` ``{hub_epoch, last_hseq, hub_ms}``, then one
``id: <hseq>`` / ``event: record`` / ``data: <record json>`` per record after ``Last-Event-ID``
(header, or ``?last_event_id=`` for a first connect), and ``: heartbeat`` when nothing happened
for ``LOKET_SSE_HEARTBEAT_S`` seconds, so a dead client is noticed at the next write.

Each open stream holds one thread for its lifetime, of the stream pool (``hub.serving``), never
one that issues tickets; ``hub.streams.StreamGate`` caps them in all (``[hub] max_streams``,
503 above it) and per client address (``max_streams_per_ip``, 429), both with Retry-After.
Anonymous readers get ``ticket.issued`` without its ``public`` id (``hub.views.
without_public_id``): that id opens one visitor's status page; token holders get it whole.
Every reader gets ``survey.answered`` with an empty body (``hub.views.without_survey_answers``):
the SKM is anonymous.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Flask, Response, current_app, request

from hub.auth import optional_caller
from hub.streams import StreamGate, refusal
from hub.views import without_public_id, without_survey_answers


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


def register(app: Flask, gate: StreamGate) -> None:
    @app.get("/api/v1/stream")
    def stream() -> Response | tuple[Response, int]:
        authority = current_app.extensions["loket"]
        heartbeat = float(current_app.config["LOKET_SSE_HEARTBEAT_S"])
        retry = int(current_app.config["LOKET_SSE_RETRY_MS"])
        addr = request.remote_addr or "?"
        full_records = optional_caller() is not None
        refused = gate.enter("sse", addr)
        if refused:
            return refusal("sse", refused, gate.caps)
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
                        # survey answers stay anonymous to every reader, token holders too
                        shown = record if full_records else without_public_id(record)
                        shown = without_survey_answers(shown)
                        yield frame(shown, event="record", id_=record["hseq"])
                        since = record["hseq"]
                    if records:
                        continue
                    # The heartbeat is also what reaps a half-open client: the socket's
                    # TCP_USER_TIMEOUT (hub.serving) fails a write nobody acknowledges.
                    if not gate.wait(authority, since, heartbeat):
                        if gate.closing:
                            return  # the server is stopping (hub.serving.stop)
                        yield ": heartbeat\n\n"
            finally:
                # Runs when the client went away (the next write failed) or the server closes.
                gate.leave("sse", addr)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(generate(), mimetype="text/event-stream", headers=headers)
