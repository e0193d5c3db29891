//! `rotation_overdue`, `rotation_due` (one query over current versions) and
//! `rotation_pending_stale` (one over pending rotations), against the policy in force
//! for each account's unit.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{DAY_MS, Input, Observation, policies_in_force, rows_with_policies};
use crate::clock::HOUR_MS;
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;
use crate::inspection::scope::Scope;
use crate::policy::{Policy, RotationPolicy};
use crate::vault::Classification;

fn max_age_days(r: &RotationPolicy, c: Option<Classification>) -> u32 {
    match c {
        Some(Classification::Core) => r.max_age_days_core,
        Some(Classification::General) => r.max_age_days_general,
        // Unknown text counts as the default class.
        Some(Classification::Important) | None => r.max_age_days_important,
    }
}

/// For the district scan: a condition (numbers only) keeping the current versions old
/// enough to be due under some policy in force — per class, older than the smallest
/// `max_age_days` less its largest reminder stage — so the database returns candidates
/// instead of every current version. Unknown classes are always read.
fn old_enough(policies: &[Policy], now: i64) -> String {
    let classes = [
        Classification::Core,
        Classification::Important,
        Classification::General,
    ];
    let terms: Vec<String> = classes
        .iter()
        .map(|c| {
            let days = policies
                .iter()
                .map(|p| {
                    let r = &p.rotation;
                    let stage = r.reminder_days.iter().copied().max().unwrap_or(0);
                    i64::from(max_age_days(r, Some(*c))) - i64::from(stage)
                })
                .min()
                .unwrap_or(0)
                .max(0);
            format!(
                "(a.classification = '{}' AND COALESCE(v.confirmed_at, v.created_at) <= {})",
                c.as_str(),
                now - days * DAY_MS
            )
        })
        .collect();
    let known: Vec<String> = classes
        .iter()
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    format!(
        " AND ({} OR a.classification NOT IN ({}))",
        terms.join(" OR "),
        known.join(", ")
    )
}

/// Overdue past the maximum age, or due within the largest reminder stage. The details
/// hold the dates (`since`, `due_at`), not the day counts, so a finding is not
/// rewritten every day; the list adds `age_days` / `days_left` when it is read (see
/// [`Rule::with_derived`](crate::inspection::Rule::with_derived)).
pub(super) async fn rotation_age(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let prefilter = match input.scope {
        Scope::All => old_enough(&policies_in_force(conn, input).await?, input.now),
        // A few accounts: each is judged in Rust.
        Scope::Narrow(_) => String::new(),
    };
    let sql = format!(
        "SELECT a.id, a.unit_id, n.path, a.name, a.classification, v.version, \
         COALESCE(v.confirmed_at, v.created_at) AS since \
         FROM accounts a JOIN units n ON n.id = a.unit_id \
         JOIN credential_versions v ON v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current' \
         WHERE a.status = 'active'{prefilter}{{scope}}"
    );
    let rows = rows_with_policies(conn, input, &sql).await?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let (r, policy) = row?;
        let class: String = r.try_get("classification")?;
        let max_days = max_age_days(&policy.rotation, Classification::parse(&class));
        let since: i64 = r.try_get("since")?;
        let due_at = since + i64::from(max_days) * DAY_MS;
        let account: String = r.try_get("name")?;
        let version: i64 = r.try_get("version")?;
        let left = due_at - input.now;
        let (rule, details) = if left < 0 {
            (
                Rule::RotationOverdue,
                json!({
                    "account": account, "classification": class, "version": version,
                    "max_age_days": max_days, "since": since, "due_at": due_at,
                }),
            )
        } else {
            // The nearest reminder stage reached, if any.
            let Some(stage) = policy
                .rotation
                .reminder_days
                .iter()
                .copied()
                .filter(|d| left <= i64::from(*d) * DAY_MS)
                .min()
            else {
                continue;
            };
            (
                Rule::RotationDue,
                json!({
                    "account": account, "classification": class, "version": version,
                    "max_age_days": max_days, "stage_days": stage, "due_at": due_at,
                }),
            )
        };
        out.push(Observation::of_row(rule, r, details)?);
    }
    Ok(out)
}

/// Pending rotations older than the unit's `rotation.pending_max_hours`.
pub(super) async fn pending_stale(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let rows = rows_with_policies(
        conn,
        input,
        "SELECT r.id AS rotation_id, a.id, a.unit_id, n.path, a.name, r.version, r.created_at \
         FROM rotations r JOIN accounts a ON a.unit_id = r.unit_id AND a.id = r.account_id \
         JOIN units n ON n.id = a.unit_id \
         WHERE r.state = 'pending' AND a.status = 'active'{scope}",
    )
    .await?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let (r, policy) = row?;
        let max_hours = policy.rotation.pending_max_hours;
        let started: i64 = r.try_get("created_at")?;
        if input.now - started <= i64::from(max_hours) * HOUR_MS {
            continue;
        }
        let details = json!({
            "account": r.try_get::<String, _>("name")?,
            "rotation_id": r.try_get::<String, _>("rotation_id")?,
            "version": r.try_get::<i64, _>("version")?,
            "started_at": started,
            "max_hours": max_hours,
        });
        out.push(Observation::of_row(Rule::RotationPendingStale, r, details)?);
    }
    Ok(out)
}
