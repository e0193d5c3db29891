//! Staff-change events from HR: idempotent, optionally signed, and applied in one
//! transaction with the case they open.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::deadline::add_working_days;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission, Role};
use crate::db::{Tx, is_unique_violation, new_id};
use crate::error::{AppError, AppResult};
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
    pub unit_id: String,
    pub successor_username: Option<String>,
    /// Unix milliseconds; defaults to now.
    pub effective_at: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventResult {
    pub event_id: String,
    pub handover_id: String,
}

/// sha256 of the canonical JSON (keys sorted) of the request body.
pub fn request_hash(body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// Earliest and latest `effective_at` accepted: 2000-01-01 and 2100-01-01 UTC (ms).
pub const EFFECTIVE_AT_MIN: i64 = 946_684_800_000;
pub const EFFECTIVE_AT_MAX: i64 = 4_102_444_800_000;

/// A user the reporter may name: one whose home unit is, or who holds a role on a
/// unit, inside a subtree where the reporter may report staff changes. Anyone else
/// is answered exactly like an unknown username, so HR of one unit cannot probe
/// who exists elsewhere.
///
/// The event's own unit (already authorised) always counts, which is the whole scope
/// of the console operator, who holds no roles.
async fn user_in_scope(
    pool: &sqlx::AnyPool,
    ctx: &AuthContext,
    unit: &Unit,
    username: &str,
) -> AppResult<Option<(String, String)>> {
    let mut prefixes = authz::scopes(ctx, Permission::HrEvents);
    if !prefixes.iter().any(|p| unit.path.starts_with(p.as_str())) {
        prefixes.push(unit.path.clone());
    }
    // Usernames are case-insensitive (identity::usernames).
    let Some((id, status)) = crate::identity::usernames::find(pool, username).await? else {
        return Ok(None);
    };
    for prefix in prefixes {
        let row = sqlx::query(
            "SELECT u.id FROM users u WHERE u.id = $1 AND ( \
               EXISTS (SELECT 1 FROM units h WHERE h.id = u.unit_id AND h.path LIKE $2) \
               OR EXISTS (SELECT 1 FROM memberships m JOIN units n ON n.id = m.unit_id \
                          WHERE m.user_id = u.id AND n.path LIKE $2))",
        )
        .bind(&id)
        .bind(format!("{prefix}%"))
        .fetch_optional(pool)
        .await?;
        if row.is_some() {
            return Ok(Some((id, status)));
        }
    }
    Ok(None)
}

/// Roles the user holds on units of `unit`'s subtree (active users only).
async fn roles_in(pool: &sqlx::AnyPool, user_id: &str, unit: &Unit) -> AppResult<Vec<Role>> {
    let rows = sqlx::query(
        "SELECT m.role FROM memberships m JOIN units n ON n.id = m.unit_id JOIN users u ON u.id = m.user_id \
         WHERE m.user_id = $1 AND n.path LIKE $2 AND u.status = 'active'",
    )
    .bind(user_id)
    .bind(format!("{}%", unit.path))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .filter_map(|s| Role::parse(&s))
        .collect())
}

async fn existing(
    pool: &sqlx::AnyPool,
    actor_key: &str,
    key: &str,
    hash: &str,
) -> AppResult<Option<EventResult>> {
    let row = sqlx::query("SELECT id, handover_id, request_hash FROM hr_events WHERE actor_key = $1 AND idempotency_key = $2")
        .bind(actor_key)
        .bind(key)
        .fetch_optional(pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let stored: String = r.try_get("request_hash")?;
    if stored != hash {
        return Err(AppError::conflict(
            "idempotency_conflict",
            "this Idempotency-Key was already used with a different request body",
        ));
    }
    Ok(Some(EventResult {
        event_id: r.try_get("id")?,
        handover_id: r.try_get("handover_id")?,
    }))
}

async fn leaver_checks(
    pool: &sqlx::AnyPool,
    leaver: &str,
    status: &str,
    unit: &Unit,
    input: &EventInput,
) -> AppResult<()> {
    if status == "departed" {
        return Err(AppError::conflict(
            "already_departed",
            format!("{} has already departed", input.username),
        ));
    }
    // Every event, `leave` included, is about someone who works in the unit.
    if roles_in(pool, leaver, unit).await?.is_empty() {
        return Err(AppError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_in_unit",
            format!("{} holds no role in this unit", input.username),
        ));
    }
    Ok(())
}

/// What the case needs for one account.
#[derive(Default)]
struct Needs {
    rotate: Vec<String>,
    rebind: bool,
    reassign: bool,
}

