//! Who hears of rectification items (issue 10): the unit's admins (of the unit or a unit
//! above) and the unit's group channels. Items that open together reach each unit as one
//! notice listing them — a scan that opens thirty items sends one message, not thirty —
//! and a returned item as a notice with the reviewer's reason. Both are queued in the
//! transaction that opens or returns the items.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

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
        enqueue(tx, &notice).await?;
    }
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

async fn unit_name(tx: &mut Tx, unit_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT name FROM units WHERE id = $1")
        .bind(unit_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)
}
