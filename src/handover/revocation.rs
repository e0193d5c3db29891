//! What a staff change takes away at once, in the event's transaction: the leaver's
//! roles and custodianships in the unit's subtree and all their sessions; on departure
//! also their API tokens, and they are marked departed once they hold no role anywhere.
//! A `leave` revokes nothing.

use serde_json::json;
use sqlx::Row;

use super::error::HandoverResult;
use super::events::{EventType, NewEvent};
use crate::db::Tx;

/// Revokes what the event calls for; returns the counts for the audit event.
pub(super) async fn revoke(tx: &mut Tx, ev: &NewEvent<'_>) -> HandoverResult<serde_json::Value> {
    let event_type = ev.input.event_type;
    if event_type == EventType::Leave {
        return Ok(json!({}));
    }
    let leaver = &ev.leaver;
    let now = ev.now;
    let like = format!("{}%", ev.unit.path);
    // Each statement binds the leaver ($1) and the subtree's path prefix ($2).
    let in_subtree = |sql: &'static str| sqlx::query(sql).bind(leaver).bind(&like);
    let ended = in_subtree("DELETE FROM memberships WHERE user_id = $1 AND unit_id IN (SELECT id FROM units WHERE path LIKE $2)")
        .execute(&mut **tx)
        .await?
        .rows_affected();
    let custody = in_subtree("DELETE FROM account_custodians WHERE user_id = $1 AND unit_id IN (SELECT id FROM units WHERE path LIKE $2)")
        .execute(&mut **tx)
        .await?
        .rows_affected();
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(leaver)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    let mut tokens = 0;
    let mut departed = false;
    if event_type == EventType::Departure {
        tokens = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(leaver)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        let left: i64 = sqlx::query("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
            .bind(leaver)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        if left == 0 {
            sqlx::query("UPDATE users SET status = 'departed', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(leaver)
                .execute(&mut **tx)
                .await?;
            departed = true;
        }
    }
    Ok(
        json!({ "memberships_ended": ended, "custodianships_ended": custody, "sessions_revoked": sessions, "api_tokens_revoked": tokens, "marked_departed": departed }),
    )
}
