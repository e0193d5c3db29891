-- Staff changes and handover cases (交接).

CREATE TABLE hr_events (
    unit_id          TEXT NOT NULL REFERENCES units (id),
    id               TEXT NOT NULL UNIQUE,
    actor_key        TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id),
    successor_id     TEXT REFERENCES users (id),
    effective_at     BIGINT NOT NULL,
    note             TEXT,
    handover_id      TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, id)
);
-- Idempotency keys are scoped to the caller.
CREATE UNIQUE INDEX hr_events_idempotency ON hr_events (actor_key, idempotency_key);

CREATE TABLE handovers (
    unit_id                  TEXT NOT NULL REFERENCES units (id),
    id                       TEXT NOT NULL UNIQUE,
    event_id                 TEXT NOT NULL,
    event_type               TEXT NOT NULL,
    leaver_id                TEXT NOT NULL REFERENCES users (id),
    successor_id             TEXT REFERENCES users (id),
    state                    TEXT NOT NULL,
    deadline_at              BIGINT NOT NULL,
    materials_by             TEXT,
    materials_at             BIGINT,
    materials_note           TEXT,
    training_by              TEXT,
    training_at              BIGINT,
    training_note            TEXT,
    acknowledged_at          BIGINT,
    acknowledgement_note     TEXT,
    signed_off_by            TEXT,
    signed_off_at            BIGINT,
    cancelled_by             TEXT,
    cancelled_at             BIGINT,
    cancel_reason            TEXT,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    PRIMARY KEY (unit_id, id)
);
CREATE INDEX handovers_leaver ON handovers (leaver_id);

-- One row per (account, action) of a case.
CREATE TABLE handover_actions (
    unit_id      TEXT NOT NULL,
    handover_id  TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    action       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    done_at      BIGINT,
    done_by      TEXT,
    evidence     TEXT,
    PRIMARY KEY (unit_id, item_id, action),
    FOREIGN KEY (unit_id, handover_id) REFERENCES handovers (unit_id, id),
    FOREIGN KEY (unit_id, account_id) REFERENCES accounts (unit_id, id)
);
CREATE INDEX handover_actions_case ON handover_actions (handover_id);
