"""core.zones: which calls and tiles one hall screen shows, over the folded catalogue (C7).

The full-size Banyumas profile has two zones, lantai-1 (loket 1-10, 20-25) and lantai-2
(loket 11-19), set on its agencies only: services and counters take them from there.
"""

from __future__ import annotations

import pytest

from core import zones
from core.catalogue import Catalogue, normalized
from core.config import load_hub_config
from core.paths import firmware_config_dir


@pytest.fixture(scope="module")
def banyumas() -> Catalogue:
    config = load_hub_config(firmware_config_dir() / "hub" / "mpp-banyumas.toml")
    return Catalogue.from_dict(config.catalogue)


def small(**over) -> Catalogue:
    """Two agencies; C3 serves both floors' services and names no zone; B is Samsat's."""
    d = {
        "mpp": {"name": "MPP", "timezone": "Asia/Jakarta"},
        "agencies": [
            {"id": "dukcapil", "name": "Dukcapil", "zone": "bawah"},
            {"id": "samsat", "name": "Samsat", "zone": "atas"},
        ],
        "services": [
            {"id": "A", "name": "KTP", "agency": "dukcapil"},
            {"id": "B", "name": "STNK", "agency": "samsat"},
            {"id": "T", "name": "Info", "agency": "samsat", "zone": "bawah"},
        ],
        "counters": [
            {"id": "C1", "name": "Loket 1", "number": 1, "services": ["A"]},
            {"id": "C2", "name": "Loket 2", "number": 2, "services": ["B"]},
            {"id": "C3", "name": "Loket 3", "number": 3, "services": ["A", "B"]},
            {"id": "C4", "name": "Loket 4", "number": 4, "services": ["B"], "zone": "bawah"},
            {"id": "C9", "name": "Loket 9", "number": 9, "services": ["B"], "zone": "atas"},
        ],
        "displays": [
            {"id": "D1", "name": "Bawah", "zone": "bawah"},
            {"id": "D2", "name": "Samsat", "services": ["B"], "counters": ["C2", "C9"]},
        ],
    }
    d.update(over)
    # C9 was retired after D2 was set up to show it.
    return Catalogue.from_dict(normalized(d), hseq=1).with_retired("counter", "C9", 2)


def test_the_full_size_profile_has_two_floors(banyumas) -> None:
    assert zones.zones(banyumas) == ["lantai-1", "lantai-2"]
    two = zones.select(banyumas, zone="lantai-2")
    assert two.counters == {f"C{n}" for n in range(11, 20)}
    assert two.tiles == {"ST", "S5", "SB", "SK", "SM", "TA", "TC", "HJ", "HU", "IM", "NP", "LP"}
    one = zones.for_display(banyumas, "D1")
    assert one.counters == {f"C{n}" for n in (*range(1, 11), *range(20, 26))}
    assert not one.tiles & two.tiles and len(one.tiles | two.tiles) == 30
    assert one.zone == "lantai-1" and zones.for_display(banyumas, "D2") == two


def test_zone_membership_follows_service_then_agency_and_a_counters_services() -> None:
    cat = small()
    assert zones.service_zone(cat, "T") == "bawah"  # its own, over Samsat's
    assert zones.counter_zone(cat, "C2") == "atas"
    assert zones.counter_zone(cat, "C3") is None  # both floors and no zone of its own
    assert zones.counter_zone(cat, "C4") == "bawah"  # its own
    down = zones.select(cat, zone="bawah")
    assert down.tiles == {"A", "T"} and down.counters == {"C1", "C4"}
    # The zone's screen shows the calls of its counters, whatever the service...
    assert down.shows_call("B", "C4") and not down.shows_call("A", "C2")
    # ... and a counter of no zone is on no zone's screen.
    assert not down.shows_call("A", "C3")
    assert zones.EVERYTHING.shows_call("A", "C3") and zones.EVERYTHING.everything


def test_a_zone_without_counters_shows_the_calls_of_its_services() -> None:
    cat = small(displays=[{"id": "D1", "name": "Lobi", "zone": "lobi"}])
    lobby = zones.select(cat, zone="lobi")
    assert lobby.tiles == frozenset() and lobby.services == frozenset()
    assert not lobby.shows_call("A", "C1")


def test_services_counters_agencies_and_their_aliases() -> None:
    cat = small()
    by_service = zones.from_query(cat, {"services": "B, T"})
    assert by_service.tiles == {"B", "T"} and by_service.shows_call("B", "C3")
    assert not by_service.shows_call("A", "C3")
    by_counter = zones.from_query(cat, {"counters": "2,C4"})  # a loket number or an id
    assert by_counter.counters == {"C2", "C4"} and by_counter.tiles == {"B"}
    by_agency = zones.from_query(cat, {"agencies": "samsat"})
    assert by_agency.tiles == {"B", "T"}
    both = zones.from_query(cat, {"zone": "bawah", "agencies": "samsat"})
    assert both.tiles == {"T"} and both.shows_call("T", "C4") and not both.shows_call("T", "C2")


def test_a_displays_entry_selects_and_stays_lenient_about_what_was_retired() -> None:
    cat = small()
    d2 = zones.from_query(cat, {"display": "D2"})
    assert d2.tiles == {"B"} and d2.counters == {"C2"}  # C9 is gone: ignored, not fatal
    assert d2.shows_call("B", "C2") and not d2.shows_call("B", "C4")
    assert zones.for_display(cat, "D7", strict=False) == zones.EVERYTHING
    assert zones.from_query(cat, {"display": "D2", "services": "B"}).counters == {"C2"}


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ({"zone": "lantai-3"}, "unknown_zone", "unknown zone 'lantai-3'; known: atas, bawah"),
        ({"services": "B,X,Y"}, "unknown_service", "unknown services 'X', 'Y'; known: A, B, T"),
        ({"counters": "C9"}, "unknown_counter", "unknown counter 'C9'; known: C1, C2, C3, C4"),
        ({"agencies": "bpn"}, "unknown_agency", "unknown agency 'bpn'; known: dukcapil, samsat"),
        ({"display": "D3"}, "unknown_display", "unknown display 'D3'; known: D1, D2"),
    ],
)
def test_an_unknown_value_is_an_error_naming_what_exists(args, code, words) -> None:
    with pytest.raises(zones.UnknownSelector) as err:
        zones.from_query(small(), args)
    assert err.value.code == code and err.value.message == words
    assert isinstance(err.value, ValueError)


def test_not_strict_selects_nothing_for_an_unknown_value() -> None:
    sel = zones.select(small(), zone="lantai-9", services=["X"], strict=False)
    assert sel.tiles == frozenset() and not sel.shows_call("A", "C1")


def test_the_running_text_of_a_zone_then_every_screen_then_the_catalogue() -> None:
    texts = {"*": "Selamat datang", "atas": "Samsat tutup 12.00"}
    assert zones.running_text(texts, "dari profil", "atas") == "Samsat tutup 12.00"
    assert zones.running_text(texts, "dari profil", "bawah") == "Selamat datang"
    assert zones.running_text({}, "dari profil", None) == "dari profil"
    assert zones.running_text({}, "", "atas") == ""


def test_to_dict_is_the_pages_form() -> None:
    sel = zones.select(small(), zone="bawah")
    assert sel.to_dict() == {
        "tiles": ["A", "T"], "services": None, "counters": ["C1", "C4"], "zone": "bawah"
    }  # fmt: skip
