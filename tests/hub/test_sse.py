"""GET /api/v1/stream: hello frame, records with id: hseq, Last-Event-ID resume, heartbeat, cap."""

from __future__ import annotations

import json

import pytest

from hub.streams import Caps, is_held


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
    sent = frame["data"]["event"]
    # An anonymous reader gets the ticket without its public id (the key to its status page).
    assert "public" not in sent["body"] and second["event"]["body"]["public"]
    assert sent == {**second["event"], "body": without_public(second["event"]["body"])}


def without_public(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "public"}


def test_a_token_holder_gets_whole_records(client, auth, open_stream):
    stream = open_stream(auth("viewer"))
    stream.next()
    issued = issue(client, auth, "r1")
    assert (
        stream.next_record()["data"]["event"]["body"]["public"] == issued["event"]["body"]["public"]
    )


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
    gate = app.extensions["loket_streams"]
    gate.caps = Caps(streams=4, streams_per_ip=1)
    first = open_stream()
    first.next()
    refused = client.get("/api/v1/stream", buffered=False)
    assert refused.status_code == 429
    assert refused.json["error"] == "too_many_streams"
    assert refused.headers["Retry-After"] == str(refused.json["retry_after_s"])
    first.close()
    assert gate.held("sse", "127.0.0.1") == 0
    again = open_stream()
    assert again.next()["event"] == "hello"


def test_streams_in_all_are_capped_with_503_and_retry_after(app, client, open_stream):
    gate = app.extensions["loket_streams"]
    gate.caps = Caps(streams=2, streams_per_ip=8)
    held = [open_stream(), open_stream()]
    for stream in held:
        stream.next()
    refused = client.get("/api/v1/stream", buffered=False)
    assert refused.status_code == 503
    assert refused.json["error"] == "too_many_streams" and refused.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200
    held[0].close()
    assert open_stream().next()["event"] == "hello"


def test_long_polls_over_their_cap_are_refused_at_once(app, client, auth, seed):
    gate = app.extensions["loket_streams"]
    gate.caps = Caps(longpolls=1)
    assert gate.enter("longpoll", "someone") is None  # the one place, held elsewhere
    r = client.get(f"/api/v1/sync/changes?since={seed}&wait=20", headers=auth("C1"))
    assert r.status_code == 503 and r.json["retry_after_s"] > 0
    # a pull that does not wait is never refused, and the place is given back after a wait
    assert client.get(f"/api/v1/sync/changes?since={seed}", headers=auth("C1")).status_code == 200
    gate.leave("longpoll", "someone")
    issue(client, auth, "r1")
    r = client.get(f"/api/v1/sync/changes?since={seed}&wait=20", headers=auth("C1"))
    assert r.status_code == 200 and len(r.json["results"]) == 1
    assert gate.held("longpoll") == 0


def test_held_requests_are_told_apart_from_commands():
    assert is_held("/api/v1/stream", "")
    assert is_held("/api/v1/sync/changes", "since=3&wait=25")
    assert not is_held("/api/v1/sync/changes", "since=3&wait=0")
    assert not is_held("/api/v1/sync/changes", "since=3")
    assert not is_held("/api/v1/sync/changes", "wait=soon")
    assert not is_held("/api/v1/tickets", "wait=25")


def test_last_event_id_from_a_bigger_older_log_starts_at_now(client, auth, open_stream, seed):
    issue(client, auth, "r1")
    stream = open_stream({"Last-Event-ID": "500"})
    assert stream.next()["data"]["last_hseq"] == seed + 1
    issue(client, auth, "r2")
    assert stream.next_record()["id"] == str(seed + 2)
