//! `GET /risk`: the ranked children of a unit (the caller's topmost by default), each
//! with score, veto flag (不合格), change and a 30-day sparkline; the unit's trend chart;
//! the circular's download form.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::svg::{self, ChartWords};
use super::{change, score};
use crate::calendar::Date;
use crate::http::Paging;
use crate::risk::RiskError;
use crate::risk::circular::CircularFormat;
use crate::risk::ranking::{RankSort, rank_children, ranking_root};
use crate::risk::snapshots::{trend, trends};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::frame::Frame;
use crate::web::page::render;

/// Days a sparkline covers.
const SPARK_DAYS: i64 = 30;
/// Days the unit's trend chart covers.
const CHART_DAYS: i64 = 90;

#[derive(Deserialize)]
pub struct RankingQuery {
    under: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

pub struct Row {
    pub unit_id: String,
    pub name: String,
    pub score: String,
    pub veto: bool,
    pub rank: i64,
    pub accounts: i64,
    pub change: String,
    pub open: i64,
    pub spark: String,
}

#[derive(Template)]
#[template(path = "risk/ranking.html")]
struct RankingPage {
    frame: Frame,
    root_id: String,
    root_name: String,
    sort: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
    chart: String,
    from: String,
    to: String,
    formats: Vec<&'static str>,
}

/// `sort=` as the ranking takes it.
fn sort_of(c: &WebCaller, s: Option<&str>) -> WebResult<(RankSort, &'static str)> {
    match s.unwrap_or("score") {
        "" | "score" => Ok((RankSort::Score, "score")),
        "veto" => Ok((RankSort::Veto, "veto")),
        "name" => Ok((RankSort::Name, "name")),
        _ => Err(WebError::page(
            c.tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            "risk.bad_sort",
        )),
    }
}

/// `GET /risk`.
pub async fn ranking(c: WebCaller, Query(q): Query<RankingQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let fail = |e: RiskError| WebError::domain(tr, &e);
    let (sort, sort_name) = sort_of(&c, q.sort.as_deref())?;
    let paging = Paging::new(None, q.cursor.as_deref()).map_err(|e| fail(RiskError::from(e)))?;
    let under = q.under.as_deref().filter(|u| !u.is_empty());
    let root = ranking_root(&c.state, &c.ctx, under).await.map_err(fail)?;
    let page = rank_children(&c.state, &root, sort, &paging)
        .await
        .map_err(fail)?;
    let now = c.state.now();
    let ids: Vec<&str> = page.items.iter().map(|r| r.unit_id.as_str()).collect();
    let series = trends(&c.state, &ids, SPARK_DAYS, now)
        .await
        .map_err(|e| fail(RiskError::from(e)))?;
    let rows = page
        .items
        .iter()
        .map(|r| {
            let label = tr.f("risk.spark_label", [("unit", r.name.as_str())]);
            Row {
                unit_id: r.unit_id.clone(),
                name: r.name.clone(),
                score: score(r.score),
                veto: r.veto,
                rank: r.rank,
                accounts: r.accounts,
                change: change(r.change),
                open: r.counts.veto + r.counts.high + r.counts.medium + r.counts.low,
                spark: svg::sparkline(
                    series.get(&r.unit_id).map_or(&[][..], Vec::as_slice),
                    &label,
                ),
            }
        })
        .collect();
    let points = trend(&c.state, root.id.as_str(), CHART_DAYS, now)
        .await
        .map_err(|e| fail(RiskError::from(e)))?;
    let title = tr.f(
        "risk.chart_title",
        [
            ("unit", root.name.as_str()),
            ("days", &CHART_DAYS.to_string()),
        ],
    );
    let chart = svg::trend_chart(
        &points,
        &ChartWords {
            title: &title,
            score: tr.t("risk.score"),
            date: tr.t("risk.date"),
            veto: tr.t("risk.veto"),
            empty: tr.t("risk.chart_empty"),
        },
    );
    let today = Date::in_china(now);
    let (y, m, _) = today.ymd();
    let first = Date::from_ymd(y, m, 1).unwrap_or(today);
    Ok(render(&RankingPage {
        frame: Frame::new(&c, "/risk", "risk.title"),
        root_id: root.id.to_string(),
        root_name: root.name.clone(),
        sort: sort_name,
        rows,
        next: page.next_cursor,
        chart,
        from: first.to_string(),
        to: today.to_string(),
        formats: CircularFormat::ALL.iter().map(|f| f.extension()).collect(),
    }))
}
