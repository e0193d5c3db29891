-- Own passwords: when each user's login password was last set (for the policy's maximum
-- age), and whether it must be changed at the next login (after an administrator's
-- reset). Existing users count from their creation time.
ALTER TABLE users ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at;
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
