//! A broken audit trail (`audit_verify_failed`): whoever runs the verification (`credgov
//! audit verify`, or a job or endpoint later) reports a break here, and the system
//! administrators hear of it once a day per break (the unit, the event number and the
//! reason — never event contents).

use serde_json::json;

use super::verify::VerifyReport;
use crate::calendar::Date;
use crate::db::Db;
use crate::ids::UnitId;
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

/// Queues the notice when `report` is a break; returns whether it queued one (false
/// when intact, or when this break was already reported today).
pub async fn report_broken(db: &Db, now: i64, report: &VerifyReport) -> Result<bool, sqlx::Error> {
    let VerifyReport::Broken {
        unit_id,
        seq,
        reason,
    } = report
    else {
        return Ok(false);
    };
    let mut tx = db.begin_write().await?;
    // The unit may be gone (a deleted chain): name it by id then.
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
        .bind(unit_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let exists = name.is_some();
    let about = if exists {
        unit_id.clone()
    } else {
        // Notices are about an existing unit: the root then.
        match sqlx::query_scalar::<_, String>("SELECT id FROM units WHERE parent_id IS NULL")
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(root) => UnitId::new(root),
            None => return Ok(false),
        }
    };
    let day = Date::in_china(now);
    let notice = Notice::new(NotificationKind::AuditVerifyFailed, about, now)
        .to(Audience::Sysadmins)
        .data(json!({
            "unit": name.unwrap_or_else(|| unit_id.to_string()),
            "unit_id": unit_id,
            "seq": seq,
            "reason": reason,
        }))
        .dedupe(format!("audit_verify_failed|{unit_id}|{seq}|{day}"));
    let queued = enqueue(&mut tx, &notice).await?;
    tx.commit().await?;
    crate::notify::wake();
    Ok(queued.inbox + queued.outbox > 0)
}
