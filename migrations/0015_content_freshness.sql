-- Content freshness of new-media and website accounts. last_published_at is the newest
-- publication known (reported, imported or found by the probe); feed_url is probed by
-- the freshness_probe job, which keeps its last outcome here: when it ran, 'ok' or the
-- failure code, the HTTP status, the content hash of the last successful answer (to see
-- a page change) and how many probes in a row failed (account_unreachable).
ALTER TABLE accounts ADD COLUMN last_published_at BIGINT;
ALTER TABLE accounts ADD COLUMN feed_url TEXT;
ALTER TABLE accounts ADD COLUMN probe_at BIGINT;
ALTER TABLE accounts ADD COLUMN probe_status TEXT;
ALTER TABLE accounts ADD COLUMN probe_http_status BIGINT;
ALTER TABLE accounts ADD COLUMN probe_hash TEXT;
ALTER TABLE accounts ADD COLUMN probe_failures BIGINT NOT NULL DEFAULT 0;
-- The accounts the probe visits.
CREATE INDEX accounts_feed ON accounts (probe_at) WHERE feed_url IS NOT NULL;

-- Every publication reported (API), imported (CSV) or found by the probe: the log
-- behind last_published_at. source: 'report', 'import' or 'probe'.
CREATE TABLE publications (
    unit_id       TEXT NOT NULL,
    id            TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    title         TEXT,
    url           TEXT,
    source        TEXT NOT NULL,
    reported_by   TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (unit_id, id),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
CREATE INDEX publications_account ON publications (account_id, published_at);
