//! The unit tree: the units the caller may see, indented by depth, and a form to add a
//! unit under one of them.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Cursor;
use crate::tenancy::{self, NewUnit, Unit, UnitKind};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal};
use crate::web::form::Posted;
use crate::web::frame::Frame;
use crate::web::page::render_status;

/// `GET /admin`: the units page is where administration starts.
pub async fn index(_c: WebCaller) -> Response {
    Redirect::to("/admin/units").into_response()
}

pub struct UnitRow {
    pub name: String,
    pub kind: &'static str,
    pub code: String,
    /// Depth below the top of the list, for the indentation class (0–5).
    pub indent: i64,
}

#[derive(Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    frame: Frame,
    units: Vec<UnitRow>,
    kinds: Vec<(&'static str, &'static str)>,
    parents: Vec<(String, String)>,
    /// Whether the caller may add units (the form is not shown otherwise).
    may_write: bool,
    next: Option<String>,
    error: Option<String>,
    created: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UnitsQuery {
    cursor: Option<String>,
    created: Option<String>,
}

fn rows(c: &WebCaller, units: &[Unit]) -> Vec<UnitRow> {
    let top = units.iter().map(|u| u.depth).min().unwrap_or(0);
    units
        .iter()
        .map(|u| UnitRow {
            name: u.name.clone(),
            kind: c.tr.t(&format!("unit_kind.{}", u.kind.as_str())),
            code: u.code.clone().unwrap_or_default(),
            indent: (u.depth - top).clamp(0, 5),
        })
        .collect()
}

async fn page(
    c: &WebCaller,
    cursor: Option<String>,
    error: Option<String>,
    created: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let paging = Cursor { cursor }.paging(c)?;
    let units = tenancy::list_units(&c.state, &c.ctx, &paging)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let kinds = UnitKind::ALL
        .iter()
        .filter(|k| **k != UnitKind::District)
        .map(|k| (k.as_str(), c.tr.t(&format!("unit_kind.{}", k.as_str()))))
        .collect();
    let parents = super::unit_choices(c)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    Ok(render_status(
        status,
        &UnitsPage {
            parents,
            may_write: crate::authz::holds_anywhere(&c.ctx, crate::authz::Permission::UnitsWrite),
            frame: super::frame(c, "/admin/units", "admin.units.title").await?,
            units: rows(c, &units.items),
            kinds,
            next: units.next_cursor,
            error,
            created,
        },
    ))
}

/// `GET /admin/units`.
pub async fn list(c: WebCaller, Query(q): Query<UnitsQuery>) -> WebResult<Response> {
    let created = q.created.map(|_| c.tr.t("admin.units.created").to_string());
    page(&c, q.cursor, None, created, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewUnitForm {
    name: String,
    kind: String,
    parent_id: String,
    code: Option<String>,
}

/// `POST /admin/units`: a new unit under `parent_id`.
pub async fn create(p: Posted<NewUnitForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let Some(kind) = UnitKind::parse(&f.kind) else {
        let msg = c.tr.t("admin.units.bad_kind").to_string();
        return page(&c, None, Some(msg), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let input = NewUnit {
        name: f.name,
        kind,
        parent_id: crate::ids::UnitId::new(f.parent_id),
        code: f.code.filter(|s| !s.trim().is_empty()),
    };
    match tenancy::create_unit(&c.state, &c.ctx, &c.meta, input).await {
        Ok(_) => Ok(Redirect::to("/admin/units?created=1").into_response()),
        Err(e) => {
            let (status, msg) = refusal(c.tr, &e)?;
            page(&c, None, Some(msg), None, status).await
        }
    }
}
