//! Detectors: each reads what its rules need with one set-based query (narrowed to the
//! scope) and turns the rows into observations — the findings that hold right now.
//! One detector may serve several rules that read the same rows.

mod calendar;
mod custody;
mod departed;
mod freshness;
mod handover;
mod mfa;
mod reuse;
mod rotation;
mod weak;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{AnyConnection, Row};

use super::error::InspectionError;
use super::rules::Rule;
use super::scope::{Filter, Scope};
use crate::app::AppState;
use crate::policy::{Policy, effective_policies};

/// One day in milliseconds.
pub(super) const DAY_MS: i64 = 24 * crate::clock::HOUR_MS;

/// A condition that holds now: `rule` about `target_id` (of the rule's target kind),
/// owned by `unit_id`. `details` never holds a secret.
#[derive(Debug, Clone)]
pub(super) struct Observation {
    pub rule: Rule,
    pub target_id: String,
    pub unit_id: String,
    pub details: Value,
}

impl Observation {
    /// `rule` about the row's `id`, owned by its `unit_id`.
    pub(super) fn of_row(
        rule: Rule,
        row: &AnyRow,
        details: Value,
    ) -> Result<Self, InspectionError> {
        Ok(Observation {
            rule,
            target_id: row.try_get("id")?,
            unit_id: row.try_get("unit_id")?,
            details,
        })
    }
}

/// What every detector gets.
pub(super) struct Input<'a> {
    pub state: &'a AppState,
    pub now: i64,
    pub scope: &'a Scope,
    /// The policy in force per unit, read once for all detectors of one evaluation:
    /// five detectors judge rows by their unit's policy, and each read every unit's
    /// settings and merged them again (most of a re-evaluation's round trips after
    /// the detectors' own queries).
    policies: Mutex<HashMap<String, Policy>>,
}

impl<'a> Input<'a> {
    pub fn new(state: &'a AppState, now: i64, scope: &'a Scope) -> Self {
        Input {
            state,
            now,
            scope,
            policies: Mutex::new(HashMap::new()),
        }
    }

    fn cached_policies(&self) -> MutexGuard<'_, HashMap<String, Policy>> {
        // Held only between awaits; a panic while holding it leaves a usable map.
        self.policies.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The policy in force for each of `units` (id, path): those not known yet are
    /// read and merged in one go.
    async fn policies_of(
        &self,
        conn: &mut AnyConnection,
        units: &[(String, String)],
    ) -> Result<HashMap<String, Policy>, InspectionError> {
        let missing: Vec<(String, String)> = {
            let known = self.cached_policies();
            units
                .iter()
                .filter(|(id, _)| !known.contains_key(id))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let found = effective_policies(self.state, &mut *conn, &missing).await?;
            self.cached_policies().extend(found);
        }
        let known = self.cached_policies();
        Ok(units
            .iter()
            .filter_map(|(id, _)| known.get(id).map(|p| (id.clone(), p.clone())))
            .collect())
    }
}

/// Binds a filter's values after the query's own.
pub(super) fn bind_filter<'q>(
    mut q: Query<'q, sqlx::Any, AnyArguments>,
    f: &Filter,
) -> Query<'q, sqlx::Any, AnyArguments> {
    for b in &f.binds {
        q = q.bind(b.clone());
    }
    q
}

/// Rows of an account query (`a` the accounts table) narrowed to the scope: `{scope}`
/// in `sql` is replaced by the scope's condition. No rows when no account is in scope.
pub(super) async fn account_rows(
    conn: &mut AnyConnection,
    input: &Input<'_>,
    sql: &str,
) -> Result<Vec<AnyRow>, InspectionError> {
    let Some(filter) = input.scope.accounts("a.id", "a.unit_id", 1) else {
        return Ok(Vec::new());
    };
    let sql = sql.replace("{scope}", &filter.sql);
    Ok(bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), &filter)
        .fetch_all(conn)
        .await?)
}

/// The policy in force for each distinct unit of `rows` (`unit_id`, `path` columns).
async fn policies_for(
    conn: &mut AnyConnection,
    input: &Input<'_>,
    rows: &[AnyRow],
) -> Result<HashMap<String, Policy>, InspectionError> {
    let mut units = BTreeMap::new();
    for r in rows {
        units.insert(
            r.try_get::<String, _>("unit_id")?,
            r.try_get::<String, _>("path")?,
        );
    }
    if units.is_empty() {
        return Ok(HashMap::new());
    }
    let units: Vec<(String, String)> = units.into_iter().collect();
    input.policies_of(conn, &units).await
}

/// The rows of an account query (see [`account_rows`]; `unit_id` and `path` columns
/// needed) and the policy in force for each of their units.
pub(super) struct RowsWithPolicies {
    rows: Vec<AnyRow>,
    policies: HashMap<String, Policy>,
}

pub(super) async fn rows_with_policies(
    conn: &mut AnyConnection,
    input: &Input<'_>,
    sql: &str,
) -> Result<RowsWithPolicies, InspectionError> {
    let rows = account_rows(conn, input, sql).await?;
    let policies = policies_for(conn, input, &rows).await?;
    Ok(RowsWithPolicies { rows, policies })
}

impl RowsWithPolicies {
    /// Each row with its unit's policy (rows of a unit without one are left out).
    pub(super) fn iter(
        &self,
    ) -> impl Iterator<Item = Result<(&AnyRow, &Policy), sqlx::Error>> + '_ {
        self.rows
            .iter()
            .filter_map(|r| match r.try_get::<String, _>("unit_id") {
                Err(e) => Some(Err(e)),
                Ok(unit_id) => self.policies.get(&unit_id).map(|p| Ok((r, p))),
            })
    }
}

/// Every distinct policy in force anywhere in the district (for the district scan's
/// SQL pre-filters: a row that no policy in force can flag is not read).
pub(super) async fn policies_in_force(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Policy>, InspectionError> {
    let units: Vec<(String, String)> = sqlx::query("SELECT id, path FROM units")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut out: Vec<Policy> = Vec::new();
    for p in input.policies_of(conn, &units).await?.into_values() {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Runs every detector over the scope.
pub(super) async fn detect_all(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let mut out = Vec::new();
    out.extend(rotation::rotation_age(conn, input).await?);
    out.extend(rotation::pending_stale(conn, input).await?);
    out.extend(reuse::reused(conn, input).await?);
    out.extend(departed::exposed_to_departed(conn, input).await?);
    out.extend(departed::binding_holder_departed(conn, input).await?);
    out.extend(custody::no_custodian(conn, input).await?);
    out.extend(handover::handover_overdue(conn, input).await?);
    out.extend(mfa::mfa_not_enrolled(conn, input).await?);
    out.extend(freshness::content_silence(conn, input).await?);
    out.extend(freshness::unreachable(conn, input).await?);
    out.extend(weak::weak_password(conn, input).await?);
    out.extend(calendar::calendar_missing(conn, input).await?);
    Ok(out)
}
