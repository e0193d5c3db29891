-- Rectification (整改): a finding at or above the policy's rectification.min_severity
-- opens one item for its unit, due deadline_at (working days). States: open, submitted,
-- returned, accepted, auto_resolved. closed_at is NULL while the item is live: open,
-- submitted, returned, or accepted as a risk (risk_accepted_until set; the daily scan
-- reopens it after that). A plain acceptance and auto_resolved set closed_at. The
-- partial unique index keeps one live item per finding, so concurrent scanners and
-- write paths never open two. Overdue is not a state: a live open or returned item past
-- deadline_at; the first sync that sees it records escalated_at and the unit above
-- (escalated_to) whose supervisors answer for it.
CREATE TABLE rectifications (
    unit_id              TEXT NOT NULL REFERENCES units (id),
    id                   TEXT NOT NULL UNIQUE,
    finding_id           TEXT NOT NULL REFERENCES findings (id),
    rule                 TEXT NOT NULL,
    severity             TEXT NOT NULL,
    state                TEXT NOT NULL,
    opened_at            BIGINT NOT NULL,
    deadline_at          BIGINT NOT NULL,
    escalated_at         BIGINT,
    escalated_to         TEXT,
    evidence             TEXT,
    submitted_by         TEXT,
    submitted_at         BIGINT,
    reviewed_by          TEXT,
    reviewed_at          BIGINT,
    review_reason        TEXT,
    risk_accepted_until  BIGINT,
    reopened_count       BIGINT NOT NULL DEFAULT 0,
    closed_at            BIGINT,
    closed_how           TEXT,
    PRIMARY KEY (unit_id, id)
);
CREATE UNIQUE INDEX rectifications_one_live ON rectifications (finding_id) WHERE closed_at IS NULL;
-- The list (newest first).
CREATE INDEX rectifications_newest ON rectifications (opened_at, id);
-- Escalation and risk expiry: live items by deadline.
CREATE INDEX rectifications_live ON rectifications (closed_at, state, deadline_at);
