//! Who hears of a handover (issue 10), each queued in the transaction of the change:
//! - an HR event processed: the HR officers of the unit (`hr_event_processed`);
//! - a case opened: the successor or deputy named and the unit admins
//!   (`handover_opened`);
//! - a case whose actions and checklist are all done and that now waits only for the
//!   successor's acknowledgement: the successor, once per case
//!   (`handover_awaiting_ack`; the state is derived, so every write that can complete
//!   the last step asks).
//!
//! Overdue cases are told by the daily scan (`inspection::notices`). Only names, the
//! event type, dates and ids go out.

use serde_json::json;
use sqlx::Row;

use super::events::NewEvent;
use super::list::READY;
use crate::db::Tx;
use crate::ids::{CaseId, UnitId, UserId};
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

/// "Display name (username)" of `user`.
async fn person(tx: &mut Tx, user: &str) -> Result<String, sqlx::Error> {
    let r = sqlx::query("SELECT display_name, username FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut **tx)
        .await?;
    Ok(format!(
        "{} ({})",
        r.try_get::<String, _>(0)?,
        r.try_get::<String, _>(1)?
    ))
}

/// The event type in Chinese, with its code for English readers.
fn event_label(code: &str) -> String {
    let zh = match code {
        "departure" => "离职",
        "transfer" => "调动",
        "role_change" => "岗位变动",
        "leave" => "休假/借调",
        other => other,
    };
    format!("{zh} / {code}")
}

/// The HR event `ev` was recorded and its case opened: HR of the unit hears the event,
/// the successor (if named) and the unit admins hear of the case.
pub(super) async fn event_recorded(tx: &mut Tx, ev: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    let unit = ev.unit.id.clone();
    let user = person(tx, ev.leaver.as_str()).await?;
    let event = ev.input.event_type.as_str();
    let base = json!({
        "unit": ev.unit.name,
        "user": user,
        "event": event_label(event),
        "event_type": event,
        "event_id": ev.event_id,
        "handover_id": ev.handover_id,
        "effective_at": ev.effective_at,
        "deadline_at": ev.deadline,
    });
    let processed = Notice::new(NotificationKind::HrEventProcessed, unit.clone(), ev.now)
        .to(Audience::UnitHr(unit.clone()))
        .data(base.clone());
    enqueue(tx, &processed).await?;
    let mut opened = Notice::new(NotificationKind::HandoverOpened, unit.clone(), ev.now);
    if let Some(s) = &ev.successor {
        opened = opened.to(Audience::User(s.id.clone()));
    }
    let mut data = base;
    data["successor"] = json!(ev.successor.as_ref().map(|s| s.username.as_str()));
    let opened = opened.to(Audience::UnitAdmins(unit)).data(data);
    enqueue(tx, &opened).await?;
    Ok(())
}

/// If case `id` now waits only for its successor's acknowledgement, tells the
/// successor (once per case, however many writes ask).
pub(crate) async fn awaiting_ack(tx: &mut Tx, now: i64, id: &str) -> Result<(), sqlx::Error> {
    let sql = format!(
        "SELECT h.unit_id, h.successor_id, h.deadline_at, h.leaver_id, n.name FROM handovers h \
         JOIN units n ON n.id = h.unit_id \
         WHERE h.id = $1 AND h.state = 'open' AND h.successor_id IS NOT NULL AND {READY}"
    );
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(());
    };
    let unit = UnitId::new(r.try_get::<String, _>(0)?);
    let successor = UserId::new(r.try_get::<String, _>(1)?);
    let leaver: String = r.try_get(3)?;
    let user = person(tx, &leaver).await?;
    let notice = Notice::new(NotificationKind::HandoverAwaitingAck, unit, now)
        .to(Audience::User(successor))
        .data(json!({
            "unit": r.try_get::<String, _>(4)?,
            "user": user,
            "handover_id": id,
            "deadline_at": r.try_get::<i64, _>(2)?,
        }))
        .dedupe(format!("handover_awaiting_ack|{id}"));
    enqueue(tx, &notice).await?;
    Ok(())
}

/// A rotation of `account_id` was confirmed: each open case with a `rotate` action on
/// it may now wait only for acknowledgement.
pub(crate) async fn rotation_confirmed(
    tx: &mut Tx,
    now: i64,
    account_id: &str,
) -> Result<(), sqlx::Error> {
    let cases: Vec<String> = sqlx::query(
        "SELECT DISTINCT h.id FROM handover_actions x JOIN handovers h \
         ON h.unit_id = x.unit_id AND h.id = x.handover_id \
         WHERE x.account_id = $1 AND x.action = 'rotate' AND h.state = 'open' ORDER BY h.id",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    for id in cases {
        awaiting_ack(tx, now, &id).await?;
    }
    Ok(())
}

/// For callers holding a case id.
pub(super) async fn awaiting_ack_of(tx: &mut Tx, now: i64, id: &CaseId) -> Result<(), sqlx::Error> {
    awaiting_ack(tx, now, id.as_str()).await
}
