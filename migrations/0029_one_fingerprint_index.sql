-- One index on credential versions' fingerprints where there were two: every lookup
-- by fingerprint is of live versions (current, or pending a confirmation), so
-- (unit_id, fingerprint) of 0002 over every version ever written and (fingerprint) of
-- 0013 over the current ones become one partial index over the live ones. Each written
-- version costs one index entry fewer (a bulk import writes 5,000).
-- * The unit's reuse check (`vault::validate`) looks up fingerprint and unit among
--   the current and pending versions.
-- * The district's reuse grouping and the scan's narrowing read the current ones;
--   `state` is in the key, so the grouping still reads the index alone.
-- The predicate is written with OR, not IN: SQLite uses a partial index for a query
-- whose WHERE has a term equal to one side of the index's OR (`state = 'current'`),
-- and cannot prove that term implies an IN list. tests/api/schema.rs checks the plans.
DROP INDEX credential_versions_fingerprint;
DROP INDEX credential_versions_current_fingerprint;
CREATE INDEX credential_versions_live_fingerprint ON credential_versions (fingerprint, unit_id, state)
    WHERE state = 'current' OR state = 'pending';
