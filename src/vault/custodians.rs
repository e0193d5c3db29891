//! Naming and removing an account's custodians (保管人).

use serde_json::json;
use sqlx::Row;

use super::accounts::{account_for, load_account};
use super::model::Account;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission, Role};
use crate::error::{AppError, AppResult};
use crate::identity::UserStatus;
use crate::inspection::Targets;

pub async fn add_custodian(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &str,
    user_id: &str,
) -> AppResult<Account> {
    let (account, unit) = account_for(state, ctx, account_id, Permission::AccountsWrite).await?;
    // The user must be active and hold a custodian or unit-admin role over this unit.
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
        return Err(AppError::client(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "not_eligible",
            "a custodian must be an active user with the custodian or unit_admin role on this unit; grant the role first",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let res = sqlx::query(
        "INSERT INTO account_custodians (unit_id, account_id, user_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&unit.id)
    .bind(&account.id)
    .bind(user_id)
    .bind(now)
    .bind(ctx.user_id())
    .execute(&mut *tx)
    .await;
    if let Err(e) = res {
        if crate::db::is_unique_violation(&e) {
            return Err(AppError::conflict(
                "already_custodian",
                "the user is already a custodian of this account",
            ));
        }
        return Err(e.into());
    }
    crate::inspection::reevaluate(
        state,
        &mut tx,
        now,
        &Targets::account(account.id.as_str(), "custodian.add"),
    )
    .await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, &unit.id, "custodian.add")
            .target("account", &account.id)
            .details(json!({ "account": account.name, "user_id": user_id, "username": username })),
    )
    .await?;
    tx.commit().await?;
    Ok(load_account(state.db.pool(), account_id)
        .await?
        .ok_or_else(|| AppError::not_found("account"))?
        .0)
}

pub async fn remove_custodian(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &str,
    user_id: &str,
) -> AppResult<()> {
    let (account, unit) = account_for(state, ctx, account_id, Permission::AccountsWrite).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let done = sqlx::query(
        "DELETE FROM account_custodians WHERE unit_id = $1 AND account_id = $2 AND user_id = $3",
    )
    .bind(&unit.id)
    .bind(&account.id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("custodian"));
    }
    crate::inspection::reevaluate(
        state,
        &mut tx,
        now,
        &Targets::account(account.id.as_str(), "custodian.remove"),
    )
    .await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, &unit.id, "custodian.remove")
            .target("account", &account.id)
            .details(json!({ "account": account.name, "user_id": user_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
