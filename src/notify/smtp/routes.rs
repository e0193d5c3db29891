//! HTTP for the SMTP relay: `GET/PUT /notify/smtp`.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::SmtpView;
use super::input::SmtpInput;
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_smtp, put_smtp))
}

/// The SMTP relay every e-mail goes through (system administrators of the root unit).
/// The password is write-only: only whether one is set and its fingerprint are shown.
#[utoipa::path(get, path = "/notify/smtp", tag = "notifications",
    responses((status = 200, body = SmtpView)))]
pub async fn get_smtp(c: Caller) -> AppResult<Json<SmtpView>> {
    Ok(Json(super::get(&c.state, &c.ctx).await?))
}

/// Sets the SMTP relay. The whole body is checked before anything is saved (a host the
/// outbound rule refuses, `tls: none` for a host not listed in `outbound.allowed_hosts`,
/// a username without a password → 422 naming the field). Leaving `password` out keeps
/// the stored one. Audited `notify.smtp.update`.
#[utoipa::path(put, path = "/notify/smtp", tag = "notifications",
    request_body = SmtpInput, responses((status = 200, body = SmtpView)))]
pub async fn put_smtp(c: Caller, ApiJson(body): ApiJson<SmtpInput>) -> AppResult<Json<SmtpView>> {
    Ok(Json(super::put(&c.state, &c.ctx, &c.meta, body).await?))
}
