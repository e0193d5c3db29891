//! Extractors: JSON bodies whose rejections use the error shape, the authenticated
//! caller, and request facts for the audit trail.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::AuthContext;
use crate::error::AppError;
use crate::identity::{SessionKind, authenticate};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// `Json<T>` whose failures are 4xx in the documented error shape with a message
/// that says what to fix.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection::*;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(MissingJsonContentType(_)) => Err(AppError::client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(JsonSyntaxError(e)) => Err(AppError::bad_request(format!(
                "the body is not valid JSON: {}",
                e.body_text()
            ))),
            Err(JsonDataError(e)) => Err(AppError::invalid(format!(
                "the JSON body does not have the expected fields: {}",
                e.body_text()
            ))),
            Err(BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::client(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than this server accepts",
                ))
            }
            Err(e) => Err(AppError::bad_request(e.body_text())),
        }
    }
}

/// A JSON body that may be absent (empty means the defaults).
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            AppError::bad_request(format!("the body is not valid JSON: {e}"))
        } else {
            AppError::invalid(format!(
                "the JSON body does not have the expected fields: {e}"
            ))
        }
    })
}

/// Request id and client address.
pub struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(parts, state)))
    }
}

/// The client address: the peer, or — when the peer is a trusted proxy — the last
/// address it appended to `X-Forwarded-For`.
fn client_addr(parts: &Parts, state: &AppState) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if state.config.trusted_proxies.contains(&peer)
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
    {
        return Some(forwarded.to_string());
    }
    Some(peer.to_string())
}

fn request_meta(parts: &Parts, state: &AppState) -> RequestMeta {
    RequestMeta {
        request_id: parts
            .headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(64).collect()),
        client_addr: client_addr(parts, state),
    }
}

fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            AppError::unauthenticated("log in first: send Authorization: Bearer <token>")
        })?;
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthenticated("the Authorization header is not readable text"))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::unauthenticated("use Authorization: Bearer <token>"))
}

/// A fully authenticated caller (two-factor done where required), with request facts.
pub struct Auth(pub AuthContext, pub RequestMeta);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = authenticate(state, bearer(parts)?).await?;
        refuse_password_change_only(&ctx)?;
        if ctx.session == SessionKind::EnrollOnly {
            return Err(AppError::client(
                StatusCode::FORBIDDEN,
                "mfa_enrollment_required",
                "your role requires two-factor login: enrol with POST /api/v1/auth/totp/enroll and confirm a code first",
            ));
        }
        Ok(Auth(ctx, request_meta(parts, state)))
    }
}

/// A caller who may still have to enrol TOTP (enrolment only).
pub struct AuthAllowEnroll(pub AuthContext, pub RequestMeta);

impl FromRequestParts<AppState> for AuthAllowEnroll {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = authenticate(state, bearer(parts)?).await?;
        refuse_password_change_only(&ctx)?;
        Ok(AuthAllowEnroll(ctx, request_meta(parts, state)))
    }
}

fn refuse_password_change_only(ctx: &AuthContext) -> Result<(), AppError> {
    if ctx.session == SessionKind::PasswordChangeOnly {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "your password was reset or has expired: set a new one with POST /api/v1/me/password {current_password, new_password} first",
        ));
    }
    Ok(())
}

/// Any valid session, even one limited to changing the password or enrolling TOTP
/// (`/me`, `/me/password`, logout).
pub struct AuthAnySession(pub AuthContext, pub RequestMeta);

impl FromRequestParts<AppState> for AuthAnySession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = authenticate(state, bearer(parts)?).await?;
        Ok(AuthAnySession(ctx, request_meta(parts, state)))
    }
}
