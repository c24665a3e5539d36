"""`loket demo` end to end: a ticket issued through the API and called from a simulated
counter reaches the board, the counter's LED, the hall display and its speaker."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from core.announce import call_clips
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
    running = demo_mod.start(tmp_path / "demo", 0, out=out, open_all_day=True)
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
    zone_urls = [f"{demo.base_url}/board?zone={z}" for z in demo.zones]
    assert re.findall(r"Zone board +(\S+)", text) == zone_urls


def test_restart_continues_the_same_day(tmp_path: Path) -> None:
    first = demo_mod.start(tmp_path / "d", 0, out=Out(), open_all_day=True)
    try:
        _, one = _post(
            f"{first.base_url}/api/v1/tickets", first.api_token, {"req": "r1", "service": "D"}
        )
    finally:
        first.stop()
    second = demo_mod.start(tmp_path / "d", 0, out=Out(), open_all_day=True)
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
    demo_mod.handle(demo, "x/z", demo.out)
    demo_mod.handle(demo, "xyz", demo.out)
    assert "unknown counter or key" in demo.out.getvalue()
    assert "unknown command 'x/z'" in demo.out.getvalue()
    assert "no service with prefix 'XYZ'" in demo.out.getvalue()


FULL = demo_mod.demo_hub_profile().with_name("mpp-banyumas.toml")


def _hub_state(demo) -> dict:
    with urllib.request.urlopen(f"{demo.base_url}/api/v1/state", timeout=10) as resp:
        return json.load(resp)["state"]


def _until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_full_size_profile_keyboard_reaches_every_service_and_counter(tmp_path, capsys):
    """loket demo --profile mpp-banyumas.toml: 30 services typed by prefix, 25 counters by
    loket number, two kiosks and two hall displays telling the terminal who did what."""
    out = Out(capsys)
    # The shipped profile, but this keyboard types 62 visitors a second at one kiosk: the
    # hub's per-kiosk issue limit (30 a minute, [hub] issue_per_min) would turn most away.
    profile = tmp_path / "mpp-banyumas.toml"
    text = FULL.read_text(encoding="utf-8")
    profile.write_text(text.replace("[hub]\n", "[hub]\nissue_per_min = 0\n", 1))
    demo = demo_mod.start(tmp_path / "full", 0, out=out, profile=profile)
    try:
        text = demo_mod.banner(demo)
        assert "Mal Pelayanan Publik Kabupaten Banyumas" in text
        assert "loket 1-25 (C<number>)" in text and '"st@K2" at K2' in text
        assert "status = node status" in text  # "st" is Samsat's ST here
        # one board URL per zone of the profile, each a board the hub serves
        zone_urls = re.findall(r"Zone board +(\S+)", text)
        assert zone_urls == [f"{demo.base_url}/board?zone={z}" for z in ("lantai-1", "lantai-2")]
        client = demo.app.test_client()
        for url in zone_urls:
            assert client.get(url.removeprefix(demo.base_url)).status_code == 200
        prefixes = list(demo.prefixes)
        assert len(prefixes) == 30

        demo_mod.handle(demo, "sk", out)  # SKCK at the lobby kiosk
        assert out.wait_for("[printer K1] SK-"), out.getvalue()
        demo_mod.handle(demo, "SK @ k2", out)  # case and spaces do not matter
        assert out.wait_for("[printer K2] SK-")
        demo_mod.handle(demo, "a2@K2", out)  # K2 (floor 2) does not issue Dukcapil numbers
        assert "kiosk 'K2' does not offer A2 (offered at K1)" in out.getvalue()
        demo_mod.handle(demo, "status", out)
        assert "K2: online=True" in out.getvalue()

        for prefix in prefixes:  # two visitors for every service
            demo_mod.handle(demo, prefix.lower(), out)
            demo_mod.handle(demo, prefix.lower(), out)

        def two_waiting_everywhere():
            waiting = _hub_state(demo)["waiting"]
            return len(waiting) == 30 and all(len(v) >= 2 for v in waiting.values())

        assert _until(two_waiting_everywhere), _hub_state(demo)["waiting"].keys()

        for number in range(1, 26):
            demo_mod.handle(demo, f"{number}n", out)
        counters = _until(
            lambda: (
                (c := _hub_state(demo)["counters"])
                and all(c[f"C{n}"]["current"] for n in range(1, 26))
                and c
            )
        )
        assert counters, _hub_state(demo)["counters"]
        sk = counters["C15"]["label"]
        assert sk.startswith("SK-")
        assert out.wait_for(f"[LED] C15 [  {sk}"), out.getvalue()
        spoken = " ".join(call_clips(sk, 15))  # huruf_s huruf_k ... loket lima belas
        assert out.wait_for(f"[sound D2] {spoken}")  # loket 15 is upstairs (lantai-2)
        ground = " ".join(call_clips(counters["C1"]["label"], 1))
        assert out.wait_for(f"[sound D1] {ground}")  # the ground floor's screen says its own
        demo_mod.handle(demo, "15r", out)  # a recall puts it on top of the upstairs screen
        assert out.wait_for(f"[screen D2] {sk} -> loket 15"), out.getvalue()[-2000:]
        # Zones: the ground floor's screen neither shows nor says an upstairs call.
        assert f"[sound D1] {spoken}" not in out.getvalue()
        assert f"[screen D1] {sk} ->" not in out.getvalue()

        demo_mod.handle(demo, "15d", out)
        demo_mod.handle(demo, "154", out)  # loket 15, rating 4 (the last digit)
        auth = demo.app.extensions["loket"]

        def rated():
            with auth.store.lock:
                return auth.state.tickets[counters["C15"]["current"]].rating

        assert _until(rated) == 4
    finally:
        demo.stop()


def test_default_data_folder_is_per_profile():
    assert demo_mod.default_data(None) == Path("var/demo")
    assert demo_mod.default_data(demo_mod.demo_hub_profile()) == Path("var/demo")
    assert demo_mod.default_data(FULL) == Path("var/demo-mpp-banyumas")


def test_the_api_token_survives_a_restart_and_each_curl_paste_is_a_new_ticket(tmp_path) -> None:
    import re
    import shutil
    import subprocess

    first = demo_mod.start(tmp_path / "d", 0, out=Out(), open_all_day=True)
    token = first.api_token
    first.stop()
    second = demo_mod.start(tmp_path / "d", 0, out=Out(), open_all_day=True)
    try:
        assert second.api_token == token  # yesterday's pasted curl lines still work
        text = demo_mod.banner(second)
        line = re.search(r"(curl -s -X POST \S+/api/v1/tickets .*?\}')", text, re.S).group(1)
        if shutil.which("curl") is None:
            pytest.skip("no curl here")
        command = line.replace("\\\n", " ")
        labels = [
            json.loads(subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                                      timeout=30, check=True).stdout)["ticket"]["label"]
            for _ in range(2)
        ]  # fmt: skip
        assert labels[0] != labels[1]  # a fresh req each paste
    finally:
        second.stop()
