//! Form posts. [`Posted`] is what every state-changing page handler takes: the signed-in
//! caller and the form, refused with 403 unless it carries the session's CSRF token
//! (`_csrf` field or `X-CSRF-Token` header). [`SignInForm`] is the same for the sign-in
//! forms, before there is a session (double-submit `cg_pre` cookie). Fields a form does
//! not declare are ignored; one that does not parse is a 400 page naming it.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use zeroize::Zeroize;

use super::caller::{WebAnySession, WebCaller, visitor_lang};
use super::cookies;
use super::csrf;
use super::error::WebError;
use super::i18n::Tr;
use crate::app::AppState;

/// A signed-in caller's form, CSRF checked.
pub struct Posted<T> {
    pub caller: WebCaller,
    pub form: T,
}

/// The same for a session that may be limited (password change, enrolment, sign out).
pub struct PostedAny<T> {
    pub caller: WebCaller,
    pub form: T,
}

/// A sign-in form (no session yet), CSRF checked against the `cg_pre` cookie.
pub struct SignInForm<T> {
    pub tr: Tr,
    pub form: T,
    pub parts: axum::http::request::Parts,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let caller = WebCaller::from_request_parts(&mut parts, state).await?;
        let form = checked(&parts, body, state, caller.tr, &caller.csrf).await?;
        Ok(Posted { caller, form })
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for PostedAny<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let WebAnySession(caller) = WebAnySession::from_request_parts(&mut parts, state).await?;
        let form = checked(&parts, body, state, caller.tr, &caller.csrf).await?;
        Ok(PostedAny { caller, form })
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignInForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (parts, body) = req.into_parts();
        let tr = visitor_lang(&parts);
        let expected = cookies::get(&parts.headers, cookies::PRE)
            .unwrap_or_default()
            .to_string();
        let form = checked(&parts, body, state, tr, &expected).await?;
        Ok(SignInForm { tr, form, parts })
    }
}

/// Reads the urlencoded body, checks its CSRF token against `expected`, parses it.
async fn checked<T: DeserializeOwned>(
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
    state: &AppState,
    tr: Tr,
    expected: &str,
) -> Result<T, WebError> {
    let is_form = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let req = Request::from_parts(parts.clone(), body);
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|_| WebError::page(tr, StatusCode::PAYLOAD_TOO_LARGE, "error.too_large"))?;
    let mut raw = bytes.to_vec();
    drop(bytes);
    let header = parts
        .headers
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let field = url::form_urlencoded::parse(&raw)
        .find(|(k, _)| k == csrf::FIELD)
        .map(|(_, v)| v.into_owned());
    let given = header.or(field);
    if !csrf::matches(expected, given.as_deref()) {
        raw.zeroize();
        return Err(WebError::csrf(tr));
    }
    if !is_form && !raw.is_empty() {
        raw.zeroize();
        return Err(WebError::page(
            tr,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "error.bad_form",
        ));
    }
    let parsed = serde_urlencoded::from_bytes::<T>(&raw).map_err(|e| WebError::Page {
        status: StatusCode::BAD_REQUEST,
        tr,
        message: format!("{} ({})", tr.t("error.bad_form"), field_of(&e.to_string())),
    });
    raw.zeroize();
    parsed
}

/// The field a serde_urlencoded message names, never the value it saw.
fn field_of(message: &str) -> String {
    message
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once('`'))
        .map_or_else(|| "?".to_string(), |(f, _)| f.to_string())
}
