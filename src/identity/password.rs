//! People's own login passwords: change, administrator reset, unlock, log out
//! everywhere, and whether a session is limited to changing the password (after a reset,
//! or when the policy's maximum age has passed).

use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::auth_audit::LoginAudit;
use super::error::{IdentityError, IdentityResult};
use super::target::authorized_target;
use super::users::{User, existing_user, generate_password, require_strong, user_event};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{AuthContext, Permission};
use crate::clock::HOUR_MS;
use crate::ids::{UnitId, UserId};

const DAY_MS: i64 = 24 * HOUR_MS;

/// Whether the password must be changed before anything else: an administrator reset
/// it, or it is older than `max_age_days` (0: no maximum age).
pub(super) fn change_required(
    must_change: bool,
    changed_at: i64,
    max_age_days: u32,
    now: i64,
) -> bool {
    must_change || (max_age_days > 0 && now - changed_at >= i64::from(max_age_days) * DAY_MS)
}

/// The login hook, after the password (and second factor) checked out: re-hash when the
/// argon2 parameters were raised, and tell whether the new session is limited to
/// changing the password.
pub(super) async fn after_login(
    state: &AppState,
    (user_id, stored_hash): (&UserId, &str),
    password: Zeroizing<String>,
    (must_change, changed_at): (bool, i64),
) -> bool {
    super::rehash::rehash_if_needed(state, user_id, stored_hash, password).await;
    change_required(
        must_change,
        changed_at,
        state.policy.user_password.max_age_days,
        state.now(),
    )
}

fn own_user_id(ctx: &AuthContext) -> IdentityResult<UserId> {
    ctx.user_id().map(UserId::from).ok_or_else(|| {
        IdentityError::invalid(
            "API tokens and the console operator have no login password or session",
            "接口令牌和命令行操作员没有登录密码，也没有会话。",
        )
    })
}

/// `POST /me/password`: checks the current password (a wrong one counts as a failed
/// login toward lockout), enforces the policy on the new one, stores it, and ends every
/// other session of the user; the calling session stays.
pub async fn change_own_password(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
) -> IdentityResult<()> {
    let user_id = &own_user_id(ctx)?;
    let row = sqlx::query(
        "SELECT username, display_name, unit_id, password_hash FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(IdentityError::AccountGone)?;
    let username: String = row.try_get("username")?;
    let display_name: String = row.try_get("display_name")?;
    let unit_id: UnitId = row.try_get("unit_id")?;
    let stored: String = row.try_get("password_hash")?;
    if *current == *new {
        return Err(IdentityError::invalid(
            "new_password must differ from current_password",
            "新密码不能与当前密码相同。",
        ));
    }
    require_strong(state, &new, &username, &display_name)?;
    let audit = LoginAudit::of_user(state, meta, unit_id.as_str(), user_id, &username);
    super::step_up::verify_current_password(state, &audit, user_id, &stored, current).await?;
    let hash = state.hasher.hash(new).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Only if nobody changed the password since it was verified.
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = 0, \
         failed_logins = 0, updated_at = $2 WHERE id = $3 AND password_hash = $4",
    )
    .bind(&hash)
    .bind(now)
    .bind(user_id)
    .bind(&stored)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(IdentityError::PasswordChangedMeanwhile);
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(&ctx.token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit_id, user_id, "user.password_change")
            .details(json!({ "username": username, "other_sessions_ended": ended })),
    )
    .await?;
    Ok(())
}

/// Administrator reset (API, or the console operator through the CLI): a generated
/// one-time password (returned once), to be changed at the next login; the lock is
/// cleared and every session of the user ends.
pub async fn reset_password(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &UserId,
) -> IdentityResult<(User, Zeroizing<String>)> {
    let (user, unit) = authorized_target(state, ctx, id, Permission::UsersWrite).await?;
    if ctx.user_id() == Some(id.as_str()) {
        return Err(IdentityError::invalid(
            "to change your own password use POST /api/v1/me/password",
            "不能在这里重置自己的密码，请到“修改密码”页面修改（接口：POST /api/v1/me/password）。",
        ));
    }
    let password = generate_password();
    let hash = state.hasher.hash(password.clone()).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 1, password_changed_at = $2, \
         failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(&hash)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let ended = super::sessions::revoke_all_for_user(&mut tx, id).await?;
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit.id, id, "user.password_reset").details(json!({
            "username": user.username,
            "sessions_ended": ended,
            "was_locked_until": user.locked_until,
        })),
    )
    .await?;
    let user = existing_user(state.db.pool(), id).await?;
    Ok((user, password))
}

/// The console operator's reset by username (`credgov users reset-password`).
pub async fn reset_password_by_username(
    state: &AppState,
    username: &str,
) -> IdentityResult<(User, Zeroizing<String>)> {
    let id: UserId = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(|| IdentityError::UsernameNotFound(username.to_string()))?
        .try_get(0)?;
    reset_password(
        state,
        &AuthContext::operator(),
        &RequestMeta::default(),
        &id,
    )
    .await
}

/// Clears a lockout and the failure counter.
pub async fn unlock(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &UserId,
) -> IdentityResult<User> {
    let (user, unit) = authorized_target(state, ctx, id, Permission::UsersWrite).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit.id, id, "user.unlock")
            .details(json!({ "username": user.username, "was_locked_until": user.locked_until })),
    )
    .await?;
    existing_user(state.db.pool(), id).await
}

/// "Log out everywhere": ends every session of the caller, this one included.
pub async fn revoke_all_sessions(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
) -> IdentityResult<u64> {
    let user_id = &own_user_id(ctx)?;
    let unit_id: UnitId = sqlx::query("SELECT unit_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let ended = super::sessions::revoke_all_for_user(&mut tx, user_id).await?;
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit_id, user_id, "auth.logout_all")
            .details(json!({ "sessions_ended": ended })),
    )
    .await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_required_after_reset_or_max_age() {
        let day = DAY_MS;
        assert!(change_required(true, 0, 0, 0));
        assert!(
            !change_required(false, 0, 0, 10_000 * day),
            "no maximum age"
        );
        assert!(!change_required(false, 0, 90, 90 * day - 1));
        assert!(change_required(false, 0, 90, 90 * day));
        assert!(change_required(false, 5, 90, 200 * day));
    }
}
