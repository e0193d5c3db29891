//! HTTP for staff changes and handover cases.

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::case::{self, Handover};
use super::events::{EventInput, EventResult, record_event};
use super::exposure::{Exposure, user_exposure};
use super::{sheet, signature, workflow};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::{ApiJson, ApiPath, ApiQuery, Caller, ErrorBody, Page, list_query};
use crate::ids::{CaseId, UnitId, UserId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hr_event))
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(sheet_html))
        .routes(routes!(complete))
        .routes(routes!(checklist))
        .routes(routes!(acknowledge))
        .routes(routes!(sign_off))
        .routes(routes!(cancel))
        .routes(routes!(exposure))
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[utoipa::path(post, path = "/hr/events", tag = "handover", request_body = EventInput,
    params(("Idempotency-Key" = String, Header, description = "required; same key + same body → same result"),
           ("X-Credgov-Timestamp" = Option<String>, Header, description = "unix seconds; required when HR signing is configured"),
           ("X-Credgov-Signature" = Option<String>, Header, description = "sha256=<hex HMAC of timestamp.body>")),
    responses((status = 201, body = EventResult),
              (status = 409, body = ErrorBody)))]
pub async fn hr_event(
    c: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, Json<EventResult>)> {
    if let Some(secret) = &c.state.config.hr_signing_secret {
        signature::verify_signature(
            secret.as_bytes(),
            header_str(&headers, "x-credgov-timestamp"),
            header_str(&headers, "x-credgov-signature"),
            &body,
            c.state.now(),
        )?;
    }
    let key = header_str(&headers, "idempotency-key")
        .ok_or_else(|| {
            AppError::bad_request(
                "the Idempotency-Key header is required: send a unique value per staff change",
            )
        })?
        .to_string();
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let input: EventInput = serde_json::from_value(value.clone()).map_err(|e| {
        AppError::invalid(format!(
            "the JSON body does not have the expected fields: {e}"
        ))
    })?;
    let (result, _replayed) = record_event(&c.state, &c.ctx, &c.meta, &key, &value, input).await?;
    Ok((StatusCode::CREATED, Json(result)))
}

list_query!(
    pub struct ListQuery {
        pub unit_id: Option<UnitId>,
        /// `open`, `awaiting_acknowledgement`, `awaiting_sign_off`, `closed`, `cancelled` or `escalated`.
        pub state: Option<String>,
    }
);

#[utoipa::path(get, path = "/handovers", tag = "handover", params(ListQuery),
    responses((status = 200, body = Page<Handover>)))]
pub async fn list(c: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> AppResult<Json<Page<Handover>>> {
    let paging = q.paging()?;
    let (unit, filter) = (q.unit_id.as_ref(), q.state.as_deref());
    Ok(Json(
        super::list::list(&c.state, &c.ctx, unit, filter, &paging).await?,
    ))
}

#[utoipa::path(get, path = "/handovers/{id}", tag = "handover", params(("id" = String, Path)),
    responses((status = 200, body = Handover)))]
pub async fn read(c: Caller, ApiPath(id): ApiPath<CaseId>) -> AppResult<Json<Handover>> {
    Ok(Json(case::read(&c.state, &c.ctx, &id).await?))
}

#[utoipa::path(get, path = "/handovers/{id}/sheet", tag = "handover", params(("id" = String, Path)),
    responses((status = 200, description = "交接单 as printable HTML", content_type = "text/html")))]
pub async fn sheet_html(c: Caller, ApiPath(id): ApiPath<CaseId>) -> AppResult<Response> {
    let h = case::read(&c.state, &c.ctx, &id).await?;
    let mut r = sheet::render(&h).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteAction {
    /// `rebind` or `reassign` (`rotate` completes itself when a rotation is confirmed).
    pub action: String,
    /// What was done, e.g. "微信公众号管理员手机号已改为 138…（张三）".
    pub evidence: String,
}

#[utoipa::path(post, path = "/handovers/{id}/items/{item_id}/complete", tag = "handover",
    params(("id" = String, Path), ("item_id" = String, Path)), request_body = CompleteAction,
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody)))]
pub async fn complete(
    c: Caller,
    ApiPath((id, item_id)): ApiPath<(CaseId, String)>,
    ApiJson(body): ApiJson<CompleteAction>,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        workflow::complete_action(
            &c.state,
            &c.ctx,
            &c.meta,
            &id,
            &item_id,
            &body.action,
            &body.evidence,
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// `materials` (资料交接) or `training` (业务培训).
    pub entry: String,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/handovers/{id}/checklist", tag = "handover", params(("id" = String, Path)), request_body = Checklist,
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody)))]
pub async fn checklist(
    c: Caller,
    ApiPath(id): ApiPath<CaseId>,
    ApiJson(body): ApiJson<Checklist>,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        workflow::confirm_checklist(
            &c.state,
            &c.ctx,
            &c.meta,
            &id,
            &body.entry,
            body.note.as_deref(),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    /// A fresh code from the successor's authenticator app.
    pub totp_code: String,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/handovers/{id}/acknowledge", tag = "handover", params(("id" = String, Path)), request_body = Acknowledge,
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody), (status = 423, description = "locked: too many wrong codes (step-up counts toward lockout)", body = ErrorBody)))]
pub async fn acknowledge(
    c: Caller,
    ApiPath(id): ApiPath<CaseId>,
    ApiJson(body): ApiJson<Acknowledge>,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        workflow::acknowledge(
            &c.state,
            &c.ctx,
            &c.meta,
            &id,
            &body.totp_code,
            body.note.as_deref(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/handovers/{id}/sign-off", tag = "handover", params(("id" = String, Path)),
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody)))]
pub async fn sign_off(c: Caller, ApiPath(id): ApiPath<CaseId>) -> AppResult<Json<Handover>> {
    Ok(Json(
        workflow::sign_off(&c.state, &c.ctx, &c.meta, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub reason: String,
}

#[utoipa::path(post, path = "/handovers/{id}/cancel", tag = "handover", params(("id" = String, Path)), request_body = Cancel,
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    c: Caller,
    ApiPath(id): ApiPath<CaseId>,
    ApiJson(body): ApiJson<Cancel>,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        workflow::cancel(&c.state, &c.ctx, &c.meta, &id, &body.reason).await?,
    ))
}

#[utoipa::path(get, path = "/users/{id}/exposure", tag = "handover", params(("id" = String, Path)),
    responses((status = 200, body = [Exposure])))]
pub async fn exposure(c: Caller, ApiPath(id): ApiPath<UserId>) -> AppResult<Json<Vec<Exposure>>> {
    Ok(Json(user_exposure(&c.state, &c.ctx, &id).await?))
}
