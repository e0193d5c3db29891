//! `GET/POST /handovers/new`: HR reports a staff change at a form — the same
//! `record_event` the HR events API calls, audited as this person (`hr.event`,
//! `handover.open`). The form carries an idempotency key made when it was shown, so a
//! double click or a resent form opens one case, not two. (The HMAC signature of the
//! API is for machine integrations; a person is authenticated by their session and the
//! form's CSRF token.)

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::TimeZone;
use serde::Deserialize;
use serde_json::json;

use crate::authz::{self, Permission};
use crate::error::DomainError;
use crate::handover::{EventInput, EventType, record_event};
use crate::http::Paging;
use crate::ids::UnitId;
use crate::tenancy::list_units;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, message};
use crate::web::form::Posted;
use crate::web::frame::Frame;
use crate::web::i18n::Tr;
use crate::web::page::render_status;

pub struct UnitOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

pub struct TypeOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "handovers/report.html")]
struct ReportPage {
    frame: Frame,
    units: Vec<UnitOption>,
    types: Vec<TypeOption>,
    form: ReportForm,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    pub event_type: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub successor_username: String,
    /// `YYYY-MM-DD`, Beijing time; blank is now.
    #[serde(default)]
    pub effective_date: String,
    #[serde(default)]
    pub note: String,
    /// Made when the form was shown: the same form sent twice is one staff change.
    #[serde(default)]
    pub idempotency_key: String,
}

const TYPES: [(&str, &str); 4] = [
    ("departure", "handover.event.departure"),
    ("transfer", "handover.event.transfer"),
    ("role_change", "handover.event.role_change"),
    ("leave", "handover.event.leave"),
];

async fn page(
    c: &WebCaller,
    form: ReportForm,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let tr = c.tr;
    // Only units where the caller may report (the service checks again).
    let scopes = authz::require_anywhere(&c.ctx, Permission::HrEvents)
        .map_err(|e| WebError::domain(tr, &e))?;
    let paging = Paging::new(Some(500), None).map_err(|e| WebError::domain(tr, &e))?;
    let units = list_units(&c.state, &c.ctx, &paging)
        .await
        .map_err(|e| WebError::domain(tr, &e))?
        .items
        .into_iter()
        .filter(|u| scopes.iter().any(|p| u.path.starts_with(p.as_str())))
        .map(|u| UnitOption {
            selected: u.id.as_str() == form.unit_id,
            id: u.id.to_string(),
            name: u.name,
        })
        .collect();
    let types = TYPES
        .iter()
        .map(|(v, k)| TypeOption {
            value: v,
            label: tr.t(k),
            selected: form.event_type == *v,
        })
        .collect();
    Ok(render_status(
        status,
        &ReportPage {
            frame: Frame::new(c, "/handovers", "handover.report_title"),
            units,
            types,
            form,
            error,
        },
    ))
}

/// `GET /handovers/new`.
pub async fn form(c: WebCaller) -> WebResult<Response> {
    let form = ReportForm {
        event_type: "departure".into(),
        idempotency_key: format!("web-{}", uuid::Uuid::new_v4().simple()),
        ..ReportForm::default()
    };
    page(&c, form, None, StatusCode::OK).await
}

fn blank(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A `YYYY-MM-DD` date as the start of that day in Beijing, unix ms.
fn day_start(tr: Tr, s: &str) -> Result<i64, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| chrono_tz::Asia::Shanghai.from_local_datetime(&t).single())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| tr.t("handover.bad_date").to_string())
}

/// What the form asks for, or the sentence that says what to fix.
fn input(tr: Tr, f: &ReportForm) -> Result<(EventInput, serde_json::Value), String> {
    let event_type = match f.event_type.as_str() {
        "departure" => EventType::Departure,
        "transfer" => EventType::Transfer,
        "role_change" => EventType::RoleChange,
        "leave" => EventType::Leave,
        _ => return Err(tr.t("handover.bad_type").to_string()),
    };
    if f.unit_id.trim().is_empty() {
        return Err(tr.t("handover.unit_required").to_string());
    }
    let username =
        blank(&f.username).ok_or_else(|| tr.t("handover.username_required").to_string())?;
    let effective_at = match blank(&f.effective_date) {
        Some(d) => Some(day_start(tr, &d)?),
        None => None,
    };
    let input = EventInput {
        event_type,
        username,
        unit_id: UnitId::new(f.unit_id.trim()),
        successor_username: blank(&f.successor_username),
        effective_at,
        note: blank(&f.note),
    };
    // The canonical body, as the API would have received it (the idempotency hash).
    let body = json!({
        "type": event_type.as_str(),
        "username": input.username,
        "unit_id": input.unit_id,
        "successor_username": input.successor_username,
        "effective_at": input.effective_at,
        "note": input.note,
    });
    Ok((input, body))
}

/// `POST /handovers/new`: records the change and opens its case.
pub async fn submit(Posted { caller: c, form }: Posted<ReportForm>) -> WebResult<Response> {
    let tr = c.tr;
    let (event, body) = match input(tr, &form) {
        Ok(x) => x,
        Err(msg) => return page(&c, form, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match record_event(
        &c.state,
        &c.ctx,
        &c.meta,
        &form.idempotency_key,
        &body,
        event,
    )
    .await
    {
        Ok((r, _)) => Ok(
            Redirect::to(&format!("/handovers/{}?done=reported", r.handover_id)).into_response(),
        ),
        Err(e) => {
            let kind = e.kind();
            if matches!(
                kind,
                crate::error::ErrorKind::Internal | crate::error::ErrorKind::Forbidden
            ) {
                return Err(WebError::domain(tr, &e));
            }
            // Someone unknown or outside the caller's units reads as not found: say
            // which name to check, keep the form.
            let msg = if kind == crate::error::ErrorKind::NotFound {
                tr.t("handover.person_not_found").to_string()
            } else {
                message(tr, &e)
            };
            page(&c, form, Some(msg), kind.status()).await
        }
    }
}
