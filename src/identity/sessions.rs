//! Sessions (opaque `cgs_` tokens stored as SHA-256) and API tokens (`cgt_`): turning a
//! bearer token into an [`AuthContext`]. Idle and absolute limits come from policy; a
//! user who is no longer active has no valid session.

use sqlx::Row;

use super::error::{IdentityError, IdentityResult};
use super::members::stored_role;
use crate::app::AppState;
use crate::authz::{AuthContext, Grant, Principal, Role};
use crate::clock::MINUTE_MS;
use crate::crypto::{hash_token, random_token};
use crate::db::{Tx, flag};
use crate::identity::UserStatus;
use crate::ids::UserId;

pub const SESSION_PREFIX: &str = "cgs_";
pub const API_TOKEN_PREFIX: &str = "cgt_";
/// `last_seen_at` is written at most this often per session.
const TOUCH_EVERY_MS: i64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// May do whatever the roles allow.
    Full,
    /// The user's roles require TOTP and it is not set up yet: enrolment only.
    EnrollOnly,
    /// The password was reset by an administrator or is older than the policy allows:
    /// changing it (`/me/password`), `/me` and logout only. Checked before `EnrollOnly`.
    PasswordChangeOnly,
}

/// Whether the user's roles require two-factor login under the current policy.
pub(super) fn requires_mfa(state: &AppState, roles: impl IntoIterator<Item = Role>) -> bool {
    let required = &state.policy.mfa.required_roles;
    roles.into_iter().any(|r| required.contains(&r))
}

/// Creates a session in `tx`; returns the token (shown once) and its absolute expiry.
pub(super) async fn create_session(
    tx: &mut Tx,
    state: &AppState,
    user_id: &UserId,
    mfa_satisfied: bool,
    now: i64,
) -> IdentityResult<(String, i64)> {
    let token = random_token(SESSION_PREFIX);
    let expires = now + i64::from(state.policy.session.absolute_hours) * 60 * MINUTE_MS;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, mfa_satisfied, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(i64::from(mfa_satisfied))
    .bind(now)
    .bind(expires)
    .execute(&mut **tx)
    .await?;
    Ok((token, expires))
}

pub(super) async fn revoke_all_for_user(tx: &mut Tx, user_id: &UserId) -> IdentityResult<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// Resolves a bearer token (see [`resolve`]) and names the caller on the request's log
/// span (`user_id`, or `token_id` for an API token), so every later line of the request
/// says who made it. Ids only, never a name or a secret.
pub async fn authenticate(state: &AppState, token: &str) -> IdentityResult<AuthContext> {
    let ctx = resolve(state, token).await?;
    let span = tracing::Span::current();
    match &ctx.principal {
        crate::authz::Principal::User { id, .. } => {
            span.record("user_id", id.as_str());
        }
        crate::authz::Principal::Token { id, .. } => {
            span.record("token_id", id.as_str());
        }
        crate::authz::Principal::Operator { .. } => {}
    }
    Ok(ctx)
}

