"""Two-character prefixes end to end: SK-014 (SKCK) and A2-014 (Dukcapil), issued online, from
a standby lease and in prefix mode, go through the real backends the node profiles name: the
escpos bytes a kiosk prints, the TM1637 frames and the MAX7219 register bytes a counter drives
(gpiozero mock pins and a recorder in place of luma's SPI interface), the clips the hall plays
(which must exist in sounds/), and the hall board. A 7-segment counter cannot draw S or K: its
profile is refused with the key named, by `loket config check`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import Hub
from wires import RecordingInterface, decode_tm1637, recording_factory

pytest.importorskip("luma.led_matrix")

from core.announce import call_clips  # noqa: E402
from core.config import hub_config_from_dict, node_config_from_dict  # noqa: E402
from core.glyphs import SEGMENTS, UNDEFINED  # noqa: E402
from core.paths import sounds_dir  # noqa: E402
from node.hardware.display import make_display  # noqa: E402
from node.hardware.display_max7219 import to_max7219  # noqa: E402
from node.hardware.printer import make_printer  # noqa: E402
from node.hardware.screen import FakeScreen  # noqa: E402
from node.hardware.sound import FakeAnnouncer  # noqa: E402
from node.hardware.ticket_layout import BOLD_ON, SIZE_QUAD  # noqa: E402
from node.roles.base import Devices  # noqa: E402

DAY = "2026-11-28"
MATRIX_MODULES = 8


MALL = """
[mpp]
name = "MPP Kabupaten Uji"
timezone = "Asia/Jakarta"

[hub]
data_dir = "{data}"
threads = 8

[[agencies]]
id = "polres"
name = "Polres"

[[agencies]]
id = "dukcapil"
name = "Dukcapil"

[[services]]
id = "SK"
name = "SKCK"
agency = "polres"

[[services]]
id = "akta"
prefix = "A2"
name = "Akta Kelahiran"
agency = "dukcapil"

[[counters]]
id = "C1"
number = 1
services = ["SK"]
display = "matrix"

[[counters]]
id = "C2"
number = 2
services = ["akta"]

[[counters]]
id = "C3"
number = 3
services = ["akta"]

[[kiosks]]
id = "K1"
name = "Kiosk"
services = ["SK", "akta"]
lease_size = {lease_size}

[[displays]]
id = "D1"
name = "Layar aula"
"""


def mall(data_dir: Path, lease_size: int):
    """SKCK (SK) at loket 1 on a dot matrix; Dukcapil's A2 at loket 2 (TM1637, 6 digits) and
    loket 3 (MAX7219, 8 digits); one kiosk K1; hall display D1."""
    text = MALL.format(data=data_dir, lease_size=lease_size)
    return hub_config_from_dict(tomllib.loads(text), source="<mall>")


NODE = '[node]\nid = "{id}"\nrole = "{role}"\nhub_url = "http://hub.test"\ntoken = "t"\n'
PROFILES = {
    "K1": 'services = ["SK", "akta"]\n[printer]\nbackend = "file"\npath = "{tmp}/lp0"\n'
    'profile = "TM-T20II"\n',
    "C1": 'counter = "C1"\n[buttons]\nbackend = "fake"\n[display]\nbackend = "max7219"\n'
    f'kind = "matrix"\ncascaded = {MATRIX_MODULES}\nprefixes = ["SK"]\n',
    "C2": 'counter = "C2"\n[buttons]\nbackend = "fake"\n[display]\nbackend = "tm1637"\n'
    'clk_pin = 5\ndio_pin = 6\ndigits = 6\nprefixes = ["A2"]\n',
    "C3": 'counter = "C3"\n[buttons]\nbackend = "fake"\n[display]\nbackend = "max7219"\n'
    'digits = 8\nprefixes = ["A2"]\n',
}


def profile(node_id: str, tmp: Path):
    """The node's profile, validated as `loket node run` would."""
    role = "kiosk" if node_id.startswith("K") else "counter"
    text = NODE.format(id=node_id, role=role) + PROFILES[node_id].replace("{tmp}", str(tmp))
    return node_config_from_dict(tomllib.loads(text), source=f"<{node_id}>")


@pytest.fixture
def lease_size() -> int:
    return 13


@pytest.fixture
def early() -> int:
    """Visitors per service who took a number and left before the nodes started."""
    return 0


