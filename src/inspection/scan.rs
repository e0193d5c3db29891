//! The two ways findings are evaluated: [`daily_scan`] over the whole district (each
//! detector one query; only new and changed findings rewritten, in batches; what
//! cleared resolved by id; one row recording that it saw the rest), and [`reevaluate`] for the targets a write touched, inside the writer's
//! transaction so the fix shows at once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::time::Instant;

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::detect::{Input, detect_all};
use super::error::InspectionError;
use super::rules::Rule;
use super::scope::{Narrow, Scope, Targets};
use super::store::{
    BATCH, dedupe, mark_open_seen, open_findings, resolve_ids, resolve_unseen, upsert,
};
use crate::app::AppState;
use crate::db::{Tx, is_retryable};
use crate::error::InternalError;
use crate::http::placeholders;

/// What one daily scan found.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ScanCounts {
    /// Findings that hold now.
    pub open: u64,
    /// Of those, new (or back after being resolved).
    pub opened: u64,
    /// Findings whose condition is gone.
    pub resolved: u64,
    /// Open findings per rule code.
    pub by_rule: BTreeMap<String, u64>,
    /// How long the scan took.
    pub duration_ms: u64,
}

/// How a finding that clears during the daily scan is marked resolved.
pub const RESOLVED_BY_SCAN: &str = "daily_scan";

/// Runs a write in its own short transaction, again when PostgreSQL picks it as a
/// deadlock victim or a serialisation failure (another scanner touched the same rows).
async fn retrying<T, F, Fut>(mut write: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut attempt = 0;
    loop {
        match write().await {
            Err(e) if attempt < 5 && is_retryable(&e) => attempt += 1,
            other => return other,
        }
    }
}

