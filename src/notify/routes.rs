//! HTTP for notifications: each person's inbox (`/notifications`) and the system
//! administrators' view of the outbox (`/outbox`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::inbox::{self, Notification};
use super::outbox::{self, OutboxItem};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiPath, ApiQuery, Auth, ErrorBody, Page, Paging};
use crate::ids::{NotificationId, OutboxId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_one))
        .routes(routes!(read_all))
        .routes(routes!(list_outbox))
        .routes(routes!(retry))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `true`: unread only; `false`: read only (default: all).
    pub unread: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Your own notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Page<Notification>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_notifications(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Json<Page<Notification>>> {
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    Ok(Json(inbox::list(&state, &ctx, q.unread, &paging).await?))
}

/// Marks one of your notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = Notification), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_one(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
    ApiPath(id): ApiPath<NotificationId>,
) -> AppResult<Json<Notification>> {
    Ok(Json(inbox::mark_read(&state, &ctx, id.as_str()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadAll {
    /// How many notifications were unread and are now read.
    pub marked: u64,
}

/// Marks all your notifications read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadAll), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_all(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
) -> AppResult<Json<ReadAll>> {
    let marked = inbox::mark_all_read(&state, &ctx).await?;
    Ok(Json(ReadAll { marked }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `pending`, `delivered` or `failed` (default: all).
    pub state: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Outgoing messages of the units in your scope, newest first (system administrators).
#[utoipa::path(get, path = "/outbox", tag = "notifications", params(OutboxQuery),
    responses((status = 200, body = Page<OutboxItem>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_outbox(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> AppResult<Json<Page<OutboxItem>>> {
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        outbox::list(&state, &ctx, q.state.as_deref(), &paging).await?,
    ))
}

/// Puts a failed message back in the queue (its attempts kept); audited `outbox.retry`.
#[utoipa::path(post, path = "/outbox/{id}/retry", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = OutboxItem), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    Auth(ctx, meta): Auth,
    ApiPath(id): ApiPath<OutboxId>,
) -> AppResult<Json<OutboxItem>> {
    Ok(Json(outbox::retry(&state, &ctx, &meta, id.as_str()).await?))
}
