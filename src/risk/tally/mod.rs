//! What units measure, whatever the size of their subtree, in four counts run at once
//! (`counts`): active accounts and open findings by severity and by rule, read from the
//! per-unit counters the triggers keep (`crate::db::counters`: a few rows per unit
//! instead of every account and finding), and the handover cases and rectification
//! items of the last year with how many kept their deadline (counted live: that depends
//! on the clock). Two shapes (`scope`): [`load_children`] — a unit's own tally and each
//! direct child's whole subtree, rolled up by the database (the ranking: a few rows
//! back) — and [`load`] — every unit of a subtree on its own, rolled up in memory (the
//! drill-down, whose subtree is small and listed by id; the daily snapshots and the
//! circular, which need every unit).

mod counts;
mod scope;

use std::collections::HashMap;

use sqlx::Row;

use super::model::Tally;
use crate::tenancy::Unit;
pub use counts::WINDOW_DAYS;
use scope::{MAX_LISTED, Scope};

/// One unit of the subtree.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub depth: i64,
    pub name: String,
}

/// The units under `prefix` (a unit path) and each one's own tally (its own accounts,
/// findings, cases and items; not its sub-units').
pub struct SubtreeTallies {
    pub units: Vec<UnitRow>,
    pub own: HashMap<String, Tally>,
}

impl SubtreeTallies {
    /// Each unit's whole-subtree tally: its own plus every unit below it.
    pub fn rolled_up(&self) -> HashMap<String, Tally> {
        let mut out: HashMap<String, Tally> = HashMap::with_capacity(self.units.len());
        let ids: std::collections::HashSet<&str> =
            self.units.iter().map(|u| u.id.as_str()).collect();
        for u in &self.units {
            let Some(own) = self.own.get(&u.id) else {
                out.entry(u.id.clone()).or_default();
                continue;
            };
            // Every id on the path that is in this subtree is an ancestor-or-self.
            for ancestor in u.path.split('/').filter(|s| ids.contains(s)) {
                out.entry(ancestor.to_string()).or_default().add(own);
            }
        }
        out
    }
}

/// Loads the units under `prefix` and their own tallies as of `now`.
///
/// The four counts are independent reads, so they run at once on separate pool
/// connections: the load then costs about its largest query rather than the sum of all
/// four. The units come first: a small subtree is then counted by its unit ids, which
/// both engines look up by key, instead of matching every unit's path again in each
/// count.
pub async fn load(
    pool: &sqlx::AnyPool,
    prefix: &str,
    now: i64,
) -> Result<SubtreeTallies, sqlx::Error> {
    let like = format!("{prefix}%");
    let units = units(pool, "path LIKE $1", &like).await?;
    let ids: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
    let scope = Scope::Units {
        like: &like,
        ids: (!ids.is_empty() && ids.len() <= MAX_LISTED).then_some(ids.as_slice()),
    };
    let own = count(pool, &scope, now).await?;
    Ok(SubtreeTallies { units, own })
}

/// Each direct child of a unit with its whole subtree's tally.
pub struct ChildTallies {
    /// The direct children, by path.
    pub children: Vec<UnitRow>,
    /// Child id → the child's whole subtree (absent: nothing counted there).
    pub subtree: HashMap<String, Tally>,
}

impl ChildTallies {
    /// The whole subtree of the child `id` (empty when nothing is counted there).
    pub fn child(&self, id: &str) -> Tally {
        self.subtree.get(id).cloned().unwrap_or_default()
    }
}

/// Loads the direct children of `root`, each with its whole subtree's tally, as of
/// `now`: the database finds the units below `root` by path and sums per child, so
/// five small answers come back however large the subtree is (the children and the four
/// counts, run at once). For the root of the tree (no parent) the counted tables are
/// read in one pass; see `Scope::Children`.
pub async fn load_children(
    db: &crate::db::Db,
    root: &Unit,
    now: i64,
) -> Result<ChildTallies, sqlx::Error> {
    let pool = db.pool();
    // Every unit strictly below `root`: its path, then at least one more character.
    let below = format!("{}_%", root.path);
    let scope = Scope::Children {
        below: &below,
        child: db.path_segment("u.path", root.path.chars().count() + 1),
        whole_tree: root.parent_id.is_none(),
    };
    let (children, subtree) = tokio::try_join!(
        units(pool, "parent_id = $1", root.id.as_str()),
        count(pool, &scope, now)
    )?;
    Ok(ChildTallies { children, subtree })
}

/// The four counts over `scope` at once, as tallies by key.
async fn count(
    pool: &sqlx::AnyPool,
    scope: &Scope<'_>,
    now: i64,
) -> Result<HashMap<String, Tally>, sqlx::Error> {
    let (accounts, findings, handovers, items) = tokio::try_join!(
        counts::accounts(pool, scope),
        counts::findings(pool, scope),
        counts::handovers(pool, scope, now),
        counts::items(pool, scope, now),
    )?;
    let mut out: HashMap<String, Tally> = HashMap::new();
    for (unit_id, n) in accounts {
        out.entry(unit_id).or_default().accounts = n;
    }
    for f in findings {
        f.add_to(out.entry(f.unit_id.clone()).or_default());
    }
    for (unit_id, r) in handovers {
        out.entry(unit_id).or_default().handover = r;
    }
    for (unit_id, r) in items {
        out.entry(unit_id).or_default().rectification = r;
    }
    Ok(out)
}

/// The units matching `condition` (on `$1` = `bind`), by path.
async fn units(
    pool: &sqlx::AnyPool,
    condition: &str,
    bind: &str,
) -> Result<Vec<UnitRow>, sqlx::Error> {
    let sql = format!(
        "SELECT id, parent_id, path, depth, name FROM units WHERE {condition} ORDER BY path"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(bind.to_string())
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(UnitRow {
                id: r.try_get("id")?,
                parent_id: r.try_get("parent_id")?,
                path: r.try_get("path")?,
                depth: r.try_get("depth")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}
