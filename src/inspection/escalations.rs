//! What the daily scan tells beyond the rotation digests (issue 10), queued in the same
//! transaction as those (see `notices`):
//! - `handover_overdue`: the unit's HR officers, once a day, one notice per unit listing
//!   its overdue cases;
//! - `escalation` of overdue cases: the supervisors above the unit, once per case (one
//!   notice per unit listing the cases not escalated before, claimed in `notice_marks`);
//! - `escalation` of veto findings (单项否决): the supervisors above the unit, each
//!   finding once for as long as it stays open.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::Row;

use super::notices::{Digests, digest};
use super::rules::{Rule, Severity};
use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::marks::{claim, not_taken};
use crate::notify::render::time;
use crate::notify::{Audience, Notice, NotificationKind};

/// Overdue cases: the unit's HR once a day (one notice per unit), the supervisors above
/// once per case.
pub(super) async fn handover_overdue(
    tx: &mut Tx,
    d: &mut Digests,
    day: &str,
) -> Result<(), sqlx::Error> {
    let now = d.now;
    let rows = sqlx::query(
        "SELECT h.unit_id, h.id, h.deadline_at, u.display_name, u.username FROM findings f \
         JOIN handovers h ON h.id = f.target_id JOIN users u ON u.id = h.leaver_id \
         WHERE f.state = 'open' AND f.rule = $1 AND h.state NOT IN ('closed', 'cancelled') \
         ORDER BY h.unit_id, h.deadline_at, h.id",
    )
    .bind(Rule::HandoverOverdue.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut by_unit: BTreeMap<String, Vec<(String, i64, String)>> = BTreeMap::new();
    for r in &rows {
        let name: String = r.try_get(3)?;
        let username: String = r.try_get(4)?;
        by_unit.entry(r.try_get(0)?).or_default().push((
            r.try_get(1)?,
            r.try_get(2)?,
            format!("{name} ({username})"),
        ));
    }
    for (unit, cases) in by_unit {
        let unit_id = UnitId::new(unit.clone());
        let name = d.name(tx, &unit).await?;
        let users: Vec<&str> = cases.iter().map(|(_, _, u)| u.as_str()).collect();
        let lines: Vec<String> = cases
            .iter()
            .map(|(id, deadline, user)| format!("{user} · {} · {id}", time(*deadline)))
            .collect();
        let earliest = cases.iter().map(|(_, d, _)| *d).min().unwrap_or(now);
        let hr = Notice::new(NotificationKind::HandoverOverdue, unit_id.clone(), now)
            .to(Audience::UnitHr(unit_id.clone()))
            .data(json!({
                "unit": name,
                "user": users.join("、"),
                "deadline_at": earliest,
                "count": cases.len(),
                "handover_ids": cases.iter().map(|(id, _, _)| id).collect::<Vec<_>>(),
                "items": lines,
            }))
            .dedupe(format!("handover_overdue|{unit}|{day}"));
        d.batch.push(hr);
        // Escalated once per case: the cases not escalated before, in one notice.
        let marks: Vec<String> = cases
            .iter()
            .map(|(id, _, _)| format!("escalation|handover|{id}"))
            .collect();
        let won = claim(tx, &marks, now).await?;
        let new: Vec<&(String, i64, String)> = cases
            .iter()
            .filter(|(id, _, _)| won.contains(&format!("escalation|handover|{id}")))
            .collect();
        if new.is_empty() {
            continue;
        }
        let ids: Vec<&str> = new.iter().map(|(id, _, _)| id.as_str()).collect();
        let up = Notice::new(NotificationKind::Escalation, unit_id.clone(), now)
            .to(Audience::ParentSupervisors(unit_id))
            .data(json!({
                "unit": name,
                "count": new.len(),
                "about": "handover",
                "handover_ids": ids,
                "items": new
                    .iter()
                    .map(|(id, deadline, user)| format!("{user} · {} · {id}", time(*deadline)))
                    .collect::<Vec<_>>(),
            }))
            .dedupe(format!("escalation|handover|{unit}|{}", digest(&ids)));
        d.batch.push(up);
    }
    Ok(())
}

/// Veto findings, per unit, to the supervisors above it: each finding once for as long
/// as it stays open (it is told again if it opens anew). Only the findings whose mark
/// is not taken yet are read and claimed (most veto findings stay open for weeks, and
/// claiming each again every day was most of the scan's notices).
pub(super) async fn veto(tx: &mut Tx, d: &mut Digests) -> Result<(), sqlx::Error> {
    let now = d.now;
    // A finding's mark: its id and since when it is open.
    const MARK: &str = "'escalation|veto|' || f.id || '|' || f.first_seen";
    let sql = format!(
        "SELECT f.unit_id, f.id, f.rule, f.details, {MARK} AS mark FROM findings f \
         WHERE f.state = 'open' AND f.severity = $1 \
         AND {} ORDER BY f.unit_id, f.id",
        not_taken(MARK)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(Severity::Veto.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut facts: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for r in &rows {
        let id: String = r.try_get(1)?;
        let rule: String = r.try_get(2)?;
        let details: String = r.try_get(3)?;
        let details: Value = serde_json::from_str(&details).unwrap_or(Value::Null);
        let about = ["account", "leaver", "username"]
            .iter()
            .find_map(|k| details.get(*k).and_then(Value::as_str))
            .unwrap_or("—")
            .to_string();
        facts.insert(
            r.try_get(4)?,
            (r.try_get(0)?, id, format!("{rule} · {about}")),
        );
    }
    let marks: Vec<String> = facts.keys().cloned().collect();
    let mut by_unit: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for mark in claim(tx, &marks, now).await? {
        if let Some((unit, id, line)) = facts.remove(&mark) {
            by_unit.entry(unit).or_default().push((id, line));
        }
    }
    let units: Vec<&str> = by_unit.keys().map(String::as_str).collect();
    d.prefetch_names(tx, &units).await?;
    for (unit, found) in by_unit {
        let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
        let unit_id = UnitId::new(unit.clone());
        let notice = Notice::new(NotificationKind::Escalation, unit_id.clone(), now)
            .to(Audience::ParentSupervisors(unit_id))
            .data(json!({
                "unit": d.name(tx, &unit).await?,
                "count": found.len(),
                "about": "veto",
                "finding_ids": ids,
                "items": found.iter().map(|(_, l)| l).collect::<Vec<_>>(),
            }))
            .dedupe(format!("escalation|veto|{unit}|{}", digest(&ids)));
        d.batch.push(notice);
    }
    Ok(())
}
