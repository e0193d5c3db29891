//! `reused_password`: current versions of active accounts whose keyed fingerprint
//! (HMAC under a server key, the same key for every unit) is shared, found by grouping
//! fingerprints in SQL. A finding names the accounts of its own unit that share it and
//! only counts those elsewhere (readers of one unit do not learn other units' accounts);
//! never the value or the fingerprint.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation, bind_filter};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;
use crate::inspection::scope::Filter;

struct Holder {
    id: String,
    unit_id: String,
    name: String,
}

pub(super) async fn reused(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let Some(filter) = input.scope.accounts("sa.id", "sa.unit_id", 1) else {
        return Ok(Vec::new());
    };
    // Narrowed (a re-evaluation): only the fingerprints of the accounts in scope are
    // grouped, twice bound, instead of every current version of the district.
    let (narrow, inner) = if filter.sql.is_empty() {
        (String::new(), None)
    } else {
        let inner = input
            .scope
            .accounts("sa.id", "sa.unit_id", 1 + filter.binds.len())
            .unwrap_or_default();
        (
            fingerprints_in_scope("v", &filter),
            Some((fingerprints_in_scope("v2", &inner), inner)),
        )
    };
    let grouped = inner.as_ref().map_or("", |(sql, _)| sql.as_str());
    let sql = format!(
        "SELECT a.id, a.unit_id, a.name, v.fingerprint FROM credential_versions v \
         JOIN accounts a ON a.unit_id = v.unit_id AND a.id = v.account_id \
         WHERE v.state = 'current' AND a.status = 'active'{narrow} AND v.fingerprint IN ( \
           SELECT v2.fingerprint FROM credential_versions v2 \
           WHERE v2.state = 'current'{grouped} \
           GROUP BY v2.fingerprint HAVING COUNT(*) > 1) \
         ORDER BY v.fingerprint, a.unit_id, a.name, a.id"
    );
    let mut q = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), &filter);
    if let Some((_, inner)) = &inner {
        q = bind_filter(q, inner);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut groups: BTreeMap<String, Vec<Holder>> = BTreeMap::new();
    for r in &rows {
        groups
            .entry(r.try_get("fingerprint")?)
            .or_default()
            .push(Holder {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                name: r.try_get("name")?,
            });
    }
    let mut out = Vec::new();
    // Fingerprints were grouped over every current version (from the fingerprint index
    // alone); a group is reuse only with two active accounts.
    for holders in groups.values().filter(|h| h.len() > 1) {
        for h in holders {
            let same_unit: Vec<_> = holders
                .iter()
                .filter(|o| o.id != h.id && o.unit_id == h.unit_id)
                .map(|o| json!({ "account_id": o.id, "account": o.name }))
                .collect();
            let other_units = holders.iter().filter(|o| o.unit_id != h.unit_id).count();
            out.push(Observation {
                rule: Rule::ReusedPassword,
                target_id: h.id.clone(),
                unit_id: h.unit_id.clone(),
                details: json!({
                    "account": h.name,
                    "same_unit_count": same_unit.len(),
                    "same_unit": same_unit,
                    "other_units": other_units,
                }),
            });
        }
    }
    Ok(out)
}

/// ` AND <alias>.fingerprint IN (the current fingerprints of the accounts in scope)`.
fn fingerprints_in_scope(alias: &str, f: &Filter) -> String {
    // Through the accounts: versions are keyed by (unit_id, account_id), and an account
    // id alone would read every version (at 100,000 accounts that was most of a
    // re-evaluation's time on PostgreSQL).
    format!(
        " AND {alias}.fingerprint IN (SELECT s.fingerprint FROM accounts sa \
         JOIN credential_versions s ON s.unit_id = sa.unit_id AND s.account_id = sa.id \
         WHERE s.state = 'current'{})",
        f.sql
    )
}
