//! Metrics in the Prometheus text format (`GET /metrics`), served on their own
//! address (`[metrics] listen`, off by default) and, when `[metrics] token` is set,
//! only to a bearer of that token.
//!
//! Counters and histograms go through the `metrics` facade into one process-wide
//! Prometheus recorder: requests by route template and status with their latency
//! ([`track`]), audited events by action and outcome, logins and lockouts (counted where
//! their audit event is written, [`audited`]), and job runs with their duration
//! ([`job_ran`]). What is a state rather than an event (database pool, hashing queue,
//! outbox backlog, open findings by severity) is read when scraped ([`scrape`]). No
//! label ever carries user input: routes are templates, methods a fixed list, the rest
//! come from the code's own names.

mod requests;
mod scrape;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

pub use requests::track;

use crate::app::AppState;

/// Latency buckets in seconds: from 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder, installed on first use (None when another recorder was
/// installed first, e.g. by an embedding program).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Counts an audited event as it is written (action and outcome are the code's own
/// names); logins and lockouts also under their own names.
pub fn audited(action: &'static str, outcome: &'static str) {
    metrics::counter!("credgov_audit_events_total", "action" => action, "outcome" => outcome)
        .increment(1);
    match action {
        "auth.login" => {
            metrics::counter!("credgov_logins_total", "outcome" => outcome).increment(1)
        }
        "auth.lockout" => metrics::counter!("credgov_lockouts_total").increment(1),
        _ => {}
    }
}

/// Counts a finished job run and records how long it took.
pub fn job_ran(job: &'static str, outcome: &str, duration_ms: i64) {
    metrics::counter!("credgov_job_runs_total", "job" => job, "outcome" => outcome.to_string())
        .increment(1);
    metrics::histogram!("credgov_job_duration_seconds", "job" => job)
        .record(duration_ms as f64 / 1000.0);
}

/// The metrics router: `GET /metrics` only.
pub fn router(state: AppState) -> Router {
    handle();
    Router::new()
        .route("/metrics", get(serve))
        .with_state(state)
}

async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = state.config.metrics.token.as_deref() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the bearer token set in [metrics] token\n",
            )
                .into_response();
        }
    }
    let mut body = handle().map(PrometheusHandle::render).unwrap_or_default();
    match scrape::gauges(&state).await {
        Ok(gauges) => body.push_str(&gauges),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading the database for the gauges failed");
            body.push_str("# the database gauges could not be read\ncredgov_up 0\n");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
