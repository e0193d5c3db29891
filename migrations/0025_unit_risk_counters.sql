-- Risk ranking (issue 11): each unit's own counts that do not depend on the clock, so a
-- ranking reads a few rows per unit instead of counting every account and finding of
-- the subtree. Kept exact by database triggers in the transaction of every write to
-- `accounts` and `findings` (engine-specific, so created from code after the migrations:
-- src/db/counters/), which also fill these tables from the live rows when it creates
-- them. The daily scan recounts and repairs any drift. A row with n = 0 may stay.

-- Accounts per unit and status (the ranking reads status 'active').
CREATE TABLE unit_account_counts (
    unit_id  TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    status   TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (unit_id, status)
);

-- Open findings per unit, rule and severity.
CREATE TABLE unit_finding_counts (
    unit_id   TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    rule      TEXT NOT NULL,
    severity  TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (unit_id, rule, severity)
);
