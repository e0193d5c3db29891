//! Staged rotation: the new password is sealed and committed as `pending` before anyone
//! types it into the platform; confirming makes it `current` (the old one `previous`);
//! cancelling abandons it. Every state in between leaves a retrievable working password.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult, unique_or};
use super::load::account_for_secret;
use super::model::{AccountStatus, RotationState, VersionState};
use super::secrets::{NewVersion, insert_version, record_exposure};
use super::validate::{CheckTarget, check_password, require_acceptable};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::AuthContext;
use crate::error::{DomainError, ErrorKind};
use crate::ids::{AccountId, RotationId, UnitId};
use crate::policy::{effective_policy, generate_password};

#[derive(Serialize, utoipa::ToSchema)]
pub struct RotationStarted {
    pub rotation_id: RotationId,
    pub account_id: AccountId,
    /// Always `pending` here.
    pub state: String,
    pub version: i64,
    /// The new password: set it on the platform, then confirm. Shown to the caller only.
    pub password: String,
}

impl std::fmt::Debug for RotationStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationStarted")
            .field("rotation_id", &self.rotation_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

pub async fn start_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &AccountId,
    password: Option<Zeroizing<String>>,
) -> VaultResult<RotationStarted> {
    let (account, unit) = account_for_secret(state, ctx, account_id).await?;
    // The response carries the new password: people with a second factor only.
    crate::authz::require_person(ctx)?;
    if account.status != AccountStatus::Active {
        return Err(VaultError::AccountInactive(account.status));
    }
    if account.pending_rotation_id.is_some() {
        return Err(VaultError::RotationPending);
    }
    let policy = effective_policy(state, &unit).await?.policy;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| generate_password(&policy.generator));
    let target = CheckTarget::account(&unit.name, &account);
    let check = check_password(state, &policy.account_password, &target, &password).await?;
    require_acceptable(&check)?;
    let now = state.now();
    let rotation_id = RotationId::generate();
    let mut tx = state.db.begin_write().await?;
    let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM credential_versions WHERE unit_id = $1 AND account_id = $2")
        .bind(&account.unit_id)
        .bind(&account.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let res = sqlx::query(
        "INSERT INTO rotations (unit_id, id, account_id, version, state, created_by, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
    )
    .bind(&account.unit_id)
    .bind(&rotation_id)
    .bind(&account.id)
    .bind(version)
    .bind(ctx.user_id())
    .bind(now)
    .execute(&mut *tx)
    .await;
    unique_or(res, || VaultError::RotationPending)?;
    insert_version(
        state,
        &mut tx,
        NewVersion {
            unit_id: &account.unit_id,
            account_id: &account.id,
            version,
            state: VersionState::Pending,
            password: &password,
            score: check.score,
            weak: false,
            created_by: ctx.user_id(),
        },
    )
    .await?;
    record_exposure(&mut tx, ctx, account.place(), version, "rotate", now).await?;
    let details = json!({
        "account": account.name,
        "rotation_id": rotation_id,
        "version": version,
        "generated": generated,
        "score": check.score,
    });
    let entry = account.entry_by(ctx, "rotation.start").details(details);
    tx.audit_and_commit(now, meta, entry).await?;
    Ok(RotationStarted {
        rotation_id,
        account_id: account.id,
        state: RotationState::Pending.as_str().into(),
        version,
        password: password.to_string(),
    })
}

/// A rotation as stored, for confirm and cancel.
struct Rotation {
    unit_id: UnitId,
    account_id: AccountId,
    version: i64,
    /// As stored (`pending`, `confirmed`, `cancelled`).
    state: String,
}

/// The rotation, if the caller may finish it: the same people who may rotate the
/// account (anyone else is told it does not exist).
async fn rotation_for(
    state: &AppState,
    ctx: &AuthContext,
    rotation_id: &RotationId,
) -> VaultResult<Rotation> {
    let row =
        sqlx::query("SELECT unit_id, account_id, version, state FROM rotations WHERE id = $1")
            .bind(rotation_id)
            .fetch_optional(state.db.pool())
            .await?
            .ok_or(VaultError::NotFound("rotation"))?;
    let rotation = Rotation {
        unit_id: row.try_get("unit_id")?,
        account_id: row.try_get("account_id")?,
        version: row.try_get("version")?,
        state: row.try_get("state")?,
    };
    account_for_secret(state, ctx, &rotation.account_id)
        .await
        .map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                VaultError::NotFound("rotation")
            } else {
                e
            }
        })?;
    Ok(rotation)
}

/// How a pending rotation ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// The pending version becomes current, the current one previous.
    Confirm,
    /// The pending version is abandoned; the current one stays.
    Cancel,
}

/// Ends a pending rotation. Exactly one of several concurrent finishers wins: the
/// `state = 'pending'` condition lets only one UPDATE through.
async fn finish(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    rotation_id: &RotationId,
    how: Finish,
) -> VaultResult<()> {
    let Rotation {
        unit_id,
        account_id,
        version,
        state: current_state,
    } = rotation_for(state, ctx, rotation_id).await?;
    if RotationState::parse(&current_state) != Some(RotationState::Pending) {
        return Err(VaultError::RotationNotPending(current_state));
    }
    let (new_state, action) = match how {
        Finish::Confirm => (RotationState::Confirmed, "rotation.confirm"),
        Finish::Cancel => (RotationState::Cancelled, "rotation.cancel"),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let won = sqlx::query("UPDATE rotations SET state = $1, finished_by = $2, finished_at = $3 WHERE unit_id = $4 AND id = $5 AND state = 'pending'")
        .bind(new_state.as_str())
        .bind(ctx.user_id())
        .bind(now)
        .bind(&unit_id)
        .bind(rotation_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !won {
        return Err(VaultError::RotationNotPending("finished".into()));
    }
    let versions = |sql: &'static str| sqlx::query(sql).bind(&unit_id).bind(&account_id);
    match how {
        Finish::Confirm => {
            versions("UPDATE credential_versions SET state = 'previous' WHERE unit_id = $1 AND account_id = $2 AND state = 'current'")
                .execute(&mut *tx)
                .await?;
            versions("UPDATE credential_versions SET state = 'current', confirmed_at = $3 WHERE unit_id = $1 AND account_id = $2 AND version = $4 AND state = 'pending'")
                .bind(now)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            versions("UPDATE accounts SET last_rotated_at = $3, updated_at = $3 WHERE unit_id = $1 AND id = $2")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // A handover waiting on this rotation may now wait only for acknowledgement.
            crate::handover::notices::rotation_confirmed(&mut tx, now, account_id.as_str()).await?;
        }
        Finish::Cancel => {
            versions("UPDATE credential_versions SET state = 'abandoned' WHERE unit_id = $1 AND account_id = $2 AND version = $3 AND state = 'pending'")
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.reevaluate_audit_and_commit(
        state,
        now,
        meta,
        Entry::by(ctx, unit_id.as_str(), action)
            .target("account", account_id.as_str())
            .details(json!({ "rotation_id": rotation_id, "version": version })),
    )
    .await?;
    crate::notify::wake();
    Ok(())
}

/// Makes the pending version current (the old one becomes previous).
pub async fn confirm_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    rotation_id: &RotationId,
) -> VaultResult<()> {
    finish(state, ctx, meta, rotation_id, Finish::Confirm).await
}

/// Abandons the pending version; the current one stays.
pub async fn cancel_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    rotation_id: &RotationId,
) -> VaultResult<()> {
    finish(state, ctx, meta, rotation_id, Finish::Cancel).await
}
