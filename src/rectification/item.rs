//! One rectification item as the API shows it, read with its finding (for the message)
//! and its unit's path (for authorisation) in one query.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::RectificationError;
use super::state::RectificationState;
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission, UnitRef};
use crate::ids::{RectificationId, UnitId};
use crate::inspection::{FindingState, Localized, Rule, Severity, TargetKind, render};

/// A finding's rectification (整改) item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rectification {
    pub id: RectificationId,
    /// The unit that must fix it.
    pub unit_id: UnitId,
    pub finding_id: String,
    pub rule: Rule,
    pub severity: Severity,
    /// What the finding is about: its kind and id.
    pub target_kind: TargetKind,
    pub target_id: String,
    pub state: RectificationState,
    /// Open or returned past `deadline_at`: the unit is late (escalated once to the unit
    /// above, `escalated_to`).
    pub overdue: bool,
    /// Whether the finding's condition still holds.
    pub finding_state: FindingState,
    /// When the item opened; unix ms.
    pub opened_at: i64,
    /// When it must be fixed (working days from opening or reopening); unix ms.
    pub deadline_at: i64,
    /// When it was escalated for being overdue.
    pub escalated_at: Option<i64>,
    /// The unit whose supervisors it was escalated to (the parent unit).
    pub escalated_to: Option<UnitId>,
    /// What the unit did (整改情况), as last submitted.
    pub evidence: Option<String>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<i64>,
    /// The supervisor who last accepted or returned it.
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    /// Why it was returned, or the remark given on acceptance.
    pub review_reason: Option<String>,
    /// Set on a risk acceptance (accepted while the condition holds): the item reopens
    /// after this time; unix ms.
    pub risk_accepted_until: Option<i64>,
    /// How often a risk acceptance expired and the item reopened.
    pub reopened_count: i64,
    /// When it closed (accepted as fixed, or auto-resolved); null while live.
    pub closed_at: Option<i64>,
    /// `accepted`, or what cleared the finding (`daily_scan`, `rotation.confirm` …).
    pub closed_how: Option<String>,
    /// The finding's message.
    pub message: Localized,
}

/// The columns every read selects: the item, its finding's facts, its unit's path.
pub(super) const SELECT: &str = "SELECT r.*, f.state AS finding_state, f.details AS finding_details, \
     f.target_kind, f.target_id, n.path AS unit_path \
     FROM rectifications r JOIN findings f ON f.id = r.finding_id JOIN units n ON n.id = r.unit_id";

/// An item and the path of its unit.
pub(super) struct Loaded {
    pub item: Rectification,
    pub unit_path: String,
}

impl Loaded {
    pub fn unit(&self) -> UnitRef<'_> {
        UnitRef {
            id: self.item.unit_id.as_str(),
            path: &self.unit_path,
        }
    }
}

/// Reads one row at `now` (for `overdue`); None for a rule or state this build does
/// not know (a newer server wrote it).
pub(super) fn from_row(r: &AnyRow, now: i64) -> Result<Option<Loaded>, sqlx::Error> {
    let (Some(rule), Some(state), Some(finding_state)) = (
        Rule::parse(&r.try_get::<String, _>("rule")?),
        RectificationState::parse(&r.try_get::<String, _>("state")?),
        FindingState::parse(&r.try_get::<String, _>("finding_state")?),
    ) else {
        return Ok(None);
    };
    let def = rule.def();
    let details: Value =
        serde_json::from_str(&r.try_get::<String, _>("finding_details")?).unwrap_or(Value::Null);
    let deadline_at: i64 = r.try_get("deadline_at")?;
    let closed_at: Option<i64> = r.try_get("closed_at")?;
    let late_state = matches!(
        state,
        RectificationState::Open | RectificationState::Returned
    );
    let item = Rectification {
        id: RectificationId::new(r.try_get::<String, _>("id")?),
        unit_id: UnitId::new(r.try_get::<String, _>("unit_id")?),
        finding_id: r.try_get("finding_id")?,
        rule,
        severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(def.severity),
        target_kind: TargetKind::parse(&r.try_get::<String, _>("target_kind")?)
            .unwrap_or(def.target),
        target_id: r.try_get("target_id")?,
        state,
        overdue: late_state && closed_at.is_none() && now > deadline_at,
        finding_state,
        opened_at: r.try_get("opened_at")?,
        deadline_at,
        escalated_at: r.try_get("escalated_at")?,
        escalated_to: r
            .try_get::<Option<String>, _>("escalated_to")?
            .map(UnitId::new),
        evidence: r.try_get("evidence")?,
        submitted_by: r.try_get("submitted_by")?,
        submitted_at: r.try_get("submitted_at")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at: r.try_get("reviewed_at")?,
        review_reason: r.try_get("review_reason")?,
        risk_accepted_until: r.try_get("risk_accepted_until")?,
        reopened_count: r.try_get("reopened_count")?,
        closed_at,
        closed_how: r.try_get("closed_how")?,
        message: Localized {
            zh_cn: render(def.message_zh, &details),
            en: render(def.message_en, &details),
        },
    };
    Ok(Some(Loaded {
        item,
        unit_path: r.try_get("unit_path")?,
    }))
}

/// The item with this id, whoever may see it.
pub(super) async fn load(
    state: &AppState,
    id: &RectificationId,
) -> Result<Loaded, RectificationError> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(RectificationError::NotFound)?;
    from_row(&row, state.now())?.ok_or(RectificationError::NotFound)
}

/// The item, if the caller holds `perm` on its unit (404 outside the caller's units,
/// 403 without the permission).
pub(super) async fn item_for(
    state: &AppState,
    ctx: &AuthContext,
    id: &RectificationId,
    perm: Permission,
) -> Result<Loaded, RectificationError> {
    let l = load(state, id).await?;
    authz::authorize(ctx, perm, &l.unit(), "rectification")?;
    Ok(l)
}

/// `GET /rectifications/{id}`.
pub async fn read(
    state: &AppState,
    ctx: &AuthContext,
    id: &RectificationId,
) -> Result<Rectification, RectificationError> {
    Ok(item_for(state, ctx, id, Permission::RectificationsRead)
        .await?
        .item)
}
