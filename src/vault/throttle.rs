//! Fixed-window rate limits counted in the database, so that several servers on one
//! PostgreSQL share the count. One atomic upsert per hit: no check-then-write.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::Row;

use crate::app::AppState;
use crate::error::{AppError, AppResult};

/// Counts one hit on `bucket`; `Err` with code `throttled` (429, details
/// `retry_after_seconds`) when the window already holds `limit` hits.
pub async fn hit(state: &AppState, bucket: &str, limit: u32, window_ms: i64) -> AppResult<()> {
    let now = state.now();
    let window_start = now - now.rem_euclid(window_ms);
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END, \
         window_start = excluded.window_start \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&mut *tx)
    .await?;
    let hits: i64 = row.try_get(0)?;
    tx.commit().await?;
    if hits > i64::from(limit) {
        let retry_ms = window_start + window_ms - now;
        let retry_after = (retry_ms + 999) / 1000;
        return Err(AppError::client(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            format!(
                "too many checks: at most {limit} per minute; try again in {retry_after} seconds"
            ),
        )
        .with_details(json!({ "retry_after_seconds": retry_after, "limit": limit })));
    }
    Ok(())
}

/// The error response, with `Retry-After` when it is a `throttled` error.
pub fn error_response(e: AppError) -> Response {
    let retry = match &e {
        AppError::Client {
            code: "throttled",
            details: Some(d),
            ..
        } => d["retry_after_seconds"].as_i64(),
        _ => None,
    };
    let mut res = e.into_response();
    if let Some(secs) = retry
        && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}
