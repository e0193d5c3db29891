//! HTTP for risk: `/risk/units` (a ranking), `/risk/units/{id}` (drill-down) and
//! `/risk/trend` (daily series).

use axum::Json;
use axum::extract::Path;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::RiskError;
use super::drill::{RiskDetail, detail};
use super::ranking::{RankSort, RiskRow, rank_children, ranking_root, risk_unit};
use super::snapshots::{TrendPoint, trend};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiQuery, Caller, Page, list_query};
use crate::ids::UnitId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ranking))
        .routes(routes!(unit_detail))
        .routes(routes!(unit_trend))
        .merge(super::circular::router())
}

list_query!(
    pub struct RankingQuery {
        /// Rank the direct children of this unit (default: your topmost unit).
        pub under: Option<String>,
        /// `score` (highest first, the default), `veto` (failing units first, then the
        /// lowest score) or `name`.
        #[param(inline)]
        pub sort: Option<RankSort>,
    }
);

#[utoipa::path(get, path = "/risk/units", tag = "risk", params(RankingQuery),
    responses((status = 200, body = Page<RiskRow>)))]
pub async fn ranking(
    c: Caller,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> AppResult<Json<Page<RiskRow>>> {
    let paging = q.paging()?;
    let root = ranking_root(&c.state, &c.ctx, q.under.as_deref()).await?;
    Ok(Json(
        rank_children(&c.state, &root, q.sort.unwrap_or_default(), &paging).await?,
    ))
}

#[utoipa::path(get, path = "/risk/units/{id}", tag = "risk",
    params(("id" = String, Path, description = "Unit id")),
    responses((status = 200, body = RiskDetail)))]
pub async fn unit_detail(c: Caller, Path(id): Path<String>) -> AppResult<Json<RiskDetail>> {
    let unit = risk_unit(&c.state, &c.ctx, &UnitId::new(id)).await?;
    Ok(Json(detail(&c.state, &c.ctx, &unit).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// The unit (its whole subtree's figures).
    pub unit_id: String,
    /// Days back from today, 1 to 400 (default 90).
    pub days: Option<i64>,
}

/// A unit's daily series.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub unit_id: String,
    pub points: Vec<TrendPoint>,
}

#[utoipa::path(get, path = "/risk/trend", tag = "risk", params(TrendQuery),
    responses((status = 200, body = Trend)))]
pub async fn unit_trend(c: Caller, ApiQuery(q): ApiQuery<TrendQuery>) -> AppResult<Json<Trend>> {
    let days =
        crate::http::in_range("days", q.days.unwrap_or(90), 1, 400).map_err(RiskError::from)?;
    let unit = risk_unit(&c.state, &c.ctx, &UnitId::new(q.unit_id)).await?;
    let points = trend(&c.state, unit.id.as_str(), days, c.state.now())
        .await
        .map_err(RiskError::from)?;
    Ok(Json(Trend {
        unit_id: unit.id.to_string(),
        points,
    }))
}
