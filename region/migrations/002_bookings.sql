-- Online bookings: made on the public page, pulled down by the site's hub (seq = the cursor).
CREATE TABLE bookings (
    seq        bigserial PRIMARY KEY,
    site       text NOT NULL REFERENCES sites (id),
    code_hash  text NOT NULL UNIQUE,
    service    text NOT NULL,
    day        date NOT NULL,
    session    text,
    expires_at timestamptz NOT NULL,   -- released if not checked in by then
    made_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookings_site_seq ON bookings (site, seq);
CREATE INDEX bookings_slot ON bookings (site, service, day, session);
