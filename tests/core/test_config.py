"""Profiles: the demo loads; every kind of mistake is reported with its dotted key path."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from core.config import (
    CounterConfig,
    HubConfig,
    NodeConfig,
    hub_config_from_dict,
    load_config,
    load_hub_config,
    load_node_config,
    override_hub,
)
from core.errors import ConfigError
from core.paths import demo_hub_profile

HUB = """
[mpp]
name = "MPP Uji"
timezone = "Asia/Makassar"

[[agencies]]
id = "dukcapil"
name = "Disdukcapil"

[[services]]
id = "A"
name = "KTP-el"
agency = "dukcapil"

[[services]]
id = "akta"
prefix = "B"
name = "Akta"
agency = "dukcapil"
daily_quota = 40
avg_service_min = 7.5

[[counters]]
id = "C1"
number = 1
services = ["A", "akta"]

[[kiosks]]
id = "K1"
name = "Kiosk"
services = ["A"]
"""


def write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> dict[str, str]:
    """dotted path -> message (one problem per path in these tests)."""
    return {p.path: p.message for p in exc.value.problems}


def hub_problems(tmp_path: Path, extra: str = "", base: str = HUB) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        load_hub_config(write(tmp_path, base + extra))
    return problems(exc)


def test_demo_profile_loads(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    config = load_hub_config(demo_hub_profile())
    assert isinstance(config, HubConfig)
    assert config.mpp.timezone == "Asia/Jakarta"
    assert str(config.mpp.tz) == "Asia/Jakarta"
    assert [s.prefix for s in config.services] == ["A", "B", "C", "D"]
    assert len(config.counters) == 4 and config.kiosks[0].id == "K1"
    assert "D1" in config.node_ids
    # Relative data_dir: resolved against the working directory at load time.
    assert config.hub.data_dir == tmp_path / "var" / "hub"
    assert config.hub.secret_key_file == tmp_path / "var" / "hub" / "secret_key"
    assert config.source == demo_hub_profile()


def test_full_size_profile_is_shaped_like_a_regency_mpp(monkeypatch, tmp_path):
    from core import glyphs
    from core.numbering import prefix_problem

    monkeypatch.chdir(tmp_path)
    config = load_hub_config(demo_hub_profile().with_name("mpp-banyumas.toml"))
    shape = [len(x) for x in (config.agencies, config.services, config.counters)]
    assert shape == [16, 30, 25]
    assert [k.id for k in config.kiosks] == ["K1", "K2"]
    assert [d.id for d in config.displays] == ["D1", "D2"]
    prefixes = [s.prefix for s in config.services]
    assert all(prefix_problem(p) is None and len(p) == 2 for p in prefixes)
    assert {"SK", "A2"} <= set(prefixes)
    # Every service is served somewhere and offered by the lobby kiosk; every agency has one.
    served = {s for c in config.counters for s in c.services}
    assert served == set(config.kiosk("K1").services) == {s.id for s in config.services}
    assert {s.agency for s in config.services} == {a.id for a in config.agencies}
    assert [c.number for c in config.counters] == list(range(1, 26))
    # Each counter can draw its prefixes: the letters a 7-segment cannot draw sit on others.
    for c in config.counters:
        for sid in c.services:
            assert glyphs.prefix_display_problem(config.service(sid).prefix, c.display) is None
    kinds = {c.display for c in config.counters}
    assert kinds == {"7seg", "matrix", "serial"}


def test_small_profile_values_defaults_and_lookups(tmp_path):
    config = load_hub_config(write(tmp_path, HUB))
    assert config.hub.port == 8080 and config.hub.threads == 48 and config.hub.host == "0.0.0.0"
    a, akta = config.services
    assert (a.prefix, a.daily_quota, a.avg_service_min) == ("A", None, 10.0)
    assert (akta.prefix, akta.daily_quota, akta.avg_service_min) == ("B", 40, 7.5)
    counter = config.counter("C1")
    assert counter == CounterConfig("C1", "Loket 1", 1, ("A", "akta"), "7seg")
    assert config.kiosk("K1").lease_size == 10
    assert config.agency("dukcapil").name == "Disdukcapil"
    with pytest.raises(KeyError):
        config.service("Z")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.hub.port = 1  # type: ignore[misc]
    public = config.public()
    assert public["counters"][0]["services"] == ["A", "akta"]
    assert [s["id"] for s in public["services"]] == ["A", "akta"]


def test_override_hub_replaces_only_given_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_hub_config(write(tmp_path, HUB))
    changed = override_hub(config, port=9000, host=None, data_dir="elsewhere")
    assert changed.hub.port == 9000 and changed.hub.host == config.hub.host
    assert changed.hub.data_dir == tmp_path / "elsewhere"
    assert config.hub.port == 8080


def test_unknown_keys_get_did_you_mean(tmp_path):
    found = hub_problems(tmp_path, "\n[hub]\nprot = 9000\n[[counter]]\nid = 'x'\n")
    assert "did you mean 'port'?" in found["hub.prot"]
    assert "did you mean 'counters'?" in found["counter"]


def test_wrong_types_and_ranges(tmp_path):
    text = HUB.replace("number = 1", "number = true").replace(
        "daily_quota = 40", 'daily_quota = "40"'
    )
    found = hub_problems(tmp_path, '\n[hub]\nport = "8080"\nthreads = 2\n', base=text)
    assert found["hub.port"] == (
        "wrong type: got string '8080'; expected an integer from 1 to 65535"
    )
    assert "out of range" in found["hub.threads"]
    assert found["counters[0].number"].startswith("wrong type: got boolean")
    assert found["services[1].daily_quota"].startswith("wrong type: got string '40'")


def test_bad_enum_value_suggests_the_right_one(tmp_path):
    found = hub_problems(
        tmp_path,
        base=HUB.replace('services = ["A", "akta"]', 'services = ["A"]\ndisplay = "7segg"'),
    )
    assert found == {
        "counters[0].display": "'7segg' is not allowed; expected one of '7seg', 'matrix', "
        "'serial', 'none'; did you mean '7seg'?"
    }


def test_duplicates_are_reported_where_they_repeat(tmp_path):
    extra = """
