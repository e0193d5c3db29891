//! Login with lockout and two factors; TOTP enrolment; logout.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::sessions::{SessionKind, create_session, requires_mfa};
use super::totp::{self, TotpEnrollment};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry, Outcome, RequestMeta};
use crate::authz::{AuthContext, Role};
use crate::clock::MINUTE_MS;
use crate::db::Tx;
use crate::error::{AppError, AppResult};

pub struct LoginInput {
    pub username: String,
    pub password: Zeroizing<String>,
    pub totp_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginOutput {
    /// Bearer token for `Authorization: Bearer …`. Shown once.
    pub token: String,
    /// Absolute end of the session, unix milliseconds UTC.
    pub expires_at: i64,
    /// True when the user's roles require TOTP and none is enrolled yet: the token can
    /// only enrol (`/auth/totp/enroll`, `/auth/totp/confirm`), read `/me` and log out.
    pub mfa_enrollment_required: bool,
    /// True after an administrator's reset or when the password is older than the
    /// policy's maximum age: the token can only change the password
    /// (`POST /api/v1/me/password`), read `/me` and log out until it is changed.
    pub password_change_required: bool,
}

impl std::fmt::Debug for LoginOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOutput")
            .field("expires_at", &self.expires_at)
            .field("mfa_enrollment_required", &self.mfa_enrollment_required)
            .field("password_change_required", &self.password_change_required)
            .finish_non_exhaustive()
    }
}

fn invalid_credentials() -> AppError {
    AppError::client(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password",
    )
}

fn locked(until: i64) -> AppError {
    AppError::client(
        StatusCode::LOCKED,
        "locked",
        format!(
            "too many failed logins: this account is locked until {} (UTC)",
            crate::clock::to_rfc3339(until)
        ),
    )
    .with_details(json!({ "locked_until": until }))
}

struct LoginUser {
    id: String,
    unit_id: String,
    status: String,
    password_hash: String,
    totp_secret: Option<Vec<u8>>,
    locked_until: Option<i64>,
}

/// Who an authentication event is about, and where it is recorded.
struct LoginAudit<'a> {
    state: &'a AppState,
    meta: &'a RequestMeta,
    unit_id: &'a str,
    actor: Actor,
}

impl LoginAudit<'_> {
    async fn write(
        &self,
        tx: &mut Tx,
        action: &'static str,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> AppResult<()> {
        audit::append(
            tx,
            self.state.now(),
            self.meta,
            Entry {
                unit_id: self.unit_id,
                actor: self.actor.clone(),
                action,
                target_kind: Some("user"),
                target_id: self.actor.id.as_deref(),
                outcome,
                details,
            },
        )
        .await
    }
}

/// Counts a failed attempt (and locks at the threshold) with its audit event.
async fn record_failure(
    state: &AppState,
    meta: &RequestMeta,
    user: &LoginUser,
    username: &str,
    reason: &str,
) -> AppResult<AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let failures: i64 = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(&user.id)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let actor = Actor::user(&user.id, username);
    LoginAudit {
        state,
        meta,
        unit_id: &user.unit_id,
        actor: actor.clone(),
    }
    .write(
        &mut tx,
        "auth.login",
        Outcome::Failure,
        json!({ "reason": reason, "consecutive_failures": failures }),
    )
    .await?;
    let lockout = &state.policy.lockout;
    let result = if failures >= i64::from(lockout.max_failures) {
        let until = now + i64::from(lockout.lock_minutes) * MINUTE_MS;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
            .bind(until)
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
        LoginAudit {
            state,
            meta,
            unit_id: &user.unit_id,
            actor,
        }
        .write(
            &mut tx,
            "auth.lockout",
            Outcome::Success,
            json!({ "locked_until": until, "failures": failures }),
        )
        .await?;
        locked(until)
    } else if reason == "totp" {
        AppError::client(
            StatusCode::UNAUTHORIZED,
            "invalid_totp",
            "the two-factor code is wrong or expired",
        )
    } else {
        invalid_credentials()
    };
    tx.commit().await?;
    Ok(result)
}

/// Counts a wrong password given outside login (e.g. the current password when
/// changing it) exactly like a failed login; returns the error to answer with.
pub(super) async fn count_password_failure(
    state: &AppState,
    meta: &RequestMeta,
    user_id: &str,
    unit_id: &str,
    username: &str,
    reason: &str,
) -> AppResult<AppError> {
    let user = LoginUser {
        id: user_id.to_string(),
        unit_id: unit_id.to_string(),
        status: String::new(),
        password_hash: String::new(),
        totp_secret: None,
        locked_until: None,
    };
    record_failure(state, meta, &user, username, reason).await
}

pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    input: LoginInput,
) -> AppResult<LoginOutput> {
    let pool = state.db.pool();
    // One round trip: the user and their roles (one row per membership).
    let rows = sqlx::query(
        "SELECT u.id, u.unit_id, u.status, u.password_hash, u.totp_secret, u.locked_until, m.role \
         FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.username = $1",
    )
    .bind(&input.username)
    .fetch_all(pool)
    .await?;
    let roles: Vec<Role> = rows
        .iter()
        .filter_map(|r| r.try_get::<Option<String>, _>("role").ok().flatten())
        .filter_map(|s| Role::parse(&s))
        .collect();
    let user = rows
        .first()
        .map(|r| -> Result<LoginUser, sqlx::Error> {
            Ok(LoginUser {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                status: r.try_get("status")?,
                password_hash: r.try_get("password_hash")?,
                totp_secret: r.try_get("totp_secret")?,
                locked_until: r.try_get("locked_until")?,
            })
        })
        .transpose()?;
    let Some(user) = user else {
        // Same cost as a real check, then an audited failure on the root unit.
        state.hasher.verify(input.password, None).await?;
        if let Some(root) = crate::tenancy::root_unit(pool).await? {
            let mut tx = state.db.begin_write().await?;
            LoginAudit {
                state,
                meta,
                unit_id: &root.id,
                actor: Actor::anonymous(&input.username),
            }
            .write(
                &mut tx,
                "auth.login",
                Outcome::Failure,
                json!({ "reason": "unknown_user" }),
            )
            .await?;
            tx.commit().await?;
        }
        return Err(invalid_credentials());
    };
    let now = state.now();
    if let Some(until) = user.locked_until
        && until > now
    {
        let mut tx = state.db.begin_write().await?;
        LoginAudit {
            state,
            meta,
            unit_id: &user.unit_id,
            actor: Actor::user(&user.id, &input.username),
        }
        .write(
            &mut tx,
            "auth.login",
            Outcome::Denied,
            json!({ "reason": "locked", "locked_until": until }),
        )
        .await?;
        tx.commit().await?;
        return Err(locked(until));
    }
    if !state
        .hasher
        .verify(input.password.clone(), Some(user.password_hash.clone()))
        .await?
    {
        return Err(record_failure(state, meta, &user, &input.username, "password").await?);
    }
    if user.status != "active" {
        let mut tx = state.db.begin_write().await?;
        LoginAudit {
            state,
            meta,
            unit_id: &user.unit_id,
            actor: Actor::user(&user.id, &input.username),
        }
        .write(
            &mut tx,
            "auth.login",
            Outcome::Denied,
            json!({ "reason": user.status }),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "account_inactive",
            "this account is disabled or departed; ask your unit administrator",
        ));
    }
    let mfa_needed = requires_mfa(state, roles.iter().copied());
    let mut mfa_satisfied = false;
    let mut tx_replay: Option<AppError> = None;
    if let Some(sealed) = &user.totp_secret {
        let Some(code) = input.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
            return Err(AppError::client(
                StatusCode::UNAUTHORIZED,
                "mfa_required",
                "enter the 6-digit code from your authenticator app (totp_code)",
            ));
        };
        match totp::check_code(
            &state.totp_key,
            &user.id,
            &input.username,
            sealed,
            code,
            now,
        )? {
            None => return Err(record_failure(state, meta, &user, &input.username, "totp").await?),
            Some(step) => {
                let fresh = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                    .bind(step)
                    .bind(&user.id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1;
                if fresh {
                    mfa_satisfied = true;
                } else {
                    tx_replay = Some(AppError::client(
                        StatusCode::UNAUTHORIZED,
                        "totp_replayed",
                        "this code was already used; wait for the next code",
                    ));
                }
            }
        }
    }
    let password_change_required =
        super::password::after_login(state, &user.id, &user.password_hash, input.password).await?;
    let mut tx = state.db.begin_write_relaxed().await?;
    let actor = Actor::user(&user.id, &input.username);
    if let Some(err) = tx_replay {
        LoginAudit {
            state,
            meta,
            unit_id: &user.unit_id,
            actor,
        }
        .write(&mut tx, "auth.totp_replay", Outcome::Denied, json!({}))
        .await?;
        tx.commit().await?;
        return Err(err);
    }
    // Conditional in SQL (not on what was read before hashing): a failure counted by a
    // concurrent attempt meanwhile is still reset by this success.
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)")
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    let (token, expires_at) = create_session(&mut tx, state, &user.id, mfa_satisfied, now).await?;
    let enrollment_required = mfa_needed && user.totp_secret.is_none();
    LoginAudit {
        state,
        meta,
        unit_id: &user.unit_id,
        actor,
    }
    .write(
        &mut tx,
        "auth.login",
        Outcome::Success,
        json!({ "mfa": mfa_satisfied, "enrollment_required": enrollment_required }),
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOutput {
        token,
        expires_at,
        mfa_enrollment_required: enrollment_required,
        password_change_required,
    })
}

