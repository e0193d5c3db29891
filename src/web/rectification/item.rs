//! `GET /rectifications/{id}`: the item — what is wrong, where, by when, what the unit
//! did and what the reviewer said — with the step the caller may take now (the unit's
//! admin submits; a supervisor of a unit above accepts or returns).

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::state_label;
use crate::authz::{self, Permission};
use crate::calendar::{DAY_MS, Date};
use crate::ids::RectificationId;
use crate::inspection::FindingState;
use crate::notify::kinds::Lang;
use crate::rectification::{Rectification, RectificationState, read};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;
use crate::web::risk::{rule_label, severity_label};

#[derive(Deserialize)]
pub struct ItemQuery {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "rectification/item.html")]
struct ItemPage {
    frame: Frame,
    id: String,
    unit_name: String,
    unit_id: String,
    rule: String,
    severity: String,
    severity_label: String,
    state: String,
    message: String,
    overdue: bool,
    holds: bool,
    opened: String,
    deadline: String,
    evidence: Option<String>,
    submitted: Option<String>,
    review_reason: Option<String>,
    reviewed: Option<String>,
    risk_until: Option<String>,
    closed: Option<String>,
    may_submit: bool,
    may_review: bool,
    /// The earliest and latest dates a risk acceptance may run to.
    until_min: String,
    until_max: String,
    notice: Option<&'static str>,
}

/// `GET /rectifications/{id}`.
pub async fn item(
    c: WebCaller,
    Path(id): Path<String>,
    Query(q): Query<ItemQuery>,
) -> WebResult<Response> {
    let tr = c.tr;
    let item: Rectification = read(&c.state, &c.ctx, &RectificationId::new(id))
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let unit = crate::tenancy::authorized_unit(
        &c.state,
        &c.ctx,
        &item.unit_id,
        Permission::RectificationsRead,
    )
    .await
    .map_err(|e| WebError::domain(tr, &e))?;
    let live = item.closed_at.is_none();
    let may_submit =
        live && matches!(
            item.state,
            RectificationState::Open | RectificationState::Returned
        ) && authz::authorize(
            &c.ctx,
            Permission::RectificationsSubmit,
            &unit.as_ref(),
            "rectification",
        )
        .is_ok();
    let may_review = live
        && item.state == RectificationState::Submitted
        && authz::authorize_review(&c.ctx, &unit.as_ref(), "rectification").is_ok();
    let now = c.state.now();
    let max_days = i64::from(c.state.policy.rectification.max_acceptance_days);
    let notice = match q.done.as_deref() {
        Some("submit") => Some(tr.t("rect.done_submit")),
        Some("accept") => Some(tr.t("rect.done_accept")),
        Some("return") => Some(tr.t("rect.done_return")),
        _ => None,
    };
    let by_at = |who: &Option<String>, at: Option<i64>| {
        at.map(|t| format!("{} · {}", who.as_deref().unwrap_or("—"), format::time(t)))
    };
    Ok(render(&ItemPage {
        frame: Frame::new(&c, "/rectifications", "rect.item_title"),
        id: item.id.to_string(),
        unit_name: unit.name.clone(),
        unit_id: unit.id.to_string(),
        rule: rule_label(tr, item.rule.as_str()),
        severity: item.severity.as_str().to_string(),
        severity_label: severity_label(tr, item.severity.as_str()),
        state: state_label(tr, item.state.as_str()),
        message: match tr.lang() {
            Lang::ZhCn => item.message.zh_cn.clone(),
            Lang::En => item.message.en.clone(),
        },
        overdue: item.overdue,
        holds: item.finding_state == FindingState::Open,
        opened: format::time(item.opened_at),
        deadline: format::time(item.deadline_at),
        submitted: by_at(&item.submitted_by, item.submitted_at),
        evidence: item.evidence.clone(),
        reviewed: by_at(&item.reviewed_by, item.reviewed_at),
        review_reason: item.review_reason.clone(),
        risk_until: item.risk_accepted_until.map(format::time),
        closed: item.closed_at.map(format::time),
        may_submit,
        may_review,
        until_min: Date::in_china(now + DAY_MS).to_string(),
        until_max: Date::in_china(now + max_days * DAY_MS).to_string(),
        notice,
    }))
}
