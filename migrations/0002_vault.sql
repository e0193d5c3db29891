-- Credential vault: managed accounts, their custodians, sealed credential versions,
-- staged rotations and the exposure ledger (who saw which version).

CREATE TABLE accounts (
    unit_id            TEXT NOT NULL REFERENCES units (id),
    id                 TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    platform           TEXT NOT NULL,
    login_name         TEXT NOT NULL,
    login_url          TEXT,
    classification     TEXT NOT NULL,
    status             TEXT NOT NULL,
    bound_phone        TEXT,
    bound_email        TEXT,
    binding_holder_id  TEXT REFERENCES users (id),
    totp_secret        BYTEA,
    notes              TEXT,
    created_by         TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    last_rotated_at    BIGINT,
    PRIMARY KEY (unit_id, id)
);
CREATE UNIQUE INDEX accounts_unit_name ON accounts (unit_id, name);

CREATE TABLE account_custodians (
    unit_id     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (unit_id, account_id, user_id),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
CREATE INDEX account_custodians_user ON account_custodians (user_id);

CREATE TABLE credential_versions (
    unit_id       TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    version       BIGINT NOT NULL,
    state         TEXT NOT NULL,
    sealed        BYTEA NOT NULL,
    score         BIGINT NOT NULL,
    weak          BIGINT NOT NULL,
    fingerprint   TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    PRIMARY KEY (unit_id, account_id, version),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
CREATE INDEX credential_versions_fingerprint ON credential_versions (unit_id, fingerprint);
CREATE INDEX credential_versions_state ON credential_versions (account_id, state);

CREATE TABLE rotations (
    unit_id      TEXT NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    state        TEXT NOT NULL,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    finished_by  TEXT,
    finished_at  BIGINT,
    PRIMARY KEY (unit_id, id),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
-- At most one pending rotation per account, enforced by the database.
CREATE UNIQUE INDEX rotations_one_pending ON rotations (account_id) WHERE state = 'pending';

CREATE TABLE exposures (
    unit_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    user_id     TEXT,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (unit_id, id),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
CREATE INDEX exposures_user ON exposures (user_id);
CREATE INDEX exposures_account ON exposures (account_id, version);
