//! `GET /api/v1/audit`: auditors read a unit's chain.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, AuditEvent};
use crate::app::AppState;
use crate::authz::{self, Permission};
use crate::error::{AppError, AppResult};
use crate::http::{ApiQuery, Caller, Page, in_range, list_query};
use crate::ids::UnitId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

list_query!(
    pub struct AuditQuery {
        /// Unit whose chain to read; defaults to the auditor's own (top) unit.
        pub unit_id: Option<UnitId>,
        /// Instead of `cursor`: return events with a sequence number above this (≥ 0).
        pub after: Option<i64>,
    }
);

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>)))]
pub async fn list(
    c: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    let paging = q.paging()?;
    let after = match (paging.after_int()?, q.after) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request(
                "pass either cursor or after, not both",
            ));
        }
        (Some(seq), None) => seq,
        (None, after) => in_range("after", after.unwrap_or(0), 0, i64::MAX)?,
    };
    let unit_id = match q.unit_id {
        Some(u) => u,
        None => UnitId::new(authz::first_unit_with(&c.ctx, Permission::AuditRead)?),
    };
    let unit =
        crate::tenancy::authorized_unit(&c.state, &c.ctx, &unit_id, Permission::AuditRead).await?;
    let unit_id = unit.id;
    let events = store::list(c.state.db.pool(), &unit_id, after, paging.fetch()).await?;
    Ok(Json(
        paging.page(events, |e| (e.seq.to_string(), e.id.clone())),
    ))
}
