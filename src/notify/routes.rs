//! HTTP for notifications: each person's inbox (`/notifications`) and the system
//! administrators' view of the outbox (`/outbox`).

use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::inbox::{self, Notification};
use super::outbox::{self, OutboxItem};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiPath, ApiQuery, Caller, ErrorBody, Page, list_query};
use crate::ids::{NotificationId, OutboxId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_one))
        .routes(routes!(read_all))
        .routes(routes!(list_outbox))
        .routes(routes!(retry))
        .merge(super::settings::routes::router())
        .merge(super::smtp::routes::router())
        .merge(super::prefs::routes::router())
}

list_query!(
    pub struct InboxQuery {
        /// `true`: unread only; `false`: read only (default: all).
        pub unread: Option<bool>,
    }
);

/// Your own notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Page<Notification>)))]
pub async fn list_notifications(
    c: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Json<Page<Notification>>> {
    let paging = q.paging()?;
    Ok(Json(
        inbox::list(&c.state, &c.ctx, q.unread, &paging).await?,
    ))
}

/// Marks one of your notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = Notification)))]
pub async fn read_one(
    c: Caller,
    ApiPath(id): ApiPath<NotificationId>,
) -> AppResult<Json<Notification>> {
    Ok(Json(inbox::mark_read(&c.state, &c.ctx, id.as_str()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadAll {
    /// How many notifications were unread and are now read.
    pub marked: u64,
}

/// Marks all your notifications read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadAll)))]
pub async fn read_all(c: Caller) -> AppResult<Json<ReadAll>> {
    let marked = inbox::mark_all_read(&c.state, &c.ctx).await?;
    Ok(Json(ReadAll { marked }))
}

list_query!(
    pub struct OutboxQuery {
        /// `pending`, `delivered` or `failed` (default: all).
        pub state: Option<String>,
    }
);

/// Outgoing messages of the units in your scope, newest first (system administrators).
#[utoipa::path(get, path = "/outbox", tag = "notifications", params(OutboxQuery),
    responses((status = 200, body = Page<OutboxItem>)))]
pub async fn list_outbox(
    c: Caller,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> AppResult<Json<Page<OutboxItem>>> {
    let paging = q.paging()?;
    Ok(Json(
        outbox::list(&c.state, &c.ctx, q.state.as_deref(), &paging).await?,
    ))
}

/// Puts a failed message back in the queue (its attempts kept); audited `outbox.retry`.
#[utoipa::path(post, path = "/outbox/{id}/retry", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = OutboxItem), (status = 409, body = ErrorBody)))]
pub async fn retry(c: Caller, ApiPath(id): ApiPath<OutboxId>) -> AppResult<Json<OutboxItem>> {
    Ok(Json(
        outbox::retry(&c.state, &c.ctx, &c.meta, id.as_str()).await?,
    ))
}
