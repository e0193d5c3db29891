//! What each unit of a subtree measures, whatever the size of the subtree, in four
//! queries run at once after the units list: active accounts per unit and open findings
//! per unit by severity and by rule, both read from the per-unit counters the triggers
//! keep (`unit_account_counts`, `unit_finding_counts`: a few rows per unit instead of
//! every account and finding; see `crate::db::counters`), and the handover cases and
//! rectification items of the last year per unit with how many kept their deadline
//! (counted live: that depends on the clock). Roll-ups to subtrees happen in memory
//! over the unit tree.

use std::collections::HashMap;

use sqlx::Row;

use super::model::{Component, Ratio, Tally};
use crate::calendar::DAY_MS;
use crate::handover::CaseState;
use crate::http::placeholders;
use crate::inspection::{Rule, Severity};
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
///
/// The four counts are independent reads, so they run at once on separate pool
/// connections: the ranking then costs about its largest query rather than the sum of
/// all four. The units come first: a small subtree (a drill-down) is then counted by
/// its unit ids, which both engines look up by key, instead of matching every unit's
/// path again in each count.
pub async fn load(
    pool: &sqlx::AnyPool,
    prefix: &str,
    now: i64,
) -> Result<SubtreeTallies, sqlx::Error> {
    let like = format!("{prefix}%");
    let units = load_units(pool, &like).await?;
    let ids: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
    let scope = Scope {
        like: &like,
        ids: (!ids.is_empty() && ids.len() <= MAX_LISTED).then_some(ids.as_slice()),
    };
    let (accounts, findings, handovers, items) = tokio::try_join!(
        count_accounts(pool, &scope),
        count_findings(pool, &scope),
        count_handovers(pool, &scope, now),
        count_items(pool, &scope, now),
    )?;
    let mut own: HashMap<String, Tally> = HashMap::new();
    for (unit_id, n) in accounts {
        own.entry(unit_id).or_default().accounts = n;
    }
    for f in findings {
        f.add_to(own.entry(f.unit_id.clone()).or_default());
    }
    for (unit_id, r) in handovers {
        own.entry(unit_id).or_default().handover = r;
    }
    for (unit_id, r) in items {
        own.entry(unit_id).or_default().rectification = r;
    }
    Ok(SubtreeTallies { units, own })
}

/// Subtrees of at most this many units are counted by their listed ids.
const MAX_LISTED: usize = 200;

/// Which units a count covers: those whose path matches `like` (`$1`), and when the
/// subtree is small, listed by id as well (bound after the count's own parameters).
struct Scope<'a> {
    like: &'a str,
    ids: Option<&'a [&'a str]>,
}

impl Scope<'_> {
    /// The `unit_id IN (…)` condition; `first` is the number of the first id parameter.
    fn condition(&self, first: usize) -> String {
        match self.ids {
            None => "unit_id IN (SELECT id FROM units WHERE path LIKE $1)".into(),
            Some(ids) => format!(
                "unit_id IN (SELECT id FROM units WHERE id IN ({}) AND path LIKE $1)",
                placeholders(first, ids.len())
            ),
        }
    }

    /// Binds the listed ids (after the count's own parameters).
    fn bind_ids<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for id in self.ids.unwrap_or_default() {
            q = q.bind(id.to_string());
        }
        q
    }
}

async fn load_units(pool: &sqlx::AnyPool, like: &str) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query(
        "SELECT id, parent_id, path, depth, name FROM units WHERE path LIKE $1 ORDER BY path",
    )
    .bind(like)
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
    .collect()
}

/// Active accounts per unit (from the counters).
async fn count_accounts(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT unit_id, n FROM unit_account_counts WHERE status = $2 AND n <> 0 AND {}",
        scope.condition(3)
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.like.to_string())
        .bind(AccountStatus::Active.as_str());
    scope
        .bind_ids(q)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("unit_id")?, r.try_get("n")?)))
        .collect()
}

/// Open findings of one unit: how many at each severity, how many of each rule.
struct OpenFindings {
    unit_id: String,
    by_severity: Vec<(Severity, i64)>,
    by_rule: Vec<(Rule, i64)>,
}

impl OpenFindings {
    /// As [`Tally::add_findings`] once per finding, summed.
    fn add_to(&self, t: &mut Tally) {
        for (severity, n) in &self.by_severity {
            t.counts.add_one(*severity, *n);
        }
        for (rule, n) in self.by_rule.iter().filter(|(_, n)| *n > 0) {
            *t.by_rule.entry(rule.as_str()).or_default() += n;
            if let Some(c) = Component::of_rule(*rule)
                && let Some(i) = Component::ALL.iter().position(|x| *x == c)
            {
                t.bad[i] += n;
            }
        }
    }
}

