//! Staged rotation: the new password is sealed and committed as `pending` before anyone
//! types it into the platform; confirming makes it `current` (the old one `previous`);
//! cancelling abandons it. Every state in between leaves a retrievable working password.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::accounts::account_for_secret;
use super::model::{AccountStatus, RotationState, VersionState};
use super::secrets::{NewVersion, insert_version, record_exposure};
use super::validate::{CheckTarget, check_password, require_acceptable};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::AuthContext;
use crate::db::{is_unique_violation, new_id};
use crate::error::{AppError, AppResult};
use crate::inspection::Targets;
use crate::policy::{effective_policy, generate_password};

#[derive(Serialize, utoipa::ToSchema)]
pub struct RotationStarted {
    pub rotation_id: String,
    pub account_id: String,
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

fn rotation_pending() -> AppError {
    AppError::conflict(
        "rotation_pending",
        "this account already has a pending rotation: confirm or cancel it first",
    )
}

pub async fn start_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &str,
    password: Option<Zeroizing<String>>,
) -> AppResult<RotationStarted> {
    let (account, unit) = account_for_secret(state, ctx, account_id).await?;
    // The response carries the new password: people with a second factor only.
    crate::authz::require_person(ctx)?;
    if account.status != AccountStatus::Active {
        return Err(AppError::conflict(
            "account_inactive",
            format!(
                "the account is {}; reactivate it before rotating",
                account.status.as_str()
            ),
        ));
    }
    if account.pending_rotation_id.is_some() {
        return Err(rotation_pending());
    }
    let policy = effective_policy(state, &unit).await?.policy;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| generate_password(&policy.generator));
    let target = CheckTarget {
        unit_id: &unit.id,
        account_id: Some(&account.id),
        context: vec![
            &unit.name,
            &account.name,
            account.platform.as_str(),
            &account.login_name,
        ],
        reuse: true,
    };
    let check = check_password(state, &policy.account_password, &target, &password).await?;
    require_acceptable(&check)?;
    let now = state.now();
    let rotation_id = new_id();
    let mut tx = state.db.begin_write().await?;
    let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM credential_versions WHERE unit_id = $1 AND account_id = $2")
        .bind(&unit.id)
        .bind(&account.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let res = sqlx::query(
        "INSERT INTO rotations (unit_id, id, account_id, version, state, created_by, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
    )
    .bind(&unit.id)
    .bind(&rotation_id)
    .bind(&account.id)
    .bind(version)
    .bind(ctx.user_id())
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = res {
        return Err(if is_unique_violation(&e) {
            rotation_pending()
        } else {
            e.into()
        });
    }
    insert_version(
        state,
        &mut tx,
        NewVersion {
            unit_id: &unit.id,
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
    record_exposure(&mut tx, ctx, &unit.id, &account.id, version, "rotate", now).await?;
    let details = json!({
        "account": account.name,
        "rotation_id": rotation_id,
        "version": version,
        "generated": generated,
        "score": check.score,
    });
    let entry = Entry::by(ctx, &unit.id, "rotation.start").target("account", &account.id);
    tx.audit(now, meta, entry.details(details)).await?;
    tx.commit().await?;
    Ok(RotationStarted {
        rotation_id,
        account_id: account.id,
        state: RotationState::Pending.as_str().into(),
        version,
        password: password.to_string(),
    })
}

/// The rotation and the account it belongs to, for confirm and cancel.
async fn rotation_for(
    state: &AppState,
    ctx: &AuthContext,
    rotation_id: &str,
) -> AppResult<(String, String, i64, String)> {
    let row =
        sqlx::query("SELECT unit_id, account_id, version, state FROM rotations WHERE id = $1")
            .bind(rotation_id)
            .fetch_optional(state.db.pool())
            .await?
            .ok_or_else(|| AppError::not_found("rotation"))?;
    let account_id: String = row.try_get("account_id")?;
    // Authorise on the account: the same people who may rotate may finish.
    account_for_secret(state, ctx, &account_id)
        .await
        .map_err(|e| {
            if e.status() == 404 {
                AppError::not_found("rotation")
            } else {
                e
            }
        })?;
    Ok((
        row.try_get("unit_id")?,
        account_id,
        row.try_get("version")?,
        row.try_get("state")?,
    ))
}

fn not_pending(state: &str) -> AppError {
    AppError::conflict(
        "rotation_not_pending",
        format!("this rotation is already {state}"),
    )
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
    rotation_id: &str,
    how: Finish,
) -> AppResult<()> {
    let (unit_id, account_id, version, current_state) =
        rotation_for(state, ctx, rotation_id).await?;
    if RotationState::parse(&current_state) != Some(RotationState::Pending) {
        return Err(not_pending(&current_state));
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
        return Err(not_pending("finished"));
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
        }
        Finish::Cancel => {
            versions("UPDATE credential_versions SET state = 'abandoned' WHERE unit_id = $1 AND account_id = $2 AND version = $3 AND state = 'pending'")
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
    }
    crate::inspection::reevaluate(
        state,
        &mut tx,
        now,
        &Targets::account(account_id.as_str(), action),
    )
    .await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, &unit_id, action)
            .target("account", &account_id)
            .details(json!({ "rotation_id": rotation_id, "version": version })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the pending version current (the old one becomes previous).
pub async fn confirm_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    rotation_id: &str,
) -> AppResult<()> {
    finish(state, ctx, meta, rotation_id, Finish::Confirm).await
}

/// Abandons the pending version; the current one stays.
pub async fn cancel_rotation(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    rotation_id: &str,
) -> AppResult<()> {
    finish(state, ctx, meta, rotation_id, Finish::Cancel).await
}
