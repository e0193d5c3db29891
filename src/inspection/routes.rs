//! HTTP for daily inspection: the findings list.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::list::{Finding, FindingFilter, list_findings};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiQuery, Caller, Page, list_query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

list_query!(
    pub struct FindingQuery {
        /// Findings of this unit and the units below it (default: every unit you may read).
        pub unit_id: Option<String>,
        /// A rule code, e.g. `rotation_overdue`.
        pub rule: Option<String>,
        /// `veto`, `high`, `medium` or `low`.
        pub severity: Option<String>,
        /// `open` or `resolved` (default: both).
        pub state: Option<String>,
    }
);

#[utoipa::path(get, path = "/findings", tag = "inspection", params(FindingQuery),
    responses((status = 200, body = Page<Finding>)))]
pub async fn list(
    c: Caller,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> AppResult<Json<Page<Finding>>> {
    let filter = FindingFilter {
        unit_id: q.unit_id.as_deref(),
        rule: q.rule.as_deref(),
        severity: q.severity.as_deref(),
        state: q.state.as_deref(),
        target_id: None,
    };
    Ok(Json(
        list_findings(&c.state, &c.ctx, &filter, &q.paging()?).await?,
    ))
}
