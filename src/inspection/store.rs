//! The findings table: upserting what holds now (one multi-row statement per batch) and
//! resolving what no longer does (one statement). `(rule, target_id)` is unique, so
//! concurrent scanners update the same row; `last_seen` only moves forward. The
//! district scan writes only what changed: it reads the open findings, upserts the new
//! and changed ones, resolves the unseen ones by id and then records in one row
//! (`findings_seen`) that it saw every finding still open. An open finding's last
//! sighting is the later of its own `last_seen` and that row's; the resolving
//! statements store it as the finding closes.

use std::collections::{BTreeMap, HashMap};

use futures::TryStreamExt;
use sqlx::{AnyConnection, Row};

use super::detect::Observation;
use super::rules::{FindingState, Rule};
use super::scope::Scope;
use crate::db::new_id;
use crate::http::placeholders;

/// Rows per upsert statement (10 values each; well under both engines' bind limits).
pub(super) const BATCH: usize = 400;

/// One observation per (rule, target), in key order (the order rows are locked in,
/// so two scanners never wait on each other in a cycle).
pub(super) fn dedupe(obs: Vec<Observation>) -> Vec<Observation> {
    let mut by_key: BTreeMap<(&'static str, String), Observation> = BTreeMap::new();
    for o in obs {
        by_key.insert((o.rule.as_str(), o.target_id.clone()), o);
    }
    by_key.into_values().collect()
}

/// Inserts or refreshes the findings for `obs` (at most [`BATCH`]): a new row is open
/// from `now`; an existing one gets the new details and severity, `last_seen` = the
/// later of its own and `now`, and is reopened (first_seen = now) if it was resolved.
pub(super) async fn upsert(
    conn: &mut AnyConnection,
    obs: &[Observation],
    now: i64,
) -> Result<(), sqlx::Error> {
    if obs.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..obs.len())
        .map(|i| format!("({})", placeholders(1 + i * 10, 10)))
        .collect();
    let sql = format!(
        "INSERT INTO findings (unit_id, id, rule, target_kind, target_id, severity, details, state, first_seen, last_seen) \
         VALUES {} ON CONFLICT (rule, target_id) DO UPDATE SET \
         unit_id = excluded.unit_id, target_kind = excluded.target_kind, severity = excluded.severity, \
         details = excluded.details, \
         first_seen = CASE WHEN findings.state = 'open' THEN findings.first_seen ELSE excluded.first_seen END, \
         state = excluded.state, resolved_at = NULL, resolved_how = NULL, \
         last_seen = CASE WHEN findings.last_seen > excluded.last_seen THEN findings.last_seen ELSE excluded.last_seen END",
        rows.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for o in obs {
        let def = o.rule.def();
        q = q
            .bind(o.unit_id.clone())
            .bind(new_id())
            .bind(o.rule.as_str())
            .bind(def.target.as_str())
            .bind(o.target_id.clone())
            .bind(def.severity_of(&o.details).as_str())
            .bind(o.details.to_string())
            .bind(FindingState::Open.as_str())
            .bind(now)
            .bind(now);
    }
    q.execute(conn).await?;
    Ok(())
}

/// Resolves open findings not seen at or after `$1` (their own `last_seen` and the
/// district's sighting both older), with `resolved_at = $1` and `resolved_how = $2`,
/// keeping their last sighting in `last_seen`; the caller appends which ones.
const RESOLVE: &str = "UPDATE findings SET state = 'resolved', resolved_at = $1, resolved_how = $2, \
     last_seen = CASE WHEN last_seen < (SELECT at FROM findings_seen) \
     THEN (SELECT at FROM findings_seen) ELSE last_seen END \
     WHERE state = 'open' AND last_seen < $1 AND (SELECT at FROM findings_seen) < $1";

/// Resolves the open findings of `rules` within `scope` that were not seen at `now`
/// (their `last_seen` is older); `how` says what cleared them. Returns how many.
pub(super) async fn resolve_unseen(
    conn: &mut AnyConnection,
    rules: &[Rule],
    scope: &Scope,
    now: i64,
    how: &str,
) -> Result<u64, sqlx::Error> {
    let filter = scope.findings(3 + rules.len());
    let sql = format!(
        "{RESOLVE} AND rule IN ({}){}",
        placeholders(3, rules.len()),
        filter.sql
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(how.to_string());
    for r in rules {
        q = q.bind(r.as_str());
    }
    for b in &filter.binds {
        q = q.bind(b.clone());
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// An open finding as stored, to tell which observations change it.
pub(super) struct OpenFinding {
    pub id: String,
    unit_id: String,
    severity: String,
    details: String,
}

impl OpenFinding {
    /// Whether `o` would write exactly what is stored (only `last_seen` would move).
    pub fn same_as(&self, o: &Observation) -> bool {
        // As `upsert` would store it (a JSON object compared as its text).
        let details = o.details.to_string();
        self.unit_id == o.unit_id
            && self.severity == o.rule.def().severity_of(&o.details).as_str()
            && self.details == details
    }
}

/// The open findings of `rules`, by (rule, target).
pub(super) async fn open_findings(
    conn: &mut AnyConnection,
    rules: &[Rule],
) -> Result<HashMap<(String, String), OpenFinding>, sqlx::Error> {
    let sql = format!(
        "SELECT id, rule, target_id, unit_id, severity, details FROM findings \
         WHERE state = 'open' AND rule IN ({})",
        placeholders(1, rules.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for r in rules {
        q = q.bind(r.as_str());
    }
    let mut rows = q.fetch(conn);
    let mut out = HashMap::new();
    while let Some(r) = rows.try_next().await? {
        out.insert(
            (r.try_get("rule")?, r.try_get("target_id")?),
            OpenFinding {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                severity: r.try_get("severity")?,
                details: r.try_get("details")?,
            },
        );
    }
    Ok(out)
}

/// Resolves the open findings `ids` (at most [`BATCH`]) unless someone saw them at or
/// after `now`. Returns how many.
pub(super) async fn resolve_ids(
    conn: &mut AnyConnection,
    ids: &[String],
    now: i64,
    how: &str,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!("{RESOLVE} AND id IN ({})", placeholders(3, ids.len()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(how.to_string());
    for id in ids {
        q = q.bind(id.clone());
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Records that every finding still open was seen at `now` (unless a later scan
/// already did): after the district scan has resolved what it did not observe, what is
/// left open is what it saw. One row, not one write per open finding.
pub(super) async fn mark_open_seen(conn: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE findings_seen SET at = $1 WHERE at < $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A veto finding is stored with the severity its details give it (`severity_of`),
    /// not its rule's default: compared with the default, every veto finding looked
    /// changed and was rewritten by every daily scan.
    #[test]
    fn an_unchanged_veto_finding_is_the_same_as_stored() {
        let details = json!({ "account": "公众号", "stage": "veto", "since": 1 });
        let o = Observation {
            rule: Rule::ContentStale,
            target_id: "a1".into(),
            unit_id: "u1".into(),
            details: details.clone(),
        };
        let stored = |severity: &str, details: String| OpenFinding {
            id: "f1".into(),
            unit_id: "u1".into(),
            severity: severity.into(),
            details,
        };
        assert!(stored("veto", details.to_string()).same_as(&o));
        assert!(!stored("medium", details.to_string()).same_as(&o));
        let warn = json!({ "account": "公众号", "stage": "warn", "since": 1 });
        assert!(!stored("veto", warn.to_string()).same_as(&o));
    }
}
