//! `GET /handovers/{id}`: a case with its items, checklist and the steps the caller
//! may take; `GET /handovers/{id}/print`: the 交接单 as a printable A4 page in Chinese.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::view::CaseView;
use crate::authz::Permission;
use crate::handover::{Handover, read_case};
use crate::ids::CaseId;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::frame::Frame;
use crate::web::i18n::{Lang, Tr};
use crate::web::page::{render, render_status};

/// What the caller may do on this case (the service decides again on every step).
pub struct Steps {
    /// Complete manual actions, cancel (unit admins).
    pub manage: bool,
    /// Confirm the checklist (unit admins, the successor).
    pub checklist: bool,
    /// Acknowledge with a fresh code (the successor, once everything is done).
    pub acknowledge: bool,
    /// Sign off (unit admins, supervisors), once acknowledged.
    pub sign_off: bool,
}

#[derive(Template)]
#[template(path = "handovers/case.html")]
struct CasePage {
    frame: Frame,
    case: CaseView,
    steps: Steps,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "handovers/print.html")]
struct PrintPage {
    frame: Frame,
    /// The sheet is in Chinese whatever the reader's language.
    zh: Tr,
    case: CaseView,
}

#[derive(Deserialize)]
pub struct CaseQuery {
    done: Option<String>,
}

fn steps(c: &WebCaller, h: &Handover) -> Steps {
    let live = !h.is_final();
    let successor = h.is_successor(&c.ctx);
    let manage = live && h.permits(&c.ctx, Permission::HandoverManage);
    Steps {
        manage,
        checklist: live && (manage || successor),
        acknowledge: successor && h.progress_state == "awaiting_acknowledgement" && live,
        sign_off: live
            && h.progress_state == "awaiting_sign_off"
            && h.permits(&c.ctx, Permission::HandoverSignOff),
    }
}

/// The case page, with a notice after a step or an error (and its status) after a
/// refused one.
pub(super) fn case_page(
    c: &WebCaller,
    h: &Handover,
    notice: Option<&'static str>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    render_status(
        status,
        &CasePage {
            frame: Frame::new(c, "/handovers", "handover.case_title"),
            case: CaseView::of(c.tr, h),
            steps: steps(c, h),
            notice,
            error,
        },
    )
}

/// `GET /handovers/{id}`.
pub async fn page(
    c: WebCaller,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> WebResult<Response> {
    let tr = c.tr;
    let h = read_case(&c.state, &c.ctx, &CaseId::new(id))
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let notice = q.done.as_deref().and_then(|d| match d {
        "reported" => Some(tr.t("handover.done.reported")),
        "complete" => Some(tr.t("handover.done.complete")),
        "checklist" => Some(tr.t("handover.done.checklist")),
        "acknowledge" => Some(tr.t("handover.done.acknowledge")),
        "sign-off" => Some(tr.t("handover.done.sign_off")),
        "cancel" => Some(tr.t("handover.done.cancel")),
        _ => None,
    });
    Ok(case_page(&c, &h, notice, None))
}

/// `GET /handovers/{id}/print`.
pub async fn print(c: WebCaller, Path(id): Path<String>) -> WebResult<Response> {
    let tr = c.tr;
    let h = read_case(&c.state, &c.ctx, &CaseId::new(id))
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let zh = Tr(Lang::ZhCn);
    Ok(render(&PrintPage {
        frame: Frame::new(&c, "/handovers", "handover.print_title"),
        zh,
        case: CaseView::of(zh, &h),
    }))
}
