//! The HTTP surface: router, layers (request id, tracing span, body limit), error
//! mapping for everything axum rejects itself, health and OpenAPI.

mod extract;
mod health;
mod openapi;
mod page;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use crate::identity::no_store;
pub use extract::{
    ApiJson, ApiPath, ApiQuery, AuthAllowEnroll, AuthAnySession, Caller, Meta, NoQuery,
    REQUEST_ID_HEADER, forwarded_https, in_range, optional_json, request_meta,
};
pub use openapi::{ErrorBody, openapi_json};
pub(crate) use page::list_query;
pub use page::{Page, PageQuery, Paging, bind_under, placeholders, scoped_page_query, under_any};

use crate::app::AppState;
use crate::error::AppError;

/// Every capability's routes with the OpenAPI paths they carry: the API under `/api/v1`,
/// health at the root. Both the served router and the document come from here.
fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(crate::identity::router())
        .merge(crate::tenancy::router())
        .merge(crate::audit::router())
        .merge(crate::policy::router())
        .merge(crate::vault::router())
        .merge(crate::handover::router())
        .merge(crate::inspection::router())
        .merge(crate::freshness::router())
        .merge(crate::jobs::router())
        .merge(crate::rectification::router())
        .merge(crate::notify::router())
        .merge(crate::risk::router());
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(health::router())
}

pub fn router(state: AppState) -> Router {
    let (routes, doc) = routes().split_for_parts();
    let doc = Arc::new(openapi::finish(doc));
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let body_limit = state.config.max_body_bytes;
    routes
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .merge(crate::web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::telemetry::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "unmatched".into());
                    let id = req
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %path, user_id = tracing::field::Empty, token_id = tracing::field::Empty, status = tracing::field::Empty, latency_ms = tracing::field::Empty)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, span: &Span| {
                    span.record("status", res.status().as_u16());
                    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "response");
                })
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Under `/api`: the JSON error shape; elsewhere a console page (HTML, in the visitor's
/// language).
async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if path != "/api" && !path.starts_with("/api/") {
        let (parts, _) = req.into_parts();
        return crate::web::not_found(crate::web::caller::Visitor(
            crate::web::caller::visitor_lang(&parts),
        ))
        .await;
    }
    AppError::client(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/v1/openapi.json",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    AppError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that HTTP method",
    )
    .into_response()
}
