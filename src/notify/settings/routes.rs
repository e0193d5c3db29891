//! HTTP for channel settings: `GET/PUT /units/{id}/channels`,
//! `POST /units/{id}/channels/{channel}/test` and what became of a test,
//! `GET /units/{id}/channels/tests/{outbox_id}`.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input::ChannelsInput;
use super::outcome::TestOutcome;
use super::{ChannelsView, TestQueued};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, Caller, ErrorBody};
use crate::ids::UnitId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_channels, put_channels))
        .routes(routes!(test_channel))
        .routes(routes!(test_outcome))
}

/// The channels the unit's notices go through: its own, or inherited from the nearest
/// unit above (hosts, e-mail lists and fingerprints only; URLs and secrets are
/// write-only). Unit admins and sysadmins.
#[utoipa::path(get, path = "/units/{id}/channels", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = ChannelsView)))]
pub async fn get_channels(
    c: Caller,
    ApiPath(id): ApiPath<UnitId>,
) -> AppResult<Json<ChannelsView>> {
    Ok(Json(super::get(&c.state, &c.ctx, &id).await?))
}

/// Sets (object) or removes (`null`) the unit's own channels; absent channels stay as
/// they are. Every channel is checked before anything is saved. Audited
/// `notify.channels.update`.
#[utoipa::path(put, path = "/units/{id}/channels", tag = "notifications", params(("id" = String, Path)),
    request_body = ChannelsInput, responses((status = 200, body = ChannelsView), (status = 503, body = ErrorBody)))]
pub async fn put_channels(
    c: Caller,
    ApiPath(id): ApiPath<UnitId>,
    ApiJson(body): ApiJson<ChannelsInput>,
) -> AppResult<Json<ChannelsView>> {
    Ok(Json(
        super::put(&c.state, &c.ctx, &c.meta, &id, body).await?,
    ))
}

/// Queues a test message through the channel (`webhook`, `wecom`, `dingtalk` or
/// `email`) as the unit's notices would go; follow it in `GET /outbox`. Audited
/// `notify.channels.test`.
#[utoipa::path(post, path = "/units/{id}/channels/{channel}/test", tag = "notifications",
    params(("id" = String, Path), ("channel" = String, Path)),
    responses((status = 202, body = TestQueued), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_channel(
    c: Caller,
    ApiPath((id, channel)): ApiPath<(UnitId, String)>,
) -> AppResult<(StatusCode, Json<TestQueued>)> {
    let queued = super::test(&c.state, &c.ctx, &c.meta, &id, &channel).await?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// What became of a channel test: pending (not sent yet, or waiting to be retried, with
/// the last error), delivered, or failed (with the reason). Unit admins and sysadmins of
/// the unit, like the channels themselves; another outbox row is 404.
#[utoipa::path(get, path = "/units/{id}/channels/tests/{outbox_id}", tag = "notifications",
    params(("id" = String, Path), ("outbox_id" = String, Path)),
    responses((status = 200, body = TestOutcome)))]
pub async fn test_outcome(
    c: Caller,
    ApiPath((id, outbox_id)): ApiPath<(UnitId, String)>,
) -> AppResult<Json<TestOutcome>> {
    Ok(Json(
        super::outcome::test_outcome(&c.state, &c.ctx, &id, &outbox_id).await?,
    ))
}
