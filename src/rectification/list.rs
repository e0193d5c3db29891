//! `GET /rectifications`: one page of the items in the caller's subtrees (or one unit's
//! subtree), newest first, filtered by state in SQL.

use sqlx::Row;

use super::Rectification;
use super::error::RectificationError;
use super::item::{SELECT, from_row};
use super::state::RectificationState;
use crate::app::AppState;
use crate::authz::{self, AuthContext, AuthzError, Permission, UnitRef};
use crate::error::InputError;
use crate::http::{Page, Paging, under_any};

/// The list's filters, as given.
#[derive(Debug, Default)]
pub struct RectificationFilter<'a> {
    pub unit_id: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// The unit paths the caller may read items under: one unit's subtree (404 outside the
/// caller's units, 403 without the permission) or all of the caller's.
async fn prefixes(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: Option<&str>,
) -> Result<Vec<String>, RectificationError> {
    let Some(id) = unit_id else {
        return Ok(authz::require_anywhere(
            ctx,
            Permission::RectificationsRead,
        )?);
    };
    let path: String = sqlx::query("SELECT path FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or(AuthzError::NotFound("unit"))?;
    authz::authorize(
        ctx,
        Permission::RectificationsRead,
        &UnitRef { id, path: &path },
        "unit",
    )?;
    Ok(vec![path])
}

/// One page of items, newest first.
pub async fn list_rectifications(
    state: &AppState,
    ctx: &AuthContext,
    filter: &RectificationFilter<'_>,
    paging: &Paging,
) -> Result<Page<Rectification>, RectificationError> {
    let prefixes = prefixes(state, ctx, filter.unit_id).await?;
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
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(wanted.map(RectificationState::as_str))
        .bind(paging.after_int()?)
        .bind(paging.after_id().map(str::to_string))
        .bind(paging.fetch());
    for p in &prefixes {
        q = q.bind(format!("{p}%"));
    }
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
