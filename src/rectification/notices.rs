//! Who hears of rectification items (issue 10): the unit's admins (of the unit or a unit
//! above) and the unit's group channels. Items that open together reach each unit as one
//! notice listing them — a scan that opens thirty items sends one message, not thirty —
//! and a returned item as a notice with the reviewer's reason. Items escalated for being
//! late reach the unit's admins (`rectification_overdue`) and the supervisors above
//! (`escalation`), once, as the escalation is made once; items due within a day reach
//! the admins once per item and deadline (the daily scan's sync). Each is queued in the
//! transaction that opens, returns or escalates the items.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::state::RectificationState;
use crate::calendar::DAY_MS;
use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::marks::claim;
use crate::notify::render::time;
use crate::notify::{Audience, Batch, Notice, NotificationKind, enqueue, unit_name};

/// One notice per unit for the items `inserted` (rows with `unit_id`, `id`, `rule`,
/// `deadline_at`) opened at `now`.
pub(super) async fn opened(tx: &mut Tx, now: i64, inserted: &[AnyRow]) -> Result<(), sqlx::Error> {
    let mut by_unit: BTreeMap<String, Vec<(String, String, i64)>> = BTreeMap::new();
    for r in inserted {
        by_unit.entry(r.try_get("unit_id")?).or_default().push((
            r.try_get("id")?,
            r.try_get("rule")?,
            r.try_get("deadline_at")?,
        ));
    }
    let mut batch = Batch::default();
    for (unit_id, items) in by_unit {
        let name = unit_name(tx, &unit_id).await?;
        let mut rules: Vec<&str> = items.iter().map(|(_, rule, _)| rule.as_str()).collect();
        rules.sort_unstable();
        rules.dedup();
        let earliest = items.iter().map(|(_, _, d)| *d).min().unwrap_or(now);
        let lines: Vec<String> = items
            .iter()
            .map(|(id, rule, deadline)| {
                format!("{rule} · {} · {id}", crate::notify::render::time(*deadline))
            })
            .collect();
        let unit = UnitId::new(unit_id);
        let notice = Notice::new(NotificationKind::RectificationOpened, unit.clone(), now)
            .to(Audience::UnitAdmins(unit.clone()))
            .to(Audience::UnitGroups(unit))
            .data(json!({
                "unit": name,
                "rule": rules.join("、"),
                "deadline_at": earliest,
                "count": items.len(),
                "rectification_ids": items.iter().map(|(id, _, _)| id).collect::<Vec<_>>(),
                "items": lines,
            }));
        batch.push(notice);
    }
    batch.enqueue(tx).await?;
    Ok(())
}

/// The item `id` of `unit_id` (rule `rule`) was returned with `reason`.
pub(super) async fn returned(
    tx: &mut Tx,
    now: i64,
    unit_id: &UnitId,
    id: &str,
    rule: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let name = unit_name(tx, unit_id.as_str()).await?;
    let notice = Notice::new(
        NotificationKind::RectificationReturned,
        unit_id.clone(),
        now,
    )
    .to(Audience::UnitAdmins(unit_id.clone()))
    .to(Audience::UnitGroups(unit_id.clone()))
    .data(json!({
        "unit": name,
        "rule": rule,
        "reason": reason,
        "rectification_id": id,
    }));
    enqueue(tx, &notice).await?;
    Ok(())
}

/// Items `escalated` at `now` (rows with `unit_id`, `id`, `rule`, `deadline_at`): per
/// unit one `rectification_overdue` to its admins and groups and one `escalation` to
/// the supervisors above it.
pub(super) async fn escalated(
    tx: &mut Tx,
    now: i64,
    escalated: &[AnyRow],
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::default();
    for (unit_id, items) in by_unit(escalated)? {
        let unit = UnitId::new(unit_id.clone());
        let data = digest_data(tx, &unit_id, &items).await?;
        let overdue = Notice::new(NotificationKind::RectificationOverdue, unit.clone(), now)
            .to(Audience::UnitAdmins(unit.clone()))
            .to(Audience::UnitGroups(unit.clone()))
            .data(data.clone());
        batch.push(overdue);
        let mut up = data;
        up["about"] = json!("rectification");
        let up = Notice::new(NotificationKind::Escalation, unit.clone(), now)
            .to(Audience::ParentSupervisors(unit))
            .data(up);
        batch.push(up);
    }
    batch.enqueue(tx).await?;
    Ok(())
}

/// Open or returned items whose deadline falls within the next day and that were not
/// told of for that deadline: per unit one `rectification_due` to its admins.
pub(super) async fn due_tomorrow(tx: &mut Tx, now: i64) -> Result<(), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT unit_id, id, rule, deadline_at FROM rectifications \
         WHERE closed_at IS NULL AND state IN ($1, $2) AND deadline_at > $3 AND deadline_at <= $4 \
         ORDER BY unit_id, deadline_at, id",
    )
    .bind(RectificationState::Open.as_str())
    .bind(RectificationState::Returned.as_str())
    .bind(now)
    .bind(now + DAY_MS)
    .fetch_all(&mut **tx)
    .await?;
    let mut marks = Vec::with_capacity(rows.len());
    for r in &rows {
        marks.push(mark(
            &r.try_get::<String, _>("id")?,
            r.try_get("deadline_at")?,
        ));
    }
    let won = claim(tx, &marks, now).await?;
    let mut fresh = Vec::new();
    for r in rows {
        if won.contains(&mark(
            &r.try_get::<String, _>("id")?,
            r.try_get("deadline_at")?,
        )) {
            fresh.push(r);
        }
    }
    let mut batch = Batch::default();
    for (unit_id, items) in by_unit(&fresh)? {
        let unit = UnitId::new(unit_id.clone());
        let data = digest_data(tx, &unit_id, &items).await?;
        let notice = Notice::new(NotificationKind::RectificationDue, unit.clone(), now)
            .to(Audience::UnitAdmins(unit.clone()))
            .to(Audience::UnitGroups(unit))
            .data(data);
        batch.push(notice);
    }
    batch.enqueue(tx).await?;
    Ok(())
}

fn mark(id: &str, deadline: i64) -> String {
    format!("rectification_due|{id}|{deadline}")
}

/// (id, rule, deadline) of `rows`, by unit.
type Items = Vec<(String, String, i64)>;

fn by_unit(rows: &[AnyRow]) -> Result<BTreeMap<String, Items>, sqlx::Error> {
    let mut out: BTreeMap<String, Items> = BTreeMap::new();
    for r in rows {
        out.entry(r.try_get("unit_id")?).or_default().push((
            r.try_get("id")?,
            r.try_get("rule")?,
            r.try_get("deadline_at")?,
        ));
    }
    Ok(out)
}

/// The data of a digest of `items`: names, rules, the earliest deadline, ids, lines.
async fn digest_data(
    tx: &mut Tx,
    unit_id: &str,
    items: &Items,
) -> Result<serde_json::Value, sqlx::Error> {
    let mut rules: Vec<&str> = items.iter().map(|(_, rule, _)| rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    Ok(json!({
        "unit": unit_name(tx, unit_id).await?,
        "rule": rules.join("、"),
        "deadline_at": items.iter().map(|(_, _, d)| *d).min(),
        "count": items.len(),
        "rectification_ids": items.iter().map(|(id, _, _)| id).collect::<Vec<_>>(),
        "items": items
            .iter()
            .map(|(id, rule, d)| format!("{rule} · {} · {id}", time(*d)))
            .collect::<Vec<_>>(),
    }))
}
