//! Login with lockout and two factors; TOTP enrolment; logout.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::sessions::{SessionKind, create_session, requires_mfa};
use super::totp::{self, TotpEnrollment};
use super::{lockout, throttle, usernames};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry, Outcome, RequestMeta};
use crate::authz::{AuthContext, Role};
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
}

impl std::fmt::Debug for LoginOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOutput")
            .field("expires_at", &self.expires_at)
            .field("mfa_enrollment_required", &self.mfa_enrollment_required)
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

pub(super) fn invalid_totp() -> AppError {
    AppError::client(
        StatusCode::UNAUTHORIZED,
        "invalid_totp",
        "the two-factor code is wrong or expired",
    )
}

pub(super) fn totp_replayed() -> AppError {
    AppError::client(
        StatusCode::UNAUTHORIZED,
        "totp_replayed",
        "this code was already used; wait for the next code",
    )
}

struct LoginUser {
    id: String,
    unit_id: String,
    username: String,
    status: String,
    password_hash: String,
    totp_secret: Option<Vec<u8>>,
}

/// Who an authentication event is about, and where it is recorded.
pub(super) struct LoginAudit<'a> {
    pub state: &'a AppState,
    pub meta: &'a RequestMeta,
    pub unit_id: &'a str,
    pub actor: Actor,
}

impl LoginAudit<'_> {
    pub async fn write(
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

    /// Records a counted failure (`lockout::fail`): its audit event (`action`,
    /// failure) and, when it locked the user, `auth.lockout`. Returns the lock.
    pub async fn failure(
        &self,
        tx: &mut Tx,
        f: lockout::Failure,
        action: &'static str,
        reason: &str,
    ) -> AppResult<Option<i64>> {
        self.write(
            tx,
            action,
            Outcome::Failure,
            json!({ "reason": reason, "consecutive_failures": f.failures }),
        )
        .await?;
        if f.newly_locked
            && let Some(until) = f.locked_until
        {
            self.write(
                tx,
                "auth.lockout",
                Outcome::Success,
                json!({ "locked_until": until, "failures": f.failures }),
            )
            .await?;
        }
        Ok(f.locked_until)
    }
}

/// The attempt slots one login holds: its user's and its client address's.
struct Slots {
    user: Option<String>,
    addr: Option<String>,
}

impl Slots {
    async fn release(&self, tx: &mut Tx) -> AppResult<()> {
        if let Some(user) = &self.user {
            lockout::release(tx, user).await?;
        }
        self.release_addr(tx).await
    }

    async fn release_addr(&self, tx: &mut Tx) -> AppResult<()> {
        if let Some(addr) = &self.addr {
            throttle::release(tx, addr).await?;
        }
        Ok(())
    }

    /// After an unexpected error: give the slots back, best effort (leases expire anyway).
    async fn abandon(&self, state: &AppState) {
        let released = async {
            let mut tx = state.db.begin_write().await?;
            self.release(&mut tx).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        };
        if let Err(e) = released.await {
            tracing::warn!(error = %e, "could not give back login attempt slots; they expire with their lease");
        }
    }
}

/// What checking the password and code found.
enum Verdict {
    UnknownUser,
    WrongPassword,
    Inactive,
    MfaRequired,
    WrongTotp,
    Replayed,
    Passed { mfa_satisfied: bool },
}

/// Loads the user named `typed` (any case) and their roles in one round trip.
async fn load_user(state: &AppState, typed: &str) -> AppResult<(Option<LoginUser>, Vec<Role>)> {
    let rows = sqlx::query(
        "SELECT u.id, u.unit_id, u.username, u.status, u.password_hash, u.totp_secret, m.role \
         FROM users u LEFT JOIN memberships m ON m.user_id = u.id \
         WHERE u.username = $1 OR u.username = $2",
    )
    .bind(typed)
    .bind(usernames::normalize(typed))
    .fetch_all(state.db.pool())
    .await?;
    let mut names = Vec::with_capacity(rows.len());
    for r in &rows {
        names.push(r.try_get::<String, _>("username")?);
    }
    let Some(chosen) = usernames::pick(typed, names.iter().map(String::as_str)) else {
        return Ok((None, Vec::new()));
    };
    let mine: Vec<_> = rows
        .iter()
        .zip(&names)
        .filter(|(_, n)| n.as_str() == chosen)
        .map(|(r, _)| r)
        .collect();
    let roles = mine
        .iter()
        .filter_map(|r| r.try_get::<Option<String>, _>("role").ok().flatten())
        .filter_map(|s| Role::parse(&s))
        .collect();
    let user = mine
        .first()
        .map(|r| -> Result<LoginUser, sqlx::Error> {
            Ok(LoginUser {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                username: r.try_get("username")?,
                status: r.try_get("status")?,
                password_hash: r.try_get("password_hash")?,
                totp_secret: r.try_get("totp_secret")?,
            })
        })
        .transpose()?;
    Ok((user, roles))
}

