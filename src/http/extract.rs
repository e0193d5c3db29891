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
use crate::error::{AppError, InputError};
use crate::identity::{SessionKind, authenticate};
use crate::text::field_zh;

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
                without_values(&e.body_text())
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
                "the JSON body does not have the expected fields: {}",
                without_values(&e.to_string())
            ))
        }
    })
}

/// serde's message with every quoted value replaced by `"…"`: a value sent in the wrong
/// place (a robot URL with its key, a secret given as a number's string) is never echoed
/// back or logged; field names and expected types stay.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_value = false;
    for c in message.chars() {
        match (c, in_value) {
            ('"', false) => {
                out.push_str("\"…");
                in_value = true;
            }
            ('"', true) => {
                out.push('"');
                in_value = false;
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
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

/// Whether a trusted proxy says the client reached it over HTTPS
/// (`X-Forwarded-Proto: https`).
pub fn forwarded_https(parts: &Parts, state: &AppState) -> bool {
    let from_proxy = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| state.config.trusted_proxies.contains(&c.0.ip()));
    from_proxy
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
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

/// The request id and client address of a request (for extractors outside `http`).
pub fn request_meta(parts: &Parts, state: &AppState) -> RequestMeta {
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

/// Which sessions an extractor admits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Admit {
    /// Two-factor login done where the role requires it, password not due.
    Full,
    /// Also a session that may only enrol TOTP.
    Enrolment,
    /// Any valid session, even one limited to changing the password or enrolling TOTP.
    AnySession,
}

/// The bearer's context and the request facts, if the session is one `admit` takes.
async fn authenticated(
    parts: &Parts,
    state: &AppState,
    admit: Admit,
) -> Result<(AuthContext, RequestMeta), AppError> {
    let ctx = authenticate(state, bearer(parts)?).await?;
    if admit != Admit::AnySession && ctx.session == SessionKind::PasswordChangeOnly {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "your password was reset or has expired: set a new one with POST /api/v1/me/password {current_password, new_password} first",
        ));
    }
    if admit == Admit::Full && ctx.session == SessionKind::EnrollOnly {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "mfa_enrollment_required",
            "your role requires two-factor login: enrol with POST /api/v1/auth/totp/enroll and confirm a code first",
        ));
    }
    Ok((ctx, request_meta(parts, state)))
}

/// What most handlers take: the application state and a fully authenticated caller
/// (two-factor done where required) with the request facts, so a handler reads
/// `service(&c.state, &c.ctx, &c.meta, …)`.
pub struct Caller {
    pub state: AppState,
    pub ctx: AuthContext,
    pub meta: RequestMeta,
}

/// A caller who may still have to enrol TOTP (enrolment only).
pub struct AuthAllowEnroll(pub AuthContext, pub RequestMeta);

/// Any valid session, even one limited to changing the password or enrolling TOTP
/// (`/me`, `/me/password`, logout).
pub struct AuthAnySession(pub AuthContext, pub RequestMeta);

/// Implements `FromRequestParts` for an extractor of the caller a session admits:
/// `|ctx, meta, state|` builds it from the context, the request facts and the state.
macro_rules! caller_extractor {
    ($name:ident, $admit:expr, |$ctx:ident, $meta:ident, $state:ident| $build:expr) => {
        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                $state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                let ($ctx, $meta) = authenticated(parts, $state, $admit).await?;
                Ok($build)
            }
        }
    };
}

caller_extractor!(Caller, Admit::Full, |ctx, meta, state| Caller {
    state: state.clone(),
    ctx,
    meta
});
caller_extractor!(AuthAllowEnroll, Admit::Enrolment, |ctx, meta, _state| {
    AuthAllowEnroll(ctx, meta)
});
caller_extractor!(AuthAnySession, Admit::AnySession, |ctx, meta, _state| {
    AuthAnySession(ctx, meta)
});

/// `Path<T>` whose failures (a segment that does not parse, bad percent-encoding) are
/// 400 in the error shape, naming the parameter.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let (field, message) = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (
                        Some(key.clone()),
                        format!(
                            "the path parameter {key} must be {}",
                            kind_name(expected_type)
                        ),
                    ),
                    ErrorKind::ParseErrorAtIndex {
                        index,
                        expected_type,
                        ..
                    } => {
                        let key = axum::extract::RawPathParams::from_request_parts(parts, state)
                            .await
                            .ok()
                            .and_then(|p| p.iter().nth(*index).map(|(k, _)| k.to_string()))
                            .unwrap_or_else(|| format!("#{}", index + 1));
                        let message = format!(
                            "the path parameter {key} must be {}",
                            kind_name(expected_type)
                        );
                        (Some(key), message)
                    }
                    ErrorKind::InvalidUtf8InPathParam { key } => (
                        Some(key.clone()),
                        format!("the path parameter {key} is not valid UTF-8"),
                    ),
                    ErrorKind::WrongNumberOfParameters { .. }
                    | ErrorKind::UnsupportedType { .. } => {
                        return Err(AppError::internal(format!(
                            "path extractor: {}",
                            e.body_text()
                        )));
                    }
                    other => (None, format!("a path parameter is malformed: {other}")),
                };
                let err = AppError::bad_request(message);
                Err(match field {
                    Some(f) => err.with_details(serde_json::json!({ "field": f })),
                    None => err,
                })
            }
            Err(e) => Err(AppError::internal(format!(
                "path extractor: {}",
                e.body_text()
            ))),
        }
    }
}

fn kind_name(rust_type: &str) -> &'static str {
    match rust_type {
        "i64" | "i32" | "u64" | "u32" | "i16" | "u16" | "usize" => "a whole number",
        _ => "well-formed",
    }
}

/// `Query<T>` whose failures are 400 in the error shape, naming the parameter in
/// `details.field` when it can be told. Query structs should `deny_unknown_fields`,
/// so a parameter an endpoint does not take is refused rather than ignored.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let text = e.body_text();
                // axum: "Failed to deserialize query string: <path>: <reason>".
                let detail = text
                    .split_once(": ")
                    .map_or(text.as_str(), |(_, rest)| rest)
                    .to_string();
                let field = detail
                    .split_once(": ")
                    .map(|(f, _)| f)
                    .filter(|f| {
                        !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .map(str::to_string);
                let err =
                    AppError::bad_request(format!("the query string is not valid here: {detail}"));
                Err(match field {
                    Some(f) => err.with_details(serde_json::json!({ "field": f })),
                    None => err,
                })
            }
        }
    }
}

/// No query parameters: for endpoints that take none, so `?limit=…` on a list that is
/// not paged is refused in the error shape instead of silently ignored.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// Checks a client-sent number against a range: 422 `invalid_input` naming the field.
pub fn in_range(field: &str, value: i64, min: i64, max: i64) -> Result<i64, InputError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(
            InputError::field(field, format!("{field} must be between {min} and {max}"))
                .zh(format!("{}须在 {min} 至 {max} 之间。", field_zh(field))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn values_are_not_echoed_but_fields_and_types_are() {
        let m = "wecom: invalid type: string \"https://qyapi/send?key=canary-7f3a\", expected struct WecomInput at line 1 column 52";
        let out = without_values(m);
        assert!(!out.contains("canary"), "{out}");
        assert_eq!(
            out,
            "wecom: invalid type: string \"…\", expected struct WecomInput at line 1 column 52"
        );
        assert_eq!(
            without_values("missing field `name`"),
            "missing field `name`"
        );
    }
}
