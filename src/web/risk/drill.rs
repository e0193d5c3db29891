//! `GET /risk/units/{id}`: one unit's whole-subtree figures, its sub-units (each a link
//! further down), its own accounts with their open findings (roles that may see them),
//! each finding's live rectification item, the subtree's open items, and its trend.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::svg::{self, ChartWords};
use super::{change, rule_label, score, severity_label};
use crate::ids::UnitId;
use crate::risk::RiskError;
use crate::risk::drill::detail;
use crate::risk::ranking::{RiskRow, risk_unit};
use crate::risk::snapshots::trend;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;

#[derive(Deserialize)]
pub struct DrillQuery {
    days: Option<String>,
}

pub struct UnitView {
    pub unit_id: String,
    pub name: String,
    pub score: String,
    pub veto: bool,
    pub rank: i64,
    pub accounts: i64,
    pub change: String,
    pub counts: [i64; 4],
    pub components: Vec<(String, i64, i64)>,
}

impl UnitView {
    fn of(tr: crate::web::i18n::Tr, r: &RiskRow) -> UnitView {
        UnitView {
            unit_id: r.unit_id.clone(),
            name: r.name.clone(),
            score: score(r.score),
            veto: r.veto,
            rank: r.rank,
            accounts: r.accounts,
            change: change(r.change),
            counts: [r.counts.veto, r.counts.high, r.counts.medium, r.counts.low],
            components: r
                .components
                .iter()
                .map(|c| {
                    let key = format!("risk.component.{}", c.component.as_str());
                    (tr.t(&key).to_string(), c.good, c.total)
                })
                .collect(),
        }
    }
}

pub struct FindingView {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub severity_label: String,
    pub first_seen: String,
    pub rectification_id: Option<String>,
}

pub struct AccountView {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub findings: Vec<FindingView>,
}

pub struct ItemView {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub severity_label: String,
    pub state: String,
    pub deadline: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "risk/unit.html")]
struct UnitPage {
    frame: Frame,
    unit: UnitView,
    children: Vec<UnitView>,
    accounts: Option<Vec<AccountView>>,
    items: Vec<ItemView>,
    chart: String,
    days: i64,
}

/// `GET /risk/units/{id}`.
pub async fn unit(
    c: WebCaller,
    Path(id): Path<String>,
    Query(q): Query<DrillQuery>,
) -> WebResult<Response> {
    let tr = c.tr;
    let fail = |e: RiskError| WebError::domain(tr, &e);
    let days = match q.days.as_deref().filter(|d| !d.is_empty()) {
        None => 90,
        Some(d) => {
            let n = d.parse::<i64>().unwrap_or(0);
            crate::http::in_range("days", n, 1, 400).map_err(|e| fail(RiskError::from(e)))?
        }
    };
    let unit = risk_unit(&c.state, &c.ctx, &UnitId::new(id))
        .await
        .map_err(fail)?;
    let d = detail(&c.state, &c.ctx, &unit).await.map_err(fail)?;
    let points = trend(&c.state, unit.id.as_str(), days, c.state.now())
        .await
        .map_err(|e| fail(RiskError::from(e)))?;
    let title = tr.f(
        "risk.chart_title",
        [("unit", unit.name.as_str()), ("days", &days.to_string())],
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
    let accounts = d.accounts.map(|list| {
        list.into_iter()
            .map(|a| AccountView {
                id: a.account_id,
                name: a.name,
                platform: a.platform,
                findings: a
                    .findings
                    .into_iter()
                    .map(|f| FindingView {
                        id: f.finding_id,
                        rule: rule_label(tr, &f.rule),
                        severity_label: severity_label(tr, &f.severity),
                        severity: f.severity,
                        first_seen: format::time(f.first_seen),
                        rectification_id: f.rectification_id,
                    })
                    .collect(),
            })
            .collect()
    });
    let items = d
        .rectifications
        .into_iter()
        .map(|i| ItemView {
            rule: rule_label(tr, &i.rule),
            severity_label: severity_label(tr, &i.severity),
            severity: i.severity,
            state: super::super::rectification::state_label(tr, &i.state),
            deadline: format::time(i.deadline_at),
            overdue: i.overdue,
            id: i.id,
        })
        .collect();
    Ok(render(&UnitPage {
        frame: Frame::new(&c, "/risk", "risk.unit_title"),
        unit: UnitView::of(tr, &d.unit),
        children: d.children.iter().map(|r| UnitView::of(tr, r)).collect(),
        accounts,
        items,
        chart,
        days,
    }))
}
