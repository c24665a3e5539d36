"""A real PostgreSQL for the region tests (bench.pgcluster): one cluster per test session,
a fresh database per test. Nothing is mocked."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.pgcluster import PgCluster  # noqa: E402

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = PgCluster("region-tests", fsync=False).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def region_dsn(pg_cluster) -> str:
    name = f"region_t{next(_names)}"
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"host={pg_cluster.root} port={pg_cluster.port} user=loket dbname={name}"


@pytest.fixture
def region_config(region_dsn, tmp_path):
    from core.config_region import region_config_from_dict

    return region_config_from_dict(
        {"region": {"name": "Jawa Tengah", "dsn": region_dsn, "pool_max": 4}}
    )


@pytest.fixture
def region_app(region_config):
    from region import create_app
    from region.db import open_pool, prepare

    pool = open_pool(region_config)
    prepare(pool, region_config)
    app = create_app(region_config, pool, settings={"TESTING": True})
    yield app
    pool.close()


@pytest.fixture
def region_conn(region_app):
    with region_app.extensions["region_pool"].connection() as conn:
        yield conn
