-- The regional server's first schema: sites, people, the events every hub pushed up.
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE sites (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'supervisor', 'admin'))
);

-- The idempotency gate: one row per (site, event id) ever stored, with the digest of the
-- event's canonical text (the same id with another body is a conflict, never stored). A
-- separate table because a unique index on a partitioned table must contain the partition
-- key, and (site, event_id) must be unique across every month.
CREATE TABLE event_keys (
    site     text NOT NULL REFERENCES sites (id),
    event_id text NOT NULL,
    digest   text NOT NULL,
    PRIMARY KEY (site, event_id)
);

-- Hub records as the hub logged them, partitioned by the month the hub received them
-- (region.db.ensure_partitions creates months ahead; the default partition catches the rest).
CREATE TABLE events (
    site     text NOT NULL,
    event_id text NOT NULL,
    hseq     bigint NOT NULL,
    recv_at  timestamptz NOT NULL,
    day      date,            -- the ticket's service day (from its key), null for others
    type     text NOT NULL,
    ticket   text,
    record   jsonb NOT NULL
) PARTITION BY RANGE (recv_at);
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_site_day ON events (site, day, hseq);
CREATE INDEX events_site_type ON events (site, type, hseq);

CREATE TABLE conflicts (
    site      text NOT NULL,
    event_id  text NOT NULL,
    digest    text NOT NULL,
    record    jsonb NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE site_state (
    site         text PRIMARY KEY REFERENCES sites (id),
    events       bigint NOT NULL DEFAULT 0,
    last_hseq    bigint NOT NULL DEFAULT 0,
    last_push_at timestamptz
);