/// Open findings per unit, of rules and severities this build knows, counted by
/// severity and by rule in one row per unit (from the counters, one row per unit, rule
/// and severity, summed here so the score never reads the pairs).
async fn count_findings(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
) -> Result<Vec<OpenFindings>, sqlx::Error> {
    // Every value written into the statement is a constant of this build, not input.
    let quoted = |s: &str| format!("'{s}'");
    let severities: Vec<String> = Severity::ALL.iter().map(|s| quoted(s.as_str())).collect();
    let rules: Vec<String> = Rule::ALL.iter().map(|r| quoted(r.as_str())).collect();
    let mut columns = Vec::new();
    for (i, s) in severities.iter().enumerate() {
        columns.push(format!(
            "CAST(SUM(CASE WHEN severity = {s} THEN n ELSE 0 END) AS BIGINT) AS s{i}"
        ));
    }
    for (i, r) in rules.iter().enumerate() {
        columns.push(format!(
            "CAST(SUM(CASE WHEN rule = {r} THEN n ELSE 0 END) AS BIGINT) AS r{i}"
        ));
    }
    let sql = format!(
        "SELECT unit_id, {} FROM unit_finding_counts WHERE n <> 0 AND rule IN ({}) \
         AND severity IN ({}) AND {} GROUP BY unit_id",
        columns.join(", "),
        rules.join(", "),
        severities.join(", "),
        scope.condition(2)
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope.like.to_string());
    scope
        .bind_ids(q)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OpenFindings {
                unit_id: r.try_get("unit_id")?,
                by_severity: Severity::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Ok((*s, r.try_get(format!("s{i}").as_str())?)))
                    .collect::<Result<_, sqlx::Error>>()?,
                by_rule: Rule::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| Ok((*rule, r.try_get(format!("r{i}").as_str())?)))
                    .collect::<Result<_, sqlx::Error>>()?,
            })
        })
        .collect()
}

/// Handover cases of the window per unit, and how many kept their deadline.
async fn count_handovers(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    now: i64,
) -> Result<Vec<(String, Ratio)>, sqlx::Error> {
    let since = now - WINDOW_DAYS * DAY_MS;
    // A case keeps its deadline when signed off by then, or while still running before it.
    let sql = format!(
        "SELECT unit_id, COUNT(*) AS total, \
           SUM(CASE WHEN COALESCE(signed_off_at, $2) <= deadline_at THEN 1 ELSE 0 END) AS good \
         FROM handovers WHERE state <> $3 AND (created_at >= $4 OR state <> $5) AND {} \
         GROUP BY unit_id",
        scope.condition(6)
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.like.to_string())
        .bind(now)
        .bind(CaseState::Cancelled.as_str())
        .bind(since)
        .bind(CaseState::Closed.as_str());
    ratios_per_unit(pool, scope, q).await
}

/// Rectification items of the window per unit, and how many kept their deadline.
async fn count_items(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    now: i64,
) -> Result<Vec<(String, Ratio)>, sqlx::Error> {
    let since = now - WINDOW_DAYS * DAY_MS;
    // An item keeps its deadline when evidence went in (or it closed) by then, or while
    // still open before it; a returned item is judged on today like an open one.
    let sql = format!(
        "SELECT unit_id, COUNT(*) AS total, \
           SUM(CASE WHEN (CASE WHEN state IN ($3, $4) THEN $2 \
                               ELSE COALESCE(submitted_at, closed_at, $2) END) <= deadline_at \
               THEN 1 ELSE 0 END) AS good \
         FROM rectifications WHERE (opened_at >= $5 OR state IN ($3, $4, $6)) AND {} \
         GROUP BY unit_id",
        scope.condition(7)
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.like.to_string())
        .bind(now)
        .bind(RectificationState::Open.as_str())
        .bind(RectificationState::Returned.as_str())
        .bind(since)
        .bind(RectificationState::Submitted.as_str());
    ratios_per_unit(pool, scope, q).await
}

/// Runs a per-unit `(unit_id, total, good)` count over the scope's ids.
async fn ratios_per_unit<'q>(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
) -> Result<Vec<(String, Ratio)>, sqlx::Error> {
    scope
        .bind_ids(q)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let ratio = Ratio {
                total: r.try_get("total")?,
                good: r.try_get::<Option<i64>, _>("good")?.unwrap_or(0),
            };
            Ok((r.try_get("unit_id")?, ratio))
        })
        .collect()
}
