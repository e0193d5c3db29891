//! HTTP for identity: auth, /me, users, memberships, API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::api_tokens::{self, ApiToken, NewApiToken};
use super::login::{self, LoginInput, LoginOutput, session_label};
use super::members::{self, Membership};
use super::totp::TotpEnrollment;
use super::users::{self, NewUser, User, UserPatch};
use crate::app::AppState;
use crate::authz::{Principal, Role};
use crate::error::AppResult;
use crate::http::{
    ApiJson, ApiPath, ApiQuery, AuthAllowEnroll, AuthAnySession, Caller, ErrorBody, Meta, Page,
    PageQuery,
};
use crate::ids::{TokenId, UnitId, UserId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_route))
        .routes(routes!(logout_route))
        .routes(routes!(totp_enroll))
        .routes(routes!(totp_confirm))
        .routes(routes!(me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(read_user, update_user))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .merge(super::password_routes::router())
}

/// Marks a response that carries a secret as not cacheable anywhere.
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub totp_code: Option<String>,
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginOutput),
              (status = 401, description = "invalid_credentials, mfa_required, invalid_totp or totp_replayed", body = ErrorBody),
              (status = 403, description = "account_inactive", body = ErrorBody),
              (status = 423, description = "locked: the account is locked, or its remaining attempts are being checked (then with Retry-After)", body = ErrorBody),
              (status = 429, description = "throttled: too many failed logins from this client address; Retry-After says when to try again", body = ErrorBody),
              (status = 503, description = "busy: the password-hashing queue is full; nothing was checked; retry after Retry-After", body = ErrorBody)),
    security(()))]
pub async fn login_route(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let out = login::login(
        &state,
        &meta,
        LoginInput {
            username: body.username,
            password: Zeroizing::new(body.password),
            totp_code: body.totp_code,
        },
    )
    .await?;
    Ok(no_store(Json(out).into_response()))
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204)))]
pub async fn logout_route(
    State(state): State<AppState>,
    AuthAnySession(ctx, meta): AuthAnySession,
) -> AppResult<StatusCode> {
    login::logout(&state, &ctx, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/totp/enroll", tag = "auth",
    responses((status = 200, body = TotpEnrollment), (status = 409, body = ErrorBody)))]
