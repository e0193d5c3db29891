-- Scheduled jobs (src/jobs). The database is the truth; each server's in-process ticker
-- only wakes it up.

-- One row per registered job (id = the job's name). Whoever claims a job's occurrence
-- locks this row first (PostgreSQL: FOR UPDATE SKIP LOCKED, so a second claimer moves
-- on at once; SQLite: the write transaction holds the database), so the checks "is an
-- occurrence of this job running?" and "which occurrence is next?" hold across servers.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

-- One row per occurrence (job, due_at). A claimer sets owner (its instance id) and a
-- lease it renews while running; a run whose lease expired (server killed) is claimed
-- again and finished by another instance. Times are UTC unix milliseconds.
CREATE TABLE job_runs (
    id                TEXT PRIMARY KEY,
    job               TEXT NOT NULL REFERENCES jobs (id),
    due_at            BIGINT NOT NULL,
    trigger_kind      TEXT NOT NULL,
    state             TEXT NOT NULL,
    owner             TEXT,
    lease_expires_at  BIGINT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT,
    duration_ms       BIGINT,
    counts            TEXT,
    error             TEXT
);
CREATE UNIQUE INDEX job_runs_occurrence ON job_runs (job, due_at);
CREATE INDEX job_runs_state ON job_runs (job, state);
