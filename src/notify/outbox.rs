//! The outbox: one row per message to one destination, written in the transaction
//! that caused it and sent later by the deliverer. Here: its states and channels, the
//! insert, and what system administrators see and do (`GET /outbox`, retry).

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::error::NotifyError;
use super::kinds::NotificationKind;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission, UnitRef};
use crate::clock::Millis;
use crate::db::{Tx, Values};
use crate::error::InputError;
use crate::http::{Page, Paging, under_any};
use crate::ids::UnitId;
use crate::text_enum::text_enum;

text_enum!(
    /// Where an outbox row is in its life.
    OutboxState {
        /// Waiting to be sent (or to be retried at `next_attempt_at`).
        Pending => "pending",
        Delivered => "delivered",
        /// Given up (too many attempts, refused, or the endpoint is gone); a sysadmin may
        /// put it back.
        Failed => "failed",
    }
);

text_enum!(
    /// The channel of an outbox row.
    Channel {
        Webhook => "webhook",
        Wecom => "wecom",
        Dingtalk => "dingtalk",
        Email => "email",
    }
);

impl Channel {
    /// Robots take rate slots before sending.
    pub fn is_robot(self) -> bool {
        matches!(self, Channel::Wecom | Channel::Dingtalk)
    }
}

/// A row to insert.
pub struct NewMessage<'a> {
    pub kind: NotificationKind,
    pub unit_id: &'a UnitId,
    pub channel: Channel,
    pub settings_unit_id: Option<&'a UnitId>,
    pub recipient_user_id: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub html: &'a str,
    pub data: &'a serde_json::Value,
    pub mentions: &'a serde_json::Value,
    pub dedupe_key: Option<String>,
    pub at: Millis,
}

/// Inserts one pending row due now; its id, or None when its dedupe key was queued
/// before.
pub async fn insert(tx: &mut Tx, m: &NewMessage<'_>) -> Result<Option<String>, sqlx::Error> {
    let mut one = NewMessages::default();
    let id = one.push(m);
    Ok((one.insert(tx).await? > 0).then_some(id))
}

/// Outbox rows gathered to be written together (see [`insert`] for one row).
#[derive(Default)]
pub struct NewMessages {
    text: [Vec<Option<String>>; 12],
    at: Vec<i64>,
}

/// The text columns of [`NewMessages`], in order.
const MESSAGE_COLUMNS: [&str; 12] = [
    "id",
    "kind",
    "unit_id",
    "channel",
    "settings_unit_id",
    "recipient_user_id",
    "title",
    "body",
    "html",
    "data",
    "mentions",
    "dedupe_key",
];

impl NewMessages {
    /// Adds a row; its id.
    pub fn push(&mut self, m: &NewMessage<'_>) -> String {
        let text = |s: &str| Some(s.to_string());
        let id = crate::db::new_id();
        let row = [
            Some(id.clone()),
            text(m.kind.as_str()),
            text(m.unit_id.as_str()),
            text(m.channel.as_str()),
            m.settings_unit_id.map(|u| u.as_str().to_string()),
            m.recipient_user_id.map(str::to_string),
            text(m.title),
            text(m.body),
            text(m.html),
            Some(m.data.to_string()),
            Some(m.mentions.to_string()),
            m.dedupe_key.clone(),
        ];
        for (column, value) in self.text.iter_mut().zip(row) {
            column.push(value);
        }
        self.at.push(m.at);
        id
    }

    /// Writes the rows, pending and due at once; how many were new (a row whose dedupe
    /// key was queued before is skipped).
    pub async fn insert(self, tx: &mut Tx) -> Result<u64, sqlx::Error> {
        let mut columns: Vec<(&str, Values)> = MESSAGE_COLUMNS
            .into_iter()
            .zip(self.text)
            .map(|(name, values)| (name, Values::Text(values)))
            .collect();
        columns.extend([
            (
                "state",
                Values::SharedText(Some(OutboxState::Pending.as_str().into())),
            ),
            ("attempts", Values::SharedInt(0)),
            ("next_attempt_at", Values::Int(self.at.clone())),
            ("created_at", Values::Int(self.at)),
        ]);
        tx.insert_new_rows("outbox", columns).await
    }
}

