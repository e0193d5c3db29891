//! HTTP for content freshness: reporting a publication.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::publications::{self, NewPublication, Publication};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, Caller, ErrorBody};
use crate::ids::AccountId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report_publication))
}

/// Records that a website or new-media account published something (custodians of the
/// account and unit admins). Moves the account's `last_published_at` forward and
/// re-evaluates its findings at once (`content_stale`, `zombie_account`).
#[utoipa::path(post, path = "/accounts/{id}/publications", tag = "freshness", params(("id" = String, Path)), request_body = NewPublication,
    responses((status = 201, body = Publication),
              (status = 422, description = "invalid_input: a time in the future, a bad URL, or an account that publishes no content", body = ErrorBody)))]
pub async fn report_publication(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    ApiJson(body): ApiJson<NewPublication>,
) -> AppResult<(StatusCode, Json<Publication>)> {
    let p = publications::report_publication(&c.state, &c.ctx, &c.meta, &id, body).await?;
    Ok((StatusCode::CREATED, Json(p)))
}
