//! What each unit of a subtree measures, in four grouped queries whatever the size of
//! the subtree: active accounts per unit, open findings per (unit, rule, severity),
//! handover cases and rectification items of the last year per unit with how many kept
//! their deadline. Roll-ups to subtrees happen in memory over the unit tree.

use std::collections::HashMap;

use sqlx::Row;

use super::model::{Ratio, Tally};
use crate::calendar::DAY_MS;
use crate::handover::CaseState;
use crate::inspection::{FindingState, Rule, Severity};
use crate::rectification::RectificationState;
use crate::vault::AccountStatus;

/// Cases and items opened this long ago or less (or still running) are assessed.
pub const WINDOW_DAYS: i64 = 365;

/// One unit of the subtree.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub depth: i64,
    pub name: String,
}

/// The units under `prefix` (a unit path) and each one's own tally (its own accounts,
/// findings, cases and items; not its sub-units').
pub struct SubtreeTallies {
    pub units: Vec<UnitRow>,
    pub own: HashMap<String, Tally>,
}

impl SubtreeTallies {
    /// Each unit's whole-subtree tally: its own plus every unit below it.
    pub fn rolled_up(&self) -> HashMap<String, Tally> {
        let mut out: HashMap<String, Tally> = HashMap::with_capacity(self.units.len());
        let ids: std::collections::HashSet<&str> =
            self.units.iter().map(|u| u.id.as_str()).collect();
        for u in &self.units {
            let Some(own) = self.own.get(&u.id) else {
                out.entry(u.id.clone()).or_default();
                continue;
            };
            // Every id on the path that is in this subtree is an ancestor-or-self.
            for ancestor in u.path.split('/').filter(|s| ids.contains(s)) {
                out.entry(ancestor.to_string()).or_default().add(own);
            }
        }
        out
    }
}

/// Loads the units under `prefix` and their own tallies as of `now`.
pub async fn load(
    pool: &sqlx::AnyPool,
    prefix: &str,
    now: i64,
) -> Result<SubtreeTallies, sqlx::Error> {
    let like = format!("{prefix}%");
    let units = sqlx::query(
        "SELECT id, parent_id, path, depth, name FROM units WHERE path LIKE $1 ORDER BY path",
    )
    .bind(&like)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(UnitRow {
            id: r.try_get("id")?,
            parent_id: r.try_get("parent_id")?,
            path: r.try_get("path")?,
            depth: r.try_get("depth")?,
            name: r.try_get("name")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut own: HashMap<String, Tally> = HashMap::new();
    let in_subtree = "unit_id IN (SELECT id FROM units WHERE path LIKE $1)";

    let sql = format!(
        "SELECT unit_id, COUNT(*) AS n FROM accounts WHERE status = $2 AND {in_subtree} \
         GROUP BY unit_id"
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&like)
        .bind(AccountStatus::Active.as_str())
        .fetch_all(pool)
        .await?
    {
        own.entry(r.try_get("unit_id")?).or_default().accounts = r.try_get("n")?;
    }

    // The state is written into the statement (a constant, not input) so both engines
    // can read the partial index `findings_unit_open` (… WHERE state = 'open'), which a
    // bound parameter does not prove.
    let sql = format!(
        "SELECT unit_id, rule, severity, COUNT(*) AS n FROM findings WHERE state = '{}' \
         AND {in_subtree} GROUP BY unit_id, rule, severity",
        FindingState::Open.as_str()
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&like)
        .fetch_all(pool)
        .await?
    {
        let (Some(rule), Some(severity)) = (
            Rule::parse(&r.try_get::<String, _>("rule")?),
            Severity::parse(&r.try_get::<String, _>("severity")?),
        ) else {
            continue; // a rule this build does not know
        };
        own.entry(r.try_get("unit_id")?)
            .or_default()
            .add_findings(rule, severity, r.try_get("n")?);
    }

    let since = now - WINDOW_DAYS * DAY_MS;
    // A case keeps its deadline when signed off by then, or while still running before it.
    let sql = format!(
        "SELECT unit_id, COUNT(*) AS total, \
           SUM(CASE WHEN COALESCE(signed_off_at, $2) <= deadline_at THEN 1 ELSE 0 END) AS good \
         FROM handovers WHERE state <> $3 AND (created_at >= $4 OR state <> $5) AND {in_subtree} \
         GROUP BY unit_id"
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&like)
        .bind(now)
        .bind(CaseState::Cancelled.as_str())
        .bind(since)
        .bind(CaseState::Closed.as_str())
        .fetch_all(pool)
        .await?
    {
        own.entry(r.try_get("unit_id")?).or_default().handover = ratio(&r)?;
    }

    // An item keeps its deadline when evidence went in (or it closed) by then, or while
    // still open before it; a returned item is judged on today like an open one.
    let sql = format!(
        "SELECT unit_id, COUNT(*) AS total, \
           SUM(CASE WHEN (CASE WHEN state IN ($3, $4) THEN $2 \
                               ELSE COALESCE(submitted_at, closed_at, $2) END) <= deadline_at \
               THEN 1 ELSE 0 END) AS good \
         FROM rectifications WHERE (opened_at >= $5 OR state IN ($3, $4, $6)) AND {in_subtree} \
         GROUP BY unit_id"
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&like)
        .bind(now)
        .bind(RectificationState::Open.as_str())
        .bind(RectificationState::Returned.as_str())
        .bind(since)
        .bind(RectificationState::Submitted.as_str())
        .fetch_all(pool)
        .await?
    {
        own.entry(r.try_get("unit_id")?).or_default().rectification = ratio(&r)?;
    }
    Ok(SubtreeTallies { units, own })
}

fn ratio(r: &sqlx::any::AnyRow) -> Result<Ratio, sqlx::Error> {
    Ok(Ratio {
        total: r.try_get("total")?,
        good: r.try_get::<Option<i64>, _>("good")?.unwrap_or(0),
    })
}
