//! One error type for the whole service and its mapping to the documented shape
//! `{"error":{"code":"…","message":"…","details":…}}`.

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

impl AppError {
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Client {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(self, value: Value) -> Self {
        match self {
            AppError::Client {
                status,
                code,
                message,
                ..
            } => AppError::Client {
                status,
                code,
                message,
                details: Some(value),
            },
            other => other,
        }
    }

    /// Adds `retry_after_seconds` to the details; the response then carries a
    /// `Retry-After` header with that many seconds.
    pub fn with_retry_after(self, seconds: u64) -> Self {
        match self {
            AppError::Client {
                status,
                code,
                message,
                details,
            } => {
                let mut details = details.unwrap_or_else(|| json!({}));
                if let Some(obj) = details.as_object_mut() {
                    obj.insert("retry_after_seconds".into(), json!(seconds.max(1)));
                }
                AppError::Client {
                    status,
                    code,
                    message,
                    details: Some(details),
                }
            }
            other => other,
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
