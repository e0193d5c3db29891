//! The steps on an item, as form posts (CSRF checked): submit evidence, accept (with a
//! date while the condition still holds: a risk acceptance), return with a reason.
//! Each calls the `rectification::workflow` step the API calls (which authorises,
//! checks the state and audits) and goes back to the item page.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::calendar::Date;
use crate::ids::RectificationId;
use crate::rectification::{AcceptInput, RectificationError, accept as accept_item};
use crate::web::error::{WebError, WebResult};
use crate::web::form::Posted;
use crate::web::i18n::Tr;

#[derive(Deserialize)]
pub struct SubmitForm {
    evidence: String,
}

#[derive(Deserialize)]
pub struct AcceptForm {
    reason: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize)]
pub struct ReturnForm {
    reason: String,
}

/// A refused step as a page: the service's input errors in the reader's words.
fn refused(tr: Tr, e: &RectificationError) -> WebError {
    let key = match e {
        RectificationError::Input(i) => match i.field.as_deref() {
            Some("evidence") => Some("rect.bad_evidence"),
            Some("reason") => Some("rect.bad_reason"),
            Some("accept_risk_until") => Some("rect.bad_until"),
            _ => None,
        },
        _ => None,
    };
    match key {
        Some(k) => WebError::page(tr, StatusCode::UNPROCESSABLE_ENTITY, k),
        None => WebError::domain(tr, e),
    }
}

fn back(id: &RectificationId, done: &str) -> Response {
    Redirect::to(&format!("/rectifications/{}?done={done}", id.as_str())).into_response()
}

/// `POST /rectifications/{id}/submit`.
pub async fn submit(Path(id): Path<String>, p: Posted<SubmitForm>) -> WebResult<Response> {
    let c = &p.caller;
    let id = RectificationId::new(id);
    crate::rectification::submit(&c.state, &c.ctx, &c.meta, &id, &p.form.evidence)
        .await
        .map_err(|e| refused(c.tr, &e))?;
    Ok(back(&id, "submit"))
}

/// `POST /rectifications/{id}/accept`.
pub async fn accept(Path(id): Path<String>, p: Posted<AcceptForm>) -> WebResult<Response> {
    let c = &p.caller;
    let id = RectificationId::new(id);
    let until = match p
        .form
        .until
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(text) => Some(
            Date::parse(text)
                .ok_or_else(|| {
                    WebError::page(c.tr, StatusCode::UNPROCESSABLE_ENTITY, "rect.bad_until")
                })?
                .midnight_in_china(),
        ),
    };
    let input = AcceptInput {
        reason: p.form.reason.clone().filter(|r| !r.trim().is_empty()),
        accept_risk_until: until,
    };
    accept_item(&c.state, &c.ctx, &c.meta, &id, &input)
        .await
        .map_err(|e| refused(c.tr, &e))?;
    Ok(back(&id, "accept"))
}

/// `POST /rectifications/{id}/return`.
pub async fn return_item(Path(id): Path<String>, p: Posted<ReturnForm>) -> WebResult<Response> {
    let c = &p.caller;
    let id = RectificationId::new(id);
    crate::rectification::return_item(&c.state, &c.ctx, &c.meta, &id, &p.form.reason)
        .await
        .map_err(|e| refused(c.tr, &e))?;
    Ok(back(&id, "return"))
}