/// Checks password, status and code; runs only while holding the attempt slots.
async fn check(
    state: &AppState,
    user: Option<&LoginUser>,
    password: Zeroizing<String>,
    totp_code: Option<&str>,
    now: i64,
) -> AppResult<Verdict> {
    let Some(user) = user else {
        // Same cost as a real check.
        state.hasher.verify(password, None).await?;
        return Ok(Verdict::UnknownUser);
    };
    if !state
        .hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?
    {
        return Ok(Verdict::WrongPassword);
    }
    if user.status != "active" {
        return Ok(Verdict::Inactive);
    }
    let Some(sealed) = &user.totp_secret else {
        return Ok(Verdict::Passed {
            mfa_satisfied: false,
        });
    };
    let Some(code) = totp_code.filter(|c| !c.trim().is_empty()) else {
        return Ok(Verdict::MfaRequired);
    };
    let Some(step) =
        totp::check_code(&state.totp_key, &user.id, &user.username, sealed, code, now)?
    else {
        return Ok(Verdict::WrongTotp);
    };
    let fresh = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step)
        .bind(&user.id)
        .execute(state.db.pool())
        .await?
        .rows_affected()
        == 1;
    Ok(if fresh {
        Verdict::Passed {
            mfa_satisfied: true,
        }
    } else {
        Verdict::Replayed
    })
}

pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    input: LoginInput,
) -> AppResult<LoginOutput> {
    let (user, roles) = load_user(state, &input.username).await?;
    // Events about unknown users (and throttled ones) go to the root unit's chain.
    let root = match &user {
        Some(_) => None,
        None => crate::tenancy::root_unit(state.db.pool()).await?,
    };
    let (unit_id, actor) = match (&user, &root) {
        (Some(u), _) => (Some(u.unit_id.as_str()), Actor::user(&u.id, &u.username)),
        (None, Some(r)) => (Some(r.id.as_str()), Actor::anonymous(&input.username)),
        (None, None) => (None, Actor::anonymous(&input.username)),
    };
    let audit = unit_id.map(|unit_id| LoginAudit {
        state,
        meta,
        unit_id,
        actor,
    });
    let now = state.now();
    let policy = &state.policy.lockout;
    let slots = Slots {
        user: user.as_ref().map(|u| u.id.clone()),
        addr: meta.client_addr.as_deref().map(throttle::key),
    };

    // Reserve the attempt before anything is hashed: the user's slot first (a locked
    // user costs the address nothing), then the address's.
    let mut tx = state.db.begin_write().await?;
    if let Some(u) = &user {
        let reservation = lockout::reserve(&mut tx, policy, &u.id, now).await?;
        if let Some(refusal) = reservation.refusal() {
            if let Some(a) = &audit {
                a.write(
                    &mut tx,
                    "auth.login",
                    Outcome::Denied,
                    reservation.details(),
                )
                .await?;
            }
            tx.commit().await?;
            return Err(refusal);
        }
    }
    if let Some(addr) = &slots.addr
        && let Err(retry) = throttle::reserve(&mut tx, policy, addr, now).await?
    {
        if let Some(u) = &user {
            lockout::release(&mut tx, &u.id).await?;
        }
        if let Some(a) = &audit {
            a.write(
                &mut tx,
                "auth.login",
                Outcome::Denied,
                json!({ "reason": "throttled" }),
            )
            .await?;
        }
        tx.commit().await?;
        return Err(throttle::throttled(retry));
    }
    tx.commit().await?;

    let verdict = match check(
        state,
        user.as_ref(),
        input.password,
        input.totp_code.as_deref(),
        now,
    )
    .await
    {
        Ok(v) => v,
        Err(e) => {
            slots.abandon(state).await;
            return Err(e);
        }
    };
    match finish(
        state,
        audit.as_ref(),
        &slots,
        user.as_ref(),
        &roles,
        verdict,
        now,
    )
    .await
    {
        Ok(out) => Ok(out),
        Err(e) => {
            if e.status().is_server_error() {
                slots.abandon(state).await;
            }
            Err(e)
        }
    }
}