/// Resolves a bearer token.
async fn resolve(state: &AppState, token: &str) -> IdentityResult<AuthContext> {
    if token.starts_with(API_TOKEN_PREFIX) {
        return authenticate_api_token(state, token).await;
    }
    if !token.starts_with(SESSION_PREFIX) || token.len() > 128 {
        return Err(IdentityError::NotACredgovToken);
    }
    let hash = hash_token(token);
    let pool = state.db.pool();
    // One round trip: the session, its user and every grant (one row per membership).
    let rows = sqlx::query(
        "SELECT s.user_id, s.mfa_satisfied, s.last_seen_at, s.expires_at, u.username, u.status, \
         u.must_change_password, u.password_changed_at, m.unit_id AS grant_unit, n.path AS grant_path, m.role AS grant_role \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN memberships m ON m.user_id = s.user_id LEFT JOIN units n ON n.id = m.unit_id \
         WHERE s.id = $1 ORDER BY n.depth, m.role",
    )
    .bind(&hash)
    .fetch_all(pool)
    .await?;
    let row = rows.first().ok_or(IdentityError::SessionExpired(
        "the session has ended or never existed; log in again",
    ))?;
    let user_id: String = row.try_get("user_id")?;
    let status: String = row.try_get("status")?;
    let last_seen: i64 = row.try_get("last_seen_at")?;
    let expires: i64 = row.try_get("expires_at")?;
    let now = state.now();
    let idle_ms = i64::from(state.policy.session.idle_minutes) * MINUTE_MS;
    let reason = if UserStatus::parse(&status) != Some(UserStatus::Active) {
        Some("your account is no longer active")
    } else if now >= expires {
        Some("the session reached its maximum lifetime; log in again")
    } else if now - last_seen >= idle_ms {
        Some("the session ended after inactivity; log in again")
    } else {
        None
    };
    if let Some(reason) = reason {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(&hash)
            .execute(pool)
            .await?;
        return Err(IdentityError::SessionExpired(reason));
    }
    if now - last_seen >= TOUCH_EVERY_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&hash)
            .execute(pool)
            .await?;
    }
    let mut grants = Vec::with_capacity(rows.len());
    for r in &rows {
        let role: Option<String> = r.try_get("grant_role")?;
        if let Some(role) = role.as_deref().and_then(Role::parse) {
            grants.push(Grant {
                unit_id: r
                    .try_get::<Option<String>, _>("grant_unit")?
                    .unwrap_or_default(),
                unit_path: r
                    .try_get::<Option<String>, _>("grant_path")?
                    .unwrap_or_default(),
                role,
            });
        }
    }
    let mfa_satisfied = flag(row.try_get("mfa_satisfied")?);
    let session = if super::password::change_required(
        flag(row.try_get("must_change_password")?),
        row.try_get("password_changed_at")?,
        state.policy.user_password.max_age_days,
        now,
    ) {
        SessionKind::PasswordChangeOnly
    } else if mfa_satisfied || !requires_mfa(state, grants.iter().map(|g| g.role)) {
        SessionKind::Full
    } else {
        SessionKind::EnrollOnly
    };
    Ok(AuthContext {
        principal: Principal::User {
            id: user_id,
            username: row.try_get("username")?,
        },
        grants,
        session,
        second_factor: mfa_satisfied,
        token_hash: hash,
    })
}

async fn authenticate_api_token(state: &AppState, token: &str) -> IdentityResult<AuthContext> {
    let hash = hash_token(token);
    let row = sqlx::query(
        "SELECT t.id, t.name, t.role, t.unit_id, t.created_by, t.expires_at, t.revoked_at, n.path \
         FROM api_tokens t JOIN units n ON n.id = t.unit_id WHERE t.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(IdentityError::UnknownApiToken)?;
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    let expires: Option<i64> = row.try_get("expires_at")?;
    if revoked.is_some() {
        return Err(IdentityError::ApiTokenRevoked);
    }
    if expires.is_some_and(|e| state.now() >= e) {
        return Err(IdentityError::ApiTokenExpired);
    }
    let role = stored_role(&row)?;
    let unit_id: String = row.try_get("unit_id")?;
    let unit_path: String = row.try_get("path")?;
    let created_by: UserId = row.try_get("created_by")?;
    // A token is worth only what its minter still holds: a minter who lost the role
    // (transfer, revocation) takes the token's powers with them.
    let minter = minter_grants(state, &created_by).await?;
    let unit = crate::authz::UnitRef {
        id: &unit_id,
        path: &unit_path,
    };
    if crate::authz::held_covers(&minter, role, &unit).is_err() {
        return Err(IdentityError::MinterLostRole);
    }
    Ok(AuthContext {
        principal: Principal::Token {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            unit_id: unit_id.clone(),
            created_by: created_by.into_string(),
        },
        grants: vec![Grant {
            unit_id,
            unit_path,
            role,
        }],
        session: SessionKind::Full,
        second_factor: false,
        token_hash: hash,
    })
}

/// The roles an active user holds (for API tokens they minted).
async fn minter_grants(state: &AppState, user_id: &UserId) -> IdentityResult<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT m.unit_id, n.path, m.role FROM memberships m JOIN units n ON n.id = m.unit_id \
         JOIN users u ON u.id = m.user_id WHERE m.user_id = $1 AND u.status = 'active'",
    )
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let role: String = r.try_get("role")?;
        if let Some(role) = Role::parse(&role) {
            out.push(Grant {
                unit_id: r.try_get("unit_id")?,
                unit_path: r.try_get("path")?,
                role,
            });
        }
    }
    Ok(out)
}
