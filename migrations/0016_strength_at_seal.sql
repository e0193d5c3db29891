-- Strength recorded when a credential version is sealed, so that `weak_password` can
-- judge stored passwords against a unit's *current* policy without decrypting them:
-- `score` (zxcvbn with the context words, recorded since 0002) plus, from now on, the
-- character classes present (bit mask: 1 lowercase, 2 uppercase, 4 digit, 8 symbol)
-- and the length in characters (which the ciphertext's own length already shows).
-- Both are NULL on versions sealed before this migration: nothing recorded what they
-- contain, so inspection does not judge them until a rotation seals a new version.
ALTER TABLE credential_versions ADD COLUMN char_classes BIGINT;
ALTER TABLE credential_versions ADD COLUMN char_count BIGINT;

-- The departed detectors (exposed_to_departed, binding_holder_departed) look up each
-- person's departures and transfers for every account row of the district scan.
CREATE INDEX hr_events_user ON hr_events (user_id);

-- The open findings of a rule (the daily scan reads them, then moves last_seen of the
-- ones it saw unchanged in one UPDATE) through a partial index on rule alone: with
-- last_seen out of the index PostgreSQL can update those rows in place (HOT), and a
-- re-evaluation that resolves a few targets' findings goes through the unique
-- (rule, target_id) index on SQLite instead of walking every open finding of the rule.
DROP INDEX findings_open;
CREATE INDEX findings_open ON findings (rule) WHERE state = 'open';
