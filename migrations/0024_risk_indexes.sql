-- Risk ranking (issue 11): the grouped counts of a subtree (src/risk/tally.rs) read
-- indexes only. benches/risk.rs measures the ranking without and with these, and what
-- they cost each insert.
-- Active accounts per unit: covers `status = 'active' … GROUP BY unit_id`.
CREATE INDEX accounts_unit_status ON accounts (unit_id, status);
-- Open findings per (unit, rule, severity); partial, so resolved history costs nothing.
CREATE INDEX findings_unit_open ON findings (unit_id, rule, severity) WHERE state = 'open';
-- A drill-down's accounts: each open finding's live item, looked up by finding (the
-- partial rectifications_one_live cannot serve a lookup that does not say
-- closed_at IS NULL; without this each finding scans the items).
CREATE INDEX rectifications_finding ON rectifications (finding_id);
