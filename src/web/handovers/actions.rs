//! The steps of a case, each a form post (CSRF checked) calling the same `handover`
//! workflow function as the API: complete an action with evidence, confirm a checklist
//! entry, acknowledge with a fresh TOTP code, sign off, cancel. Done: back to the case
//! with a notice. Refused for what was sent (a wrong code, an open item, a short
//! reason): the case again with the reason and the error's status. Not found or not
//! allowed: the error page, showing nothing of the case.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroize;

use super::case::case_page;
use crate::error::{DomainError, ErrorKind};
use crate::handover::{self, Handover, HandoverError, read_case};
use crate::ids::CaseId;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, message};
use crate::web::form::Posted;

async fn answer(
    c: &WebCaller,
    id: &CaseId,
    done: &str,
    result: Result<Handover, HandoverError>,
) -> WebResult<Response> {
    let tr = c.tr;
    let e = match result {
        Ok(h) => {
            return Ok(Redirect::to(&format!("/handovers/{}?done={done}", h.id)).into_response());
        }
        Err(e) => e,
    };
    if matches!(
        e.kind(),
        ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::Internal | ErrorKind::Busy
    ) {
        return Err(WebError::domain(tr, &e));
    }
    // The caller may read the case (else the step answered not found): show it again
    // with what went wrong.
    match read_case(&c.state, &c.ctx, id).await {
        Ok(h) => Ok(case_page(
            c,
            &h,
            None,
            Some((e.kind().status(), message(tr, &e))),
        )),
        Err(_) => Err(WebError::domain(tr, &e)),
    }
}

#[derive(Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    evidence: String,
}

/// `POST /handovers/{id}/items/{item_id}/complete`.
pub async fn complete(
    Path((id, item_id)): Path<(String, String)>,
    Posted { caller: c, form }: Posted<CompleteForm>,
) -> WebResult<Response> {
    let id = CaseId::new(id);
    let r = handover::complete_action(
        &c.state,
        &c.ctx,
        &c.meta,
        &id,
        &item_id,
        &form.action,
        &form.evidence,
    )
    .await;
    answer(&c, &id, "complete", r).await
}

#[derive(Deserialize)]
pub struct ChecklistForm {
    #[serde(default)]
    entry: String,
    note: Option<String>,
}

/// `POST /handovers/{id}/checklist`.
pub async fn checklist(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<ChecklistForm>,
) -> WebResult<Response> {
    let id = CaseId::new(id);
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let r = handover::confirm_checklist(&c.state, &c.ctx, &c.meta, &id, &form.entry, note).await;
    answer(&c, &id, "checklist", r).await
}

#[derive(Deserialize)]
pub struct AcknowledgeForm {
    #[serde(default)]
    code: String,
    note: Option<String>,
}

/// `POST /handovers/{id}/acknowledge`: the successor's fresh code, checked by the same
/// step-up as the API (a wrong code counts toward lockout and is audited as denied).
pub async fn acknowledge(
    Path(id): Path<String>,
    Posted {
        caller: c,
        mut form,
    }: Posted<AcknowledgeForm>,
) -> WebResult<Response> {
    let id = CaseId::new(id);
    let code: String = form.code.chars().filter(|ch| !ch.is_whitespace()).collect();
    form.code.zeroize();
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let r = handover::acknowledge(&c.state, &c.ctx, &c.meta, &id, &code, note).await;
    answer(&c, &id, "acknowledge", r).await
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /handovers/{id}/sign-off`.
pub async fn sign_off(
    Path(id): Path<String>,
    Posted { caller: c, .. }: Posted<Empty>,
) -> WebResult<Response> {
    let id = CaseId::new(id);
    let r = handover::sign_off(&c.state, &c.ctx, &c.meta, &id).await;
    answer(&c, &id, "sign-off", r).await
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

/// `POST /handovers/{id}/cancel`.
pub async fn cancel(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<CancelForm>,
) -> WebResult<Response> {
    let id = CaseId::new(id);
    let r = handover::cancel(&c.state, &c.ctx, &c.meta, &id, &form.reason).await;
    answer(&c, &id, "cancel", r).await
}
