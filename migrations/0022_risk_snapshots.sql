-- Risk ranking (issue 11): one row per unit per day (China date), written by the daily
-- scan, holding the unit's whole-subtree figures so trends and "change since the last
-- period" never recompute history. Kept `risk.snapshot_keep_days` (default 400).
CREATE TABLE risk_snapshots (
    unit_id       TEXT NOT NULL REFERENCES units (id),
    day           TEXT NOT NULL,
    -- The score × 10 (one decimal, kept exact).
    score_tenths  BIGINT NOT NULL,
    veto          BIGINT NOT NULL,
    accounts      BIGINT NOT NULL,
    -- JSON: [[good, total], …] in component order; {"veto": n, …}; {"rule": n, …}.
    components    TEXT NOT NULL,
    counts        TEXT NOT NULL,
    by_rule       TEXT NOT NULL,
    taken_at      BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE INDEX risk_snapshots_day ON risk_snapshots (day);
