//! `GET /api/v1/jobs`: the scheduled jobs' status, for system administrators.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::status::{self, JobStatus};
use crate::app::AppState;
use crate::authz::{self, Permission};
use crate::error::AppResult;
use crate::http::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Every registered job: schedule, last run (outcome, duration, counts), a run in
/// progress and the next due time.
#[utoipa::path(get, path = "/jobs", tag = "jobs",
    responses((status = 200, body = Vec<JobStatus>)))]
pub async fn list(c: Caller) -> AppResult<Json<Vec<JobStatus>>> {
    authz::require_anywhere(&c.ctx, Permission::JobsRead)?;
    Ok(Json(status::list(&c.state).await?))
}
