-- Login hardening: attempt slots reserved before a password or code is checked, per
-- address throttling, case-insensitive usernames.

-- Attempts being checked right now (reserved before hashing, so at most
-- lockout.max_failures guesses are ever evaluated). The reservation is a lease: a slot
-- left by a crashed server stops counting at login_pending_until.
ALTER TABLE users ADD COLUMN login_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN login_pending_until BIGINT;

-- Failed logins per client address (IPv6: per /64) in a fixed window, across usernames.
CREATE TABLE login_throttle (
    client_addr     TEXT PRIMARY KEY,
    window_start    BIGINT NOT NULL,
    failures        BIGINT NOT NULL,
    pending         BIGINT NOT NULL,
    pending_until   BIGINT NOT NULL
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- Usernames are lower case from now on (new names are normalised on create, lookups
-- normalise what is typed). Existing names become lower case unless two of them differ
-- only in case: those are left as they are (the migration must not fail on a live
-- database), keep logging in with their exact spelling, and start-up logs a warning
-- naming them until an operator renames one.
UPDATE users SET username = lower(username)
WHERE username <> lower(username)
  AND NOT EXISTS (
      SELECT 1 FROM users other
      WHERE other.id <> users.id AND lower(other.username) = lower(users.username)
  );
