//! The four counts of a tally, each one statement over its [`Scope`]: active accounts
//! and open findings from the per-unit counters the triggers keep (`crate::db::counters`),
//! handover cases and rectification items of the window counted live (whether they kept
//! their deadline depends on the clock).

use sqlx::Row;

use super::scope::Scope;
use crate::calendar::DAY_MS;
use crate::handover::CaseState;
use crate::inspection::{Rule, Severity};
use crate::rectification::RectificationState;
use crate::risk::model::{Component, Ratio, Tally};
use crate::vault::AccountStatus;

/// Cases and items opened this long ago or less (or still running) are assessed.
pub const WINDOW_DAYS: i64 = 365;

/// Active accounts per key (from the counters).
pub(super) async fn accounts(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = scope.select(
        "unit_account_counts",
        "CAST(SUM(t.n) AS BIGINT) AS n",
        "t.status = $2 AND t.n <> 0",
        3,
    );
    let q = scope.query(sql).bind(AccountStatus::Active.as_str());
    scope
        .bind_ids(q)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("unit_id")?, r.try_get("n")?)))
        .collect()
}

/// Open findings of one key: how many at each severity, how many of each rule.
pub(super) struct OpenFindings {
    pub(super) unit_id: String,
    by_severity: Vec<(Severity, i64)>,
    by_rule: Vec<(Rule, i64)>,
}

impl OpenFindings {
    /// As [`Tally::add_findings`] once per finding, summed.
    pub(super) fn add_to(&self, t: &mut Tally) {
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

/// Open findings per key, of rules and severities this build knows, by severity and by
/// rule in one row per key (from the counters, one row per unit, rule and severity,
/// summed here so the score never reads the pairs).
pub(super) async fn findings(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
) -> Result<Vec<OpenFindings>, sqlx::Error> {
    // Every value written into the statement is a constant of this build, not input.
    let quoted = |s: &str| format!("'{s}'");
    let severities: Vec<String> = Severity::ALL.iter().map(|s| quoted(s.as_str())).collect();
    let rules: Vec<String> = Rule::ALL.iter().map(|r| quoted(r.as_str())).collect();
    let sum = |cond: String| format!("CAST(SUM(CASE WHEN {cond} THEN t.n ELSE 0 END) AS BIGINT)");
    let mut columns = Vec::new();
    for (i, s) in severities.iter().enumerate() {
        columns.push(format!("{} AS s{i}", sum(format!("t.severity = {s}"))));
    }
    for (i, r) in rules.iter().enumerate() {
        columns.push(format!("{} AS r{i}", sum(format!("t.rule = {r}"))));
    }
    let filter = format!(
        "t.n <> 0 AND t.rule IN ({}) AND t.severity IN ({})",
        rules.join(", "),
        severities.join(", ")
    );
    let sql = scope.select("unit_finding_counts", &columns.join(", "), &filter, 2);
    scope
        .bind_ids(scope.query(sql))
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

/// Handover cases of the window per key, and how many kept their deadline.
pub(super) async fn handovers(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    now: i64,
) -> Result<Vec<(String, Ratio)>, sqlx::Error> {
    let since = now - WINDOW_DAYS * DAY_MS;
    // A case keeps its deadline when signed off by then, or while still running before it.
    let sql = scope.select(
        "handovers",
        "COUNT(*) AS total, \
         SUM(CASE WHEN COALESCE(t.signed_off_at, $2) <= t.deadline_at THEN 1 ELSE 0 END) AS good",
        "t.state <> $3 AND (t.created_at >= $4 OR t.state <> $5)",
        6,
    );
    let q = scope
        .query(sql)
        .bind(now)
        .bind(CaseState::Cancelled.as_str())
        .bind(since)
        .bind(CaseState::Closed.as_str());
    ratios(pool, scope, q).await
}

/// Rectification items of the window per key, and how many kept their deadline.
pub(super) async fn items(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    now: i64,
) -> Result<Vec<(String, Ratio)>, sqlx::Error> {
    let since = now - WINDOW_DAYS * DAY_MS;
    // An item keeps its deadline when evidence went in (or it closed) by then, or while
    // still open before it; a returned item is judged on today like an open one.
    let sql = scope.select(
        "rectifications",
        "COUNT(*) AS total, \
         SUM(CASE WHEN (CASE WHEN t.state IN ($3, $4) THEN $2 \
                             ELSE COALESCE(t.submitted_at, t.closed_at, $2) END) <= t.deadline_at \
             THEN 1 ELSE 0 END) AS good",
        "(t.opened_at >= $5 OR t.state IN ($3, $4, $6))",
        7,
    );
    let q = scope
        .query(sql)
        .bind(now)
        .bind(RectificationState::Open.as_str())
        .bind(RectificationState::Returned.as_str())
        .bind(since)
        .bind(RectificationState::Submitted.as_str());
    ratios(pool, scope, q).await
}

/// Runs a per-key `(unit_id, total, good)` count.
async fn ratios<'q>(
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
