//! `GET /risk/circular?under=&from=&to=&format=`: the circular as a download, through
//! the same `circular::export` the API's `/reports/circular` calls (authorised the same
//! way, audited as `report.circular` before the file is handed out).

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::ids::UnitId;
use crate::risk::RiskError;
use crate::risk::circular::{self, CircularFormat, Period};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};

#[derive(Deserialize)]
pub struct CircularQuery {
    under: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /risk/circular`.
pub async fn download(c: WebCaller, Query(q): Query<CircularQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let fail = |e: RiskError| WebError::domain(tr, &e);
    let format = match q.format.as_deref().filter(|f| !f.is_empty()) {
        None => CircularFormat::default(),
        Some(f) => CircularFormat::parse(f).ok_or_else(|| {
            WebError::page(tr, StatusCode::UNPROCESSABLE_ENTITY, "risk.bad_format")
        })?,
    };
    let period = Period::parse(
        q.from.as_deref().unwrap_or(""),
        q.to.as_deref().unwrap_or(""),
    )
    .map_err(|e| {
        let key = match e.field.as_deref() {
            Some("from") => "risk.bad_from",
            _ if e.message.contains("at most") => "risk.period_too_long",
            _ if e.message.contains("before") => "risk.to_before_from",
            _ => "risk.bad_to",
        };
        WebError::page(tr, StatusCode::UNPROCESSABLE_ENTITY, key)
    })?;
    let under = match q.under.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => UnitId::new(u.to_string()),
        None => {
            crate::risk::ranking::ranking_root(&c.state, &c.ctx, None)
                .await
                .map_err(fail)?
                .id
        }
    };
    let file = circular::export(&c.state, (&c.ctx, &c.meta), &under, period, format)
        .await
        .map_err(fail)?;
    Ok(circular::download(file))
}
