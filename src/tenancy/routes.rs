use axum::Json;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Unit, UnitKind};
use super::service::{self, NewUnit};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiJson, ApiPath, ApiQuery, Caller, Page, PageQuery};
use crate::ids::UnitId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: UnitId,
    pub code: Option<String>,
}

#[utoipa::path(get, path = "/units", tag = "units",
    params(PageQuery),
    responses((status = 200, body = Page<Unit>)))]
pub async fn list(c: Caller, ApiQuery(q): ApiQuery<PageQuery>) -> AppResult<Json<Page<Unit>>> {
    Ok(Json(
        service::list_units(&c.state, &c.ctx, &q.paging()?).await?,
    ))
}

#[utoipa::path(post, path = "/units", tag = "units", request_body = CreateUnit,
    responses((status = 201, body = Unit),
              (status = 409, body = crate::http::ErrorBody)))]
pub async fn create(
    c: Caller,
    ApiJson(body): ApiJson<CreateUnit>,
) -> AppResult<(StatusCode, Json<Unit>)> {
    let unit = service::create_unit(
        &c.state,
        &c.ctx,
        &c.meta,
        NewUnit {
            name: body.name,
            kind: body.kind,
            parent_id: body.parent_id,
            code: body.code,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

#[utoipa::path(get, path = "/units/{id}", tag = "units",
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = Unit)))]
pub async fn read(c: Caller, ApiPath(id): ApiPath<UnitId>) -> AppResult<Json<Unit>> {
    Ok(Json(service::read_unit(&c.state, &c.ctx, &id).await?))
}
