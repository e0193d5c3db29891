//! `GET /rectifications`: one page of the items in the caller's subtrees (or one unit's
//! subtree), newest first, filtered by state in SQL.

use super::Rectification;
use super::error::RectificationError;
use super::item::{SELECT, from_row};
use super::state::RectificationState;
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::error::InputError;
use crate::http::{Page, Paging, bind_under, under_any};
use crate::inspection::readable_prefixes;

/// The list's filters, as given.
#[derive(Debug, Default)]
pub struct RectificationFilter<'a> {
    pub unit_id: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// One page of items, newest first.
pub async fn list_rectifications(
    state: &AppState,
    ctx: &AuthContext,
    filter: &RectificationFilter<'_>,
    paging: &Paging,
) -> Result<Page<Rectification>, RectificationError> {
    let prefixes: Vec<String> = readable_prefixes::<RectificationError>(
        state,
        ctx,
        Permission::RectificationsRead,
        filter.unit_id,
    )
    .await?;
    let wanted = filter
        .state
        .map(|s| {
            RectificationState::parse(s).ok_or_else(|| {
                let known: Vec<&str> = RectificationState::ALL.iter().map(|x| x.as_str()).collect();
                InputError::field(
                    "state",
                    format!("state must be one of {}", known.join(", ")),
                )
                .zh(format!(
                    "状态只能是：{}（待整改、待审核、已退回、已通过、已自动消除）。",
                    known.join("、")
                ))
            })
        })
        .transpose()?;
    let scope = under_any("n.path", 5, prefixes.len());
    let sql = format!(
        "{SELECT} WHERE {scope} AND ($1 IS NULL OR r.state = $1) \
         AND ($2 IS NULL OR (r.opened_at, r.id) < ($2, $3)) \
         ORDER BY r.opened_at DESC, r.id DESC LIMIT $4"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(wanted.map(RectificationState::as_str))
        .bind(paging.after_int()?)
        .bind(paging.after_id().map(str::to_string))
        .bind(paging.fetch());
    let q = bind_under(q, &prefixes);
    let items = items_of(&q.fetch_all(state.db.pool()).await?, state.now())?;
    Ok(paging.page(items, |i| (i.opened_at.to_string(), i.id.to_string())))
}

/// Whose turn an item waits for: the unit that fixes it, or a supervisor above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// `open` or `returned` items of units where the caller may submit.
    Fix,
    /// `submitted` items of units strictly below one where the caller reviews.
    Review,
}

/// The items waiting for the caller's `turn`, most urgent deadline first, at most
/// `limit`: what their home page lists. Only units where the caller may act count (a
/// supervisor who is also a unit's admin is not offered other units' items to fix).
pub async fn awaiting(
    state: &AppState,
    ctx: &AuthContext,
    turn: Turn,
    limit: i64,
) -> Result<Vec<Rectification>, RectificationError> {
    let (perm, states, below) = match turn {
        Turn::Fix => (
            Permission::RectificationsSubmit,
            [RectificationState::Open, RectificationState::Returned],
            "%",
        ),
        // `_%`: at least one more character, so the reviewer's own unit is left out
        // (review is by a unit strictly above, as `authz::authorize_review` rules).
        Turn::Review => (
            Permission::RectificationsReview,
            [RectificationState::Submitted, RectificationState::Submitted],
            "_%",
        ),
    };
    let scopes = authz::scopes_holding_all(ctx, &[Permission::RectificationsRead, perm]);
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT} WHERE {} AND r.state IN ($1, $2) ORDER BY r.deadline_at, r.id LIMIT $3",
        under_any("n.path", 4, scopes.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(states[0].as_str())
        .bind(states[1].as_str())
        .bind(limit);
    for prefix in &scopes {
        q = q.bind(format!("{prefix}{below}"));
    }
    let items = items_of(&q.fetch_all(state.db.pool()).await?, state.now())?;
    Ok(items)
}

/// The items of `rows` as they stand at `now` (rows that no longer read as an item are
/// skipped, as `from_row` decides).
fn items_of(
    rows: &[sqlx::any::AnyRow],
    now: i64,
) -> Result<Vec<Rectification>, RectificationError> {
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(l) = from_row(r, now)? {
            items.push(l.item);
        }
    }
    Ok(items)
}
