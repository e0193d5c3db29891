//! TOTP enrolment (start, confirm) and logout for a signed-in user.

use sqlx::Row;

use super::error::{IdentityError, IdentityResult};
use super::sessions::SessionKind;
use super::totp::{self, TotpEnrollment};
use super::users::user_event;
use crate::app::AppState;
use crate::audit::{Outcome, RequestMeta};
use crate::authz::AuthContext;
use crate::ids::{UnitId, UserId};

/// The signed-in person (id, username); API tokens and the operator have none.
fn user_of(ctx: &AuthContext) -> IdentityResult<(UserId, &str)> {
    match &ctx.principal {
        crate::authz::Principal::User { id, username } => Ok((UserId::from(id.as_str()), username)),
        crate::authz::Principal::Token { .. } | crate::authz::Principal::Operator { .. } => {
            Err(IdentityError::invalid(
                "API tokens have no two-factor enrolment or session",
                "接口令牌没有两步验证，也没有会话。",
            ))
        }
    }
}

async fn home_unit(state: &AppState, user_id: &UserId) -> IdentityResult<UnitId> {
    Ok(sqlx::query("SELECT unit_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?)
}

/// Starts TOTP enrolment: a new secret, kept pending until a code confirms it.
pub async fn totp_enroll(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
) -> IdentityResult<TotpEnrollment> {
    let (user_id, username) = user_of(ctx)?;
    let unit = home_unit(state, &user_id).await?;
    let mut tx = state.db.begin_write().await?;
    let enrolled: Option<Vec<u8>> = sqlx::query("SELECT totp_secret FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if enrolled.is_some() {
        return Err(IdentityError::TotpAlreadyEnrolled);
    }
    let (sealed, enrollment) = totp::new_enrollment(&state.totp_key, &user_id, username)?;
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(sealed)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    let entry = user_event(ctx, &unit, &user_id, "auth.totp_enroll_start");
    tx.audit_and_commit(state.now(), meta, entry).await?;
    Ok(enrollment)
}

/// Confirms enrolment with a code; the current session then counts as two-factor.
pub async fn totp_confirm(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    code: &str,
) -> IdentityResult<()> {
    let (user_id, username) = user_of(ctx)?;
    let unit = home_unit(state, &user_id).await?;
    let pending: Option<Vec<u8>> = sqlx::query("SELECT totp_pending FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
    let pending = pending.ok_or(IdentityError::NoEnrollment)?;
    let now = state.now();
    let step = totp::check_code(&state.totp_key, &user_id, username, &pending, code, now)?;
    let mut tx = state.db.begin_write().await?;
    let Some(step) = step else {
        let entry =
            user_event(ctx, &unit, &user_id, "auth.totp_enroll_confirm").outcome(Outcome::Failure);
        tx.audit_and_commit(state.now(), meta, entry).await?;
        return Err(IdentityError::EnrollmentCodeMismatch);
    };
    // The pending secret must still be the one checked (no concurrent re-enrolment).
    let done = sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 \
         WHERE id = $2 AND totp_pending = $3 AND totp_secret IS NULL",
    )
    .bind(step)
    .bind(&user_id)
    .bind(&pending)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(IdentityError::EnrollmentChanged);
    }
    sqlx::query("UPDATE sessions SET mfa_satisfied = 1 WHERE id = $1")
        .bind(&ctx.token_hash)
        .execute(&mut *tx)
        .await?;
    let entry = user_event(ctx, &unit, &user_id, "auth.totp_enroll_confirm");
    tx.audit_and_commit(state.now(), meta, entry).await?;
    Ok(())
}

pub async fn logout(state: &AppState, ctx: &AuthContext, meta: &RequestMeta) -> IdentityResult<()> {
    let (user_id, _) = user_of(ctx)?;
    let unit = home_unit(state, &user_id).await?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(&ctx.token_hash)
        .execute(&mut *tx)
        .await?;
    let entry = user_event(ctx, &unit, &user_id, "auth.logout");
    tx.audit_and_commit(state.now(), meta, entry).await?;
    Ok(())
}

/// What `/me` reports about the session.
pub fn session_label(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Full => "full",
        SessionKind::EnrollOnly => "enroll_only",
        SessionKind::PasswordChangeOnly => "password_change_only",
    }
}
