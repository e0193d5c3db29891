//! Reading a case: its items and actions (with who did what when), the checklist, and
//! the state — computed, so a deadline that passes shows as `escalated` on the next
//! read without any job running.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::case_state::{CaseState, ShownState};
use super::error::{HandoverError, HandoverResult};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::error::InternalError;
use crate::http::placeholders;
use crate::ids::{AccountId, CaseId, EventId, UnitId, UserId};
use crate::tenancy::{Unit, get_units};

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
    pub account_id: AccountId,
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
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub id: CaseId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub event_id: EventId,
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
    pub(super) stored_state: CaseState,
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
        self.stored_state.is_final()
    }

    /// Whether the caller holds `perm` on this case's unit: what a page offers (the
    /// service authorises every step again).
    pub fn permits(&self, ctx: &AuthContext, perm: Permission) -> bool {
        self.unit
            .as_ref()
            .is_some_and(|u| authz::authorize(ctx, perm, &u.as_ref(), "handover").is_ok())
    }

    /// Whether the caller is this case's named successor.
    pub fn is_successor(&self, ctx: &AuthContext) -> bool {
        is_successor(ctx, self)
    }
}

/// Loads a case with everything it shows. `None` if there is no such case.
pub(super) async fn load(state: &AppState, id: &CaseId) -> HandoverResult<Option<Handover>> {
    let rows = sqlx::query("SELECT * FROM handovers WHERE id = $1")
        .bind(id)
        .fetch_all(state.db.pool())
        .await?;
    Ok(assemble(state, &rows).await?.pop())
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: &'q [&'q str],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for v in values {
        q = q.bind(*v);
    }
    q
}

