//! The in-app inbox: `notifications` rows, one per person and notice, written by
//! `enqueue`; each person reads and marks only their own (someone else's is not found).

use serde::Serialize;
use sqlx::Row;

use super::error::NotifyError;
use super::kinds::NotificationKind;
use crate::app::AppState;
use crate::authz::{self, AuthContext};
use crate::clock::Millis;
use crate::db::{Tx, Values};
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

/// Inbox rows gathered to be written together: a scan's digests reach hundreds of
/// people, in a few multi-row statements.
#[derive(Default)]
pub struct NewNotifications {
    ids: Vec<Option<String>>,
    users: Vec<Option<String>>,
    units: Vec<Option<String>>,
    kinds: Vec<Option<String>>,
    titles: Vec<Option<String>>,
    bodies: Vec<Option<String>>,
    data: Vec<Option<String>>,
    dedupe_keys: Vec<Option<String>>,
    created: Vec<i64>,
}

impl NewNotifications {
    pub fn push(&mut self, n: &NewNotification<'_>) {
        let text = |s: &str| Some(s.to_string());
        self.ids.push(Some(crate::db::new_id()));
        self.users.push(text(n.user_id));
        self.units.push(text(n.unit_id));
        self.kinds.push(text(n.kind.as_str()));
        self.titles.push(text(n.title));
        self.bodies.push(text(n.body));
        self.data.push(Some(n.data.to_string()));
        self.dedupe_keys.push(n.dedupe_key.map(str::to_string));
        self.created.push(n.at);
    }

    /// Writes the rows; how many were new (a row whose person already has its dedupe
    /// key is skipped).
    pub async fn insert(self, tx: &mut Tx) -> Result<u64, sqlx::Error> {
        tx.insert_new_rows(
            "notifications",
            vec![
                ("id", Values::Text(self.ids)),
                ("user_id", Values::Text(self.users)),
                ("unit_id", Values::Text(self.units)),
                ("kind", Values::Text(self.kinds)),
                ("title", Values::Text(self.titles)),
                ("body", Values::Text(self.bodies)),
                ("data", Values::Text(self.data)),
                ("dedupe_key", Values::Text(self.dedupe_keys)),
                ("created_at", Values::Int(self.created)),
            ],
        )
        .await
    }
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
