//! `calendar_missing`: from 1 December (China time), next year's holiday calendar is
//! neither embedded nor imported, so deadlines next year would count Monday–Friday.
//! A district-wide finding, about (and owned by) the root unit.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;

pub(super) async fn calendar_missing(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    if !input.scope.district() {
        return Ok(Vec::new());
    }
    // Read through this connection: an import in the caller's transaction counts.
    let calendar = input.state.calendar.on(&mut *conn).await?;
    let Some(year) = calendar.next_year_missing(input.now) else {
        return Ok(Vec::new());
    };
    let Some(root) = sqlx::query("SELECT id FROM units WHERE parent_id IS NULL")
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let root: String = root.try_get(0)?;
    Ok(vec![Observation {
        rule: Rule::CalendarMissing,
        target_id: root.clone(),
        unit_id: root,
        details: json!({ "year": year }),
    }])
}
