-- Rate limits shared by every server on one database: one fixed-window counter per
-- bucket (e.g. `policy_check:user:<id>`).
CREATE TABLE rate_limits (
    bucket        TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL
);
