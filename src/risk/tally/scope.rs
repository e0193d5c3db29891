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
    /// The unit `root` itself, keyed by itself, and each of its direct children with
    /// every unit below it, keyed by the child: a ranking's rows, rolled up by the
    /// database (a recursive walk down `parent_id`), so a few rows come back however
    /// large the subtree is.
    ///
    /// Below the root, the walk's units come first and the counted table is read by
    /// their keys (`CROSS JOIN` pins that order on SQLite, which otherwise scans the
    /// whole counted table and looks each row up in the walk: a level-1 unit's ranking
    /// paid for all ten level-1 subtrees, 3.5× its baseline; 2.1× pinned). For the
    /// root (`whole_tree`) every row counts, and one pass over the table is cheaper
    /// than a key lookup per row (1.4× against 1.75× pinned).
    Children { root: &'a str, whole_tree: bool },
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
            Scope::Children { whole_tree, .. } => format!(
                "WITH RECURSIVE below (unit_id, grp) AS ( \
                   SELECT id, id FROM units WHERE parent_id = $1 \
                   UNION ALL SELECT u.id, b.grp FROM units u JOIN below b ON u.parent_id = b.unit_id \
                 ), g (unit_id, grp) AS ( \
                   SELECT unit_id, grp FROM below UNION ALL SELECT id, id FROM units WHERE id = $1 \
                 ) \
                 SELECT g.grp AS unit_id, {columns} FROM g{} {table} t \
                 WHERE t.unit_id = g.unit_id AND {filter} GROUP BY g.grp",
                if *whole_tree { "," } else { " CROSS JOIN" }
            ),
        }
    }

    /// A query over `sql` with the scope's `$1` bound.
    pub(super) fn query<'q>(&self, sql: String) -> Query<'q> {
        let first = match self {
            Scope::Units { like, .. } => like.to_string(),
            Scope::Children { root, .. } => root.to_string(),
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
