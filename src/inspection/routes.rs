//! HTTP for daily inspection: the findings list.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::list::{Finding, FindingFilter, list_findings};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiQuery, Auth, ErrorBody, Page, Paging};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// Findings of this unit and the units below it (default: every unit you may read).
    pub unit_id: Option<String>,
    /// A rule code, e.g. `rotation_overdue`.
    pub rule: Option<String>,
    /// `veto`, `high`, `medium` or `low`.
    pub severity: Option<String>,
    /// `open` or `resolved` (default: both).
    pub state: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/findings", tag = "inspection", params(FindingQuery),
    responses((status = 200, body = Page<Finding>), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> AppResult<Json<Page<Finding>>> {
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let filter = FindingFilter {
        unit_id: q.unit_id.as_deref(),
        rule: q.rule.as_deref(),
        severity: q.severity.as_deref(),
        state: q.state.as_deref(),
    };
    Ok(Json(list_findings(&state, &ctx, &filter, &paging).await?))
}
