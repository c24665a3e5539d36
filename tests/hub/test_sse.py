"""GET /api/v1/stream: hello frame, records with id: hseq, Last-Event-ID resume, heartbeat, cap."""

from __future__ import annotations

import json

import pytest


class Frames:
    """Reads SSE frames from a streaming test response (blocking; heartbeats keep it moving)."""

    def __init__(self, response):
        self.response = response
        self._chunks = iter(response.response)
        self._buffer = ""

    def next(self) -> dict:
        while "\n\n" not in self._buffer:
            self._buffer += next(self._chunks).decode()
        raw, self._buffer = self._buffer.split("\n\n", 1)
        frame: dict = {"comment": []}
        for line in raw.split("\n"):
            if line.startswith(":"):
                frame["comment"].append(line[1:].strip())
            else:
                key, _, value = line.partition(": ")
                frame[key] = value
        if "data" in frame:
            frame["data"] = json.loads(frame["data"])
        return frame

    def next_record(self) -> dict:
        while True:
            frame = self.next()
            if frame.get("event") == "record":
                return frame

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def open_stream(client):
    opened: list[Frames] = []

    def open_(headers=None, query=""):
        r = client.get(f"/api/v1/stream{query}", headers=headers or {}, buffered=False)
        if r.status_code != 200:
            return r
        frames = Frames(r)
        opened.append(frames)
        return frames

    yield open_
    for frames in opened:
        frames.close()


def issue(client, auth, req):
    r = client.post("/api/v1/tickets", json={"req": req, "service": "B"}, headers=auth())
    assert r.status_code == 201
    return r.json


def test_hello_then_live_records(client, auth, authority, open_stream, seed):
    issue(client, auth, "r1")
    stream = open_stream()
    assert stream.response.mimetype == "text/event-stream"
    hello = stream.next()
    assert hello["retry"] == "2000"
    assert hello["event"] == "hello"
    assert hello["data"]["hub_epoch"] == authority.epoch
    assert hello["data"]["last_hseq"] == seed + 1
    # A client without Last-Event-ID starts at "now": the old record is not replayed.
    second = issue(client, auth, "r2")
    frame = stream.next_record()
    assert frame["id"] == str(seed + 2)
    assert frame["data"]["event"] == second["event"]


def test_last_event_id_resumes_after_that_record(client, auth, open_stream, seed):
    for n in range(1, 4):
        issue(client, auth, f"r{n}")
    stream = open_stream({"Last-Event-ID": str(seed + 1)})
    stream.next()  # hello
    assert [stream.next_record()["id"] for _ in range(2)] == [str(seed + 2), str(seed + 3)]


def test_query_parameter_resume_from_zero(client, auth, open_stream, seed):
    issue(client, auth, "r1")
    stream = open_stream(query="?last_event_id=0")
    stream.next()
    first = stream.next_record()["data"]["event"]
    assert first["type"] == "catalogue.set" and first["body"]["kind"] == "mpp"  # the seed
    for _ in range(seed - 1):
        stream.next_record()
    assert stream.next_record()["data"]["event"]["req"] == "r1"


def test_heartbeat_when_idle(open_stream):
    stream = open_stream()
    stream.next()  # hello
    assert stream.next()["comment"] == ["heartbeat"]


def test_streams_per_client_are_capped(app, client, open_stream):
    limiter = app.extensions["loket_streams"]
    limiter.per_ip = 1
    first = open_stream()
    first.next()
    refused = client.get("/api/v1/stream", buffered=False)
    assert refused.status_code == 429
    assert refused.json["error"] == "too_many_streams"
    first.close()
    assert limiter.count("127.0.0.1") == 0
    again = open_stream()
    assert again.next()["event"] == "hello"


def test_last_event_id_from_a_bigger_older_log_starts_at_now(client, auth, open_stream, seed):
    issue(client, auth, "r1")
    stream = open_stream({"Last-Event-ID": "500"})
    assert stream.next()["data"]["last_hseq"] == seed + 1
    issue(client, auth, "r2")
    assert stream.next_record()["id"] == str(seed + 2)