/// Builds cases from their `handovers` rows (in that order) with a constant number of
/// queries: their units, the people named, and every action of every case.
pub(super) async fn assemble(state: &AppState, rows: &[AnyRow]) -> HandoverResult<Vec<Handover>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let pool = state.db.pool();
    let mut case_ids = Vec::new();
    let mut unit_ids = Vec::new();
    let mut people = Vec::new();
    for r in rows {
        case_ids.push(r.try_get::<String, _>("id")?);
        unit_ids.push(r.try_get::<String, _>("unit_id")?);
        people.push(r.try_get::<String, _>("leaver_id")?);
        if let Some(s) = r.try_get::<Option<String>, _>("successor_id")? {
            people.push(s);
        }
    }
    let as_refs = |v: &[String]| -> Vec<String> {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let unit_ids = as_refs(&unit_ids);
    let people = as_refs(&people);
    let typed_units: Vec<UnitId> = unit_ids.iter().map(|u| UnitId::new(u.as_str())).collect();
    let unit_refs: Vec<&UnitId> = typed_units.iter().collect();
    let units: HashMap<String, Unit> = get_units(pool, &unit_refs)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u))
        .collect();
    let people_refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let sql = format!(
        "SELECT id, username, display_name FROM users WHERE id IN ({})",
        placeholders(1, people_refs.len())
    );
    let mut persons: HashMap<UserId, PersonRef> = HashMap::new();
    for r in &bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &people_refs)
        .fetch_all(pool)
        .await?
    {
        let p = PersonRef {
            id: r.try_get(0)?,
            username: r.try_get(1)?,
            display_name: r.try_get(2)?,
        };
        persons.insert(p.id.clone(), p);
    }
    // Actions; `rotate` is done once a rotation of the account was confirmed after the
    // case opened — derived, so no other part of the service has to remember the case.
    let case_refs: Vec<&str> = case_ids.iter().map(String::as_str).collect();
    let sql = format!(
        "SELECT h.handover_id, h.item_id, h.account_id, a.name, a.platform, h.action, h.reason, h.done_at, h.done_by, h.evidence, \
         (SELECT MIN(r.finished_at) FROM rotations r WHERE r.account_id = h.account_id AND r.state = 'confirmed' \
            AND r.finished_at >= c.created_at) AS rotated_at, \
         (SELECT r.finished_by FROM rotations r WHERE r.account_id = h.account_id AND r.state = 'confirmed' \
            AND r.finished_at >= c.created_at ORDER BY r.finished_at LIMIT 1) AS rotated_by \
         FROM handover_actions h JOIN handovers c ON c.id = h.handover_id JOIN accounts a ON a.id = h.account_id \
         WHERE h.handover_id IN ({}) ORDER BY h.handover_id, a.name, h.action",
        placeholders(1, case_refs.len())
    );
    let mut items: HashMap<String, Vec<HandoverItem>> = HashMap::new();
    for row in &bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &case_refs)
        .fetch_all(pool)
        .await?
    {
        let case_items = items.entry(row.try_get("handover_id")?).or_default();
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
        match case_items.iter_mut().find(|i| i.id == item_id) {
            Some(i) => i.actions.push(entry),
            None => case_items.push(HandoverItem {
                id: item_id,
                account_id: row.try_get("account_id")?,
                account_name: row.try_get("name")?,
                platform: row.try_get("platform")?,
                actions: vec![entry],
            }),
        }
    }
    let person = |id: &UserId| -> Result<PersonRef, InternalError> {
        persons
            .get(id)
            .cloned()
            .ok_or_else(|| InternalError::new("a case names a missing user"))
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: CaseId = r.try_get("id")?;
        let unit_id: String = r.try_get("unit_id")?;
        let unit = units
            .get(&unit_id)
            .cloned()
            .ok_or_else(|| InternalError::new("case's unit is missing"))?;
        let leaver_id: UserId = r.try_get("leaver_id")?;
        let successor_id: Option<UserId> = r.try_get("successor_id")?;
        let check = |by: &str, at: &str, note: &str| -> Result<ChecklistEntry, sqlx::Error> {
            let at: Option<i64> = r.try_get(at)?;
            Ok(ChecklistEntry {
                done: at.is_some(),
                confirmed_by: r.try_get(by)?,
                confirmed_at: at,
                note: r.try_get(note)?,
            })
        };
        let stored_text: String = r.try_get("state")?;
        // Only the fixed transitions write this column; other text is an unreadable row.
        let stored_state = CaseState::parse(&stored_text).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown handover state {stored_text:?}").into())
        })?;
        let mut h = Handover {
            items: items.remove(id.as_str()).unwrap_or_default(),
            id,
            unit_id: unit.id.clone(),
            unit_name: unit.name.clone(),
            event_id: r.try_get("event_id")?,
            event_type: r.try_get("event_type")?,
            leaver: person(&leaver_id)?,
            successor: successor_id.as_ref().map(person).transpose()?,
            state: String::new(),
            progress_state: String::new(),
            deadline_at: r.try_get("deadline_at")?,
            materials: check("materials_by", "materials_at", "materials_note")?,
            training: check("training_by", "training_at", "training_note")?,
            acknowledged_at: r.try_get("acknowledged_at")?,
            acknowledgement_note: r.try_get("acknowledgement_note")?,
            signed_off_by: r.try_get("signed_off_by")?,
            signed_off_at: r.try_get("signed_off_at")?,
            cancelled_by: r.try_get("cancelled_by")?,
            cancelled_at: r.try_get("cancelled_at")?,
            cancel_reason: r.try_get("cancel_reason")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            stored_state,
            unit: Some(unit),
        };
        let progress = progress(&h);
        h.progress_state = progress.as_str().into();
        h.state = if !h.is_final() && state.now() > h.deadline_at {
            ShownState::Escalated.as_str().into()
        } else {
            progress.as_str().into()
        };
        out.push(h);
    }
    Ok(out)
}

fn progress(h: &Handover) -> ShownState {
    match h.stored_state {
        CaseState::Closed => ShownState::Closed,
        CaseState::Cancelled => ShownState::Cancelled,
        CaseState::Acknowledged => ShownState::AwaitingSignOff,
        _ if !(h.all_actions_done() && h.checklist_done()) => ShownState::Open,
        _ if h.successor.is_some() => ShownState::AwaitingAcknowledgement,
        _ => ShownState::AwaitingSignOff,
    }
}

/// Whether the caller is this case's successor.
pub(super) fn is_successor(ctx: &AuthContext, h: &Handover) -> bool {
    matches!((ctx.user_id(), &h.successor), (Some(u), Some(s)) if s.id == u)
}

/// A case the caller may act on with `perm`; its successor may always read it.
pub(super) async fn case_for(
    state: &AppState,
    ctx: &AuthContext,
    id: &CaseId,
    perm: Permission,
) -> HandoverResult<Handover> {
    let h = load(state, id).await?.ok_or(HandoverError::CaseNotFound)?;
    let unit = h
        .unit
        .clone()
        .ok_or_else(|| InternalError::new("case without unit"))?;
    match authz::authorize(ctx, perm, &unit.as_ref(), "handover") {
        Err(_) if perm == Permission::HandoverRead && is_successor(ctx, &h) => Ok(h),
        other => other.map(|()| h).map_err(Into::into),
    }
}

/// A case the caller may read (its successor always may).
pub async fn read(state: &AppState, ctx: &AuthContext, id: &CaseId) -> HandoverResult<Handover> {
    case_for(state, ctx, id, Permission::HandoverRead).await
}
