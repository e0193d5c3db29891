//! Which units a count covers and what it groups them by: the statement around each of
//! the four counts in `counts`. `$1` is always the scope's own parameter; a count's
//! parameters follow, and listed unit ids (if any) come last.

use crate::http::placeholders;

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Subtrees of at most this many units are counted by their listed ids.
pub(super) const MAX_LISTED: usize = 200;

pub(super) enum Scope<'a> {
    /// Each unit whose path matches `like`, keyed by itself; when the subtree is small,
    /// its ids listed as well (which both engines look up by key).
    Units {
        like: &'a str,
        ids: Option<&'a [&'a str]>,
    },
    /// Every unit whose path matches `below` (a unit's path, `_%`: the units under it),
    /// keyed by the direct child it is under: a ranking's rows, rolled up by the
    /// database, so a few rows come back however large the subtree is. A unit's child
    /// is read from its path (`child`: the path's next id after the unit's,
    /// `Db::path_segment`).
    ///
    /// Not a recursive walk down `parent_id`: PostgreSQL cannot estimate one (it
    /// expected ~100,000 units of a ~1,000-unit subtree and hash-joined whole tables,
    /// 2× the baseline at level 1), while `path LIKE` it estimates from statistics.
    /// Below the root the subtree's units come first and the counted table is read by
    /// their keys (`CROSS JOIN` pins that order on SQLite, which otherwise scans the
    /// whole counted table: a level-1 ranking paid for all ten level-1 subtrees). For
    /// the root (`whole_tree`) every row counts, and one pass over the table is cheaper
    /// than a key lookup per row.
    Children {
        below: &'a str,
        child: String,
        whole_tree: bool,
    },
}

impl Scope<'_> {
    /// `SELECT <key> AS unit_id, <columns> FROM <table> t WHERE <filter> …` grouped by
    /// the scope's key; `first_id` numbers the first listed id's parameter. Columns and
    /// filter name the counted table's columns as `t.…`.
    pub(super) fn select(
        &self,
        table: &str,
        columns: &str,
        filter: &str,
        first_id: usize,
    ) -> String {
        match self {
            Scope::Units { ids: None, .. } => format!(
                "SELECT t.unit_id AS unit_id, {columns} FROM {table} t WHERE {filter} \
                 AND t.unit_id IN (SELECT id FROM units WHERE path LIKE $1) GROUP BY t.unit_id"
            ),
            Scope::Units { ids: Some(ids), .. } => format!(
                "SELECT t.unit_id AS unit_id, {columns} FROM {table} t WHERE {filter} \
                 AND t.unit_id IN (SELECT id FROM units WHERE id IN ({}) AND path LIKE $1) \
                 GROUP BY t.unit_id",
                placeholders(first_id, ids.len())
            ),
            Scope::Children {
                child, whole_tree, ..
            } => format!(
                "SELECT {child} AS unit_id, {columns} FROM units u{} {table} t \
                 WHERE t.unit_id = u.id AND u.path LIKE $1 AND {filter} GROUP BY 1",
                if *whole_tree { "," } else { " CROSS JOIN" }
            ),
        }
    }

    /// A query over `sql` with the scope's `$1` bound.
    pub(super) fn query<'q>(&self, sql: String) -> Query<'q> {
        let first = match self {
            Scope::Units { like, .. } => like.to_string(),
            Scope::Children { below, .. } => below.to_string(),
        };
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(first)
    }

    /// Binds the listed ids (after the count's own parameters).
    pub(super) fn bind_ids<'q>(&self, mut q: Query<'q>) -> Query<'q> {
        if let Scope::Units { ids: Some(ids), .. } = self {
            for id in *ids {
                q = q.bind(id.to_string());
            }
        }
        q
    }
}