@pytest.fixture
def hub(tmp_path: Path, hub_clock, lease_size: int, early: int):
    h = Hub(tmp_path, hub_clock, config=mall(tmp_path / "hub", lease_size))
    for n in range(early):
        for service in ("SK", "akta"):
            label = h.authority.issue(f"early-{service}-{n}", service, "K1")["ticket"]["label"]
            h.authority.cancel_ticket(label, by="test", reason="left")
    yield h
    h.stop()


@pytest.fixture
def mall_nodes(tmp_path: Path, hub, make_node):
    """Kiosk, three counters and the hall display, each on the backends its profile names."""
    pins = recording_factory()
    matrix, seven = RecordingInterface(), RecordingInterface()
    displays = {
        "C1": make_display(profile("C1", tmp_path).display, interface=matrix, ticker=False),
        "C2": make_display(profile("C2", tmp_path).display, pin_factory=pins, ticker=False),
        "C3": make_display(profile("C3", tmp_path).display, interface=seven, ticker=False),
    }
    printer = make_printer(profile("K1", tmp_path).printer)
    nodes = {
        "K1": make_node("K1", "kiosk", services=["SK", "akta"], devices=Devices(printer=printer))
    }
    for cid, display in displays.items():
        nodes[cid] = make_node(cid, "counter", devices=Devices(display=display))
    nodes["D1"] = make_node(
        "D1", "display", devices=Devices(announcer=FakeAnnouncer(), screen=FakeScreen())
    )
    for node in nodes.values():
        node.step()  # roster, service names, standby leases
    wires = {"matrix": matrix, "seven": seven, "pins": pins, "paper": tmp_path / "lp0"}
    yield nodes, wires
    pins.reset()


def press(node, name: str) -> None:
    node.press(name)
    node.step()


def matrix_reference(label: str) -> dict:
    """The register bytes luma itself sends for ``label`` drawn right-aligned on the cascade."""
    from luma.core.legacy import text, textsize
    from luma.core.legacy.font import CP437_FONT, proportional
    from luma.core.render import canvas
    from luma.led_matrix.device import max7219

    wire = RecordingInterface()
    device = max7219(wire, cascaded=MATRIX_MODULES)
    font = proportional(CP437_FONT)
    width = textsize(label, font)[0]
    assert width <= device.width, "the whole label fits: nothing for fit() to cut"
    with canvas(device) as draw:
        text(draw, (device.width - width, 0), label, fill="white", font=font)
    return wire.columns()


def tm1637_digits(pins) -> list[int]:
    """The segment bytes of the last frame the TM1637 received (after the address byte)."""
    frames = decode_tm1637(pins.changes)
    return frames[-2][1:]


def seg(text: str) -> list[int]:
    return [SEGMENTS.get(ch, UNDEFINED) for ch in text]


def spoken(nodes, label: str, counter: int) -> None:
    """The hall display announced ``label`` at ``counter``, and every clip is on disk."""
    nodes["D1"].step()
    clips = call_clips(label, counter)
    assert clips in nodes["D1"].ctx.devices.announcer.played
    missing = [c for c in clips if not (sounds_dir("id") / f"{c}.wav").is_file()]
    assert missing == []


def on_board(hub, label: str) -> None:
    client = hub.app.test_client()
    html = client.get("/board").get_data(as_text=True)
    assert f'id="now-number">{label}<' in html
    view = client.get("/board/view.json").get_json()
    assert view["calls"][0]["label"] == label


def printed(wires) -> bytes:
    return wires["paper"].read_bytes()