[[counters]]
id = "C2"
number = 2
services = ["A"]

[[counters]]
id = "C1"
number = 2
services = ["A", "A"]

[[services]]
id = "X"
prefix = "A"
name = "Dup prefix"
agency = "dukcapil"

[[displays]]
id = "K1"
name = "clashes with the kiosk"
"""
    found = hub_problems(tmp_path, extra)
    assert "duplicate id 'C1' (first at counters[0])" in found["counters[2].id"]
    assert "duplicate counter number 2 (first at counters[1])" in found["counters[2].number"]
    assert "'A' listed twice" in found["counters[2].services[1]"]
    assert "duplicate prefix" in found["services[2].prefix"]
    assert "duplicate node id 'K1' (first at kiosks[0]; counters, kiosks" in found["displays[0].id"]


def test_cross_references(tmp_path):
    text = HUB.replace('agency = "dukcapil"\ndaily', 'agency = "dukcapi"\ndaily').replace(
        'services = ["A"]', 'services = ["A", "aktaa"]'
    )
    found = hub_problems(tmp_path, base=text)
    assert found["services[1].agency"] == (
        "unknown agency 'dukcapi'; expected one of: dukcapil; did you mean 'dukcapil'?"
    )
    assert "unknown service 'aktaa'" in found["kiosks[0].services[1]"]
    assert "did you mean 'akta'?" in found["kiosks[0].services[1]"]


def test_prefix_a_seven_segment_display_cannot_show_is_rejected(tmp_path):
    text = HUB.replace('prefix = "B"', 'prefix = "K"')
    found = hub_problems(tmp_path, base=text)
    assert list(found) == ["counters[0].services[1]"]
    assert "counter 'C1' serves 'akta', whose prefix 'K'" in found["counters[0].services[1]"]
    assert "cannot be shown on a 7seg display (K)" in found["counters[0].services[1]"]
    # The same prefix is fine on a matrix display.
    ok = text.replace('services = ["A", "akta"]', 'services = ["A", "akta"]\ndisplay = "matrix"')
    assert load_hub_config(write(tmp_path, ok)).services[1].prefix == "K"


def test_multi_character_prefixes_are_checked_letter_by_letter_per_display(tmp_path):
    text = HUB.replace('prefix = "B"', 'prefix = "SK"') + (
        '\n[[services]]\nid = "A2"\nname = "Akta Kematian"\nagency = "dukcapil"\n'
        '\n[[counters]]\nid = "C2"\nnumber = 2\nservices = ["A2", "akta"]\ndisplay = "serial"\n'
    )
    found = hub_problems(tmp_path, base=text)
    # Loket 1 (7-segment) cannot draw S or K; loket 2's serial panel can; A2 defaults to its id.
    assert list(found) == ["counters[0].services[1]"]
    assert (
        "whose prefix 'SK' cannot be shown on a 7seg display (K, S)"
        in (found["counters[0].services[1]"])
    )
    fixed = text.replace('services = ["A", "akta"]', 'services = ["A", "A2"]')
    config = load_hub_config(write(tmp_path, fixed))
    assert [s.prefix for s in config.services] == ["A", "SK", "A2"]


@pytest.mark.parametrize("bad", ["b1", "SKCK", "2A", "S-K"])
def test_prefix_shape_is_enforced(tmp_path, bad):
    found = hub_problems(tmp_path, base=HUB.replace('prefix = "B"', f'prefix = "{bad}"'))
    assert found == {
        "services[1].prefix": f"{bad!r} is not valid; expected a string (1-3 capital letters "
        "or digits, a letter first (e.g. A, SK, A2))"
    }


def test_a_missing_prefix_defaults_to_an_id_only_when_that_is_a_prefix(tmp_path):
    no_prefix = HUB.replace('prefix = "B"\n', "")
    assert hub_problems(tmp_path, base=no_prefix) == {
        "services[1].prefix": "missing, and the id 'akta' is not a prefix itself; expected 1-3 "
        "capital letters or digits, a letter first (e.g. A, SK, A2)"
    }
    as_id = no_prefix.replace('id = "akta"', 'id = "AK"').replace('"A", "akta"', '"A", "AK"')
    with pytest.raises(ConfigError) as exc:  # AK is a prefix; loket 1 cannot draw its K
        load_hub_config(write(tmp_path, as_id))
    assert "whose prefix 'AK'" in str(exc.value)


def test_kiosk_ids_must_mark_offline_labels(tmp_path):
    found = hub_problems(tmp_path, base=HUB.replace('id = "K1"', 'id = "kiosk-1"'))
    assert found == {
        "kiosks[0].id": "'kiosk-1' cannot mark this kiosk's offline tickets (they would read "
        "'B-kiosk-1-1'); expected 1-4 capital letters or digits, e.g. K1"
    }


def test_timezone_and_missing_required_keys(tmp_path):
    text = HUB.replace('name = "MPP Uji"\n', "").replace("Asia/Makassar", "Asia/Belitung")
    found = hub_problems(tmp_path, base=text)
    assert found["mpp.name"].startswith("missing; expected a non-empty string")
    assert found["mpp.timezone"].startswith("unknown timezone 'Asia/Belitung'")


def test_every_problem_is_listed_at_once(tmp_path):
    text = (
        HUB.replace("Asia/Makassar", "WIB")
        .replace('agency = "dukcapil"\n\n[[services]]', 'agency = "x"\n\n[[services]]')
        .replace("number = 1", "number = 0")
    )
    path = write(tmp_path, text + "\n[hub]\nport = 0\nhots = 'a'\n")
    with pytest.raises(ConfigError) as exc:
        load_hub_config(path)
    assert set(problems(exc)) == {
        "mpp.timezone",
        "services[0].agency",
        "counters[0].number",
        "hub.port",
        "hub.hots",
    }
    text_lines = str(exc.value).splitlines()
    assert text_lines[0] == "5 config problem(s):"
    assert all(line.startswith(f"  - {path}: ") for line in text_lines[1:])
    assert all("expected" in p.message for p in exc.value.problems)


def test_missing_file_and_syntax_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_hub_config(tmp_path / "nope.toml")
    assert problems(exc) == {"(file)": "no such file; expected a TOML profile"}
    with pytest.raises(ConfigError) as exc:
        load_hub_config(write(tmp_path, '[mpp]\nname = "x"\ntimezone = \n'))
    ((where, message),) = problems(exc).items()
    assert where == "line 3"
    assert "TOML syntax error" in message


def test_empty_profile_says_what_is_missing(tmp_path):
    found = hub_problems(tmp_path, base="[hub]\n")
    assert set(found) == {"mpp", "agencies", "services"}
    assert isinstance(hub_config_from_dict(_minimal_hub()), HubConfig)


def _minimal_hub() -> dict:
    return {
        "mpp": {"name": "M", "timezone": "Asia/Jakarta"},
        "agencies": [{"id": "a", "name": "A"}],
        "services": [{"id": "A", "name": "S", "agency": "a"}],
    }


# -- node profiles ----------------------------------------------------------------------------

COUNTER_NODE = """
[node]
id = "C1"
role = "counter"
hub_url = "http://hub.local:8080/"
token = "s3cret"
counter = "C1"

