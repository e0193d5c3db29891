-- Daily inspection (每日巡检): one row per (rule, target). A rescan moves last_seen
-- forward; a condition that is gone resolves the row (resolved_at, resolved_how); the
-- same condition coming back reopens it. details is a JSON object that never holds a
-- secret. The unique key makes concurrent scanners (several servers on one PostgreSQL)
-- upsert the same row instead of adding a second one.
CREATE TABLE findings (
    unit_id       TEXT NOT NULL REFERENCES units (id),
    id            TEXT NOT NULL UNIQUE,
    rule          TEXT NOT NULL,
    target_kind   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    severity      TEXT NOT NULL,
    details       TEXT NOT NULL,
    state         TEXT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    resolved_at   BIGINT,
    resolved_how  TEXT,
    PRIMARY KEY (unit_id, id)
);
CREATE UNIQUE INDEX findings_rule_target ON findings (rule, target_id);
-- The list (newest first) and the resolve step of a rescan.
CREATE INDEX findings_newest ON findings (first_seen, id);
CREATE INDEX findings_open ON findings (state, rule, last_seen);
-- Reuse across the district: current versions grouped by fingerprint.
CREATE INDEX credential_versions_current_fingerprint ON credential_versions (fingerprint) WHERE state = 'current';
