//! `GET /handovers`: the cases of the caller's units, newest first, by state.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::view::{CaseView, person};
use crate::authz::{self, Permission};
use crate::handover::{ShownState, list_cases};
use crate::http::Paging;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, urlencode};
use crate::web::frame::Frame;
use crate::web::page::render;

pub struct Row {
    pub case: CaseView,
    pub successor: String,
}

pub struct StateOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "handovers/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    states: Vec<StateOption>,
    next: Option<String>,
    may_report: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    cursor: Option<String>,
}

pub async fn list(c: WebCaller, Query(q): Query<ListQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let filter = q.state.as_deref().filter(|s| !s.is_empty());
    let paging =
        Paging::new(Some(20), q.cursor.as_deref()).map_err(|e| WebError::domain(tr, &e))?;
    let page = list_cases(&c.state, &c.ctx, None, filter, &paging)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let rows = page
        .items
        .iter()
        .map(|h| Row {
            case: CaseView::of(tr, h),
            successor: h
                .successor
                .as_ref()
                .map_or_else(|| tr.t("handover.no_successor").to_string(), person),
        })
        .collect();
    let states = ShownState::ALL
        .iter()
        .map(|s| StateOption {
            value: s.as_str(),
            label: super::view::state_label(tr, s.as_str()),
            selected: filter == Some(s.as_str()),
        })
        .collect();
    let next = page.next_cursor.map(|cur| {
        let mut u = format!("/handovers?cursor={}", urlencode(&cur));
        if let Some(f) = filter {
            u.push_str(&format!("&state={}", urlencode(f)));
        }
        u
    });
    Ok(render(&ListPage {
        frame: Frame::new(&c, "/handovers", "handover.list_title"),
        rows,
        states,
        next,
        may_report: authz::holds_anywhere(&c.ctx, Permission::HrEvents),
    }))
}
