//! Login with lockout, per-address throttling and two factors. TOTP enrolment and
//! logout live in `enrolment.rs` (re-exported here).

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::HashPlace;
use super::auth_audit::LoginAudit;
pub use super::enrolment::{logout, session_label, totp_confirm, totp_enroll};
use super::error::{IdentityError, IdentityResult};
use super::sessions::{create_session, requires_mfa};
use super::totp;
use super::users::UserStatus;
use super::{lockout, throttle, usernames};
use crate::app::AppState;
use crate::audit::{Actor, Outcome, RequestMeta};
use crate::authz::Role;
use crate::db::Tx;
use crate::error::DomainError;
use crate::ids::{UnitId, UserId};

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

struct LoginUser {
    id: UserId,
    unit_id: UnitId,
    username: String,
    status: String,
    password_hash: String,
    totp_secret: Option<Vec<u8>>,
    /// Read with the user, for `password_change_required` after a successful check.
    must_change_password: bool,
    password_changed_at: i64,
}

/// The attempt slots one login holds: its user's and its client address's.
struct Slots {
    user: Option<UserId>,
    addr: Option<String>,
}

impl Slots {
    async fn release(&self, tx: &mut Tx) -> IdentityResult<()> {
        if let Some(user) = &self.user {
            lockout::release(tx, user).await?;
        }
        self.release_addr(tx).await
    }

    async fn release_addr(&self, tx: &mut Tx) -> IdentityResult<()> {
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
            Ok::<(), IdentityError>(())
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
    Passed {
        mfa_satisfied: bool,
        /// After a reset or past the maximum age: the session may only change it.
        password_change_required: bool,
    },
}

/// Loads the user named `typed` (any case) and their roles in one round trip.
async fn load_user(
    state: &AppState,
    typed: &str,
) -> IdentityResult<(Option<LoginUser>, Vec<Role>)> {
    let rows = sqlx::query(
        "SELECT u.id, u.unit_id, u.username, u.status, u.password_hash, u.totp_secret, \
         u.must_change_password, u.password_changed_at, m.role \
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
                must_change_password: crate::db::flag(r.try_get("must_change_password")?),
                password_changed_at: r.try_get("password_changed_at")?,
            })
        })
        .transpose()?;
    Ok((user, roles))
}

/// Checks password, status and code; runs only while holding the attempt slots. A
/// login that passes re-hashes a password stored with weaker argon2 parameters and
/// tells whether the session is limited to changing the password.
async fn check(
    state: &AppState,
    place: HashPlace,
    user: Option<&LoginUser>,
    password: Zeroizing<String>,
    totp_code: Option<&str>,
    now: i64,
) -> IdentityResult<Verdict> {
    let verdict = check_credentials(state, place, user, password.clone(), totp_code, now).await?;
    match (verdict, user) {
        (
            Verdict::Passed {
                mfa_satisfied,
                password_change_required: _,
            },
            Some(user),
        ) => Ok(Verdict::Passed {
            mfa_satisfied,
            password_change_required: super::password::after_login(
                state,
                (&user.id, user.password_hash.as_str()),
                password,
                (user.must_change_password, user.password_changed_at),
            )
            .await,
        }),
        (other, _) => Ok(other),
    }
}

