//! HTTP for a person's notification preferences: `GET/PUT /me/notifications`.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PrefsView;
use super::input::PrefsInput;
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_prefs, put_prefs))
}

/// Your notification preferences (people only: an API token has none, 403).
#[utoipa::path(get, path = "/me/notifications", tag = "notifications",
    responses((status = 200, body = PrefsView)))]
pub async fn get_prefs(c: Caller) -> AppResult<Json<PrefsView>> {
    Ok(Json(super::get(&c.state, &c.ctx).await?))
}

/// Replaces your notification preferences (absent fields take their defaults). The
/// body is checked whole: a bad address or mobile, an unknown kind, or muting a
/// security kind → 422 naming the field. Audited `notify.prefs.update`.
#[utoipa::path(put, path = "/me/notifications", tag = "notifications",
    request_body = PrefsInput, responses((status = 200, body = PrefsView)))]
pub async fn put_prefs(
    c: Caller,
    ApiJson(body): ApiJson<PrefsInput>,
) -> AppResult<Json<PrefsView>> {
    Ok(Json(super::put(&c.state, &c.ctx, &c.meta, body).await?))
}
