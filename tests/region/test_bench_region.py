"""bench/region.py runs at smoke size and prints the figures issue 12 asks for (shape only:
no test asserts a timing)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_region_bench_smoke_has_every_figure():
    from bench import region

    result = region.run("smoke")
    assert {"ingest", "dashboard", "catch_up"} <= set(result)
    assert result["ingest"]["events"] == 3 * 400 and result["ingest"]["events_per_s"] > 0
    assert result["dashboard"]["stored_events"] >= 20_000
    assert result["dashboard"]["tickets_per_site_day"] == 100
    assert result["catch_up"]["repeat_batch"] == {"accepted": 0, "duplicates": 400}
    json.dumps(result)
