//! Reading a case: its items and actions (with who did what when), the checklist, and
//! the state — computed, so a deadline that passes shows as `escalated` on the next
//! read without any job running.

use serde::Serialize;
use sqlx::Row;

use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Unit, get_unit};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoverAction {
    /// `rotate`, `rebind` or `reassign`.
    pub action: String,
    /// Why the account is on the case (e.g. `custodian`, `revealed version 3`).
    pub reason: String,
    pub done: bool,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoverItem {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub platform: String,
    pub actions: Vec<HandoverAction>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistEntry {
    pub done: bool,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub event_id: String,
    /// `departure`, `transfer`, `role_change` or `leave`.
    pub event_type: String,
    pub leaver: PersonRef,
    pub successor: Option<PersonRef>,
    /// `open`, `awaiting_acknowledgement`, `awaiting_sign_off`, `closed`, `cancelled`,
    /// or `escalated` (deadline passed before closing).
    pub state: String,
    /// The state the case would be in without the deadline overlay.
    pub progress_state: String,
    pub deadline_at: i64,
    pub items: Vec<HandoverItem>,
    /// 资料交接
    pub materials: ChecklistEntry,
    /// 业务培训
    pub training: ChecklistEntry,
    pub acknowledged_at: Option<i64>,
    pub acknowledgement_note: Option<String>,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<i64>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub(super) stored_state: String,
    #[serde(skip)]
    pub(super) unit: Option<Unit>,
}

impl Handover {
    pub fn all_actions_done(&self) -> bool {
        self.items.iter().all(|i| i.actions.iter().all(|a| a.done))
    }

    pub fn checklist_done(&self) -> bool {
        self.materials.done && self.training.done
    }

    pub fn is_final(&self) -> bool {
        matches!(self.stored_state.as_str(), "closed" | "cancelled")
    }
}

async fn person(pool: &sqlx::AnyPool, id: &str) -> AppResult<PersonRef> {
    let r = sqlx::query("SELECT id, username, display_name FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(PersonRef {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
    })
}

/// Loads a case with everything it shows. `None` if there is no such case.
pub(super) async fn load(state: &AppState, id: &str) -> AppResult<Option<Handover>> {
    let pool = state.db.pool();
    let Some(r) = sqlx::query("SELECT * FROM handovers WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let unit_id: String = r.try_get("unit_id")?;
    let unit = get_unit(pool, &unit_id)
        .await?
        .ok_or_else(|| AppError::internal("case's unit is missing"))?;
    let created_at: i64 = r.try_get("created_at")?;
    let leaver_id: String = r.try_get("leaver_id")?;
    let successor_id: Option<String> = r.try_get("successor_id")?;
    // Actions; `rotate` is done once a rotation of the account was confirmed after the
    // case opened — derived, so no other part of the service has to remember the case.
    let rows = sqlx::query(
        "SELECT h.item_id, h.account_id, a.name, a.platform, h.action, h.reason, h.done_at, h.done_by, h.evidence, \
         (SELECT MIN(r.finished_at) FROM rotations r WHERE r.account_id = h.account_id AND r.state = 'confirmed' \
            AND r.finished_at >= $2) AS rotated_at, \
         (SELECT r.finished_by FROM rotations r WHERE r.account_id = h.account_id AND r.state = 'confirmed' \
            AND r.finished_at >= $2 ORDER BY r.finished_at LIMIT 1) AS rotated_by \
         FROM handover_actions h JOIN accounts a ON a.id = h.account_id \
         WHERE h.handover_id = $1 ORDER BY a.name, h.action",
    )
    .bind(id)
    .bind(created_at)
    .fetch_all(pool)
    .await?;
    let mut items: Vec<HandoverItem> = Vec::new();
    for row in &rows {
        let item_id: String = row.try_get("item_id")?;
        let action: String = row.try_get("action")?;
        let mut done_at: Option<i64> = row.try_get("done_at")?;
        let mut done_by: Option<String> = row.try_get("done_by")?;
        let mut evidence: Option<String> = row.try_get("evidence")?;
        if action == "rotate" && done_at.is_none() {
            let rotated_at: Option<i64> = row.try_get("rotated_at")?;
            if rotated_at.is_some() {
                done_at = rotated_at;
                done_by = row.try_get("rotated_by")?;
                evidence = Some("rotation confirmed after the case opened".into());
            }
        }
        let entry = HandoverAction {
            action,
            reason: row.try_get("reason")?,
            done: done_at.is_some(),
            done_at,
            done_by,
            evidence,
        };
        match items.iter_mut().find(|i| i.id == item_id) {
            Some(i) => i.actions.push(entry),
            None => items.push(HandoverItem {
                id: item_id,
                account_id: row.try_get("account_id")?,
                account_name: row.try_get("name")?,
                platform: row.try_get("platform")?,
                actions: vec![entry],
            }),
        }
    }
    let check = |by: &str, at: &str, note: &str| -> AppResult<ChecklistEntry> {
        let at: Option<i64> = r.try_get(at)?;
        Ok(ChecklistEntry {
            done: at.is_some(),
            confirmed_by: r.try_get(by)?,
            confirmed_at: at,
            note: r.try_get(note)?,
        })
    };
    let stored_state: String = r.try_get("state")?;
    let mut h = Handover {
        id: r.try_get("id")?,
        unit_id: unit.id.clone(),
        unit_name: unit.name.clone(),
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        leaver: person(pool, &leaver_id).await?,
        successor: match &successor_id {
            Some(s) => Some(person(pool, s).await?),
            None => None,
        },
        state: String::new(),
        progress_state: String::new(),
        deadline_at: r.try_get("deadline_at")?,
        items,
        materials: check("materials_by", "materials_at", "materials_note")?,
        training: check("training_by", "training_at", "training_note")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        acknowledgement_note: r.try_get("acknowledgement_note")?,
        signed_off_by: r.try_get("signed_off_by")?,
        signed_off_at: r.try_get("signed_off_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancel_reason: r.try_get("cancel_reason")?,
        created_at,
        updated_at: r.try_get("updated_at")?,
        stored_state,
        unit: Some(unit),
    };
    h.progress_state = progress(&h).to_string();
    h.state = if !h.is_final() && state.now() > h.deadline_at {
        "escalated".into()
    } else {
        h.progress_state.clone()
    };
    Ok(Some(h))
}

fn progress(h: &Handover) -> &'static str {
    match h.stored_state.as_str() {
        "closed" => "closed",
        "cancelled" => "cancelled",
        "acknowledged" => "awaiting_sign_off",
        _ if !(h.all_actions_done() && h.checklist_done()) => "open",
        _ if h.successor.is_some() => "awaiting_acknowledgement",
        _ => "awaiting_sign_off",
    }
}

/// Whether the caller is this case's successor.
pub(super) fn is_successor(ctx: &AuthContext, h: &Handover) -> bool {
    matches!((ctx.user_id(), &h.successor), (Some(u), Some(s)) if u == s.id)
}

/// A case the caller may act on with `perm`; its successor may always read it.
pub(super) async fn case_for(
    state: &AppState,
    ctx: &AuthContext,
    id: &str,
    perm: Permission,
) -> AppResult<Handover> {
    let h = load(state, id)
        .await?
        .ok_or_else(|| AppError::not_found("handover"))?;
    let unit = h
        .unit
        .clone()
        .ok_or_else(|| AppError::internal("case without unit"))?;
    match authz::authorize(ctx, perm, &unit.as_ref(), "handover") {
        Err(_) if perm == Permission::HandoverRead && is_successor(ctx, &h) => Ok(h),
        other => other.map(|()| h),
    }
}

pub async fn read(state: &AppState, ctx: &AuthContext, id: &str) -> AppResult<Handover> {
    case_for(state, ctx, id, Permission::HandoverRead).await
}

/// Cases of a unit's subtree, optionally filtered by (computed) state.
pub async fn list(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: Option<&str>,
    state_filter: Option<&str>,
) -> AppResult<Vec<Handover>> {
    let prefixes: Vec<String> = match unit_id {
        Some(u) => {
            let unit =
                crate::tenancy::authorized_unit(state, ctx, u, Permission::HandoverRead).await?;
            vec![unit.path]
        }
        None => authz::require_anywhere(ctx, Permission::HandoverRead)?,
    };
    let mut out = Vec::new();
    for prefix in prefixes {
        let ids = sqlx::query(
            "SELECT h.id FROM handovers h JOIN units n ON n.id = h.unit_id WHERE n.path LIKE $1 ORDER BY h.created_at DESC",
        )
        .bind(format!("{prefix}%"))
        .fetch_all(state.db.pool())
        .await?;
        for r in &ids {
            let id: String = r.try_get(0)?;
            if let Some(h) = load(state, &id).await?
                && state_filter.is_none_or(|f| f == h.state || f == h.progress_state)
            {
                out.push(h);
            }
        }
    }
    Ok(out)
}
