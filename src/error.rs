//! Errors. Each capability says *what* went wrong in its own enum (`VaultError`,
//! `AuthzError`, …) implementing [`DomainError`]: a stable machine code, a sentence a
//! person can act on, and an [`ErrorKind`]. Only the edges translate: [`AppError`] is the
//! HTTP answer `{"error":{"code":"…","message":"…","details":…}}` (the kind picks the
//! status), and the CLI prints the sentence and exits with the kind's exit code.
//! `domain_error!(XError)` wires an enum to both edges.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 4xx with a stable machine code and a message a person can act on.
    #[error("{code}: {message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
        details: Option<Value>,
    },
    /// Anything unexpected. The body says nothing internal; the cause goes to the log.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// What kind of failure a domain error is, whatever the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be read at all (malformed, unknown cursor).
    BadRequest,
    /// A value breaks a rule; the message names it and how to fix it.
    Invalid,
    /// Who is asking is unknown (no, expired or wrong credentials).
    Unauthenticated,
    /// Known caller, not allowed.
    Forbidden,
    /// Absent, or outside every unit the caller may see.
    NotFound,
    /// The current state forbids it (duplicate, pending rotation, last admin…).
    Conflict,
    /// Too large to take.
    TooLarge,
    /// Locked for a while (account lockout).
    Locked,
    /// Too many attempts from this caller; retry later.
    Throttled,
    /// The service is saturated; retry later.
    Busy,
    /// A remote server credgov called failed (timeout, unreachable, endless redirects).
    Upstream,
    /// Not the caller's doing; the cause goes to the log only.
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Locked => StatusCode::LOCKED,
            ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The CLI's exit code (README, "Command line"): 1 refused (invalid, conflict,
    /// forbidden, locked), 3 not found, 75 try again later (EX_TEMPFAIL, also when a
    /// remote server failed), 70 internal (EX_SOFTWARE). clap itself exits 2 on a usage
    /// error.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::NotFound => 3,
            ErrorKind::Throttled | ErrorKind::Busy | ErrorKind::Upstream => 75,
            ErrorKind::Internal => 70,
            _ => 1,
        }
    }
}

/// A capability's error: what went wrong, in words a person can act on (`Display`), a
/// stable machine code, and its kind. Never holds a secret.
///
/// An enum implements `own_kind`/`own_code` (and `own_details`/`own_retry_after` when it
/// has them) for its own variants, and `nested` for the variants that carry another
/// capability's error unchanged (`#[error(transparent)] Authz(#[from] AuthzError)`):
/// `kind`, `code`, `details`, `retry_after` and `message_zh` then answer from the nested
/// error, so a throttled login stays 429 with its `Retry-After` whichever capability
/// passes it on.
///
/// `Display` is the English sentence the API and the CLI answer with. An error whose
/// sentence carries facts a fixed text cannot (which field, which bound) may also carry
/// it in Chinese (`message_zh`) for the console's zh-CN pages; the others are given a
/// sentence by code in the console's catalogues (`error.<code>`).
pub trait DomainError: std::fmt::Display + std::fmt::Debug {
    /// Another capability's error this one carries unchanged, if any.
    fn nested(&self) -> Option<&dyn DomainError> {
        None
    }
    /// The kind of this enum's own variants (not asked for nested ones).
    fn own_kind(&self) -> ErrorKind;
    /// The stable code of this enum's own variants (not asked for nested ones).
    fn own_code(&self) -> &'static str;
    fn own_details(&self) -> Option<Value> {
        None
    }
    fn own_retry_after(&self) -> Option<u64> {
        None
    }
    /// The Chinese sentence of this enum's own variants, when they carry one (not asked
    /// for nested ones).
    fn own_message_zh(&self) -> Option<Cow<'_, str>> {
        None
    }

    fn kind(&self) -> ErrorKind {
        self.nested().map_or_else(|| self.own_kind(), |n| n.kind())
    }
    /// Stable machine code (`rotation_pending`, `not_found`, …) clients may branch on.
    fn code(&self) -> &'static str {
        self.nested().map_or_else(|| self.own_code(), |n| n.code())
    }
    /// Structured details for API clients (`{"field": …}`, …).
    fn details(&self) -> Option<Value> {
        self.nested()
            .map_or_else(|| self.own_details(), |n| n.details())
    }
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    fn retry_after(&self) -> Option<u64> {
        self.nested()
            .map_or_else(|| self.own_retry_after(), |n| n.retry_after())
    }
    /// The same sentence as `Display` in Chinese (zh-CN), when the error carries one: for
    /// the console's pages only; the API and the CLI answer in English.
    fn message_zh(&self) -> Option<Cow<'_, str>> {
        self.nested()
            .map_or_else(|| self.own_message_zh(), |n| n.message_zh())
    }
}

