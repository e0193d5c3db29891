//! HTTP for rectification items (整改).

use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::item::{Rectification, read};
use super::list::{RectificationFilter, list_rectifications};
use super::workflow::{self, AcceptInput};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, ApiQuery, Caller, ErrorBody, Page, list_query};
use crate::ids::RectificationId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one))
        .routes(routes!(submit))
        .routes(routes!(accept))
        .routes(routes!(return_item))
}

list_query!(
    pub struct RectificationQuery {
        /// Items of this unit and the units below it (default: every unit you may read).
        pub unit_id: Option<String>,
        /// `open`, `submitted`, `returned`, `accepted` or `auto_resolved` (default: all).
        pub state: Option<String>,
    }
);

#[utoipa::path(get, path = "/rectifications", tag = "rectification", params(RectificationQuery),
    responses((status = 200, body = Page<Rectification>)))]
pub async fn list(
    c: Caller,
    ApiQuery(q): ApiQuery<RectificationQuery>,
) -> AppResult<Json<Page<Rectification>>> {
    let filter = RectificationFilter {
        unit_id: q.unit_id.as_deref(),
        state: q.state.as_deref(),
    };
    Ok(Json(
        list_rectifications(&c.state, &c.ctx, &filter, &q.paging()?).await?,
    ))
}

#[utoipa::path(get, path = "/rectifications/{id}", tag = "rectification", params(("id" = String, Path)),
    responses((status = 200, body = Rectification)))]
pub async fn get_one(
    c: Caller,
    ApiPath(id): ApiPath<RectificationId>,
) -> AppResult<Json<Rectification>> {
    Ok(Json(read(&c.state, &c.ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// What was done (整改情况): 2 to 2000 characters, line breaks allowed.
    pub evidence: String,
}

#[utoipa::path(post, path = "/rectifications/{id}/submit", tag = "rectification", params(("id" = String, Path)),
    request_body = Submit, responses((status = 200, body = Rectification), (status = 409, body = ErrorBody)))]
pub async fn submit(
    c: Caller,
    ApiPath(id): ApiPath<RectificationId>,
    ApiJson(body): ApiJson<Submit>,
) -> AppResult<Json<Rectification>> {
    Ok(Json(
        workflow::submit(&c.state, &c.ctx, &c.meta, &id, &body.evidence).await?,
    ))
}

#[utoipa::path(post, path = "/rectifications/{id}/accept", tag = "rectification", params(("id" = String, Path)),
    request_body = AcceptInput, responses((status = 200, body = Rectification), (status = 409, body = ErrorBody)))]
pub async fn accept(
    c: Caller,
    ApiPath(id): ApiPath<RectificationId>,
    ApiJson(body): ApiJson<AcceptInput>,
) -> AppResult<Json<Rectification>> {
    Ok(Json(
        workflow::accept(&c.state, &c.ctx, &c.meta, &id, &body).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// Why it is sent back: 4 to 500 characters.
    pub reason: String,
}

#[utoipa::path(post, path = "/rectifications/{id}/return", tag = "rectification", params(("id" = String, Path)),
    request_body = Return, responses((status = 200, body = Rectification), (status = 409, body = ErrorBody)))]
pub async fn return_item(
    c: Caller,
    ApiPath(id): ApiPath<RectificationId>,
    ApiJson(body): ApiJson<Return>,
) -> AppResult<Json<Rectification>> {
    Ok(Json(
        workflow::return_item(&c.state, &c.ctx, &c.meta, &id, &body.reason).await?,
    ))
}
