//! `handover_overdue`: a case that is neither closed nor cancelled, past its deadline.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation, bind_filter};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;

pub(super) async fn handover_overdue(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let Some(filter) = input.scope.cases("h.id", 2) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT h.id, h.unit_id, h.deadline_at, h.state, h.leaver_id, us.username \
         FROM handovers h JOIN users us ON us.id = h.leaver_id \
         WHERE h.state NOT IN ('closed', 'cancelled') AND h.deadline_at < $1{}",
        filter.sql
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(input.now);
    let rows = bind_filter(q, &filter).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let deadline: i64 = r.try_get("deadline_at")?;
            let details = json!({
                "leaver": r.try_get::<String, _>("username")?,
                "leaver_id": r.try_get::<String, _>("leaver_id")?,
                "case_state": r.try_get::<String, _>("state")?,
                "deadline_at": deadline,
            });
            Observation::of_row(Rule::HandoverOverdue, r, details)
        })
        .collect()
}
