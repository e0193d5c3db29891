//! `GET /rectifications`: one page of the items in the caller's subtrees (or one unit's
//! subtree), newest first, filtered by state in SQL.

use super::Rectification;
use super::error::RectificationError;
use super::item::{SELECT, from_row};
use super::state::RectificationState;
use crate::app::AppState;
use crate::authz::{AuthContext, Permission};
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
    let now = state.now();
    let rows = q.fetch_all(state.db.pool()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(l) = from_row(r, now)? {
            items.push(l.item);
        }
    }
    Ok(paging.page(items, |i| (i.opened_at.to_string(), i.id.to_string())))
}