impl AppError {
    /// The HTTP answer for a domain error. Internal errors keep their cause for the log.
    pub fn from_domain<E: DomainError + ?Sized>(e: &E) -> Self {
        let kind = e.kind();
        if kind == ErrorKind::Internal {
            return AppError::Internal(e.to_string());
        }
        let mut out = AppError::Client {
            status: kind.status(),
            code: e.code(),
            message: e.to_string(),
            details: e.details(),
        };
        if let Some(s) = e.retry_after() {
            out = out.with_retry_after(s);
        }
        out
    }
}

/// Wires domain error enums to both edges: `From<X> for AppError` (HTTP) and
/// `From<X> for CliError` (command line).
#[macro_export]
macro_rules! domain_error {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$t> for $crate::error::AppError {
            fn from(e: $t) -> Self {
                $crate::error::AppError::from_domain(&e)
            }
        }
        impl From<$t> for $crate::error::CliError {
            fn from(e: $t) -> Self {
                $crate::error::CliError::from_domain(&e)
            }
        }
    )+};
}

/// A value that breaks a rule: 422 `invalid_input`, naming the field when there is one;
/// or, when `malformed`, a value that cannot be read at all (400 `bad_request`, e.g. a
/// cursor that was not handed out).
///
/// `message` is the English sentence every edge answers with; `zh`, given with
/// [`InputError::zh`], is the same sentence in Chinese (same facts, same numbers) that
/// the console shows on zh-CN pages. It is never part of the API's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub field: Option<String>,
    pub message: String,
    pub malformed: bool,
    pub zh: Option<String>,
}

impl InputError {
    /// The codes an `InputError` answers with (see `own_code`).
    pub const CODES: &'static [&'static str] = &["invalid_input", "bad_request"];

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        InputError {
            field: Some(field.to_string()),
            message: message.into(),
            malformed: false,
            zh: None,
        }
    }
    pub fn new(message: impl Into<String>) -> Self {
        InputError {
            field: None,
            message: message.into(),
            malformed: false,
            zh: None,
        }
    }
    /// 400 `bad_request` naming `field`: the value cannot be read at all.
    pub fn malformed(field: &str, message: impl Into<String>) -> Self {
        InputError {
            malformed: true,
            ..InputError::field(field, message)
        }
    }
    /// Another capability's refusal of `field`'s value (an address the outbound rule
    /// refuses, …) as a refusal of the field: its sentence in English and, when it
    /// carries one, in Chinese.
    pub fn field_from<E: DomainError + ?Sized>(field: &str, e: &E) -> Self {
        InputError {
            zh: e.message_zh().map(Cow::into_owned),
            ..InputError::field(field, e.to_string())
        }
    }
    /// The same sentence in Chinese, for the console's zh-CN pages.
    pub fn zh(mut self, zh: impl Into<String>) -> Self {
        self.zh = Some(zh.into());
        self
    }
}

impl DomainError for InputError {
    fn own_kind(&self) -> ErrorKind {
        if self.malformed {
            ErrorKind::BadRequest
        } else {
            ErrorKind::Invalid
        }
    }
    fn own_code(&self) -> &'static str {
        if self.malformed {
            "bad_request"
        } else {
            "invalid_input"
        }
    }
    fn own_details(&self) -> Option<Value> {
        self.field.as_ref().map(|f| json!({ "field": f }))
    }
    fn own_message_zh(&self) -> Option<Cow<'_, str>> {
        self.zh.as_deref().map(Cow::Borrowed)
    }
}

/// Something that is not the caller's doing (database down, corrupt row). The text is
/// for the log; callers see only "an internal error occurred".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InternalError(pub String);

impl InternalError {
    /// The one code an `InternalError` answers with.
    pub const CODES: &'static [&'static str] = &["internal"];

    pub fn new(cause: impl std::fmt::Display) -> Self {
        InternalError(cause.to_string())
    }
}

impl From<sqlx::Error> for InternalError {
    fn from(e: sqlx::Error) -> Self {
        InternalError(format!("database: {e}"))
    }
}

impl DomainError for InternalError {
    fn own_kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }
    fn own_code(&self) -> &'static str {
        "internal"
    }
}

crate::domain_error!(InputError, InternalError);

/// What the command line prints (one sentence on stderr) and its exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
}

impl CliError {
    pub fn from_domain<E: DomainError + ?Sized>(e: &E) -> Self {
        CliError {
            message: e.to_string(),
            exit_code: e.kind().exit_code(),
        }
    }
}