async fn check_credentials(
    state: &AppState,
    place: HashPlace,
    user: Option<&LoginUser>,
    password: Zeroizing<String>,
    totp_code: Option<&str>,
    now: i64,
) -> IdentityResult<Verdict> {
    let Some(user) = user else {
        // Same cost as a real check.
        state.hasher.verify_in_place(place, password, None).await?;
        return Ok(Verdict::UnknownUser);
    };
    if !state
        .hasher
        .verify_in_place(place, password, Some(user.password_hash.clone()))
        .await?
    {
        return Ok(Verdict::WrongPassword);
    }
    if UserStatus::parse(&user.status) != Some(UserStatus::Active) {
        return Ok(Verdict::Inactive);
    }
    let Some(sealed) = &user.totp_secret else {
        return Ok(Verdict::Passed {
            mfa_satisfied: false,
            password_change_required: false,
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
    let fresh = totp::claim_step(state.db.pool(), &user.id, step).await?;
    Ok(if fresh {
        Verdict::Passed {
            mfa_satisfied: true,
            password_change_required: false,
        }
    } else {
        Verdict::Replayed
    })
}

pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    input: LoginInput,
) -> IdentityResult<LoginOutput> {
    let started = std::time::Instant::now();
    // A place in the hashing pool first: when the pool is full the login is refused
    // (503 `busy`) having read and written nothing, so a storm of logins costs the
    // database only the ones that will be checked.
    let place = state.hasher.take_place()?;
    let (user, roles) = load_user(state, &input.username).await?;
    let loaded = started.elapsed();
    // Events about unknown users (and throttled ones) go to the root unit's chain.
    let root = match &user {
        Some(_) => None,
        None => crate::tenancy::root_unit(state.db.pool()).await?,
    };
    let (unit_id, actor) = match (&user, &root) {
        (Some(u), _) => (
            Some(u.unit_id.as_str()),
            Actor::user(u.id.as_str(), &u.username),
        ),
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
    // user costs the address nothing), then the address's. The reservation need not
    // survive a power loss (`begin_write_relaxed`): an attempt whose reservation is lost
    // with the database's last moments got no answer, and slots are leases anyway; the
    // failures it counts are committed durably by `finish`.
    let mut tx = state.db.begin_write_relaxed().await?;
    if let Some(u) = &user {
        let reservation = lockout::reserve(&mut tx, policy, &u.id, now).await?;
        if let Some(refusal) = reservation.refusal() {
            commit_login_event(tx, audit.as_ref(), Outcome::Denied, reservation.details()).await?;
            return Err(refusal);
        }
    }
    if let Some(addr) = &slots.addr
        && let Err(retry) = throttle::reserve(&mut tx, policy, addr, now).await?
    {
        if let Some(u) = &user {
            lockout::release(&mut tx, &u.id).await?;
        }
        let details = json!({ "reason": "throttled" });
        commit_login_event(tx, audit.as_ref(), Outcome::Denied, details).await?;
        return Err(IdentityError::Throttled(retry));
    }
    tx.commit().await?;
    let reserved = started.elapsed();

    let verdict = match check(
        state,
        place,
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
    let checked = started.elapsed();
    let answer = finish(
        state,
        audit.as_ref(),
        &slots,
        user.as_ref(),
        &roles,
        verdict,
        now,
    )
    .await;
    // Where a login's time goes (the auth benchmark prints these): the user read, the
    // reservation transaction, the checks (hashing), and recording the verdict.
    tracing::debug!(
        user_read_us = loaded.as_micros() as u64,
        reserve_us = (reserved - loaded).as_micros() as u64,
        check_us = (checked - reserved).as_micros() as u64,
        finish_us = (started.elapsed() - checked).as_micros() as u64,
        "login timing"
    );
    match answer {
        Ok(out) => Ok(out),
        Err(e) => {
            if e.kind().status().is_server_error() {
                slots.abandon(state).await;
            }
            Err(e)
        }
    }
}

/// Records an `auth.login` event when there is a unit to record it in (an unknown name
/// on a database without a root unit has none), and commits.
async fn commit_login_event(
    mut tx: Tx,
    audit: Option<&LoginAudit<'_>>,
    outcome: Outcome,
    details: serde_json::Value,
) -> IdentityResult<()> {
    if let Some(a) = audit {
        a.write(&mut tx, "auth.login", outcome, details).await?;
    }
    tx.commit().await?;
    Ok(())
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
) -> IdentityResult<LoginOutput> {
    let policy = &state.policy.lockout;
    let Some(user) = user else {
        let mut tx = state.db.begin_write().await?;
        if let Some(addr) = &slots.addr {
            throttle::fail(&mut tx, policy, addr, now).await?;
        }
        let details = json!({ "reason": "unknown_user" });
        commit_login_event(tx, audit, Outcome::Failure, details).await?;
        return Err(IdentityError::InvalidCredentials);
    };
    let audit = audit.ok_or_else(|| IdentityError::internal("login audit without a unit"))?;
    match verdict {
        Verdict::UnknownUser => Err(IdentityError::internal("verdict for an unknown user")),
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
            if lock.is_some() {
                crate::notify::wake();
            }
            Err(match lock {
                Some(until) => IdentityError::Locked(until),
                None if totp => IdentityError::InvalidTotp,
                None => IdentityError::InvalidCredentials,
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
            Err(IdentityError::AccountInactive)
        }
        Verdict::MfaRequired => {
            let mut tx = state.db.begin_write().await?;
            slots.release(&mut tx).await?;
            tx.commit().await?;
            Err(IdentityError::MfaRequired)
        }
        Verdict::Replayed => {
            let mut tx = state.db.begin_write().await?;
            slots.release(&mut tx).await?;
            audit
                .write(&mut tx, "auth.totp_replay", Outcome::Denied, json!({}))
                .await?;
            tx.commit().await?;
            Err(IdentityError::TotpReplayed)
        }
        Verdict::Passed {
            mfa_satisfied,
            password_change_required,
        } => {
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
                return Err(IdentityError::Locked(until));
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
                password_change_required,
            })
        }
    }
}