def test_online_sk_014_and_a2_014_reach_paper_leds_voice_and_board(hub, mall_nodes):
    nodes, wires = mall_nodes
    kiosk = nodes["K1"]
    press(kiosk, "SK")  # the standby leases took 1-13: the first online number is 014
    press(kiosk, "akta")
    press(kiosk, "akta")
    assert [e["body"]["label"] for e in hub.events("ticket.issued")] == [
        "SK-014", "A2-014", "A2-015"
    ]  # fmt: skip
    paper = printed(wires)
    assert SIZE_QUAD + BOLD_ON + b"SK-014\n" in paper  # the big number, escpos bytes
    assert SIZE_QUAD + BOLD_ON + b"A2-014\n" in paper and b"OFFLINE" not in paper

    nodes["D1"].step()  # the hall screen's waiting tiles name the prefix the tickets carry
    tiles = nodes["D1"].ctx.devices.screen.last["waiting"]
    assert {(t["service"], t["letter"], t["count"]) for t in tiles} == {
        ("SK", "SK", 1), ("akta", "A2", 2)
    }  # fmt: skip

    press(nodes["C1"], "next")  # SKCK on the dot matrix
    assert wires["matrix"].columns() == matrix_reference("SK-014")
    spoken(nodes, "SK-014", 1)
    assert nodes["D1"].ctx.devices.announcer.played[-1][2:6] == [
        "huruf_s", "huruf_k", "empat", "belas"
    ]  # fmt: skip
    on_board(hub, "SK-014")

    press(nodes["C2"], "next")  # A2 on a 6-digit TM1637: it fits with its dash
    assert tm1637_digits(wires["pins"]) == seg("A2-014")
    press(nodes["C3"], "next")  # and on an 8-digit MAX7219, right-aligned
    assert wires["seven"].digits() == [0, 0, *(to_max7219(b) for b in seg("A2-015"))]
    spoken(nodes, "A2-015", 3)
    assert nodes["D1"].ctx.devices.announcer.played[-1][2:7] == [
        "huruf_a", "dua", "lima", "belas", "silakan_menuju"
    ]  # fmt: skip
    on_board(hub, "A2-015")


@pytest.mark.parametrize(("lease_size", "early"), [(1, 13)])
def test_offline_lease_and_prefix_mode_labels_reach_paper_leds_voice_and_board(hub, mall_nodes):
    nodes, wires = mall_nodes
    kiosk = nodes["K1"]  # holds a standby lease of one number per service: 014
    kiosk.transport.down = True  # its cable is out; the counters and the hall stay online
    for service in ("SK", "SK", "akta", "akta"):
        press(kiosk, service)
    kiosk.transport.down = False
    kiosk.step()  # back: the outbox reaches the hub
    issued = [(e["body"]["label"], e["body"]["mode"]) for e in hub.events("ticket.issued")]
    assert issued[-4:] == [
        ("SK-014", "lease"), ("SK-K1-1", "prefix"), ("A2-014", "lease"), ("A2-K1-1", "prefix")
    ]  # fmt: skip
    paper = printed(wires)
    assert SIZE_QUAD + BOLD_ON + b"SK-014\n" in paper and b" OFFLINE " in paper
    assert SIZE_QUAD + BOLD_ON + b"SK-K1-1\n" in paper
    assert SIZE_QUAD + BOLD_ON + b"A2-K1-1\n" in paper

    press(nodes["C1"], "next")
    assert wires["matrix"].columns() == matrix_reference("SK-014")
    press(nodes["C1"], "done")
    press(nodes["C1"], "next")  # the prefix-mode ticket: arrived later, called after
    assert wires["matrix"].columns() == matrix_reference("SK-K1-1")
    spoken(nodes, "SK-K1-1", 1)
    assert nodes["D1"].ctx.devices.announcer.played[-1][2:9] == [
        "huruf_s", "huruf_k", "strip", "huruf_k", "satu", "strip", "satu"
    ]  # fmt: skip
    on_board(hub, "SK-K1-1")

    press(nodes["C2"], "next")  # 6 digits: the lease number whole ...
    assert tm1637_digits(wires["pins"]) == seg("A2-014")
    press(nodes["C2"], "done")
    press(nodes["C2"], "next")  # ... and the prefix-mode one without its first dash
    assert tm1637_digits(wires["pins"]) == seg("A2K1-1")  # K is three bars on 7 segments
    spoken(nodes, "A2-K1-1", 2)
    on_board(hub, "A2-K1-1")


def test_a_seven_segment_counter_given_sk_is_refused_naming_the_key(tmp_path, capsys):
    from loket import cli

    node = tmp_path / "c2.toml"
    text = NODE.format(id="C2", role="counter") + PROFILES["C2"].replace('["A2"]', '["A2", "SK"]')
    node.write_text(text, "utf-8")
    hub = tmp_path / "mall.toml"
    seven = MALL.replace('display = "matrix"', 'display = "7seg"')
    hub.write_text(seven.format(data=tmp_path / "hub", lease_size=4), "utf-8")
    assert cli.main(["config", "check", str(node)]) == 2
    assert cli.main(["config", "check", str(hub)]) == 2
    err = capsys.readouterr().err
    assert (
        f"{node}: display.prefixes[1]: prefix 'SK' cannot be shown on a 7seg display (K, S)" in err
    )
    assert (
        f"{hub}: counters[0].services[0]: counter 'C1' serves 'SK', whose prefix 'SK' cannot "
        "be shown on a 7seg display (K, S)"
    ) in err
