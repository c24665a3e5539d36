"""A real PostgreSQL for tests that need the regional server (bench.pgcluster): one cluster
per test session, a fresh database per test. Nothing is mocked. Import the fixtures into a
conftest: ``from pgfixtures import pg_cluster, region_app, ...``."""

from __future__ import annotations

import itertools

import pytest

from bench.pgcluster import PgCluster

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    pytest.importorskip("psycopg")
    cluster = PgCluster("region-tests", fsync=False).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def region_dsn(pg_cluster) -> str:
    import psycopg

    name = f"region_t{next(_names)}"
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"host={pg_cluster.root} port={pg_cluster.port} user=loket dbname={name}"


@pytest.fixture
def region_config(region_dsn):
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


class RegionClient:
    """``hub.upstream``'s region seam over the region app's test client; ``down`` cuts it."""

    def __init__(self, app, token: str):
        self.app, self.token, self.down = app, token, False

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        from hub.upstream import RegionUnreachable

        if self.down:
            raise RegionUnreachable("region unreachable (test: uplink cut)")
        headers = {"Authorization": f"Bearer {self.token}"}
        resp = self.app.test_client().open(path, method=method, json=body, headers=headers)
        if resp.status_code != 200:
            raise RegionUnreachable(f"region answered {resp.status_code}: {resp.get_json()}")
        return resp.get_json()
