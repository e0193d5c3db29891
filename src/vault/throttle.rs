//! Fixed-window rate limits counted in the database, so that several servers on one
//! PostgreSQL share the count. One atomic upsert per hit: no check-then-write.

use sqlx::Row;

use super::error::{VaultError, VaultResult};
use crate::app::AppState;

/// Counts one hit on `bucket`; [`VaultError::Throttled`] (429 `throttled`, details
/// `limit` and `retry_after_seconds`, header `Retry-After`) when the window already
/// holds `limit` hits.
pub async fn hit(state: &AppState, bucket: &str, limit: u32, window_ms: i64) -> VaultResult<()> {
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
        let retry_after = u64::try_from((retry_ms + 999) / 1000).unwrap_or(1);
        return Err(VaultError::Throttled { limit, retry_after });
    }
    Ok(())
}
