"""PostgreSQL for the regional server: the pool, the versioned migrations, the partitions.

Migrations are plain SQL files ``region/migrations/NNN_name.sql`` applied in order at start,
each in its own transaction together with its row in ``schema_migrations`` (an advisory lock
keeps two servers starting at once from applying one twice). No ORM: the idempotency of the
event store is a primary key and ``ON CONFLICT DO NOTHING`` that anyone can read.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg_pool import ConnectionPool

from core.config_region import RegionConfig

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x10CE7  # pg_advisory_xact_lock key of the migrator


def open_pool(config: RegionConfig) -> ConnectionPool:
    pool = ConnectionPool(
        config.dsn,
        min_size=config.pool_min,
        max_size=config.pool_max,
        open=False,
        name="loket-region",
        # every write says where its transaction is (conn.transaction()); a plain read
        # must not leave one open behind it
        kwargs={"autocommit": True},
    )
    pool.open(wait=True, timeout=30)
    return pool


def migration_files() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name, path))
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"region migrations must be numbered 001.. without gaps: {numbers}")
    return found


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply every migration not yet applied; returns the numbers applied now."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for number, name, path in migration_files():
            if number in done:
                continue
            conn.execute(path.read_text(encoding="utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (number, name)
            )
            applied.append(number)
            log.info("region: applied migration %03d_%s", number, name)
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('region_epoch', %s), ('secret_key', %s)"
            " ON CONFLICT DO NOTHING",
            (secrets.token_hex(8), secrets.token_hex(32)),
        )
    return applied


def setting(conn: psycopg.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = %s", (key,)).fetchone()
    return row[0] if row else None


def month_start(d: date, add: int = 0) -> date:
    index = d.year * 12 + d.month - 1 + add
    return date(index // 12, index % 12 + 1, 1)


def ensure_partitions(conn: psycopg.Connection, months_ahead: int, today: date | None = None):
    """Monthly partitions of ``events`` from this month to ``months_ahead`` ahead.

    Created ahead so no insert lands in the default partition in normal operation (a new
    partition must scan the default one for rows of its range). Returns the names created.
    """
    today = today or datetime.now(UTC).date()
    made = []
    for i in range(-1, months_ahead + 1):
        lo, hi = month_start(today, i), month_start(today, i + 1)
        name = f"events_{lo:%Y_%m}"
        try:
            with conn.transaction():
                exists = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0]
                if exists:
                    continue
                conn.execute(
                    f"CREATE TABLE {name} PARTITION OF events"  # name built from a date: safe
                    f" FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
                )
                made.append(name)
        except psycopg.errors.CheckViolation:
            # The default partition already holds rows of that month (a hub whose clock ran
            # ahead): they stay there, still found by every query; never refuse to start.
            log.warning("region: %s not created: the default partition holds its rows", name)
    return made


def prepare(pool: ConnectionPool, config: RegionConfig) -> None:
    """What ``loket region serve`` does before it binds its port."""
    with pool.connection() as conn:
        migrate(conn)
        ensure_partitions(conn, config.months_ahead)
