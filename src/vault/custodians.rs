//! Naming and removing an account's custodians (保管人).

use serde_json::json;
use sqlx::Row;

use super::error::{VaultError, VaultResult, unique_or};
use super::load::{account_for, reload};
use super::model::Account;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{self, AuthContext, Permission, Role};
use crate::identity::UserStatus;
use crate::ids::{AccountId, UserId};
use crate::tenancy::Unit;

/// The username of `user_id` when the user is active and holds a custodian or
/// unit-admin role over `unit`; `NotEligibleCustodian` otherwise.
async fn eligible_custodian(
    state: &AppState,
    unit: &Unit,
    user_id: &UserId,
) -> VaultResult<Option<String>> {
    let rows = sqlx::query(
        "SELECT m.role, n.path, u.status, u.username FROM memberships m JOIN units n ON n.id = m.unit_id \
         JOIN users u ON u.id = m.user_id WHERE m.user_id = $1",
    )
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    let mut username = None;
    let mut eligible = false;
    for r in &rows {
        let role: String = r.try_get("role")?;
        let path: String = r.try_get("path")?;
        let status: String = r.try_get("status")?;
        username = Some(r.try_get::<String, _>("username")?);
        if UserStatus::parse(&status) == Some(UserStatus::Active)
            && unit.path.starts_with(&path)
            && Role::parse(&role).is_some_and(|r| authz::may_be_custodian(&[r]))
        {
            eligible = true;
        }
    }
    if !eligible {
        return Err(VaultError::NotEligibleCustodian);
    }
    Ok(username)
}

/// Someone who could be named custodian of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodianCandidate {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
}

/// The people who could be named custodian of the account and are not yet: active,
/// holding a role on its unit or above that may keep accounts (the same rule
/// [`add_custodian`] applies); by username. For the account page's picker; the caller
/// must be allowed to change the account's custodians.
pub async fn custodian_candidates(
    state: &AppState,
    ctx: &AuthContext,
    account_id: &AccountId,
) -> VaultResult<Vec<CustodianCandidate>> {
    let (account, unit) = account_for(state, ctx, account_id, Permission::AccountsWrite).await?;
    let rows = sqlx::query(
        "SELECT m.role, u.id, u.username, u.display_name, u.status FROM memberships m \
         JOIN units n ON n.id = m.unit_id JOIN users u ON u.id = m.user_id \
         WHERE $1 LIKE (n.path || '%') ORDER BY u.username, u.id",
    )
    .bind(&unit.path)
    .fetch_all(state.db.pool())
    .await?;
    let named = account.custodian_ids();
    let mut out: Vec<CustodianCandidate> = Vec::new();
    for r in &rows {
        let role: String = r.try_get("role")?;
        let status: String = r.try_get("status")?;
        let user_id: UserId = r.try_get("id")?;
        let eligible = UserStatus::parse(&status) == Some(UserStatus::Active)
            && Role::parse(&role).is_some_and(|r| authz::may_be_custodian(&[r]));
        if eligible
            && !named.iter().any(|n| n == user_id.as_str())
            && out.last().is_none_or(|c| c.user_id != user_id)
        {
            out.push(CustodianCandidate {
                user_id,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
            });
        }
    }
    Ok(out)
}

pub async fn add_custodian(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &AccountId,
    user_id: &UserId,
) -> VaultResult<Account> {
    let (account, unit) = account_for(state, ctx, account_id, Permission::AccountsWrite).await?;
    let username = eligible_custodian(state, &unit, user_id).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let res = sqlx::query(
        "INSERT INTO account_custodians (unit_id, account_id, user_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .bind(user_id)
    .bind(now)
    .bind(ctx.user_id())
    .execute(&mut *tx)
    .await;
    unique_or(res, || VaultError::AlreadyCustodian)?;
    tx.reevaluate_audit_and_commit(
        state,
        now,
        meta,
        account
            .entry_by(ctx, "custodian.add")
            .details(json!({ "account": account.name, "user_id": user_id, "username": username })),
    )
    .await?;
    reload(state, account_id).await
}

pub async fn remove_custodian(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &AccountId,
    user_id: &UserId,
) -> VaultResult<()> {
    let (account, _) = account_for(state, ctx, account_id, Permission::AccountsWrite).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let done = sqlx::query(
        "DELETE FROM account_custodians WHERE unit_id = $1 AND account_id = $2 AND user_id = $3",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(VaultError::NotFound("custodian"));
    }
    tx.reevaluate_audit_and_commit(
        state,
        now,
        meta,
        account
            .entry_by(ctx, "custodian.remove")
            .details(json!({ "account": account.name, "user_id": user_id })),
    )
    .await?;
    Ok(())
}
