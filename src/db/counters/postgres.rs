//! The counter triggers on PostgreSQL: statement triggers with transition tables, so a
//! statement writing many rows (an import, the daily scan's batches) adds one grouped
//! delta per counter row instead of one update per row — row triggers bumping the same
//! counter row again and again in one transaction made a bulk insert seven times slower.
//! The upsert `n = n + delta` is atomic under concurrent writers (the second waits for
//! the first's row lock, then adds to the committed value), and the deltas are written
//! in key order so two statements lock counter rows in the same order.
//!
//! A trigger with transition tables serves one event, hence three per table, all
//! calling one function per table that branches on `TG_OP`.

use super::Trigger;

/// Both functions (`CREATE OR REPLACE`: idempotent).
pub(super) const FUNCTIONS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION credgov_count_accounts_v1() RETURNS trigger \
     LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO unit_account_counts AS c (unit_id, status, n)
        SELECT unit_id, status, COUNT(*) FROM new_rows
        GROUP BY unit_id, status ORDER BY unit_id, status
        ON CONFLICT (unit_id, status) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO unit_account_counts AS c (unit_id, status, n)
        SELECT unit_id, status, -COUNT(*) FROM old_rows
        GROUP BY unit_id, status ORDER BY unit_id, status
        ON CONFLICT (unit_id, status) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        INSERT INTO unit_account_counts AS c (unit_id, status, n)
        SELECT unit_id, status, SUM(d) FROM (
            SELECT unit_id, status, -1 AS d FROM old_rows
            UNION ALL SELECT unit_id, status, 1 FROM new_rows
        ) t GROUP BY unit_id, status HAVING SUM(d) <> 0 ORDER BY unit_id, status
        ON CONFLICT (unit_id, status) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END
$fn$",
    "CREATE OR REPLACE FUNCTION credgov_count_findings_v1() RETURNS trigger \
     LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO unit_finding_counts AS c (unit_id, rule, severity, n)
        SELECT unit_id, rule, severity, COUNT(*) FROM new_rows WHERE state = 'open'
        GROUP BY unit_id, rule, severity ORDER BY unit_id, rule, severity
        ON CONFLICT (unit_id, rule, severity) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO unit_finding_counts AS c (unit_id, rule, severity, n)
        SELECT unit_id, rule, severity, -COUNT(*) FROM old_rows WHERE state = 'open'
        GROUP BY unit_id, rule, severity ORDER BY unit_id, rule, severity
        ON CONFLICT (unit_id, rule, severity) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        INSERT INTO unit_finding_counts AS c (unit_id, rule, severity, n)
        SELECT unit_id, rule, severity, SUM(d) FROM (
            SELECT unit_id, rule, severity, -1 AS d FROM old_rows WHERE state = 'open'
            UNION ALL SELECT unit_id, rule, severity, 1 FROM new_rows WHERE state = 'open'
        ) t GROUP BY unit_id, rule, severity HAVING SUM(d) <> 0
        ORDER BY unit_id, rule, severity
        ON CONFLICT (unit_id, rule, severity) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END
$fn$",
];

pub(super) const TRIGGERS: &[Trigger] = &[
    Trigger {
        name: "credgov_count_accounts_v1_insert",
        table: "accounts",
        sql: "CREATE TRIGGER credgov_count_accounts_v1_insert AFTER INSERT ON accounts \
              REFERENCING NEW TABLE AS new_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_accounts_v1()",
    },
    Trigger {
        name: "credgov_count_accounts_v1_delete",
        table: "accounts",
        sql: "CREATE TRIGGER credgov_count_accounts_v1_delete AFTER DELETE ON accounts \
              REFERENCING OLD TABLE AS old_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_accounts_v1()",
    },
    Trigger {
        name: "credgov_count_accounts_v1_update",
        table: "accounts",
        sql: "CREATE TRIGGER credgov_count_accounts_v1_update AFTER UPDATE ON accounts \
              REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_accounts_v1()",
    },
    Trigger {
        name: "credgov_count_findings_v1_insert",
        table: "findings",
        sql: "CREATE TRIGGER credgov_count_findings_v1_insert AFTER INSERT ON findings \
              REFERENCING NEW TABLE AS new_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_findings_v1()",
    },
    Trigger {
        name: "credgov_count_findings_v1_delete",
        table: "findings",
        sql: "CREATE TRIGGER credgov_count_findings_v1_delete AFTER DELETE ON findings \
              REFERENCING OLD TABLE AS old_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_findings_v1()",
    },
    Trigger {
        name: "credgov_count_findings_v1_update",
        table: "findings",
        sql: "CREATE TRIGGER credgov_count_findings_v1_update AFTER UPDATE ON findings \
              REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
              FOR EACH STATEMENT EXECUTE FUNCTION credgov_count_findings_v1()",
    },
];
