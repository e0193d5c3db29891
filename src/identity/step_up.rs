//! A fresh TOTP code as step-up for a deliberate act (e.g. acknowledging a handover).
//! Each code works once. A wrong code counts toward the same lockout as a wrong login
//! (an attempt slot is reserved before the code is checked), so a stolen session cannot
//! be used to guess codes.

use sqlx::Row;
use zeroize::Zeroizing;

use super::auth_audit::LoginAudit;
use super::error::{IdentityError, IdentityResult};
use super::lockout;
use super::totp;
use crate::app::AppState;
use crate::audit::{Outcome, RequestMeta};
use crate::ids::UserId;

/// Checks `code` for `user_id`. A replay is refused and audited by the caller's event; a
/// wrong code is also recorded as `auth.step_up` failure (and `auth.lockout` when it locks).
pub async fn verify_step_up(
    state: &AppState,
    meta: &RequestMeta,
    user_id: &UserId,
    code: &str,
) -> IdentityResult<()> {
    let row = sqlx::query("SELECT username, unit_id, totp_secret FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(IdentityError::NotFound("user"))?;
    let username: String = row.try_get("username")?;
    let unit_id: String = row.try_get("unit_id")?;
    let sealed: Option<Vec<u8>> = row.try_get("totp_secret")?;
    let sealed = sealed.ok_or(IdentityError::TotpNotEnrolled)?;
    let audit = LoginAudit::of_user(state, meta, &unit_id, user_id, &username);
    let now = state.now();
    reserve_attempt(state, &audit, user_id, "auth.step_up", now).await?;
    let checked = totp::check_code(&state.totp_key, user_id, &username, &sealed, code, now);
    let mut tx = state.db.begin_write().await?;
    let step = match checked {
        Ok(Some(step)) => step,
        Ok(None) => {
            let f = lockout::fail(&mut tx, &state.policy.lockout, user_id, now).await?;
            let lock = audit.failure(&mut tx, f, "auth.step_up", "totp").await?;
            tx.commit().await?;
            return Err(lock.map_or(IdentityError::InvalidTotp, IdentityError::Locked));
        }
        Err(e) => {
            lockout::release(&mut tx, user_id).await?;
            tx.commit().await?;
            return Err(e);
        }
    };
    lockout::release(&mut tx, user_id).await?;
    let fresh = totp::claim_step(&mut *tx, user_id, step).await?;
    tx.commit().await?;
    if !fresh {
        return Err(IdentityError::TotpReplayed);
    }
    Ok(())
}

/// Checks the current password of `user_id` (stored as `stored`) before a deliberate
/// change (changing it). Like a login, it holds an attempt slot while the hash is
/// verified, so a stolen session cannot be used to guess the password faster than the
/// lockout allows; a wrong one is recorded as `auth.password_check` failure (and
/// `auth.lockout` when it locks).
pub(super) async fn verify_current_password(
    state: &AppState,
    audit: &LoginAudit<'_>,
    user_id: &UserId,
    stored: &str,
    password: Zeroizing<String>,
) -> IdentityResult<()> {
    let now = state.now();
    reserve_attempt(state, audit, user_id, "auth.password_check", now).await?;
    let verified = state
        .hasher
        .verify(password, Some(stored.to_string()))
        .await;
    let mut tx = state.db.begin_write().await?;
    match verified {
        Ok(true) => {
            lockout::release(&mut tx, user_id).await?;
            tx.commit().await?;
            Ok(())
        }
        Ok(false) => {
            let f = lockout::fail(&mut tx, &state.policy.lockout, user_id, now).await?;
            let lock = audit
                .failure(&mut tx, f, "auth.password_check", "current_password")
                .await?;
            tx.commit().await?;
            Err(lock.map_or(IdentityError::WrongCurrentPassword, IdentityError::Locked))
        }
        Err(e) => {
            lockout::release(&mut tx, user_id).await?;
            tx.commit().await?;
            Err(e.into())
        }
    }
}

/// Reserves an attempt slot before a secret is checked (`lockout::reserve`); a refusal
/// (locked, or every slot in use) is audited as `action` and answered.
async fn reserve_attempt(
    state: &AppState,
    audit: &LoginAudit<'_>,
    user_id: &UserId,
    action: &'static str,
    now: i64,
) -> IdentityResult<()> {
    let mut tx = state.db.begin_write().await?;
    let reservation = lockout::reserve(&mut tx, &state.policy.lockout, user_id, now).await?;
    if let Some(refusal) = reservation.refusal() {
        audit
            .write(&mut tx, action, Outcome::Denied, reservation.details())
            .await?;
        tx.commit().await?;
        return Err(refusal);
    }
    tx.commit().await?;
    Ok(())
}
