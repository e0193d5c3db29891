-- Strength recorded when a credential version is sealed, so that `weak_password` can
-- judge stored passwords against a unit's *current* policy without decrypting them:
-- `score` (zxcvbn with the context words, recorded since 0002) plus, from now on, the
-- character classes present (bit mask: 1 lowercase, 2 uppercase, 4 digit, 8 symbol)
-- and the length in characters (which the ciphertext's own length already shows).
-- Both are NULL on versions sealed before this migration: nothing recorded what they
-- contain, so inspection does not judge them until a rotation seals a new version.
ALTER TABLE credential_versions ADD COLUMN char_classes BIGINT;
ALTER TABLE credential_versions ADD COLUMN char_count BIGINT;
