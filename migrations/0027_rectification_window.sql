-- Risk ranking (issue 11): the rectification items of a unit and whether each kept its
-- deadline (src/risk/tally/counts.rs `items`), read from this index alone instead of
-- one table row per item: state, opened_at (the one-year window), deadline_at and the
-- submitted_at / closed_at it is judged on, after the unit. At level 1 of the risk
-- bench's tree (~8,500 items of ~1,000 units), while a build loaded the machine, the
-- count took 38–57 ms without it and 20–25 ms with it on PostgreSQL, and 75 ms and
-- 44 ms on SQLite (the README's Benchmarks section has the quiet-machine figures).
CREATE INDEX rectifications_unit_window
    ON rectifications (unit_id, state, opened_at, deadline_at, submitted_at, closed_at);