/// Plain failures of the CLI itself (reading a file, a bad argument): exit code 1.
impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError {
            message,
            exit_code: 1,
        }
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::from(message.to_string())
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Client {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, value: Value) -> Self {
        if let AppError::Client { details, .. } = &mut self {
            *details = Some(value);
        }
        self
    }

    /// Adds `retry_after_seconds` to the details; the response then carries a
    /// `Retry-After` header with that many seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        if let AppError::Client { details, .. } = &mut self
            && let Some(obj) = details.get_or_insert_with(|| json!({})).as_object_mut()
        {
            obj.insert("retry_after_seconds".into(), json!(seconds.max(1)));
        }
        self
    }

    /// Status, code, message (for an internal error, its cause) and details: what a
    /// unit test of an error's HTTP answer compares.
    #[cfg(test)]
    pub(crate) fn parts(self) -> (StatusCode, &'static str, String, Option<Value>) {
        match self {
            AppError::Client {
                status,
                code,
                message,
                details,
            } => (status, code, message, details),
            AppError::Internal(cause) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", cause, None)
            }
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn forbidden() -> Self {
        Self::client(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not allow this action",
        )
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    /// 422 `invalid_input` naming the offending field in `details.field`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(message).with_details(json!({ "field": field }))
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Client { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Client { code, .. } => code,
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        AppError::Internal(format!("migration: {e}"))
    }
}

/// Body of every error response.
pub fn error_body(code: &str, message: &str, details: Option<&Value>) -> Value {
    let mut inner = json!({ "code": code, "message": message });
    if let (Some(d), Some(obj)) = (details, inner.as_object_mut()) {
        obj.insert("details".into(), d.clone());
    }
    json!({ "error": inner })
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Client {
                status,
                code,
                message,
                details,
            } => {
                let retry_after = details
                    .as_ref()
                    .and_then(|d| d.get("retry_after_seconds"))
                    .and_then(Value::as_u64);
                let mut response =
                    (status, Json(error_body(code, &message, details.as_ref()))).into_response();
                if let Some(seconds) = retry_after {
                    response.headers_mut().insert(
                        axum::http::header::RETRY_AFTER,
                        axum::http::HeaderValue::from(seconds),
                    );
                }
                response
            }
            AppError::Internal(cause) => {
                // The request span carries the request id, so the log line can be matched
                // to the response header the user reports.
                tracing::error!(error = %cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(error_body(
                        "internal",
                        "an internal error occurred; quote the x-request-id header when reporting it",
                        None,
                    )),
                )
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_chinese_sentence_is_carried_and_never_answered() {
        let e = InputError::field("name", "name is too long").zh("名称太长。");
        assert_eq!(e.message_zh().as_deref(), Some("名称太长。"));
        let (status, code, message, details) = AppError::from(e.clone()).parts();
        assert_eq!(
            (status, code, message.as_str(), details),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "name is too long",
                Some(json!({ "field": "name" }))
            )
        );
        assert_eq!(CliError::from(e).message, "name is too long");
        assert!(InputError::CODES.contains(&InputError::malformed("c", "x").code()));
        assert!(InputError::CODES.contains(&InputError::new("x").code()));
        assert_eq!(InternalError::CODES, [InternalError::new("x").code()]);
    }

    /// The end of the call that starts at `open` (just after its `(`), skipping string
    /// literals.
    fn call_end(text: &str, open: usize) -> usize {
        let bytes = text.as_bytes();
        let (mut i, mut depth) = (open, 1);
        while depth > 0 && i < bytes.len() {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                _ => {}
            }
            i += 1;
        }
        i
    }

    /// Every `InputError` the services build outside tests says its sentence in Chinese
    /// too (`.zh(…)` right after the constructor), so the console's zh-CN pages never
    /// fall back to English for invalid input.
    #[test]
    fn every_input_error_built_carries_a_chinese_sentence() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        let (mut seen, mut missing) = (0, Vec::new());
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // This file builds them from each other.
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("src/error.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
                for call in [
                    "InputError::field(",
                    "InputError::new(",
                    "InputError::malformed(",
                ] {
                    for (i, _) in code.match_indices(call) {
                        seen += 1;
                        let end = call_end(code, i + call.len());
                        if !code[end..].trim_start().starts_with(".zh(") {
                            let line = code[..i].lines().count();
                            missing.push(format!("{}:{line}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 40, "the scan found too few InputErrors: {seen}");
        assert!(
            missing.is_empty(),
            "InputErrors without a Chinese sentence: {missing:?}"
        );
    }
}
