-- Notifications (issue 10). Everything that reaches a person is written in the
-- transaction that caused it: the in-app inbox as `notifications` rows (the inbox is the
-- database, nothing is sent), every other channel as `outbox` rows that the deliverer
-- sends later.
--
-- One outbox row is one message to one destination (one HTTP request, one e-mail); its
-- id (UUIDv7) is the webhook id / idempotency key the receiver deduplicates on. The
-- destination is not stored: `settings_unit_id` names the unit whose channel settings
-- give it (robots, webhook, unit e-mail list), `recipient_user_id` the person of a
-- personal e-mail. States: pending, delivered, failed. A row is claimed by setting
-- lease_owner / lease_until; the outcome is recorded only by the lease holder.
-- dedupe_key (NULL for most rows) keeps a digest of a unit/group/day queued once even
-- when the scan that queues it runs twice. last_error never holds a secret or a URL.
CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    unit_id            TEXT NOT NULL REFERENCES units (id),
    channel            TEXT NOT NULL,
    settings_unit_id   TEXT REFERENCES units (id),
    recipient_user_id  TEXT REFERENCES users (id),
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    html               TEXT NOT NULL,
    data               TEXT NOT NULL,
    mentions           TEXT NOT NULL,
    state              TEXT NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    lease_owner        TEXT,
    lease_until        BIGINT,
    delivered_at       BIGINT,
    last_error         TEXT,
    created_at         BIGINT NOT NULL,
    dedupe_key         TEXT UNIQUE
);
-- The deliverer's claim: pending rows by due time.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
-- The sysadmins' list (newest first, optionally by state).
CREATE INDEX outbox_newest ON outbox (created_at, id);

-- The in-app inbox: one row per person and notice (dedupe_key as in the outbox).
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    unit_id     TEXT NOT NULL REFERENCES units (id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    data        TEXT NOT NULL,
    dedupe_key  TEXT,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
-- A digest queued twice reaches each person once.
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);
-- A person's inbox, newest first (and unread only).
CREATE INDEX notifications_user ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
