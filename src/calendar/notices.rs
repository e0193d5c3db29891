//! A holiday calendar missing (`calendar_missing`): deadlines in that year would count
//! Monday–Friday only, so the system administrators hear of it once per year, in the
//! transaction of the daily scan that raised the finding.

use serde_json::json;

use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

/// Tells the sysadmins that `year` has no calendar (about `unit`, the root); queued once
/// per year however often it is called.
pub(crate) async fn missing(
    tx: &mut Tx,
    now: i64,
    unit: &UnitId,
    year: i64,
) -> Result<(), sqlx::Error> {
    let notice = Notice::new(NotificationKind::CalendarMissing, unit.clone(), now)
        .to(Audience::Sysadmins)
        .data(json!({ "year": year }))
        .dedupe(format!("calendar_missing|{year}"));
    enqueue(tx, &notice).await?;
    Ok(())
}