fn user_of(ctx: &AuthContext) -> AppResult<(&str, &str)> {
    match &ctx.principal {
        crate::authz::Principal::User { id, username } => Ok((id, username)),
        crate::authz::Principal::Token { .. } | crate::authz::Principal::Operator { .. } => Err(
            AppError::invalid("API tokens have no two-factor enrolment or session"),
        ),
    }
}

async fn home_unit(state: &AppState, user_id: &str) -> AppResult<String> {
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
) -> AppResult<TotpEnrollment> {
    let (user_id, username) = user_of(ctx)?;
    let unit = home_unit(state, user_id).await?;
    let mut tx = state.db.begin_write().await?;
    let enrolled: Option<Vec<u8>> = sqlx::query("SELECT totp_secret FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if enrolled.is_some() {
        return Err(AppError::conflict(
            "totp_already_enrolled",
            "two-factor login is already set up; a sysadmin can reset it if the device is lost",
        ));
    }
    let (sealed, enrollment) = totp::new_enrollment(&state.totp_key, user_id, username)?;
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(sealed)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    LoginAudit {
        state,
        meta,
        unit_id: &unit,
        actor: Actor::from(ctx),
    }
    .write(
        &mut tx,
        "auth.totp_enroll_start",
        Outcome::Success,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(enrollment)
}

/// Confirms enrolment with a code; the current session then counts as two-factor.
pub async fn totp_confirm(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    code: &str,
) -> AppResult<()> {
    let (user_id, username) = user_of(ctx)?;
    let unit = home_unit(state, user_id).await?;
    let pending: Option<Vec<u8>> = sqlx::query("SELECT totp_pending FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
    let pending = pending.ok_or_else(|| {
        AppError::conflict("no_enrollment", "start with POST /api/v1/auth/totp/enroll")
    })?;
    let now = state.now();
    let step = totp::check_code(&state.totp_key, user_id, username, &pending, code, now)?;
    let mut tx = state.db.begin_write().await?;
    let Some(step) = step else {
        LoginAudit {
            state,
            meta,
            unit_id: &unit,
            actor: Actor::from(ctx),
        }
        .write(
            &mut tx,
            "auth.totp_enroll_confirm",
            Outcome::Failure,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_totp",
            "the code does not match; check the device clock and enter the current code",
        ));
    };
    // The pending secret must still be the one checked (no concurrent re-enrolment).
    let done = sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 \
         WHERE id = $2 AND totp_pending = $3 AND totp_secret IS NULL",
    )
    .bind(step)
    .bind(user_id)
    .bind(&pending)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::conflict(
            "no_enrollment",
            "the enrolment changed meanwhile; start again",
        ));
    }
    sqlx::query("UPDATE sessions SET mfa_satisfied = 1 WHERE id = $1")
        .bind(&ctx.token_hash)
        .execute(&mut *tx)
        .await?;
    LoginAudit {
        state,
        meta,
        unit_id: &unit,
        actor: Actor::from(ctx),
    }
    .write(
        &mut tx,
        "auth.totp_enroll_confirm",
        Outcome::Success,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn logout(state: &AppState, ctx: &AuthContext, meta: &RequestMeta) -> AppResult<()> {
    let (user_id, _) = user_of(ctx)?;
    let unit = home_unit(state, user_id).await?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(&ctx.token_hash)
        .execute(&mut *tx)
        .await?;
    LoginAudit {
        state,
        meta,
        unit_id: &unit,
        actor: Actor::from(ctx),
    }
    .write(&mut tx, "auth.logout", Outcome::Success, json!({}))
    .await?;
    tx.commit().await?;
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

/// A fresh TOTP code as step-up for a deliberate act (e.g. acknowledging a handover).
/// Each code works once: a replay is refused and audited by the caller's event.
pub async fn verify_step_up(state: &AppState, user_id: &str, code: &str) -> AppResult<()> {
    let row = sqlx::query("SELECT username, totp_secret FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let username: String = row.try_get("username")?;
    let sealed: Option<Vec<u8>> = row.try_get("totp_secret")?;
    let sealed = sealed.ok_or_else(|| {
        AppError::conflict(
            "totp_not_enrolled",
            "set up two-factor login first (POST /api/v1/auth/totp/enroll); acknowledging needs a fresh code",
        )
    })?;
    let step = totp::check_code(
        &state.totp_key,
        user_id,
        &username,
        &sealed,
        code,
        state.now(),
    )?
    .ok_or_else(|| {
        AppError::client(
            StatusCode::UNAUTHORIZED,
            "invalid_totp",
            "the two-factor code is wrong or expired",
        )
    })?;
    let fresh = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(state.db.pool())
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Err(AppError::client(
            StatusCode::UNAUTHORIZED,
            "totp_replayed",
            "this code was already used; wait for the next code",
        ));
    }
    Ok(())
}
