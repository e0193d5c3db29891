//! `GET /rectifications?unit_id=&state=&cursor=`: the items in the caller's units (or
//! one unit's subtree), newest first, one page at a time.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::state_label;
use crate::authz::Permission;
use crate::http::Paging;
use crate::ids::UnitId;
use crate::rectification::{
    RectificationError, RectificationFilter, RectificationState, list_rectifications,
};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;
use crate::web::risk::{rule_label, severity_label};

#[derive(Deserialize)]
pub struct ListQuery {
    unit_id: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
}

pub struct Line {
    pub id: String,
    pub unit: String,
    pub rule: String,
    pub severity: String,
    pub severity_label: String,
    pub state: String,
    pub deadline: String,
    pub overdue: bool,
    pub opened: String,
}

#[derive(Template)]
#[template(path = "rectification/list.html")]
struct ListPage {
    frame: Frame,
    units: Vec<(String, String)>,
    unit_id: String,
    states: Vec<(&'static str, String)>,
    state: String,
    lines: Vec<Line>,
    next: Option<String>,
}

/// `GET /rectifications`.
pub async fn list(c: WebCaller, Query(q): Query<ListQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let fail = |e: RectificationError| WebError::domain(tr, &e);
    let unit_id = q.unit_id.unwrap_or_default();
    let state = q.state.unwrap_or_default();
    let paging = Paging::new(None, q.cursor.as_deref()).map_err(|e| fail(e.into()))?;
    let filter = RectificationFilter {
        unit_id: Some(unit_id.as_str()).filter(|u| !u.is_empty()),
        state: Some(state.as_str()).filter(|s| !s.is_empty()),
    };
    let page = list_rectifications(&c.state, &c.ctx, &filter, &paging)
        .await
        .map_err(|e| match &e {
            RectificationError::Input(i) if i.field.as_deref() == Some("state") => WebError::page(
                tr,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "rect.bad_state",
            ),
            _ => fail(e),
        })?;
    let granted = granted_units(&c);
    let mut wanted: Vec<UnitId> = granted.clone();
    wanted.extend(page.items.iter().map(|i| i.unit_id.clone()));
    wanted.sort();
    wanted.dedup();
    let refs: Vec<&UnitId> = wanted.iter().collect();
    let names: std::collections::HashMap<String, String> =
        crate::tenancy::get_units(c.state.db.pool(), &refs)
            .await
            .map_err(|e| WebError::domain(tr, &e))?
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect();
    let mut units: Vec<(String, String)> = granted
        .iter()
        .filter_map(|id| names.get(id.as_str()).map(|n| (id.to_string(), n.clone())))
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    let lines = page
        .items
        .iter()
        .map(|i| Line {
            id: i.id.to_string(),
            unit: names
                .get(i.unit_id.as_str())
                .cloned()
                .unwrap_or_else(|| i.unit_id.to_string()),
            rule: rule_label(tr, i.rule.as_str()),
            severity: i.severity.as_str().to_string(),
            severity_label: severity_label(tr, i.severity.as_str()),
            state: state_label(tr, i.state.as_str()),
            deadline: format::time(i.deadline_at),
            overdue: i.overdue,
            opened: format::time(i.opened_at),
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        let enc = crate::web::error::urlencode;
        format!(
            "/rectifications?unit_id={}&state={}&cursor={}",
            enc(&unit_id),
            enc(&state),
            enc(&cursor)
        )
    });
    Ok(render(&ListPage {
        frame: Frame::new(&c, "/rectifications", "rect.title"),
        units,
        unit_id,
        states: RectificationState::ALL
            .iter()
            .map(|s| (s.as_str(), state_label(tr, s.as_str())))
            .collect(),
        next,
        state,
        lines,
    }))
}

/// The units where the caller holds a grant reading rectifications (the filter's
/// choices; deeper units are reached from the dashboard's links).
fn granted_units(c: &WebCaller) -> Vec<UnitId> {
    crate::authz::scopes(&c.ctx, Permission::RectificationsRead)
        .iter()
        .filter_map(|path| {
            c.ctx
                .grants
                .iter()
                .find(|g| &g.unit_path == path)
                .map(|g| UnitId::new(g.unit_id.clone()))
        })
        .collect()
}
