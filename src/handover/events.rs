//! Staff-change events from HR: idempotent, optionally signed, and applied in one
//! transaction with the case they open. The steps live beside this file: the people
//! named (`event_people`), idempotency (`event_idempotency`), what is revoked
//! (`revocation`) and the case opened (`case_opening`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::case_opening::{affected_accounts, open_case};
use super::deadline::case_deadline;
use super::error::{HandoverError, HandoverResult};
use super::event_idempotency::{claim, existing, request_hash};
use super::event_people::{
    Successor, leaver_checks, recheck_leaver, resolve_successor, user_in_scope,
};
use super::revocation::revoke;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{AuthContext, Permission};
use crate::error::{InputError, InternalError};
use crate::ids::{CaseId, EventId, UnitId, UserId};
use crate::policy::effective_policy;
use crate::tenancy::Unit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// 离职: leaves the organisation.
    Departure,
    /// 调动: moves to another unit.
    Transfer,
    /// 岗位变动: another job in the same unit.
    RoleChange,
    /// 休假/借调: temporary absence; a deputy is assigned, nothing is revoked.
    Leave,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Departure => "departure",
            EventType::Transfer => "transfer",
            EventType::RoleChange => "role_change",
            EventType::Leave => "leave",
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub username: String,
    pub unit_id: UnitId,
    pub successor_username: Option<String>,
    /// Unix milliseconds; defaults to now.
    pub effective_at: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventResult {
    pub event_id: EventId,
    pub handover_id: CaseId,
}

/// Earliest and latest `effective_at` accepted: 2000-01-01 and 2100-01-01 UTC (ms).
pub const EFFECTIVE_AT_MIN: i64 = 946_684_800_000;
pub const EFFECTIVE_AT_MAX: i64 = 4_102_444_800_000;

/// An accepted event, everything its transaction writes.
pub(super) struct NewEvent<'a> {
    pub unit: &'a Unit,
    pub input: &'a EventInput,
    pub actor_key: String,
    pub key: &'a str,
    pub hash: String,
    pub event_id: EventId,
    pub handover_id: CaseId,
    pub leaver: UserId,
    pub successor: Option<Successor>,
    pub effective_at: i64,
    pub note: Option<String>,
    pub deadline: i64,
    pub now: i64,
}

fn parse_idempotency_key(header: &str) -> HandoverResult<&str> {
    let key = header.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(HandoverError::IdempotencyKeyInvalid);
    }
    Ok(key)
}

fn check_effective_at(input: &EventInput) -> Result<(), InputError> {
    if let Some(at) = input.effective_at
        && !(EFFECTIVE_AT_MIN..=EFFECTIVE_AT_MAX).contains(&at)
    {
        return Err(InputError::field(
            "effective_at",
            "effective_at must be unix milliseconds between 2000-01-01 and 2100-01-01",
        )
        .zh("生效时间须在 2000-01-01 至 2100-01-01 之间（以 Unix 毫秒表示）。"));
    }
    Ok(())
}

/// The note trimmed and cut to 1000 characters; blank is none.
fn clean_note(note: Option<&str>) -> Option<String> {
    note.map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(1000).collect::<String>())
}

/// Records a staff change and opens its case. `idempotency_key` and the canonical
/// `body` make retries safe: the same key and body return the same ids.
pub async fn record_event(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    idempotency_key: &str,
    body: &serde_json::Value,
    input: EventInput,
) -> HandoverResult<(EventResult, bool)> {
    let key = parse_idempotency_key(idempotency_key)?;
    let pool = state.db.pool();
    let unit =
        crate::tenancy::authorized_unit(state, ctx, &input.unit_id, Permission::HrEvents).await?;
    let (kind, actor_id, _) = ctx.actor();
    let actor_key = format!("{kind}:{actor_id}");
    let hash = request_hash(body);
    if let Some(prior) = existing(pool, &actor_key, key, &hash).await? {
        return Ok((prior, true));
    }
    check_effective_at(&input)?;
    let (leaver, status) = user_in_scope(pool, ctx, &unit, &input.username)
        .await?
        .ok_or(HandoverError::UserNotFound)?;
    // Quick answers for the common case; re-checked inside the transaction, after the
    // idempotency row is claimed, so a concurrent duplicate gets the first one's answer.
    if let Err(e) = leaver_checks(pool, &leaver, &status, &unit, &input).await {
        // A concurrent duplicate may have just committed and changed the leaver.
        if let Some(prior) = existing(pool, &actor_key, key, &hash).await? {
            return Ok((prior, true));
        }
        return Err(e);
    }
    let successor = resolve_successor(pool, ctx, &unit, &leaver, &input).await?;
    let now = state.now();
    let effective_at = input.effective_at.unwrap_or(now);
    let policy = effective_policy(state, &unit).await?.policy;
    let calendar = state.calendar.current(pool).await?;
    let ev = NewEvent {
        unit: &unit,
        input: &input,
        actor_key,
        key,
        hash,
        event_id: EventId::generate(),
        handover_id: CaseId::generate(),
        leaver,
        successor,
        effective_at,
        note: clean_note(input.note.as_deref()),
        deadline: case_deadline(
            &calendar,
            effective_at,
            now,
            policy.handover.deadline_working_days,
        ),
        now,
    };

    let mut tx = state.db.begin_write().await?;
    if !claim(&mut tx, &ev).await? {
        drop(tx);
        // A concurrent duplicate won: answer as it did.
        return existing(pool, &ev.actor_key, key, &ev.hash)
            .await?
            .map(|r| (r, true))
            .ok_or_else(|| InternalError::new("idempotency row vanished").into());
    }
    recheck_leaver(&mut tx, &ev.leaver, &unit, &input).await?;
    let needs = affected_accounts(&mut tx, &ev.leaver, &unit, input.event_type).await?;
    let effects = revoke(&mut tx, &ev).await?;
    let auto_assigned = open_case(&mut tx, ctx, &ev, &needs).await?;
    let about_leaver = |action| Entry::by(ctx, &unit.id, action).target("user", &ev.leaver);
    tx.audit_and_reevaluate(
        state,
        now,
        meta,
        about_leaver("hr.event").details(json!({ "event_id": ev.event_id, "type": input.event_type.as_str(), "username": input.username, "successor": input.successor_username, "effective_at": effective_at, "effects": effects })),
    )
    .await?;
    super::notices::event_recorded(&mut tx, &ev).await?;
    tx.audit_and_commit(
        now,
        meta,
        about_leaver("handover.open").details(json!({ "handover_id": ev.handover_id, "accounts": needs.len(), "deadline_at": ev.deadline, "successor_assigned_to": auto_assigned })),
    )
    .await?;
    crate::notify::wake();
    Ok((
        EventResult {
            event_id: ev.event_id,
            handover_id: ev.handover_id,
        },
        false,
    ))
}
