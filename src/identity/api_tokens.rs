//! Long-lived API tokens for integrations (an HR system, a SIEM): a name, one role on
//! one unit, an optional expiry. Stored hashed; the token is shown once.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::{IdentityError, IdentityResult};
use super::members::stored_role;
use super::sessions::API_TOKEN_PREFIX;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, AuthzError, Permission, Role};
use crate::crypto::{hash_token, random_token};
use crate::db::Tx;
use crate::error::InputError;
use crate::http::{Page, Paging, under_any};
use crate::ids::{TokenId, UnitId, UserId};
use crate::tenancy::get_unit;
use crate::text::Name;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub unit_id: UnitId,
    pub name: String,
    pub role: Role,
    pub created_by: UserId,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    fn from_row(r: &AnyRow) -> IdentityResult<ApiToken> {
        Ok(ApiToken {
            id: r.try_get("id")?,
            unit_id: r.try_get("unit_id")?,
            name: r.try_get("name")?,
            role: stored_role(r)?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    }
}

/// A token to create: the body of `POST /tokens`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateToken)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    pub unit_id: UnitId,
    /// Unix milliseconds UTC; omit for a token that lives until revoked.
    pub expires_at: Option<i64>,
}

const SELECT_TOKEN: &str = "SELECT id, unit_id, name, role, created_by, created_at, expires_at, revoked_at FROM api_tokens";

/// Creates a token; returns its record and the token itself (shown once).
pub async fn create(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    input: NewApiToken,
) -> IdentityResult<(ApiToken, String)> {
    let unit = get_unit(state.db.pool(), &input.unit_id)
        .await?
        .ok_or(IdentityError::NotFound("unit"))?;
    authz::authorize_token_mint(ctx, input.role, &unit.as_ref())?;
    let name = Name::parse("name", &input.name)?.into_string();
    let now = state.now();
    // In the future, and at most about five years ahead (no overflow, no "forever").
    const MAX_AHEAD_MS: i64 = 5 * 366 * 24 * 3600 * 1000;
    if input
        .expires_at
        .is_some_and(|e| e <= now || e > now.saturating_add(MAX_AHEAD_MS))
    {
        return Err(InputError::field(
            "expires_at",
            "expires_at must be in the future and at most five years ahead (unix milliseconds)",
        )
        .zh("有效期须晚于现在，且最长不超过五年（以 Unix 毫秒表示）。")
        .into());
    }
    let creator = ctx.user_id().map(UserId::from).ok_or_else(|| {
        IdentityError::invalid(
            "API tokens are created by people, not by other tokens",
            "接口令牌只能由本人登录后创建，不能由其他令牌创建。",
        )
    })?;
    let token = random_token(API_TOKEN_PREFIX);
    let id = TokenId::generate();
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO api_tokens (unit_id, id, name, role, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&unit.id)
    .bind(&id)
    .bind(&name)
    .bind(input.role.as_str())
    .bind(hash_token(&token))
    .bind(&creator)
    .bind(now)
    .bind(input.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "api_token.create")
            .target("api_token", id.as_str())
            .details(json!({ "name": name, "role": input.role.as_str(), "expires_at": input.expires_at })),
    )
    .await?;
    Ok((
        ApiToken {
            id,
            unit_id: unit.id,
            name,
            role: input.role,
            created_by: creator,
            created_at: now,
            expires_at: input.expires_at,
            revoked_at: None,
        },
        token,
    ))
}

pub async fn revoke(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &TokenId,
) -> IdentityResult<()> {
    let token = find(state.db.pool(), id)
        .await?
        .ok_or(IdentityError::NotFound("API token"))?;
    let unit = get_unit(state.db.pool(), &token.unit_id)
        .await?
        .ok_or(IdentityError::NotFound("API token"))?;
    authz::authorize_token_revoke(ctx, token.created_by.as_str(), &unit.as_ref())?;
    if token.revoked_at.is_some() {
        return Err(IdentityError::TokenAlreadyRevoked);
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE unit_id = $2 AND id = $3")
        .bind(now)
        .bind(&unit.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "api_token.revoke")
            .target("api_token", id.as_str())
            .details(json!({ "name": token.name })),
    )
    .await?;
    Ok(())
}

/// One page of the tokens in the subtrees where the caller administers tokens, else of
/// the caller's own, oldest first.
pub async fn list(
    state: &AppState,
    ctx: &AuthContext,
    paging: &Paging,
) -> IdentityResult<Page<ApiToken>> {
    let scopes = authz::scopes(ctx, Permission::TokensWrite);
    let (scope, binds) = if scopes.is_empty() {
        let creator = ctx.user_id().ok_or(AuthzError::Forbidden)?;
        ("created_by = $4".to_string(), vec![creator.to_string()])
    } else {
        let scope = format!(
            "unit_id IN (SELECT n.id FROM units n WHERE {})",
            under_any("n.path", 4, scopes.len())
        );
        (scope, scopes.iter().map(|p| format!("{p}%")).collect())
    };
    let sql = format!(
        "{SELECT_TOKEN} WHERE {scope} AND ($1 IS NULL OR (created_at, id) > ($1, $2)) \
         ORDER BY created_at, id LIMIT $3"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(paging.after_int()?)
        .bind(paging.after_id())
        .bind(paging.fetch());
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(state.db.pool()).await?;
    let tokens = rows
        .iter()
        .map(ApiToken::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.page(tokens, |t| (t.created_at.to_string(), t.id.to_string())))
}

/// Revokes every live token a user created (they left or were disabled).
pub(super) async fn revoke_created_by(
    tx: &mut Tx,
    user_id: &UserId,
    now: i64,
) -> IdentityResult<u64> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

pub(super) async fn find(pool: &sqlx::AnyPool, id: &TokenId) -> IdentityResult<Option<ApiToken>> {
    let sql = format!("{SELECT_TOKEN} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(ApiToken::from_row).transpose()
}