pub async fn totp_enroll(
    State(state): State<AppState>,
    AuthAllowEnroll(ctx, meta): AuthAllowEnroll,
) -> AppResult<Response> {
    let e = login::totp_enroll(&state, &ctx, &meta).await?;
    Ok(no_store(Json(e).into_response()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirm {
    pub code: String,
}

#[utoipa::path(post, path = "/auth/totp/confirm", tag = "auth", request_body = TotpConfirm,
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    AuthAllowEnroll(ctx, meta): AuthAllowEnroll,
    ApiJson(body): ApiJson<TotpConfirm>,
) -> AppResult<StatusCode> {
    login::totp_confirm(&state, &ctx, &meta, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    /// `full`; `enroll_only` until TOTP is set up; `password_change_only` until the
    /// password is changed (after a reset or when it expired).
    pub session: String,
    pub user: Option<User>,
    pub memberships: Vec<Membership>,
    pub api_token: Option<ApiToken>,
}

#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = MeResponse)))]
pub async fn me(
    State(state): State<AppState>,
    AuthAnySession(ctx, _): AuthAnySession,
) -> AppResult<Json<MeResponse>> {
    let mut out = MeResponse {
        session: session_label(ctx.session).to_string(),
        user: None,
        memberships: Vec::new(),
        api_token: None,
    };
    match &ctx.principal {
        Principal::User { id, .. } => {
            let id = UserId::from(id.as_str());
            out.user = users::find_user(state.db.pool(), &id).await?;
            out.memberships = members::of_user(state.db.pool(), &id).await?;
        }
        Principal::Operator { .. } => {}
        Principal::Token { id, .. } => {
            let id = TokenId::from(id.as_str());
            out.api_token = api_tokens::find(state.db.pool(), &id).await?;
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    /// Omit to have a strong initial password generated and returned once.
    pub password: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Home unit; defaults to the top unit where the caller may manage users.
    pub unit_id: Option<UnitId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// Present only when the password was generated. Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 409, body = ErrorBody), (status = 503, description = "busy: the password hashing queue is full (Retry-After)", body = ErrorBody)))]
pub async fn create_user(c: Caller, ApiJson(body): ApiJson<CreateUser>) -> AppResult<Response> {
    let (user, generated) = users::create_user(
        &c.state,
        &c.ctx,
        &c.meta,
        NewUser {
            username: body.username,
            display_name: body.display_name,
            password: body.password.map(Zeroizing::new),
            phone: body.phone,
            email: body.email,
            unit_id: body.unit_id,
        },
    )
    .await?;
    let body = CreatedUser {
        user,
        initial_password: generated.map(|p| p.to_string()),
    };
    Ok(no_store((StatusCode::CREATED, Json(body)).into_response()))
}

#[utoipa::path(get, path = "/users", tag = "users",
    params(PageQuery),
    responses((status = 200, body = Page<User>)))]
pub async fn list_users(
    c: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<User>>> {
    Ok(Json(
        users::list_users(&c.state, &c.ctx, &q.paging()?).await?,
    ))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User)))]
pub async fn read_user(c: Caller, ApiPath(id): ApiPath<UserId>) -> AppResult<Json<User>> {
    Ok(Json(users::read_user(&c.state, &c.ctx, &id).await?))
}

#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 409, description = "last_sysadmin: the last active sysadmin of the root unit cannot be disabled", body = ErrorBody)))]
pub async fn update_user(
    c: Caller,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> AppResult<Json<User>> {
    Ok(Json(
        users::update_user(&c.state, &c.ctx, &c.meta, &id, patch).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub user_id: UserId,
    pub role: Role,
}

#[utoipa::path(post, path = "/units/{id}/members", tag = "units", params(("id" = String, Path)), request_body = AddMember,
    responses((status = 201, body = Membership), (status = 409, body = ErrorBody)))]
pub async fn add_member(
    c: Caller,
    ApiPath(unit_id): ApiPath<UnitId>,
    ApiJson(body): ApiJson<AddMember>,
) -> AppResult<(StatusCode, Json<Membership>)> {
    let m = members::grant(
        &c.state,
        &c.ctx,
        &c.meta,
        &unit_id,
        &body.user_id,
        body.role,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[utoipa::path(get, path = "/units/{id}/members", tag = "units", params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Membership>)))]
pub async fn list_members(
    c: Caller,
    ApiPath(unit_id): ApiPath<UnitId>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Membership>>> {
    let paging = q.paging()?;
    Ok(Json(
        members::list_for_unit(&c.state, &c.ctx, &unit_id, &paging).await?,
    ))
}

#[utoipa::path(delete, path = "/units/{id}/members/{user_id}/{role}", tag = "units",
    params(("id" = String, Path), ("user_id" = String, Path), ("role" = Role, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    c: Caller,
    ApiPath((unit_id, user_id, role)): ApiPath<(UnitId, UserId, String)>,
) -> AppResult<StatusCode> {
    let role = Role::parse(&role).ok_or_else(|| crate::error::AppError::not_found("membership"))?;
    members::revoke(&c.state, &c.ctx, &c.meta, &unit_id, &user_id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: TokenId,
    /// The bearer token. Shown once; only its hash is stored.
    pub token: String,
    #[serde(flatten)]
    pub record: ApiToken,
}

#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewApiToken,
    responses((status = 201, body = CreatedToken)))]
pub async fn create_token(c: Caller, ApiJson(body): ApiJson<NewApiToken>) -> AppResult<Response> {
    let (record, token) = api_tokens::create(&c.state, &c.ctx, &c.meta, body).await?;
    let out = CreatedToken {
        id: record.id.clone(),
        token,
        record,
    };
    Ok(no_store((StatusCode::CREATED, Json(out)).into_response()))
}

#[utoipa::path(get, path = "/tokens", tag = "tokens",
    params(PageQuery),
    responses((status = 200, body = Page<ApiToken>)))]
pub async fn list_tokens(
    c: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<ApiToken>>> {
    Ok(Json(
        api_tokens::list(&c.state, &c.ctx, &q.paging()?).await?,
    ))
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn revoke_token(c: Caller, ApiPath(id): ApiPath<TokenId>) -> AppResult<StatusCode> {
    api_tokens::revoke(&c.state, &c.ctx, &c.meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
