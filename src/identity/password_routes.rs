//! HTTP for own passwords and an administrator's help: change, reset, unlock, log out
//! everywhere.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::password;
use super::routes::no_store;
use super::users::User;
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, AuthAnySession, Caller, ErrorBody};
use crate::ids::UserId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(revoke_all_sessions))
        .routes(routes!(reset_password))
        .routes(routes!(unlock_user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// Checked against the login password policy (length, zxcvbn score).
    pub new_password: String,
}

#[utoipa::path(post, path = "/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "changed; every other session of the user ended"),
              (status = 401, description = "invalid_credentials (wrong current password, counted toward lockout)", body = ErrorBody),
              (status = 409, description = "password_changed (changed meanwhile)", body = ErrorBody),
              (status = 422, description = "weak_password (details: score, feedback) or invalid_input", body = ErrorBody),
              (status = 423, description = "locked", body = ErrorBody), (status = 503, description = "busy: the password hashing queue is full (Retry-After)", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthAnySession(ctx, meta): AuthAnySession,
    ApiJson(body): ApiJson<ChangePassword>,
) -> AppResult<StatusCode> {
    password::change_own_password(
        &state,
        &ctx,
        &meta,
        Zeroizing::new(body.current_password),
        Zeroizing::new(body.new_password),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/me/sessions/revoke-all", tag = "auth",
    responses((status = 204, description = "every session of the caller ended, this one included"), (status = 422, body = ErrorBody)))]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    AuthAnySession(ctx, meta): AuthAnySession,
) -> AppResult<StatusCode> {
    password::revoke_all_sessions(&state, &ctx, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordReset {
    /// Shown once. The user must change it at the next login.
    pub one_time_password: String,
    pub user: User,
}

#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = PasswordReset),
              (status = 403, description = "forbidden: the user holds roles outside your scope", body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, description = "busy: the password hashing queue is full (Retry-After)", body = ErrorBody)))]
pub async fn reset_password(c: Caller, ApiPath(id): ApiPath<UserId>) -> AppResult<Response> {
    let (user, one_time) = password::reset_password(&c.state, &c.ctx, &c.meta, &id).await?;
    let body = PasswordReset {
        one_time_password: one_time.to_string(),
        user,
    };
    Ok(no_store(Json(body).into_response()))
}

#[utoipa::path(post, path = "/users/{id}/unlock", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User),
              (status = 403, description = "forbidden: the user holds roles outside your scope", body = ErrorBody)))]
pub async fn unlock_user(c: Caller, ApiPath(id): ApiPath<UserId>) -> AppResult<Json<User>> {
    Ok(Json(
        password::unlock(&c.state, &c.ctx, &c.meta, &id).await?,
    ))
}
