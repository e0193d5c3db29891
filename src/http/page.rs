//! Paged lists: every list endpoint answers `{items, next_cursor}`, takes `limit`
//! (default 50, 1..=500) and an opaque `cursor` (base64url of the last row's sort key
//! and id), and reads one page with one keyset query (`(key, id) > (cursor)`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::in_range;
use crate::error::InputError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// One page of a list. Pass `next_cursor` back as `cursor` for the next page; it is
/// null on the last page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Declares the query of a list: its filters, then `limit` and `cursor`, each
/// documented here once; unknown parameters are refused. `paging()` checks the two.
macro_rules! list_query {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// Page size, 1 to 500 (default 50).
            pub limit: Option<i64>,
            /// The `next_cursor` of the previous page.
            pub cursor: Option<String>,
        }

        impl $name {
            pub fn paging(&self) -> Result<$crate::http::Paging, $crate::error::InputError> {
                $crate::http::Paging::new(self.limit, self.cursor.as_deref())
            }
        }
    };
}
pub(crate) use list_query;

list_query!(
    /// The query of a list without filters: `limit` and `cursor` only.
    #[derive(Default)]
    pub struct PageQuery {}
);

/// A checked `limit` and decoded `cursor`.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: i64,
    /// The last row of the previous page: (sort key, id).
    pub after: Option<(String, String)>,
}

impl Paging {
    /// Checks `limit` (422 when out of range) and decodes `cursor` (400 when malformed).
    pub fn new(limit: Option<i64>, cursor: Option<&str>) -> Result<Paging, InputError> {
        let limit = in_range("limit", limit.unwrap_or(DEFAULT_LIMIT), 1, MAX_LIMIT)?;
        let after = cursor.map(decode).transpose()?;
        Ok(Paging { limit, after })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// The cursor's sort key (None on the first page).
    pub fn after_key(&self) -> Option<&str> {
        self.after.as_ref().map(|(k, _)| k.as_str())
    }

    /// The cursor's id (None on the first page).
    pub fn after_id(&self) -> Option<&str> {
        self.after.as_ref().map(|(_, i)| i.as_str())
    }

    /// The cursor's sort key as a number, for lists ordered by a number.
    pub fn after_int(&self) -> Result<Option<i64>, InputError> {
        self.after_key()
            .map(|k| k.parse::<i64>().map_err(|_| bad_cursor()))
            .transpose()
    }

    /// Cuts the fetched rows (at most `limit + 1`) to a page; `key` gives a row's
    /// (sort key, id) for the next cursor.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> (String, String)) -> Page<T> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| {
                let (k, id) = key(r);
                encode(&k, &id)
            })
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// `$first, $first+1, …` for `n` values bound in that order (an `IN (…)` list).
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(column LIKE $first OR …)` for `n` unit-path prefixes bound in that order (each
/// bound as `prefix%`): rows in any of the caller's subtrees.
pub fn under_any(column: &str, first: usize, n: usize) -> String {
    let terms: Vec<String> = (first..first + n)
        .map(|i| format!("{column} LIKE ${i}"))
        .collect();
    format!("({})", terms.join(" OR "))
}

/// The query for one keyset page of rows in the caller's subtrees. `sql` uses `$1`,
/// `$2` for the cursor (`($1 IS NULL OR (key, id) > ($1, $2))`), `$3` for the rows to
/// fetch and [`under_any`]`(column, 4, scopes.len())` for the subtrees; this binds them
/// all, each scope as `prefix%`.
pub fn scoped_page_query<'q>(
    paging: &'q Paging,
    sql: String,
    scopes: &[String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(paging.after_key())
        .bind(paging.after_id())
        .bind(paging.fetch());
    bind_under(q, scopes)
}

/// Binds each path in `prefixes` as the `prefix%` that [`under_any`] matches, in order:
/// the values for its `$first … $first+n-1`.
pub fn bind_under<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    prefixes: &[String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for prefix in prefixes {
        q = q.bind(format!("{prefix}%"));
    }
    q
}

fn bad_cursor() -> InputError {
    InputError::malformed(
        "cursor",
        "cursor is not valid: pass the next_cursor of a previous page unchanged",
    )
    .zh("翻页位置无效：请原样使用上一页给出的 next_cursor，或回到第一页。")
}

pub fn encode(key: &str, id: &str) -> String {
    let json = serde_json::json!([key, id]).to_string();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode(cursor: &str) -> Result<(String, String), InputError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad_cursor())?;
    serde_json::from_slice::<(String, String)>(&bytes).map_err(|_| bad_cursor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = encode("名字", "id-1");
        let p = Paging::new(Some(5), Some(&c)).unwrap();
        assert_eq!(p.after, Some(("名字".into(), "id-1".into())));
        assert!(Paging::new(None, Some("!!")).is_err());
        assert!(Paging::new(None, Some(&URL_SAFE_NO_PAD.encode("[1]"))).is_err());
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(Some(501), None).is_err());
        assert_eq!(Paging::new(None, None).unwrap().limit, 50);
    }

    #[test]
    fn page_cuts_and_sets_cursor_only_when_more() {
        let p = Paging::new(Some(2), None).unwrap();
        let full = p.page(vec![1, 2, 3], |n| (n.to_string(), n.to_string()));
        assert_eq!(full.items, vec![1, 2]);
        assert_eq!(full.next_cursor, Some(encode("2", "2")));
        let last = p.page(vec![1, 2], |n| (n.to_string(), n.to_string()));
        assert_eq!(last.next_cursor, None);
    }
}
