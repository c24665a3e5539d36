"""`loket demo` end to end: a ticket issued through the API and called from a simulated
counter reaches the board, the counter's LED, the hall display and its speaker."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from loket import demo as demo_mod


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.load(resp)


class Out(io.StringIO):
    """The demo's terminal; lets a test wait until a line shows up.

    The console printer/screen/speaker fakes print() to stdout: ``capture`` (pytest's capsys)
    is read too, so their lines count as well.
    """

    def __init__(self, capture: pytest.CaptureFixture | None = None) -> None:
        super().__init__()
        self.changed = threading.Condition()
        self.capture = capture
        self.captured = ""

    def write(self, s: str) -> int:
        with self.changed:
            n = super().write(s)
            self.changed.notify_all()
        return n

    def seen(self, text: str) -> bool:
        if self.capture is not None:
            self.captured += self.capture.readouterr().out
        return text in self.getvalue() or text in self.captured

    def wait_for(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not self.seen(text):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.05))
        return True


@pytest.fixture
def demo(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = Out(capsys)
    running = demo_mod.start(tmp_path / "demo", 0, out=out)
    running.out = out
    yield running
    running.stop()


def test_api_ticket_called_at_a_counter_reaches_board_led_and_speaker(demo) -> None:
    status, issued = _post(
        f"{demo.base_url}/api/v1/tickets", demo.api_token, {"req": "t-1", "service": "B"}
    )
    assert status == 201
    label = issued["ticket"]["label"]
    assert label.startswith("B-")

    demo_mod.handle(demo, "1n", demo.out)  # NEXT on the simulated loket 1 (serves A and B)

    assert demo.out.wait_for(f"C1 [   {label}"), demo.out.getvalue()
    assert demo.out.wait_for(f"[screen] {label} -> loket 1"), demo.out.getvalue()
    assert demo.out.wait_for("[sound] chime nomor_antrian huruf_b")
    with urllib.request.urlopen(f"{demo.base_url}/board", timeout=10) as resp:
        assert label in resp.read().decode()


def test_kiosk_key_prints_a_ticket_and_curl_lines_carry_a_working_token(demo) -> None:
    demo_mod.handle(demo, "a", demo.out)
    assert demo.out.wait_for("[printer] A-"), demo.out.getvalue()
    text = demo_mod.banner(demo)
    assert f"Bearer {demo.api_token}" in text
    assert f"{demo.base_url}/board" in text


def test_restart_continues_the_same_day(tmp_path: Path) -> None:
    first = demo_mod.start(tmp_path / "d", 0, out=Out())
    try:
        _, one = _post(
            f"{first.base_url}/api/v1/tickets", first.api_token, {"req": "r1", "service": "D"}
        )
    finally:
        first.stop()
    second = demo_mod.start(tmp_path / "d", 0, out=Out())
    try:
        _, two = _post(
            f"{second.base_url}/api/v1/tickets", second.api_token, {"req": "r2", "service": "D"}
        )
        with urllib.request.urlopen(f"{second.base_url}/api/v1/state", timeout=10) as resp:
            state = json.load(resp)
    finally:
        second.stop()
    assert two["ticket"]["number"] == one["ticket"]["number"] + 1
    waiting = [t["label"] for t in state["state"]["waiting"]["D"]]
    assert one["ticket"]["label"] in waiting and two["ticket"]["label"] in waiting


def test_unknown_console_command_says_so(demo) -> None:
    demo_mod.handle(demo, "9z", demo.out)
    demo_mod.handle(demo, "xyz", demo.out)
    assert "unknown counter or key" in demo.out.getvalue()
    assert "unknown command 'xyz'" in demo.out.getvalue()