[buttons]
backend = "gpio"
pin_factory = "lgpio"
debounce_ms = 30
[buttons.pins]
next = 17
recall = "GPIO27"
[buttons.rating_pins]
puas = 5

[display]
backend = "max7219"
cascaded = 1
prefixes = ["A", "B"]

[sound]
backend = "fake"
"""


def node_problems(tmp_path: Path, text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        load_node_config(write(tmp_path, text))
    return problems(exc)


def test_counter_node_loads_with_backend_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_node_config(write(tmp_path, COUNTER_NODE))
    assert isinstance(config, NodeConfig)
    node = config.node
    assert (node.id, node.role, node.counter, node.token) == ("C1", "counter", "C1", "s3cret")
    assert node.hub_url == "http://hub.local:8080"
    assert node.data_dir == tmp_path / "var" / "node"
    assert "s3cret" not in repr(config)
    assert config.display.backend == "max7219"
    assert dict(config.display.options) == {
        "cascaded": 1,
        "digits": 8,
        "kind": "7seg",
        "prefixes": ("A", "B"),
    }
    assert config.buttons.get("pins") == {"next": 17, "recall": "GPIO27"}
    assert config.buttons.get("rating_pins") == {"puas": 5}
    assert config.buttons.get("hold_ms", 1000) == 1000  # absent: the backend's default
    assert dict(config.sound.options) == {"lang": "id"}
    assert config.printer is None and config.screen is None
    with pytest.raises(TypeError):
        config.display.options["digits"] = 4  # type: ignore[index]


def test_token_file_is_read_and_must_exist(tmp_path):
    (tmp_path / "token").write_text("abc123\n")
    text = COUNTER_NODE.replace('token = "s3cret"', f'token_file = "{tmp_path / "token"}"')
    (tmp_path / "token").chmod(0o644)
    problem = node_problems(tmp_path, text)["node.token_file"]
    assert "readable or writable by every user (mode 0644)" in problem and "chmod 600" in problem
    (tmp_path / "token").chmod(0o600)
    assert load_node_config(write(tmp_path, text)).node.token == "abc123"
    missing = COUNTER_NODE.replace('token = "s3cret"', 'token_file = "/nonexistent/token"')
    assert "cannot read /nonexistent/token" in node_problems(tmp_path, missing)["node.token_file"]
    both = COUNTER_NODE.replace('token = "s3cret"', 'token = "a"\ntoken_file = "t"')
    assert "only one" in node_problems(tmp_path, both)["node.token_file"]
    neither = COUNTER_NODE.replace('token = "s3cret"\n', "")
    assert "loket hub pair" in node_problems(tmp_path, neither)["node.token"]


def test_backend_keys_are_checked_per_backend(tmp_path):
    text = COUNTER_NODE.replace("cascaded = 1", "cascaded = 1\nclk_pin = 4\nbrightnes = 3")
    found = node_problems(tmp_path, text)
    assert "not used by backend 'max7219' (it is a key of tm1637)" in found["display.clk_pin"]
    assert "unknown key" in found["display.brightnes"]
    tm = COUNTER_NODE.replace(
        'backend = "max7219"\ncascaded = 1', 'backend = "tm1637"\ndio_pin = 3'
    )
    assert node_problems(tmp_path, tm) == {
        "display.clk_pin": "missing; expected a GPIO pin: BCM number 0-53 or a name like "
        '"GPIO17" / "BOARD11"'
    }


def test_unknown_or_missing_backend(tmp_path):
    found = node_problems(tmp_path, COUNTER_NODE.replace('"max7219"', '"max7291"'))
    assert "did you mean 'max7219'?" in found["display.backend"]
    assert "display.cascaded" not in found  # cannot judge backend keys without a backend
    found = node_problems(tmp_path, COUNTER_NODE.replace('backend = "fake"', 'lang = "id"'))
    assert found["sound.backend"] == "missing; expected one of 'pygame', 'fake'"


def test_display_prefixes_must_be_drawable(tmp_path):
    text = COUNTER_NODE.replace(
        'prefixes = ["A", "B"]', 'prefixes = ["A", "M"]\nidle_text = "----"'
    )
    found = node_problems(tmp_path, text)
    assert list(found) == ["display.prefixes[1]"]
    assert "cannot be shown on a 7seg display (M)" in found["display.prefixes[1]"]
    matrix = text.replace("cascaded = 1", 'cascaded = 4\nkind = "matrix"')
    assert load_node_config(write(tmp_path, matrix)).display.get("kind") == "matrix"


def test_display_prefixes_must_be_prefixes_and_fit_the_digits(tmp_path):
    tm = COUNTER_NODE.replace(
        'backend = "max7219"\ncascaded = 1', 'backend = "tm1637"\nclk_pin = 5\ndio_pin = 6'
    )
    found = node_problems(tmp_path, tm.replace('["A", "B"]', '["A", "A2", "sk", "HP"]'))
    assert set(found) == {"display.prefixes[1]", "display.prefixes[2]", "display.prefixes[3]"}
    assert found["display.prefixes[1]"] == (
        "prefix 'A2' needs 6 digits ('A2-123' at the shortest) but the display has 4; "
        "expected a display of at least 6 digits or a shorter prefix"
    )
    assert "expected 1-3 capital letters or digits" in found["display.prefixes[2]"]
    assert "needs 5 digits ('HP123' at the shortest)" in found["display.prefixes[3]"]
    six = tm.replace('["A", "B"]', '["A", "A2", "HP"]\ndigits = 6')
    assert load_node_config(write(tmp_path, six)).display.get("prefixes") == ("A", "A2", "HP")
    serial = COUNTER_NODE.replace(
        'backend = "max7219"\ncascaded = 1', 'backend = "serial"\nurl = "loop://"\ndigits = 5'
    )
    found = node_problems(tmp_path, serial.replace('["A", "B"]', '["SKT", "SK"]'))
    assert list(found) == ["display.prefixes[0]"]  # SKT123 needs 6; the panel draws S and K


def test_kiosk_node_id_must_mark_offline_labels(tmp_path):
    kiosk = '[node]\nid = "kiosk_1"\nrole = "kiosk"\nhub_url = "https://hub"\ntoken = "t"\n'
    kiosk += 'services = ["A"]\n[printer]\nbackend = "fake"\n'
    assert "would read 'B-kiosk_1-1'" in node_problems(tmp_path, kiosk)["node.id"]


def test_buttons_nested_tables_and_pin_clashes(tmp_path):
    text = COUNTER_NODE.replace("recall = ", "nxt = 22\nrecall = ").replace("puas = 5", "puas = 17")
    found = node_problems(tmp_path, text)
    assert "did you mean 'next'?" in found["buttons.pins.nxt"]
    assert "pin 17 is already used by buttons.pins.next" in found["buttons.rating_pins.puas"]
    no_next = COUNTER_NODE.replace("next = 17\n", "")
    assert "NEXT button" in node_problems(tmp_path, no_next)["buttons.pins.next"]


def test_role_requirements(tmp_path):
    text = COUNTER_NODE.replace('counter = "C1"\n', "").replace("[buttons", "[buttonz")
    found = node_problems(tmp_path, text)
    assert "role counter" in found["node.counter"]
    assert "role counter" in found["buttons"]
    assert "did you mean 'buttons'?" in found["buttonz"]
    kiosk = '[node]\nid = "K1"\nrole = "kiosk"\nhub_url = "https://hub"\ntoken = "t"\n'
    found = node_problems(tmp_path, kiosk + 'counter = "C1"\n')
    assert set(found) == {"node.services", "printer", "node.counter"}
    printer = '[printer]\nbackend = "usb"\nvendor_id = 0x0416\nproduct_id = "0x5011"\n'
    ok = kiosk + 'services = ["A", "B"]\n' + printer
    config = load_node_config(write(tmp_path, ok))
    assert config.node.services == ("A", "B")
    assert dict(config.printer.options) == {"vendor_id": 0x0416, "product_id": "0x5011"}
    bad_id = ok.replace('"0x5011"', '"5011"')
    assert "expected a USB id" in node_problems(tmp_path, bad_id)["printer.product_id"]


def test_node_identity_and_url(tmp_path):
    text = (
        COUNTER_NODE.replace('id = "C1"', 'id = "hub"')
        .replace("http://hub.local:8080/", "hub.local:8080")
        .replace('role = "counter"', 'role = "counterr"')
    )
    found = node_problems(tmp_path, text)
    assert "reserved" in found["node.id"]
    assert "expected an http(s) URL" in found["node.hub_url"]
    assert "did you mean 'counter'?" in found["node.role"]


def test_load_config_tells_hub_from_node(tmp_path):
    assert isinstance(load_config(write(tmp_path, HUB, "hub.toml")), HubConfig)
    assert isinstance(load_config(write(tmp_path, COUNTER_NODE, "node.toml")), NodeConfig)
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, "[nod]\nid = 1\n", "what.toml"))
    assert "did you mean 'node'?" in problems(exc)["(profile)"]


def test_shipped_profiles_are_valid(repo_root):
    data = repo_root / "firmware_config" / "holidays"  # a data file, checked in test_catalogue
    profiles = sorted(
        p for p in (repo_root / "firmware_config").rglob("*.toml") if data not in p.parents
    )
    assert demo_hub_profile() in profiles
    for path in profiles:
        try:
            load_config(path)
        except ConfigError as exc:
            # A shipped node template cannot carry a real token: pairing writes it later.
            real = [p for p in exc.problems if not p.path.startswith("node.token")]
            assert real == [], f"{path} is invalid"


def test_loket_home_moves_the_profiles(monkeypatch, tmp_path):
    monkeypatch.setenv("LOKET_HOME", str(tmp_path))
    assert demo_hub_profile() == tmp_path / "firmware_config" / "hub" / "demo-belitung.toml"
    monkeypatch.delenv("LOKET_HOME")
    assert demo_hub_profile().is_file()
    assert os.path.isabs(demo_hub_profile())


def test_sound_clips_dir_must_exist_and_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clips").mkdir()
    text = COUNTER_NODE.replace('backend = "fake"', 'backend = "pygame"\nclips_dir = "clips"')
    assert load_node_config(write(tmp_path, text)).sound.get("clips_dir") == tmp_path / "clips"
    missing = text.replace('"clips"', '"nowhere"')
    assert "is not a folder" in node_problems(tmp_path, missing)["sound.clips_dir"]


def test_sound_max_age_is_seconds_in_a_sane_range(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok = COUNTER_NODE.replace('backend = "fake"', 'backend = "fake"\nmax_age_s = 45')
    assert load_node_config(write(tmp_path, ok)).sound.get("max_age_s") == 45
    for bad, why in (("2", "from 5 to 3600"), ('"soon"', "wrong type")):
        text = COUNTER_NODE.replace('backend = "fake"', f'backend = "fake"\nmax_age_s = {bad}')
        assert why in node_problems(tmp_path, text)["sound.max_age_s"]


@pytest.mark.parametrize("host", ["http://0.0.0.0", "0.0.0.0:8080", "hub pi", "999.1.1.1", "-x"])
def test_a_hub_host_must_be_an_address_or_a_host_name(tmp_path, host):
    found = hub_problems(tmp_path, base=HUB.replace("[mpp]", f'[hub]\nhost = "{host}"\n\n[mpp]'))
    assert found["hub.host"].startswith(f"{host!r} is not an address to listen on")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "hub.local", "localhost"])
def test_good_hub_hosts(tmp_path, host):
    text = HUB.replace("[mpp]", f'[hub]\nhost = "{host}"\nissue_per_min = 0\n\n[mpp]')
    config = load_hub_config(write(tmp_path, text))
    assert config.hub.host == host and config.hub.issue_per_min == 0
    assert load_hub_config(write(tmp_path, HUB)).hub.issue_per_min == 30
    found = hub_problems(tmp_path, base=HUB.replace("[mpp]", "[hub]\nissue_per_min = -1\n\n[mpp]"))
    assert "out of range" in found["hub.issue_per_min"]


@pytest.mark.parametrize(("services", "path"), [('["a b"]', "node.services[0]"),
                                                ('["B", "Z/1"]', "node.services[1]"),
                                                ('["B", ""]', "node.services[1]")])  # fmt: skip
def test_kiosk_services_must_be_ids(tmp_path, services, path):
    kiosk = (
        '[node]\nid = "K1"\nrole = "kiosk"\nhub_url = "https://hub"\ntoken = "t"\n'
        f'services = {services}\n[printer]\nbackend = "fake"\n'
    )
    assert "is not valid" in node_problems(tmp_path, kiosk)[path]
