//! `GET /api/v1/audit`: auditors read a unit's chain.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{self, AuditEvent};
use crate::app::AppState;
use crate::authz::Permission;
use crate::error::{AppError, AppResult};
use crate::http::{ApiQuery, Auth, ErrorBody, in_range};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Unit whose chain to read; defaults to the auditor's own (top) unit.
    pub unit_id: Option<String>,
    /// Return events with a sequence number above this (paging cursor, ≥ 0).
    pub after: Option<i64>,
    /// At most this many events (1–500, default 100).
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub unit_id: String,
    pub events: Vec<AuditEvent>,
    /// Pass as `after` to read the next page; absent at the end.
    pub next_after: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(ctx, _): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<AuditPage>> {
    let limit = in_range("limit", q.limit.unwrap_or(100), 1, MAX_LIMIT)?;
    let after = in_range("after", q.after.unwrap_or(0), 0, i64::MAX)?;
    let unit_id = match q.unit_id {
        Some(u) => u,
        None => ctx
            .grants
            .iter()
            .find(|g| g.role.permits(Permission::AuditRead))
            .map(|g| g.unit_id.clone())
            .ok_or_else(AppError::forbidden)?,
    };
    let unit =
        crate::tenancy::authorized_unit(&state, &ctx, &unit_id, Permission::AuditRead).await?;
    let events = store::list(state.db.pool(), &unit.id, after, limit).await?;
    let next_after = if events.len() as i64 == limit {
        events.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        unit_id: unit.id,
        events,
        next_after,
    }))
}
