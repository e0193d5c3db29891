-- credgov foundation schema. One history for SQLite and PostgreSQL:
-- ids are TEXT (UUIDv7), times BIGINT unix milliseconds UTC, flags BIGINT 0/1,
-- binary BYTEA. Every tenant-owned table carries unit_id in its primary key.

-- The master key (KEK) itself is never stored: key_check recognises it, and it wraps
-- a random system key (sub-keys for TOTP sealing and fingerprints derive from it) and
-- one data key per unit. next_key_check is set while `keys rotate` is under way.
CREATE TABLE keyring (
    id                  TEXT PRIMARY KEY,
    key_check           TEXT NOT NULL,
    next_key_check      TEXT,
    wrapped_system_key  BYTEA NOT NULL,
    system_key_check    TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE unit_keys (
    unit_id     TEXT PRIMARY KEY,
    wrapped     BYTEA NOT NULL,
    key_check   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES units (id),
    path        TEXT NOT NULL UNIQUE,
    depth       BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    code        TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX units_parent ON units (parent_id);
CREATE UNIQUE INDEX units_sibling_name ON units (parent_id, name);
CREATE UNIQUE INDEX units_code ON units (code);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units (id),
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    phone           TEXT,
    email           TEXT,
    status          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    totp_secret     BYTEA,
    totp_pending    BYTEA,
    totp_last_step  BIGINT,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX users_unit ON users (unit_id);

CREATE TABLE memberships (
    unit_id     TEXT NOT NULL REFERENCES units (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (unit_id, user_id, role)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    mfa_satisfied   BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    unit_id      TEXT NOT NULL REFERENCES units (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    PRIMARY KEY (unit_id, id)
);

CREATE TABLE audit_heads (
    unit_id     TEXT PRIMARY KEY REFERENCES units (id),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE audit_events (
    unit_id       TEXT NOT NULL REFERENCES units (id),
    seq           BIGINT NOT NULL,
    id            TEXT NOT NULL,
    at            BIGINT NOT NULL,
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT,
    actor_name    TEXT,
    action        TEXT NOT NULL,
    target_kind   TEXT,
    target_id     TEXT,
    outcome       TEXT NOT NULL,
    request_id    TEXT,
    client_addr   TEXT,
    details       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (unit_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (at);
