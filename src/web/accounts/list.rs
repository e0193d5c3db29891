//! `GET /accounts`: the accounts of the caller's units, filtered by unit (`?unit=`, the
//! link after an import), platform, classification, status and open findings, searched by name or login name, a page at
//! a time (`vault::search_accounts`).

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::labels::{self, Choice};
use crate::http::Paging;
use crate::ids::UnitId;
use crate::vault::{AccountFilter, AccountStatus, Classification, Platform, search_accounts};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, urlencode};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;

/// Accounts per page.
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    platform: Option<String>,
    classification: Option<String>,
    status: Option<String>,
    findings: Option<String>,
    q: Option<String>,
    unit: Option<String>,
    cursor: Option<String>,
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub login_name: String,
    pub platform: &'static str,
    pub classification: &'static str,
    pub status: &'static str,
    pub custodians: String,
    pub last_rotated: String,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    frame: Frame,
    platforms: Vec<Choice>,
    classifications: Vec<Choice>,
    statuses: Vec<Choice>,
    findings: bool,
    q: String,
    unit: String,
    rows: Vec<Row>,
    next: Option<String>,
    may_write: bool,
}

/// A filter value from the query: empty is "any", a value no variant owns is a 400.
fn choice<T>(c: &WebCaller, v: Option<&str>, parse: fn(&str) -> Option<T>) -> WebResult<Option<T>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| WebError::page(c.tr, StatusCode::BAD_REQUEST, "accounts.bad_filter")),
    }
}

/// `GET /accounts`.
pub async fn list(c: WebCaller, Query(q): Query<ListQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let filter = AccountFilter {
        platform: choice(&c, q.platform.as_deref(), Platform::parse)?,
        classification: choice(&c, q.classification.as_deref(), Classification::parse)?,
        status: choice(&c, q.status.as_deref(), AccountStatus::parse)?,
        with_findings: q.findings.as_deref().is_some_and(|v| !v.is_empty()),
        search: q.q.clone().filter(|s| !s.trim().is_empty()),
        unit: q
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(UnitId::new),
    };
    let paging = Paging::new(
        Some(PAGE_SIZE),
        q.cursor.as_deref().filter(|c| !c.is_empty()),
    )
    .map_err(|e| WebError::domain(tr, &e))?;
    let page = search_accounts(&c.state, &c.ctx, &filter, &paging)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let unit_ids: Vec<&UnitId> = page.items.iter().map(|a| &a.unit_id).collect();
    let units = crate::tenancy::get_units(c.state.db.pool(), &unit_ids)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let unit_name = |id: &UnitId| {
        units
            .iter()
            .find(|u| u.id.as_str() == id.as_str())
            .map_or_else(String::new, |u| u.name.clone())
    };
    let rows = page
        .items
        .iter()
        .map(|a| Row {
            id: a.id.as_str().to_string(),
            name: a.name.clone(),
            unit: unit_name(&a.unit_id),
            login_name: a.login_name.clone(),
            platform: labels::platform(tr, a.platform),
            classification: labels::classification(tr, a.classification),
            status: labels::status(tr, a.status),
            custodians: a
                .custodians
                .iter()
                .map(|c| c.username.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            last_rotated: a.last_rotated_at.map_or_else(|| "—".into(), format::time),
            pending: a.pending_rotation_id.is_some(),
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        let mut query = vec![
            (
                "platform",
                filter.platform.map(Platform::as_str).unwrap_or(""),
            ),
            (
                "classification",
                filter
                    .classification
                    .map(Classification::as_str)
                    .unwrap_or(""),
            ),
            (
                "status",
                filter.status.map(AccountStatus::as_str).unwrap_or(""),
            ),
            ("q", q.q.as_deref().unwrap_or("")),
            ("unit", filter.unit.as_ref().map_or("", UnitId::as_str)),
            ("cursor", cursor.as_str()),
        ];
        if filter.with_findings {
            query.push(("findings", "1"));
        }
        let qs: Vec<String> = query
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        format!("/accounts?{}", qs.join("&"))
    });
    Ok(render(&ListPage {
        frame: Frame::new(&c, "/accounts", "accounts.title"),
        platforms: labels::platforms(tr, filter.platform),
        classifications: labels::classifications(tr, filter.classification),
        statuses: labels::statuses(tr, filter.status),
        findings: filter.with_findings,
        q: q.q.unwrap_or_default(),
        unit: filter
            .unit
            .map(|u| u.as_str().to_string())
            .unwrap_or_default(),
        rows,
        next,
        may_write: crate::authz::holds_anywhere(&c.ctx, crate::authz::Permission::AccountsWrite),
    }))
}
