//! `mfa_not_enrolled`: an active user holding a role the (global) policy makes use TOTP,
//! not enrolled `mfa.enrol_within_days` after the earliest such role was granted.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{DAY_MS, Input, Observation, bind_filter};
use crate::http::placeholders;
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;

pub(super) async fn mfa_not_enrolled(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let mfa = &input.state.policy.mfa;
    if mfa.required_roles.is_empty() {
        return Ok(Vec::new());
    }
    let roles = mfa.required_roles.len();
    let Some(filter) = input.scope.users("us.id", 2 + roles) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT us.id, us.unit_id, us.username, MIN(m.created_at) AS since \
         FROM users us JOIN memberships m ON m.user_id = us.id \
         WHERE us.status = 'active' AND us.totp_secret IS NULL AND m.role IN ({}){} \
         GROUP BY us.id, us.unit_id, us.username HAVING MIN(m.created_at) <= $1",
        placeholders(2, roles),
        filter.sql
    );
    let limit = input.now - i64::from(mfa.enrol_within_days) * DAY_MS;
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit);
    for r in &mfa.required_roles {
        q = q.bind(r.as_str());
    }
    let rows = bind_filter(q, &filter).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let since: i64 = r.try_get("since")?;
            let details = json!({
                "username": r.try_get::<String, _>("username")?,
                "since": since,
                "enrol_within_days": mfa.enrol_within_days,
            });
            Observation::of_row(Rule::MfaNotEnrolled, r, details)
        })
        .collect()
}