/// Evaluates every rule over the whole district at `now`: upserts what is new or
/// changed, resolves what no longer holds and records that it saw the rest at `now`.
/// Safe to run on several servers at once: each (rule, target) stays one row, and a
/// finding someone saw at or after `now` is never resolved by this scan.
pub async fn daily_scan(state: &AppState, now: i64) -> Result<ScanCounts, InspectionError> {
    let started = Instant::now();
    let scope = Scope::All;
    let (observed, open) = {
        let mut conn = state.db.pool().acquire().await?;
        let input = Input::new(state, now, &scope);
        let observed = dedupe(detect_all(&mut conn, &input).await?);
        (observed, open_findings(&mut conn, Rule::ALL).await?)
    };
    let mut seen = HashSet::with_capacity(observed.len());
    let mut changed = Vec::new();
    for o in &observed {
        let key = (o.rule.as_str().to_string(), o.target_id.clone());
        if !open.get(&key).is_some_and(|f| f.same_as(o)) {
            changed.push(o.clone());
        }
        seen.insert(key);
    }
    for chunk in changed.chunks(BATCH) {
        retrying(|| async move {
            let mut tx = state.db.begin_write().await?;
            upsert(&mut tx, chunk, now).await?;
            tx.commit().await
        })
        .await?;
    }
    let unseen: Vec<String> = open
        .iter()
        .filter(|(key, _)| !seen.contains(*key))
        .map(|(_, f)| f.id.clone())
        .collect();
    let mut resolved = 0;
    for chunk in unseen.chunks(BATCH) {
        resolved += retrying(|| async move {
            let mut tx = state.db.begin_write().await?;
            let n = resolve_ids(&mut tx, chunk, now, RESOLVED_BY_SCAN).await?;
            tx.commit().await?;
            Ok(n)
        })
        .await?;
    }
    // The digests of what holds now go out with the write that marks it seen today.
    retrying(|| async move {
        let mut tx = state.db.begin_write().await?;
        mark_open_seen(&mut tx, now).await?;
        super::notices::queue(&mut tx, now).await?;
        tx.commit().await
    })
    .await?;
    crate::notify::wake();
    crate::rectification::sync_all(state, now).await?;
    // Each supervisor's subtree in one message, once the items are in step.
    retrying(|| async move {
        let mut tx = state.db.begin_write().await?;
        super::summary::queue(&mut tx, now).await?;
        tx.commit().await
    })
    .await?;
    crate::notify::wake();
    let opened: i64 =
        sqlx::query("SELECT COUNT(*) FROM findings WHERE state = 'open' AND first_seen = $1")
            .bind(now)
            .fetch_one(state.db.pool())
            .await?
            .try_get(0)?;
    let mut by_rule = BTreeMap::new();
    for o in &observed {
        *by_rule.entry(o.rule.as_str().to_string()).or_insert(0) += 1;
    }
    Ok(ScanCounts {
        open: observed.len() as u64,
        opened: u64::try_from(opened).unwrap_or(0),
        resolved,
        by_rule,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Evaluates the rules for `targets` inside the caller's transaction at `now`, so the
/// write that may have changed a condition (rotation confirm, custodian change, HR
/// event, policy change) shows its effect at once: findings that hold are upserted,
/// findings of these targets that cleared are resolved with `targets.cause`.
///
/// Fails only on the database (or a stored policy that does not merge): an internal
/// error for the calling write, which then rolls back.
pub async fn reevaluate(
    state: &AppState,
    tx: &mut Tx,
    now: i64,
    targets: &Targets,
) -> Result<(), InternalError> {
    evaluate_targets(state, tx, now, targets)
        .await
        .map_err(InternalError::new)
}

async fn evaluate_targets(
    state: &AppState,
    tx: &mut Tx,
    now: i64,
    targets: &Targets,
) -> Result<(), InspectionError> {
    let conn: &mut AnyConnection = tx;
    let scope = Scope::Narrow(expand(conn, targets).await?);
    let input = Input::new(state, now, &scope);
    let observed = dedupe(detect_all(conn, &input).await?);
    for chunk in observed.chunks(BATCH) {
        upsert(conn, chunk, now).await?;
    }
    resolve_unseen(conn, Rule::ALL, &scope, now, targets.cause).await?;
    crate::rectification::sync(state, tx, now, &scope).await?;
    Ok(())
}

async fn ids(
    conn: &mut AnyConnection,
    sql: String,
    binds: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect()
}

/// What the targets reach: a person's accounts (custody, exposure, binding, their
/// handover cases' items) and cases; the units' paths; and every account sharing a
/// password (now or before) with a target account, whose reuse finding may change.
async fn expand(conn: &mut AnyConnection, targets: &Targets) -> Result<Narrow, sqlx::Error> {
    let mut accounts: BTreeSet<String> = targets.accounts.iter().map(|a| a.to_string()).collect();
    let users: Vec<String> = targets.users.iter().map(|u| u.to_string()).collect();
    let mut cases: BTreeSet<String> = targets.cases.iter().map(|c| c.to_string()).collect();
    if !users.is_empty() {
        let n = users.len();
        let u = |first| placeholders(first, n);
        let sql = format!(
            "SELECT id FROM accounts WHERE binding_holder_id IN ({}) \
             UNION SELECT account_id FROM exposures WHERE user_id IN ({}) \
             UNION SELECT account_id FROM account_custodians WHERE user_id IN ({}) \
             UNION SELECT ha.account_id FROM handover_actions ha JOIN handovers h \
               ON h.unit_id = ha.unit_id AND h.id = ha.handover_id WHERE h.leaver_id IN ({})",
            u(1),
            u(1 + n),
            u(1 + 2 * n),
            u(1 + 3 * n)
        );
        let binds: Vec<String> = (0..4).flat_map(|_| users.iter().cloned()).collect();
        accounts.extend(ids(conn, sql, &binds).await?);
        let sql = format!(
            "SELECT id FROM handovers WHERE leaver_id IN ({})",
            placeholders(1, n)
        );
        cases.extend(ids(conn, sql, &users).await?);
    }
    if !accounts.is_empty() {
        let given: Vec<String> = accounts.iter().cloned().collect();
        let sql = format!(
            "SELECT DISTINCT p.account_id FROM credential_versions p WHERE p.state = 'current' \
             AND p.fingerprint IN (SELECT v.fingerprint FROM accounts a \
             JOIN credential_versions v ON v.unit_id = a.unit_id AND v.account_id = a.id WHERE a.id IN ({}))",
            placeholders(1, given.len())
        );
        accounts.extend(ids(conn, sql, &given).await?);
    }
    let unit_paths = if targets.units.is_empty() {
        Vec::new()
    } else {
        let units: Vec<String> = targets.units.iter().map(|u| u.to_string()).collect();
        let sql = format!(
            "SELECT path FROM units WHERE id IN ({})",
            placeholders(1, units.len())
        );
        ids(conn, sql, &units).await?
    };
    Ok(Narrow {
        accounts: accounts.into_iter().collect(),
        unit_paths,
        users,
        cases: cases.into_iter().collect(),
        district: targets.district,
    })
}
