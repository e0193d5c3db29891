//! The deliverer's SQL: claim due rows under a lease, and record an outcome only while
//! the lease is still this deliverer's (`WHERE lease_owner = $me`), so a deliverer
//! whose lease ran out — and another took the row — changes nothing.

use sqlx::Row;

use crate::clock::Millis;
use crate::db::Db;
use crate::notify::channels::{Mentions, Outgoing};
use crate::notify::kinds::NotificationKind;
use crate::notify::outbox::{Channel, OutboxState};

/// A row this deliverer holds until `lease_until`.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub kind: NotificationKind,
    pub unit_id: String,
    pub channel: Channel,
    pub settings_unit_id: Option<String>,
    pub recipient_user_id: Option<String>,
    /// Attempts before this one.
    pub attempts: i64,
    pub lease_until: Millis,
    pub message: Outgoing,
}

const COLUMNS: &str = "id, kind, unit_id, channel, settings_unit_id, recipient_user_id, title, \
    body, html, data, mentions, attempts, created_at";

/// Claims up to `batch` pending rows that are due and not leased, oldest due first,
/// for `owner` until `now + lease_ms`.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: Millis,
    lease_ms: i64,
    batch: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let pick = format!(
        "SELECT id FROM outbox WHERE state = $1 AND next_attempt_at <= $2 \
         AND (lease_until IS NULL OR lease_until <= $2) \
         ORDER BY next_attempt_at, id LIMIT $3{}",
        tx.skip_locked()
    );
    let sql = format!(
        "UPDATE outbox SET lease_owner = $4, lease_until = $5 WHERE id IN ({pick}) \
         RETURNING {COLUMNS}"
    );
    let until = now + lease_ms;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(OutboxState::Pending.as_str())
        .bind(now)
        .bind(batch)
        .bind(owner)
        .bind(until)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(c) = from_row(r, until)? {
            out.push(c);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// A claimed row; None (logged) for a kind or channel this build does not know.
fn from_row(r: &sqlx::any::AnyRow, lease_until: Millis) -> Result<Option<Claimed>, sqlx::Error> {
    let id: String = r.try_get("id")?;
    let kind: String = r.try_get("kind")?;
    let channel: String = r.try_get("channel")?;
    let (Some(kind), Some(channel)) = (NotificationKind::parse(&kind), Channel::parse(&channel))
    else {
        tracing::error!(outbox_id = %id, "outbox row of an unknown kind or channel left alone");
        return Ok(None);
    };
    let data: String = r.try_get("data")?;
    let mentions: String = r.try_get("mentions")?;
    let mentions: serde_json::Value = serde_json::from_str(&mentions).unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        mentions[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let message = Outgoing {
        id: id.clone(),
        created_at: r.try_get("created_at")?,
        kind: kind.as_str().to_string(),
        title: r.try_get("title")?,
        markdown: r.try_get("body")?,
        html: r.try_get("html")?,
        data: serde_json::from_str(&data).unwrap_or_default(),
        mentions: Mentions {
            wecom_user_ids: list("wecom_user_ids"),
            dingtalk_user_ids: list("dingtalk_user_ids"),
            mobiles: list("mobiles"),
        },
    };
    Ok(Some(Claimed {
        id,
        kind,
        unit_id: r.try_get("unit_id")?,
        channel,
        settings_unit_id: r.try_get("settings_unit_id")?,
        recipient_user_id: r.try_get("recipient_user_id")?,
        attempts: r.try_get("attempts")?,
        lease_until,
        message,
    }))
}

/// What to write for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    Delivered,
    /// Another attempt at `next_at`.
    Retry {
        next_at: Millis,
        error: String,
    },
    /// Given up.
    Failed {
        error: String,
    },
    /// Not attempted (no rate slot): due again at `next_at`, attempts unchanged.
    Deferred {
        next_at: Millis,
    },
}

/// Records `settle` for row `id` inside `tx` if `owner` still holds it; false otherwise.
pub async fn settle(
    tx: &mut crate::db::Tx,
    id: &str,
    owner: &str,
    now: Millis,
    settle: &Settle,
) -> Result<bool, sqlx::Error> {
    let (state, attempt, next_at, delivered_at, error) = match settle {
        Settle::Delivered => (OutboxState::Delivered, 1, None, Some(now), None),
        Settle::Retry { next_at, error } => (
            OutboxState::Pending,
            1,
            Some(*next_at),
            None,
            Some(error.as_str()),
        ),
        Settle::Failed { error } => (OutboxState::Failed, 1, None, None, Some(error.as_str())),
        Settle::Deferred { next_at } => (OutboxState::Pending, 0, Some(*next_at), None, None),
    };
    let done = sqlx::query(
        "UPDATE outbox SET state = $1, attempts = attempts + $2, \
         next_attempt_at = COALESCE($3, next_attempt_at), delivered_at = $4, \
         last_error = COALESCE($5, last_error), lease_owner = NULL, lease_until = NULL \
         WHERE id = $6 AND lease_owner = $7 AND state = $8",
    )
    .bind(state.as_str())
    .bind(attempt)
    .bind(next_at)
    .bind(delivered_at)
    .bind(error)
    .bind(id)
    .bind(owner)
    .bind(OutboxState::Pending.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Extends `owner`'s lease on row `id` to at least `until`, if it still holds it at
/// `now` (the lease has not run out); whether it does.
pub async fn extend(
    db: &Db,
    id: &str,
    owner: &str,
    now: Millis,
    until: Millis,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_until = CASE WHEN lease_until < $1 THEN $1 ELSE lease_until END \
         WHERE id = $2 AND lease_owner = $3 AND lease_until > $4 AND state = $5",
    )
    .bind(until)
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(OutboxState::Pending.as_str())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}
