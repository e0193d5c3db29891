-- Keyed audit chain (HMAC-SHA256 links, encoding v2) and the master key epoch.
-- Events written before this migration keep their SHA-256 links (v1); each chain's
-- last v1 event is recorded so a v1 event after it is recognised as a rewrite.
ALTER TABLE audit_events ADD COLUMN v BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_heads ADD COLUMN legacy_seq BIGINT;
UPDATE audit_heads SET legacy_seq = seq;
-- Counts finished master key rotations; a running server compares it with its own.
ALTER TABLE keyring ADD COLUMN epoch BIGINT NOT NULL DEFAULT 1;
