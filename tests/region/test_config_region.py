"""region.toml and the hub's [upstream]: every problem at once, with its key path."""

from __future__ import annotations

import pytest

from core.config import hub_config_from_dict
from core.config_region import region_config_from_dict
from core.errors import ConfigError

HUB = {
    "mpp": {"name": "MPP", "timezone": "Asia/Jakarta"},
    "agencies": [{"id": "d", "name": "Dukcapil"}],
    "services": [{"id": "A", "name": "KTP", "agency": "d"}],
}


def test_upstream_is_off_by_default_and_read_when_present(tmp_path):
    assert hub_config_from_dict(HUB).upstream is None
    cfg = hub_config_from_dict(
        {**HUB, "upstream": {"url": "https://region.test/", "site": "mpp-a",
                             "token_file": str(tmp_path / "t")}}
    )  # fmt: skip
    assert cfg.upstream.url == "https://region.test" and cfg.upstream.batch == 500
    assert cfg.upstream.token_file == tmp_path / "t"


def test_upstream_problems_name_their_keys():
    with pytest.raises(ConfigError) as err:
        hub_config_from_dict(
            {**HUB, "upstream": {"url": "ftp:/x", "batch": 0, "sitee": "a", "site": "a b"}}
        )
    text = str(err.value)
    for path in ("upstream.url", "upstream.batch", "upstream.sitee", "upstream.site",
                 "upstream.token_file"):  # fmt: skip
        assert path in text, path


def test_region_profile_reports_every_problem():
    with pytest.raises(ConfigError) as err:
        region_config_from_dict(
            {"region": {"name": "", "pool_min": 5, "pool_max": 2, "timezone": "Mars/Olympus"},
             "hub": {}}
        )  # fmt: skip
    text = str(err.value)
    for path in ("region.name", "region.dsn", "region.pool_max", "region.timezone", "hub"):
        assert path in text, path
    ok = region_config_from_dict({"region": {"name": "R", "dsn": "dbname=loket"}})
    assert (ok.port, ok.booking_grace_min, ok.months_ahead) == (8090, 30, 3)


def test_loket_config_check_knows_a_region_profile(tmp_path, capsys):
    from loket.cli import main

    good = tmp_path / "region.toml"
    good.write_text('[region]\nname = "R"\ndsn = "dbname=loket"\n', encoding="utf-8")
    assert main(["config", "check", str(good)]) == 0
    assert "regional server 'R'" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('[region]\nname = "R"\nport = 0\n', encoding="utf-8")
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "region.port" in err and "region.dsn" in err
