"""Storing what hubs push: idempotent on (site, event id), in one statement per batch.

A hub pushes its own log records (``{hseq, recv_ms, est_ms, event}``, core.events). Each is
validated with the same parser the hub uses; the batch is inserted with one SQL statement
that first claims the ids in ``event_keys`` (``ON CONFLICT DO NOTHING``) and then stores only
the records whose id it claimed, so a retried batch, a batch cut halfway by a lost answer, or
a whole re-push after an epoch change all leave exactly one row per event. The same id with a
different event is kept aside in ``conflicts`` (an alarm, as on the hub), never stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from core.errors import EventError
from core.events import parse_record

MAX_BATCH = 1000
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})/")

_INSERT = """
WITH input AS (
    SELECT DISTINCT ON (event_id) *
    FROM unnest(%(ids)s::text[], %(digests)s::text[], %(hseqs)s::bigint[],
                %(recv)s::bigint[], %(days)s::date[], %(types)s::text[], %(tickets)s::text[],
                %(records)s::jsonb[])
         AS t(event_id, digest, hseq, recv_ms, day, type, ticket, record)
    ORDER BY event_id, hseq
), claimed AS (
    INSERT INTO event_keys (site, event_id, digest)
    SELECT %(site)s, event_id, digest FROM input
    ON CONFLICT DO NOTHING
    RETURNING event_id
)
INSERT INTO events (site, event_id, hseq, recv_at, day, type, ticket, record)
SELECT %(site)s, i.event_id, i.hseq, to_timestamp(i.recv_ms / 1000.0), i.day, i.type,
       i.ticket, i.record
FROM input i JOIN claimed c USING (event_id)
"""

_CONFLICTS = """
SELECT i.event_id, i.digest, i.record
FROM unnest(%(ids)s::text[], %(digests)s::text[], %(records)s::jsonb[])
     AS i(event_id, digest, record)
JOIN event_keys k ON k.site = %(site)s AND k.event_id = i.event_id AND k.digest <> i.digest
"""


class BadBatch(ValueError):
    """A pushed batch that cannot be stored: nothing of it was stored."""

    def __init__(self, code: str, message: str, index: int | None = None):
        super().__init__(message)
        self.code, self.message, self.index = code, message, index


@dataclass(frozen=True)
class Result:
    accepted: int
    duplicates: int
    conflicts: int
    last_hseq: int


def digest(event: dict) -> str:
    """Digest of an event's canonical text (the hub's receipt is left out: hubs add it)."""
    body = {k: v for k, v in event.items() if k != "receipt"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def columns(records: list) -> dict[str, list]:
    """The batch as column arrays; BadBatch (with the record's index) for a malformed one."""
    if not isinstance(records, list):
        raise BadBatch("invalid_field", "events must be a list of hub records")
    if len(records) > MAX_BATCH:
        raise BadBatch("too_large", f"at most {MAX_BATCH} records per push, got {len(records)}")
    cols: dict[str, list] = {k: [] for k in ("ids", "digests", "hseqs", "recv", "days")}
    cols.update(types=[], tickets=[], records=[])
    for i, raw in enumerate(records):
        try:
            rec = parse_record(raw)
        except (EventError, KeyError, TypeError, ValueError) as exc:
            raise BadBatch("invalid_record", f"events[{i}]: {exc}", i) from exc
        if rec.hseq < 1:
            raise BadBatch("invalid_record", f"events[{i}].hseq: must be >= 1", i)
        event = raw["event"]
        ticket = event.get("ticket")
        found = _DAY.match(ticket) if isinstance(ticket, str) else None
        cols["ids"].append(event["id"])
        cols["digests"].append(digest(event))
        cols["hseqs"].append(rec.hseq)
        cols["recv"].append(rec.recv_ms)
        cols["days"].append(found.group(1) if found else None)
        cols["types"].append(event["type"])
        cols["tickets"].append(ticket)
        cols["records"].append(Jsonb(raw))
    return cols


def store(conn: psycopg.Connection, site: str, records: list) -> Result:
    """Insert a pushed batch in one transaction; the counts say what happened."""
    cols = columns(records)
    if not cols["ids"]:
        return Result(0, 0, 0, 0)
    params = {"site": site, **cols}
    with conn.transaction():
        cur = conn.execute(_INSERT, params)
        accepted = cur.rowcount
        conflicts = conn.execute(_CONFLICTS, params).fetchall()
        for event_id, dig, record in conflicts:
            conn.execute(
                "INSERT INTO conflicts (site, event_id, digest, record) VALUES (%s, %s, %s, %s)",
                (site, event_id, dig, Jsonb(record)),
            )
        top = max(cols["hseqs"])
        conn.execute(
            "UPDATE site_state SET events = events + %s, last_hseq = GREATEST(last_hseq, %s),"
            " last_push_at = now() WHERE site = %s",
            (accepted, top, site),
        )
    return Result(accepted, len(cols["ids"]) - accepted, len(conflicts), top)
