//! Idempotent HR events: the `hr_events` row keyed by reporter and Idempotency-Key
//! remembers the request's hash and the ids it produced, so a retry gets the same
//! answer and a different body under the same key is refused.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::error::{HandoverError, HandoverResult};
use super::events::{EventResult, NewEvent};
use crate::db::{Tx, is_unique_violation};

/// sha256 of the canonical JSON (keys sorted) of the request body.
pub fn request_hash(body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// The answer already given for this reporter and key, if any; a conflict when the
/// key was used with another body.
pub(super) async fn existing(
    pool: &sqlx::AnyPool,
    actor_key: &str,
    key: &str,
    hash: &str,
) -> HandoverResult<Option<EventResult>> {
    let row = sqlx::query("SELECT id, handover_id, request_hash FROM hr_events WHERE actor_key = $1 AND idempotency_key = $2")
        .bind(actor_key)
        .bind(key)
        .fetch_optional(pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let stored: String = r.try_get("request_hash")?;
    if stored != hash {
        return Err(HandoverError::IdempotencyConflict);
    }
    Ok(Some(EventResult {
        event_id: r.try_get("id")?,
        handover_id: r.try_get("handover_id")?,
    }))
}

/// Claims the key by inserting the event's row. `Ok(false)`: a concurrent duplicate
/// holds it already (the transaction is then unusable; answer with [`existing`]).
pub(super) async fn claim(tx: &mut Tx, ev: &NewEvent<'_>) -> HandoverResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO hr_events (unit_id, id, actor_key, idempotency_key, request_hash, event_type, user_id, successor_id, \
         effective_at, note, handover_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&ev.unit.id)
    .bind(&ev.event_id)
    .bind(&ev.actor_key)
    .bind(ev.key)
    .bind(&ev.hash)
    .bind(ev.input.event_type.as_str())
    .bind(&ev.leaver)
    .bind(ev.successor.as_ref().map(|s| s.id.as_str()))
    .bind(ev.effective_at)
    .bind(ev.note.as_deref())
    .bind(&ev.handover_id)
    .bind(ev.now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
