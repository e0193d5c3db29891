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

struct Holder {
    id: String,
    unit_id: String,
    name: String,
}

pub(super) async fn reused(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let Some(filter) = input.scope.accounts("s.account_id", "s.unit_id", 1) else {
        return Ok(Vec::new());
    };
    let narrow = if filter.sql.is_empty() {
        String::new()
    } else {
        format!(
            " AND v.fingerprint IN (SELECT s.fingerprint FROM credential_versions s WHERE s.state = 'current'{})",
            filter.sql
        )
    };
    let sql = format!(
        "SELECT a.id, a.unit_id, a.name, v.fingerprint FROM credential_versions v \
         JOIN accounts a ON a.unit_id = v.unit_id AND a.id = v.account_id \
         WHERE v.state = 'current' AND a.status = 'active' AND v.fingerprint IN ( \
           SELECT v2.fingerprint FROM credential_versions v2 \
           JOIN accounts a2 ON a2.unit_id = v2.unit_id AND a2.id = v2.account_id \
           WHERE v2.state = 'current' AND a2.status = 'active' \
           GROUP BY v2.fingerprint HAVING COUNT(*) > 1){narrow} \
         ORDER BY v.fingerprint, a.unit_id, a.name, a.id"
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), &filter)
        .fetch_all(&mut *conn)
        .await?;
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
    for holders in groups.values() {
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
