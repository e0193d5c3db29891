-- What a digest has already told (issue 10): one row per fact a notice covered once —
-- an account reaching a rotation reminder stage, a case escalated, a veto finding
-- escalated. A producer claims its facts with INSERT … ON CONFLICT DO NOTHING RETURNING
-- inside the transaction that queues the notice, so two scanners on one PostgreSQL
-- cannot both tell of the same fact, and a rerun lists only what is new.
CREATE TABLE notice_marks (
    mark        TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);
