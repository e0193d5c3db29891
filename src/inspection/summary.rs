//! The daily summary (issue 10): after the daily scan, each supervisor hears one notice
//! about the subtree of the unit where they hold the role — open findings by severity,
//! overdue rectification items, overdue handover cases — once a day (dedupe per unit and
//! China date), and nothing when all is clear.

use serde_json::json;
use sqlx::Row;

use super::rules::Severity;
use crate::authz::Role;
use crate::calendar::Date;
use crate::db::Tx;
use crate::identity::UserStatus;
use crate::ids::{UnitId, UserId};
use crate::notify::{Audience, Batch, Notice, NotificationKind, unit_name};

/// Queues today's summaries at `now`.
pub(super) async fn queue(tx: &mut Tx, now: i64) -> Result<(), sqlx::Error> {
    let day = Date::in_china(now).to_string();
    // Units where an active supervisor holds the role, with their supervisors.
    let rows = sqlx::query(
        "SELECT n.id, n.path, m.user_id FROM memberships m JOIN units n ON n.id = m.unit_id \
         JOIN users s ON s.id = m.user_id WHERE m.role = $1 AND s.status = $2 \
         ORDER BY n.id, m.user_id",
    )
    .bind(Role::Supervisor.as_str())
    .bind(UserStatus::Active.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut units: Vec<(String, String, Vec<String>)> = Vec::new();
    for r in &rows {
        let id: String = r.try_get(0)?;
        let user: String = r.try_get(2)?;
        match units.last_mut() {
            Some((last, _, users)) if *last == id => users.push(user),
            _ => units.push((id, r.try_get(1)?, vec![user])),
        }
    }
    let mut batch = Batch::default();
    for (unit, path, supervisors) in units {
        let prefix = format!("{path}%");
        // One grouped count; every severity is listed, absent ones as 0.
        let mut counted: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for r in sqlx::query(
            "SELECT f.severity, COUNT(*) FROM findings f JOIN units u ON u.id = f.unit_id \
             WHERE f.state = 'open' AND u.path LIKE $1 GROUP BY f.severity",
        )
        .bind(&prefix)
        .fetch_all(&mut **tx)
        .await?
        {
            counted.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let mut by_severity = serde_json::Map::new();
        let mut open = 0;
        for sev in Severity::ALL {
            let n = counted.get(sev.as_str()).copied().unwrap_or(0);
            open += n;
            by_severity.insert(sev.as_str().into(), json!(n));
        }
        let rectifications: i64 = sqlx::query(
            "SELECT COUNT(*) FROM rectifications r JOIN units u ON u.id = r.unit_id \
             WHERE r.closed_at IS NULL AND r.state IN ('open', 'returned') \
             AND r.deadline_at < $1 AND u.path LIKE $2",
        )
        .bind(now)
        .bind(&prefix)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        let handovers: i64 = sqlx::query(
            "SELECT COUNT(*) FROM handovers h JOIN units u ON u.id = h.unit_id \
             WHERE h.state NOT IN ('closed', 'cancelled') AND h.deadline_at < $1 AND u.path LIKE $2",
        )
        .bind(now)
        .bind(&prefix)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        if open == 0 && rectifications == 0 && handovers == 0 {
            continue;
        }
        let mut data = json!({
            "unit": unit_name(tx, &unit).await?,
            "count": open,
            "rectifications_overdue": rectifications,
            "handovers_overdue": handovers,
            "date": day,
        });
        if let Some(d) = data.as_object_mut() {
            d.extend(by_severity);
        }
        let mut notice = Notice::new(
            NotificationKind::DailySummary,
            UnitId::new(unit.clone()),
            now,
        );
        for s in supervisors {
            notice = notice.to(Audience::User(UserId::new(s)));
        }
        let notice = notice
            .data(data)
            .dedupe(format!("daily_summary|{unit}|{day}"));
        batch.push(notice);
    }
    batch.enqueue(tx).await?;
    Ok(())
}