/// Records the verdict on the slots and in the audit trail, and answers.
async fn finish(
    state: &AppState,
    audit: Option<&LoginAudit<'_>>,
    slots: &Slots,
    user: Option<&LoginUser>,
    roles: &[Role],
    verdict: Verdict,
    now: i64,
) -> AppResult<LoginOutput> {
    let policy = &state.policy.lockout;
    let Some(user) = user else {
        let mut tx = state.db.begin_write().await?;
        if let Some(addr) = &slots.addr {
            throttle::fail(&mut tx, policy, addr, now).await?;
        }
        if let Some(a) = audit {
            a.write(
                &mut tx,
                "auth.login",
                Outcome::Failure,
                json!({ "reason": "unknown_user" }),
            )
            .await?;
        }
        tx.commit().await?;
        return Err(invalid_credentials());
    };
    let audit = audit.ok_or_else(|| AppError::internal("login audit without a unit"))?;
    match verdict {
        Verdict::UnknownUser => Err(AppError::internal("verdict for an unknown user")),
        Verdict::WrongPassword | Verdict::WrongTotp => {
            let totp = matches!(verdict, Verdict::WrongTotp);
            let mut tx = state.db.begin_write().await?;
            // Rows are locked in one order everywhere (users, login_throttle, audit
            // heads) so that concurrent logins cannot deadlock on PostgreSQL.
            let f = lockout::fail(&mut tx, policy, &user.id, now).await?;
            if let Some(addr) = &slots.addr {
                throttle::fail(&mut tx, policy, addr, now).await?;
            }
            let reason = if totp { "totp" } else { "password" };
            let lock = audit.failure(&mut tx, f, "auth.login", reason).await?;
            tx.commit().await?;
            Err(match lock {
                Some(until) => lockout::locked(until),
                None if totp => invalid_totp(),
                None => invalid_credentials(),
            })
        }
        Verdict::Inactive => {
            let mut tx = state.db.begin_write().await?;
            slots.release(&mut tx).await?;
            audit
                .write(
                    &mut tx,
                    "auth.login",
                    Outcome::Denied,
                    json!({ "reason": user.status }),
                )
                .await?;
            tx.commit().await?;
            Err(AppError::client(
                StatusCode::FORBIDDEN,
                "account_inactive",
                "this account is disabled or departed; ask your unit administrator",
            ))
        }
        Verdict::MfaRequired => {
            let mut tx = state.db.begin_write().await?;
            slots.release(&mut tx).await?;
            tx.commit().await?;
            Err(AppError::client(
                StatusCode::UNAUTHORIZED,
                "mfa_required",
                "enter the 6-digit code from your authenticator app (totp_code)",
            ))
        }
        Verdict::Replayed => {
            let mut tx = state.db.begin_write().await?;
            slots.release(&mut tx).await?;
            audit
                .write(&mut tx, "auth.totp_replay", Outcome::Denied, json!({}))
                .await?;
            tx.commit().await?;
            Err(totp_replayed())
        }
        Verdict::Passed { mfa_satisfied } => {
            let mut tx = state.db.begin_write_relaxed().await?;
            // Conditional in SQL: a lock set by concurrent failures meanwhile holds.
            if let Err(until) = lockout::succeed(&mut tx, &user.id, now).await? {
                slots.release_addr(&mut tx).await?;
                audit
                    .write(
                        &mut tx,
                        "auth.login",
                        Outcome::Denied,
                        json!({ "reason": "locked", "locked_until": until }),
                    )
                    .await?;
                tx.commit().await?;
                return Err(lockout::locked(until));
            }
            slots.release_addr(&mut tx).await?;
            let (token, expires_at) =
                create_session(&mut tx, state, &user.id, mfa_satisfied, now).await?;
            let mfa_needed = requires_mfa(state, roles.iter().copied());
            let enrollment_required = mfa_needed && user.totp_secret.is_none();
            audit
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
            })
        }
    }
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
    }
}
