//! HTTP for per-unit policies: the effective policy with its sources, and a unit's own
//! preset and overrides.

use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, PolicyInput, UnitPolicy};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, Caller, ErrorBody};
use crate::ids::UnitId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_policy, update_policy, clear_policy))
}

/// A unit's own settings. Each value applies only where at least as strict as what the
/// unit inherits; a looser one is refused (`policy_floor`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutUnitPolicy {
    /// A preset (e.g. `mlps-level3`), or null to choose none.
    #[serde(default)]
    pub preset: Option<String>,
    /// `{section: {key: value}}`; sections `account_password`, `rotation`, `generator`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub overrides: Map<String, Value>,
}

#[utoipa::path(get, path = "/units/{id}/policy", tag = "policy",
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitPolicy)))]
pub async fn read_policy(c: Caller, ApiPath(id): ApiPath<UnitId>) -> AppResult<Json<UnitPolicy>> {
    Ok(Json(service::read(&c.state, &c.ctx, &id).await?))
}

#[utoipa::path(put, path = "/units/{id}/policy", tag = "policy", request_body = PutUnitPolicy,
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitPolicy),
              (status = 422, description = "invalid_policy (unknown section, key or preset; bad value) or policy_floor (looser than inherited)", body = ErrorBody)))]
pub async fn update_policy(
    c: Caller,
    ApiPath(id): ApiPath<UnitId>,
    ApiJson(body): ApiJson<PutUnitPolicy>,
) -> AppResult<Json<UnitPolicy>> {
    let input = PolicyInput {
        preset: body.preset,
        overrides: body.overrides,
    };
    Ok(Json(
        service::update(&c.state, &c.ctx, &c.meta, &id, input).await?,
    ))
}

#[utoipa::path(delete, path = "/units/{id}/policy", tag = "policy",
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, description = "the unit inherits again; the policy now in force", body = UnitPolicy)))]
pub async fn clear_policy(c: Caller, ApiPath(id): ApiPath<UnitId>) -> AppResult<Json<UnitPolicy>> {
    Ok(Json(service::clear(&c.state, &c.ctx, &c.meta, &id).await?))
}
