//! The in-app inbox: `notifications` rows, one per person and notice, written by
//! `enqueue`; each person reads and marks only their own (someone else's is not found).

use serde::Serialize;
use sqlx::Row;

use super::error::NotifyError;
use super::kinds::NotificationKind;
use crate::app::AppState;
use crate::authz::{self, AuthContext};
use crate::clock::Millis;
use crate::db::Tx;
use crate::http::{Page, Paging};

/// One notification in a person's inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    /// The unit it is about.
    pub unit_id: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Names, counts and dates of the event, as the webhook carries them.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: i64,
    /// When its reader marked it read; null while unread.
    pub read_at: Option<i64>,
}

/// An inbox row to insert.
pub struct NewNotification<'a> {
    pub user_id: &'a str,
    pub unit_id: &'a str,
    pub kind: NotificationKind,
    pub title: &'a str,
    pub body: &'a str,
    pub data: &'a serde_json::Value,
    pub dedupe_key: Option<&'a str>,
    pub at: Millis,
}

/// Inserts one inbox row; false when the person already has this dedupe key.
pub async fn insert(tx: &mut Tx, n: &NewNotification<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO notifications (id, user_id, unit_id, kind, title, body, data, dedupe_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(crate::db::new_id())
    .bind(n.user_id)
    .bind(n.unit_id)
    .bind(n.kind.as_str())
    .bind(n.title)
    .bind(n.body)
    .bind(n.data.to_string())
    .bind(n.dedupe_key)
    .bind(n.at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// One page of the caller's notifications, newest first; `unread`: only unread (true)
/// or only read (false) ones.
pub async fn list(
    state: &AppState,
    ctx: &AuthContext,
    unread: Option<bool>,
    paging: &Paging,
) -> Result<Page<Notification>, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let rows = sqlx::query(
        "SELECT id, kind, unit_id, title, body, data, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND ($2 IS NULL OR ($2 = 1 AND read_at IS NULL) OR ($2 = 0 AND read_at IS NOT NULL)) \
         AND ($3 IS NULL OR (created_at, id) < ($3, $4)) \
         ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(me)
    .bind(unread.map(i64::from))
    .bind(paging.after_int()?)
    .bind(paging.after_id().map(str::to_string))
    .bind(paging.fetch())
    .fetch_all(state.db.pool())
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(paging.page(items, |n| (n.created_at.to_string(), n.id.clone())))
}

/// How many of the caller's notifications are unread.
pub async fn unread_count(state: &AppState, ctx: &AuthContext) -> Result<i64, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    Ok(
        sqlx::query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(me)
            .fetch_one(state.db.pool())
            .await?
            .try_get(0)?,
    )
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Notification, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let data: String = r.try_get("data")?;
    Ok(Notification {
        id: r.try_get("id")?,
        kind: NotificationKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind:?}").into()))?,
        unit_id: r.try_get("unit_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
        created_at: r.try_get("created_at")?,
        read_at: r.try_get("read_at")?,
    })
}

/// Marks one of the caller's notifications read (again is fine: the first time stays).
pub async fn mark_read(
    state: &AppState,
    ctx: &AuthContext,
    id: &str,
) -> Result<Notification, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(state.now())
    .bind(id)
    .bind(me)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(
        "SELECT id, kind, unit_id, title, body, data, created_at, read_at FROM notifications \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(me)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(NotifyError::NotificationNotFound)?;
    tx.commit().await?;
    Ok(from_row(&row)?)
}

/// Marks every unread notification of the caller read; returns how many changed.
pub async fn mark_all_read(state: &AppState, ctx: &AuthContext) -> Result<u64, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let mut tx = state.db.begin_write().await?;
    let done =
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(state.now())
            .bind(me)
            .execute(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