/// One outbox row as system administrators see it: no body (the title says what it is).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxItem {
    pub id: String,
    pub kind: NotificationKind,
    pub unit_id: String,
    pub channel: Channel,
    pub title: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    /// What went wrong last (names a host at most, never a URL or secret).
    pub last_error: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT o.id, o.kind, o.unit_id, o.channel, o.title, o.state, o.attempts, \
    o.next_attempt_at, o.delivered_at, o.last_error, o.created_at, n.path FROM outbox o \
    JOIN units n ON n.id = o.unit_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<OutboxItem, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let channel: String = r.try_get("channel")?;
    let state: String = r.try_get("state")?;
    let bad =
        |what: &str, v: &str| sqlx::Error::Decode(format!("unknown outbox {what} {v:?}").into());
    Ok(OutboxItem {
        id: r.try_get("id")?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        unit_id: r.try_get("unit_id")?,
        channel: Channel::parse(&channel).ok_or_else(|| bad("channel", &channel))?,
        title: r.try_get("title")?,
        state: OutboxState::parse(&state).ok_or_else(|| bad("state", &state))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        delivered_at: r.try_get("delivered_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
    })
}

/// One page of the outbox rows of units in the caller's scope, newest first.
pub async fn list(
    state: &AppState,
    ctx: &AuthContext,
    wanted: Option<&str>,
    paging: &Paging,
) -> Result<Page<OutboxItem>, NotifyError> {
    let scopes = authz::require_anywhere(ctx, Permission::OutboxRead)?;
    let wanted = wanted
        .map(|s| {
            OutboxState::parse(s).ok_or_else(|| {
                InputError::field("state", "state must be one of pending, delivered, failed")
                    .zh("状态只能是：待发送、已送达或发送失败（pending、delivered、failed）。")
            })
        })
        .transpose()?;
    let scope = under_any("n.path", 5, scopes.len());
    let sql = format!(
        "{SELECT} WHERE {scope} AND ($1 IS NULL OR o.state = $1) \
         AND ($2 IS NULL OR (o.created_at, o.id) < ($2, $3)) \
         ORDER BY o.created_at DESC, o.id DESC LIMIT $4"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(wanted.map(OutboxState::as_str))
        .bind(paging.after_int()?)
        .bind(paging.after_id().map(str::to_string))
        .bind(paging.fetch());
    for p in &scopes {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.fetch_all(state.db.pool()).await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(paging.page(items, |i| (i.created_at.to_string(), i.id.clone())))
}

/// Puts a failed row back in the queue, due now, its attempts kept; audited
/// `outbox.retry` on the row's unit.
pub async fn retry(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &str,
) -> Result<OutboxItem, NotifyError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE o.id = $1")))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(NotifyError::OutboxNotFound)?;
    let item = from_row(&row)?;
    let path: String = row.try_get("path")?;
    authz::authorize(
        ctx,
        Permission::OutboxRetry,
        &UnitRef {
            id: &item.unit_id,
            path: &path,
        },
        "outbox message",
    )?;
    let done = sqlx::query(
        "UPDATE outbox SET state = $1, next_attempt_at = $2, lease_owner = NULL, lease_until = NULL \
         WHERE id = $3 AND state = $4",
    )
    .bind(OutboxState::Pending.as_str())
    .bind(now)
    .bind(id)
    .bind(OutboxState::Failed.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        // A failed row that is no longer failed was retried by someone else meanwhile.
        let state = match item.state {
            OutboxState::Failed => OutboxState::Pending,
            other => other,
        };
        return Err(NotifyError::NotFailed { state });
    }
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, &item.unit_id, "outbox.retry")
            .target("outbox", &item.id)
            .details(
                json!({ "kind": item.kind, "channel": item.channel, "attempts": item.attempts }),
            ),
    )
    .await?;
    super::wake();
    Ok(OutboxItem {
        state: OutboxState::Pending,
        next_attempt_at: now,
        ..item
    })
}
