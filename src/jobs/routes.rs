//! `GET /api/v1/jobs`: the scheduled jobs' status, for system administrators.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::status::{self, JobStatus};
use crate::app::AppState;
use crate::authz::{self, Permission};
use crate::error::AppResult;
use crate::http::{Auth, ErrorBody};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Every registered job: schedule, last run (outcome, duration, counts), a run in
/// progress and the next due time.
#[utoipa::path(get, path = "/jobs", tag = "jobs",
    responses((status = 200, body = Vec<JobStatus>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
) -> AppResult<Json<Vec<JobStatus>>> {
    authz::require_anywhere(&ctx, Permission::JobsRead)?;
    Ok(Json(status::list(&state).await?))
}
