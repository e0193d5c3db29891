//! The counter triggers on SQLite: row triggers (SQLite has no others), each an upsert
//! of ±1 into its unit's counter row. SQLite writes one transaction at a time, so the
//! row is never contended; an UPDATE trigger fires only when a counted column changes.

use super::Trigger;

/// `INSERT … ON CONFLICT` adding `delta` to the accounts counter of `row` (NEW or OLD).
macro_rules! bump_accounts {
    ($row:literal, $delta:literal) => {
        concat!(
            "INSERT INTO unit_account_counts (unit_id, status, n) VALUES (",
            $row,
            ".unit_id, ",
            $row,
            ".status, ",
            $delta,
            ") ON CONFLICT (unit_id, status) DO UPDATE SET n = n + excluded.n;"
        )
    };
}

/// The same for the open-findings counter; the `WHERE` keeps only an open `row` (and
/// is what lets SQLite parse an upsert after a `SELECT`).
macro_rules! bump_findings {
    ($row:literal, $delta:literal) => {
        concat!(
            "INSERT INTO unit_finding_counts (unit_id, rule, severity, n) SELECT ",
            $row,
            ".unit_id, ",
            $row,
            ".rule, ",
            $row,
            ".severity, ",
            $delta,
            " WHERE ",
            $row,
            ".state = 'open' ON CONFLICT (unit_id, rule, severity) DO UPDATE SET n = n + excluded.n;"
        )
    };
}

pub(super) const TRIGGERS: &[Trigger] = &[
    Trigger {
        name: "credgov_count_accounts_v1_insert",
        table: "accounts",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_accounts_v1_insert AFTER INSERT ON accounts \
             BEGIN ",
            bump_accounts!("NEW", "1"),
            " END"
        ),
    },
    Trigger {
        name: "credgov_count_accounts_v1_delete",
        table: "accounts",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_accounts_v1_delete AFTER DELETE ON accounts \
             BEGIN ",
            bump_accounts!("OLD", "-1"),
            " END"
        ),
    },
    Trigger {
        name: "credgov_count_accounts_v1_update",
        table: "accounts",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_accounts_v1_update \
             AFTER UPDATE OF unit_id, status ON accounts \
             WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.status IS NOT NEW.status BEGIN ",
            bump_accounts!("OLD", "-1"),
            " ",
            bump_accounts!("NEW", "1"),
            " END"
        ),
    },
    Trigger {
        name: "credgov_count_findings_v1_insert",
        table: "findings",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_findings_v1_insert AFTER INSERT ON findings \
             WHEN NEW.state = 'open' BEGIN ",
            bump_findings!("NEW", "1"),
            " END"
        ),
    },
    Trigger {
        name: "credgov_count_findings_v1_delete",
        table: "findings",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_findings_v1_delete AFTER DELETE ON findings \
             WHEN OLD.state = 'open' BEGIN ",
            bump_findings!("OLD", "-1"),
            " END"
        ),
    },
    Trigger {
        name: "credgov_count_findings_v1_update",
        table: "findings",
        sql: concat!(
            "CREATE TRIGGER IF NOT EXISTS credgov_count_findings_v1_update \
             AFTER UPDATE OF unit_id, rule, severity, state ON findings \
             WHEN (OLD.state = 'open' OR NEW.state = 'open') \
             AND (OLD.unit_id IS NOT NEW.unit_id OR OLD.rule IS NOT NEW.rule \
             OR OLD.severity IS NOT NEW.severity OR OLD.state IS NOT NEW.state) BEGIN ",
            bump_findings!("OLD", "-1"),
            " ",
            bump_findings!("NEW", "1"),
            " END"
        ),
    },
];
