//! `GET /audit?unit_id=&action=&actor=&from=&to=&cursor=`.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::audit::{TrailFilter, VerifyReport, list_filtered, verify_unit};
use crate::authz::{self, Permission};
use crate::calendar::Date;
use crate::http::Paging;
use crate::ids::UnitId;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;

#[derive(Deserialize)]
pub struct TrailQuery {
    unit_id: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

pub struct EventView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit/trail.html")]
struct TrailPage {
    frame: Frame,
    units: Vec<(String, String)>,
    unit_listed: bool,
    unit_id: String,
    unit_name: String,
    action: String,
    actor: String,
    from: String,
    to: String,
    events: Vec<EventView>,
    next: Option<String>,
    intact: bool,
    verified_events: u64,
    broken_seq: i64,
    broken_reason: String,
}

/// A `YYYY-MM-DD` filter as Beijing midnight (the day after `to`: `to` is included).
fn day(c: &WebCaller, text: &str, key: &str, next_day: bool) -> WebResult<Option<i64>> {
    if text.is_empty() {
        return Ok(None);
    }
    let d = Date::parse(text)
        .ok_or_else(|| WebError::page(c.tr, StatusCode::UNPROCESSABLE_ENTITY, key))?;
    Ok(Some(
        if next_day { d.succ() } else { d }.midnight_in_china(),
    ))
}

/// `GET /audit`.
pub async fn trail(c: WebCaller, Query(q): Query<TrailQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let paging = Paging::new(None, q.cursor.as_deref()).map_err(|e| WebError::domain(tr, &e))?;
    let before = paging.after_int().map_err(|e| WebError::domain(tr, &e))?;
    let unit_id = match q.unit_id.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => UnitId::new(u.to_string()),
        None => UnitId::new(
            authz::first_unit_with(&c.ctx, Permission::AuditRead)
                .map_err(|e| WebError::domain(tr, &e))?,
        ),
    };
    let unit = crate::tenancy::authorized_unit(&c.state, &c.ctx, &unit_id, Permission::AuditRead)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let action = q.action.unwrap_or_default().trim().to_string();
    let actor = q.actor.unwrap_or_default().trim().to_string();
    let from = q.from.unwrap_or_default();
    let to = q.to.unwrap_or_default();
    let filter = TrailFilter {
        action: Some(action.as_str()).filter(|a| !a.is_empty()),
        actor: Some(actor.as_str()).filter(|a| !a.is_empty()),
        from: day(&c, &from, "audit.bad_from", false)?,
        to: day(&c, &to, "audit.bad_to", true)?,
    };
    if let (Some(f), Some(t)) = (filter.from, filter.to)
        && f >= t
    {
        return Err(WebError::page(
            tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            "audit.to_before_from",
        ));
    }
    let events = list_filtered(c.state.db.pool(), &unit.id, &filter, before, paging.fetch())
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let page = paging.page(events, |e| (e.seq.to_string(), e.id.clone()));
    let report = verify_unit(&c.state.db, &unit.id)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let (intact, verified_events, broken_seq, broken_reason) = match report {
        VerifyReport::Intact { events, .. } => (true, events, 0, String::new()),
        VerifyReport::Broken { seq, reason, .. } => (false, 0, seq, reason),
    };
    let units = granted_units(&c).await?;
    let events = page
        .items
        .iter()
        .map(|e| EventView {
            seq: e.seq,
            at: format::time(e.at),
            actor: match (&e.actor_name, &e.actor_id) {
                (Some(n), _) => n.clone(),
                (None, Some(i)) => i.clone(),
                (None, None) => e.actor_kind.clone(),
            },
            action: e.action.clone(),
            target: match (&e.target_kind, &e.target_id) {
                (Some(k), Some(i)) => format!("{k} {i}"),
                (Some(k), None) => k.clone(),
                _ => String::new(),
            },
            outcome: e.outcome.clone(),
            details: e.details_raw.clone(),
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        let enc = crate::web::error::urlencode;
        format!(
            "/audit?unit_id={}&action={}&actor={}&from={}&to={}&cursor={}",
            enc(unit.id.as_str()),
            enc(&action),
            enc(&actor),
            enc(&from),
            enc(&to),
            enc(&cursor)
        )
    });
    let unit_listed = units.iter().any(|u| u.0 == unit.id.as_str());
    Ok(render(&TrailPage {
        unit_listed,
        frame: Frame::new(&c, "/audit", "audit.title"),
        units,
        unit_id: unit.id.to_string(),
        unit_name: unit.name.clone(),
        action,
        actor,
        from,
        to,
        events,
        next,
        intact,
        verified_events,
        broken_seq,
        broken_reason,
    }))
}

/// The units where the caller holds an auditor's grant, with their names.
async fn granted_units(c: &WebCaller) -> WebResult<Vec<(String, String)>> {
    let ids: Vec<UnitId> = authz::scopes(&c.ctx, Permission::AuditRead)
        .iter()
        .filter_map(|path| {
            c.ctx
                .grants
                .iter()
                .find(|g| &g.unit_path == path)
                .map(|g| UnitId::new(g.unit_id.clone()))
        })
        .collect();
    let refs: Vec<&UnitId> = ids.iter().collect();
    let mut units: Vec<(String, String)> = crate::tenancy::get_units(c.state.db.pool(), &refs)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    units.dedup();
    Ok(units)
}
