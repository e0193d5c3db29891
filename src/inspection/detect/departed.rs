//! `exposed_to_departed` and `binding_holder_departed`: people who left (marked
//! departed) or moved away (a departure or transfer reported for a unit above or at the
//! account's, and no role covering the account's unit any more).

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation, account_rows};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;

/// `us` (a user) is gone from the area of unit `n` (the account's unit).
const GONE: &str = "(us.status = 'departed' OR (EXISTS (SELECT 1 FROM hr_events e \
     JOIN units eu ON eu.id = e.unit_id WHERE e.user_id = us.id \
     AND e.event_type IN ('departure', 'transfer') AND n.path LIKE eu.path || '%') \
     AND NOT EXISTS (SELECT 1 FROM memberships m JOIN units mu ON mu.id = m.unit_id \
     WHERE m.user_id = us.id AND n.path LIKE mu.path || '%')))";

/// The people who may be gone somewhere (departed, or a departure or transfer
/// reported): a superset of [`GONE`] that needs no account, so the queries start from
/// these few people (by index) instead of testing [`GONE`] on every row.
const MAYBE_GONE: &str = "(SELECT id FROM users WHERE status = 'departed' \
     UNION SELECT user_id FROM hr_events WHERE event_type IN ('departure', 'transfer'))";

/// Someone gone saw the version that is current now.
pub(super) async fn exposed_to_departed(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let sql = format!(
        "SELECT DISTINCT a.id, a.unit_id, a.name, v.version, us.id AS user_id, us.username \
         FROM accounts a JOIN units n ON n.id = a.unit_id \
         JOIN credential_versions v ON v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current' \
         JOIN exposures x ON x.unit_id = a.unit_id AND x.account_id = a.id AND x.version = v.version \
         JOIN users us ON us.id = x.user_id \
         WHERE a.status = 'active' AND x.user_id IN {MAYBE_GONE} AND {GONE}{{scope}} ORDER BY a.id, us.username"
    );
    let rows = account_rows(conn, input, &sql).await?;
    // account id → (unit, name, version, [(user id, username)])
    type Seen = (String, String, i64, Vec<(String, String)>);
    let mut by_account: BTreeMap<String, Seen> = BTreeMap::new();
    for r in &rows {
        let e = by_account.entry(r.try_get("id")?).or_insert((
            r.try_get("unit_id")?,
            r.try_get("name")?,
            r.try_get("version")?,
            Vec::new(),
        ));
        e.3.push((r.try_get("user_id")?, r.try_get("username")?));
    }
    Ok(by_account
        .into_iter()
        .map(|(id, (unit_id, name, version, people))| Observation {
            rule: Rule::ExposedToDeparted,
            target_id: id,
            unit_id,
            details: json!({
                "account": name,
                "version": version,
                "people": people.iter().map(|(_, u)| u.as_str()).collect::<Vec<_>>().join(", "),
                "users": people.iter().map(|(id, u)| json!({ "user_id": id, "username": u })).collect::<Vec<_>>(),
            }),
        })
        .collect())
}

/// The binding holder is gone.
pub(super) async fn binding_holder_departed(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let sql = format!(
        "SELECT a.id, a.unit_id, a.name, us.id AS user_id, us.username \
         FROM accounts a JOIN units n ON n.id = a.unit_id JOIN users us ON us.id = a.binding_holder_id \
         WHERE a.status = 'active' AND a.binding_holder_id IN {MAYBE_GONE} AND {GONE}{{scope}}"
    );
    let rows = account_rows(conn, input, &sql).await?;
    rows.iter()
        .map(|r| {
            let details = json!({
                "account": r.try_get::<String, _>("name")?,
                "holder": r.try_get::<String, _>("username")?,
                "holder_id": r.try_get::<String, _>("user_id")?,
            });
            Observation::of_row(Rule::BindingHolderDeparted, r, details)
        })
        .collect()
}