async fn affected_accounts(
    tx: &mut Tx,
    leaver: &str,
    unit: &Unit,
    event: EventType,
) -> AppResult<BTreeMap<String, Needs>> {
    let like = format!("{}%", unit.path);
    let mut needs: BTreeMap<String, Needs> = BTreeMap::new();
    let custodian_rows = sqlx::query(
        "SELECT c.account_id, (SELECT COUNT(*) FROM account_custodians o WHERE o.account_id = c.account_id) AS n \
         FROM account_custodians c JOIN units u ON u.id = c.unit_id JOIN accounts a ON a.id = c.account_id \
         WHERE c.user_id = $1 AND u.path LIKE $2 AND a.status <> 'closed'",
    )
    .bind(leaver)
    .bind(&like)
    .fetch_all(&mut **tx)
    .await?;
    for r in &custodian_rows {
        let id: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        let e = needs.entry(id).or_default();
        if event != EventType::Leave {
            e.rotate.push("custodian".into());
        }
        if n <= 1 {
            e.reassign = true;
        }
    }
    if event != EventType::Leave {
        let seen = sqlx::query(
            "SELECT DISTINCT x.account_id, x.version FROM exposures x JOIN units u ON u.id = x.unit_id \
             JOIN credential_versions v ON v.account_id = x.account_id AND v.version = x.version \
             JOIN accounts a ON a.id = x.account_id \
             WHERE x.user_id = $1 AND u.path LIKE $2 AND v.state IN ('current', 'pending') AND a.status <> 'closed' \
             ORDER BY x.account_id, x.version",
        )
        .bind(leaver)
        .bind(&like)
        .fetch_all(&mut **tx)
        .await?;
        for r in &seen {
            let id: String = r.try_get(0)?;
            let version: i64 = r.try_get(1)?;
            needs
                .entry(id)
                .or_default()
                .rotate
                .push(format!("saw version {version}"));
        }
        let bound = sqlx::query(
            "SELECT a.id FROM accounts a JOIN units u ON u.id = a.unit_id WHERE a.binding_holder_id = $1 AND u.path LIKE $2 AND a.status <> 'closed'",
        )
        .bind(leaver)
        .bind(&like)
        .fetch_all(&mut **tx)
        .await?;
        for r in &bound {
            needs.entry(r.try_get(0)?).or_default().rebind = true;
        }
    }
    Ok(needs)
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
) -> AppResult<(EventResult, bool)> {
    let key = idempotency_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::bad_request(
            "the Idempotency-Key header is required (1–200 characters)",
        ));
    }
    let pool = state.db.pool();
    let unit =
        crate::tenancy::authorized_unit(state, ctx, &input.unit_id, Permission::HrEvents).await?;
    let (kind, actor_id, _) = ctx.actor();
    let actor_key = format!("{kind}:{actor_id}");
    let hash = request_hash(body);
    if let Some(prior) = existing(pool, &actor_key, key, &hash).await? {
        return Ok((prior, true));
    }
    if let Some(at) = input.effective_at
        && !(EFFECTIVE_AT_MIN..=EFFECTIVE_AT_MAX).contains(&at)
    {
        return Err(AppError::invalid_field(
            "effective_at",
            "effective_at must be unix milliseconds between 2000-01-01 and 2100-01-01",
        ));
    }
    let (leaver, status) = user_in_scope(pool, ctx, &unit, &input.username)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    // Quick answers for the common case; re-checked inside the transaction, after the
    // idempotency row is claimed, so a concurrent duplicate gets the first one's answer.
    if let Err(e) = leaver_checks(pool, &leaver, &status, &unit, &input).await {
        // A concurrent duplicate may have just committed and changed the leaver.
        if let Some(prior) = existing(pool, &actor_key, key, &hash).await? {
            return Ok((prior, true));
        }
        return Err(e);
    }
    let successor = match &input.successor_username {
        None => None,
        Some(name) => {
            let (id, _) = user_in_scope(pool, ctx, &unit, name)
                .await?
                .ok_or_else(|| AppError::not_found("successor"))?;
            if id == leaver {
                return Err(AppError::invalid(
                    "the successor cannot be the person leaving",
                ));
            }
            let roles = roles_in(pool, &id, &unit).await?;
            if roles.is_empty() {
                return Err(AppError::client(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "successor_not_in_unit",
                    format!("{name} holds no role in this unit; give them one first"),
                ));
            }
            let can_hold = roles
                .iter()
                .any(|r| matches!(r, Role::Custodian | Role::UnitAdmin));
            Some((id, name.clone(), can_hold))
        }
    };
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(1000).collect::<String>());
    let now = state.now();
    let effective_at = input.effective_at.unwrap_or(now);
    let policy = effective_policy(state, &unit).await?.policy;
    let deadline = add_working_days(effective_at.max(now), policy.handover.deadline_working_days);
    let event_id = new_id();
    let handover_id = new_id();

    let mut tx = state.db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO hr_events (unit_id, id, actor_key, idempotency_key, request_hash, event_type, user_id, successor_id, \
         effective_at, note, handover_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&unit.id)
    .bind(&event_id)
    .bind(&actor_key)
    .bind(key)
    .bind(&hash)
    .bind(input.event_type.as_str())
    .bind(&leaver)
    .bind(successor.as_ref().map(|s| s.0.as_str()))
    .bind(effective_at)
    .bind(note.as_deref())
    .bind(&handover_id)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if is_unique_violation(&e) {
            drop(tx);
            // A concurrent duplicate won: answer as it did.
            return existing(pool, &actor_key, key, &hash)
                .await?
                .map(|r| (r, true))
                .ok_or_else(|| AppError::internal("idempotency row vanished"));
        }
        return Err(e.into());
    }
    // Inside the transaction only its own connection is used: waiting for a second
    // pooled connection while holding locks could starve the pool under load.
    let status: String = sqlx::query("SELECT status FROM users WHERE id = $1")
        .bind(&leaver)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let roles: i64 = sqlx::query(
        "SELECT COUNT(*) FROM memberships m JOIN units n ON n.id = m.unit_id WHERE m.user_id = $1 AND n.path LIKE $2",
    )
    .bind(&leaver)
    .bind(format!("{}%", unit.path))
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    if status == "departed" {
        return Err(AppError::conflict(
            "already_departed",
            format!("{} has already departed", input.username),
        ));
    }
    if roles == 0 {
        return Err(AppError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_in_unit",
            format!("{} holds no role in this unit", input.username),
        ));
    }
    let needs = affected_accounts(&mut tx, &leaver, &unit, input.event_type).await?;
    let like = format!("{}%", unit.path);
    let mut effects = json!({});
    if input.event_type != EventType::Leave {
        let ended = sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND unit_id IN (SELECT id FROM units WHERE path LIKE $2)")
            .bind(&leaver)
            .bind(&like)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let custody = sqlx::query("DELETE FROM account_custodians WHERE user_id = $1 AND unit_id IN (SELECT id FROM units WHERE path LIKE $2)")
            .bind(&leaver)
            .bind(&like)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&leaver)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let mut tokens = 0;
        let mut departed = false;
        if input.event_type == EventType::Departure {
            tokens = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(&leaver)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let left: i64 = sqlx::query("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
                .bind(&leaver)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if left == 0 {
                sqlx::query("UPDATE users SET status = 'departed', updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&leaver)
                    .execute(&mut *tx)
                    .await?;
                departed = true;
            }
        }
        effects = json!({ "memberships_ended": ended, "custodianships_ended": custody, "sessions_revoked": sessions, "api_tokens_revoked": tokens, "marked_departed": departed });
    }
    sqlx::query(
        "INSERT INTO handovers (unit_id, id, event_id, event_type, leaver_id, successor_id, state, deadline_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)",
    )
    .bind(&unit.id)
    .bind(&handover_id)
    .bind(&event_id)
    .bind(input.event_type.as_str())
    .bind(&leaver)
    .bind(successor.as_ref().map(|s| s.0.as_str()))
    .bind(deadline)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut auto_assigned = 0;
    for (account_id, need) in &needs {
        let account_unit: String = sqlx::query("SELECT unit_id FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let item_id = new_id();
        let mut actions: Vec<(&str, String, Option<String>)> = Vec::new();
        if !need.rotate.is_empty() {
            actions.push(("rotate", need.rotate.join(", "), None));
        }
        if need.rebind {
            actions.push(("rebind", "holds the bound phone or e-mail".into(), None));
        }
        if need.reassign {
            let mut done = None;
            if let Some((sid, sname, true)) = &successor {
                sqlx::query(
                    "INSERT INTO account_custodians (unit_id, account_id, user_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (unit_id, account_id, user_id) DO NOTHING",
                )
                .bind(&account_unit)
                .bind(account_id)
                .bind(sid)
                .bind(now)
                .bind(ctx.user_id())
                .execute(&mut *tx)
                .await?;
                done = Some(format!("successor {sname} made custodian"));
                auto_assigned += 1;
            }
            actions.push(("reassign", "only custodian".into(), done));
        }
        for (action, reason, done) in actions {
            sqlx::query(
                "INSERT INTO handover_actions (unit_id, handover_id, item_id, account_id, action, reason, done_at, done_by, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&unit.id)
            .bind(&handover_id)
            .bind(&item_id)
            .bind(account_id)
            .bind(action)
            .bind(&reason)
            .bind(done.as_ref().map(|_| now))
            .bind(done.as_ref().map(|_| "credgov"))
            .bind(done.as_deref())
            .execute(&mut *tx)
            .await?;
        }
    }
    for (action, details) in [
        (
            "hr.event",
            json!({ "event_id": event_id, "type": input.event_type.as_str(), "username": input.username, "successor": input.successor_username, "effective_at": effective_at, "effects": effects }),
        ),
        (
            "handover.open",
            json!({ "handover_id": handover_id, "accounts": needs.len(), "deadline_at": deadline, "successor_assigned_to": auto_assigned }),
        ),
    ] {
        tx.audit(
            now,
            meta,
            Entry::by(ctx, &unit.id, action)
                .target("user", &leaver)
                .details(details),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((
        EventResult {
            event_id,
            handover_id,
        },
        false,
    ))
}
