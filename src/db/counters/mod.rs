//! Per-unit counters the risk ranking reads (migration 0025): accounts per unit and
//! status (`unit_account_counts`), open findings per unit, rule and severity
//! (`unit_finding_counts`). They are kept by database triggers, so every write to
//! `accounts` or `findings` — the vault, the import, the inspection store, anything
//! added later, a test's or operator's raw SQL — changes them in its own transaction,
//! and no write path can forget to. Triggers are engine-specific (`sqlite`, `postgres`),
//! which the shared migrations cannot express: [`install`] creates them after the
//! migrations and fills the counters from the live rows in the same transaction.
//! [`repair`] (run by the daily scan job) recounts and fixes any drift.
//!
//! Why triggers rather than `n = n + 1` in each write path: the inspection store's
//! upsert can insert, reopen, move or change the severity of a finding in one
//! statement, and what it did to each row is not returned, so a Rust-side counter would
//! have to read first (a race) — the triggers see every row's before and after.
//! Anything that copies rows in wholesale (a future logical restore) should leave the
//! counter tables out: the triggers count the rows as they go in.

mod postgres;
mod sqlite;

use sqlx::{AnyConnection, Row};

use super::{Backend, Db, Tx};

/// One trigger: its name, the table it is on, and the statement creating it.
pub(super) struct Trigger {
    name: &'static str,
    table: &'static str,
    sql: &'static str,
}

/// One counter table and the live count it must equal.
struct Counter {
    table: &'static str,
    /// Key columns, `unit_id` first.
    keys: &'static [&'static str],
    /// `SELECT <keys>, COUNT(*) AS n … GROUP BY <keys>` over the live rows.
    live: &'static str,
}

const COUNTERS: [Counter; 2] = [
    Counter {
        table: "unit_account_counts",
        keys: &["unit_id", "status"],
        live: "SELECT unit_id, status, COUNT(*) AS n FROM accounts GROUP BY unit_id, status",
    },
    Counter {
        table: "unit_finding_counts",
        keys: &["unit_id", "rule", "severity"],
        // 'open' is `FindingState::Open` (checked by a test below).
        live: "SELECT unit_id, rule, severity, COUNT(*) AS n FROM findings \
               WHERE state = 'open' GROUP BY unit_id, rule, severity",
    },
];

/// Rows per delta statement in [`repair`] (at most 4 values each).
const CHUNK: usize = 200;

fn triggers(backend: Backend) -> &'static [Trigger] {
    match backend {
        Backend::Sqlite => sqlite::TRIGGERS,
        Backend::Postgres => postgres::TRIGGERS,
    }
}

/// How many of this build's counter triggers exist.
async fn present(conn: &mut AnyConnection, backend: Backend) -> Result<usize, sqlx::Error> {
    let names: Vec<String> = triggers(backend)
        .iter()
        .map(|t| format!("'{}'", t.name))
        .collect();
    // The names are constants of this build, not input.
    let sql = match backend {
        Backend::Sqlite => format!(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({})",
            names.join(", ")
        ),
        Backend::Postgres => format!(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname IN ({}) \
             AND tgrelid IN ('accounts'::regclass, 'findings'::regclass)",
            names.join(", ")
        ),
    };
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .fetch_one(conn)
        .await?
        .try_get(0)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

async fn run(conn: &mut AnyConnection, sql: &str) -> Result<(), sqlx::Error> {
    // Not kept prepared: DDL runs once, and a kept statement could outlive the schema.
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .persistent(false)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates the counter triggers unless they all exist, and then, in the same
/// transaction, rebuilds the counters from the live rows: no write can fall between
/// the two (SQLite: the write transaction holds the database; PostgreSQL: both tables
/// are locked against writers first, which also makes two servers starting at once
/// take turns). Cheap when the triggers exist: one catalogue read.
pub async fn install(db: &Db) -> Result<(), sqlx::Error> {
    let backend = db.backend();
    let wanted = triggers(backend).len();
    if present(&mut *db.pool().acquire().await?, backend).await? == wanted {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    if backend == Backend::Postgres {
        // SHARE ROW EXCLUSIVE: writers wait; a second installer waits too (it conflicts
        // with itself), then finds the triggers in place.
        run(
            &mut tx,
            "LOCK TABLE accounts, findings IN SHARE ROW EXCLUSIVE MODE",
        )
        .await?;
    }
    // On SQLite this read also makes a pooled connection reload a changed schema.
    if present(&mut tx, backend).await? == wanted {
        return tx.commit().await;
    }
    if backend == Backend::Postgres {
        for f in postgres::FUNCTIONS {
            run(&mut tx, f).await?;
        }
    }
    for t in triggers(backend) {
        if backend == Backend::Postgres {
            let drop = format!("DROP TRIGGER IF EXISTS {} ON {}", t.name, t.table);
            run(&mut tx, &drop).await?;
        }
        run(&mut tx, t.sql).await?;
    }
    rebuild(&mut tx).await?;
    tx.commit().await
}

/// Replaces every counter by the live count (only exact where no write can run
/// concurrently: inside [`install`]'s transaction).
async fn rebuild(tx: &mut Tx) -> Result<(), sqlx::Error> {
    for c in &COUNTERS {
        run(tx, &format!("DELETE FROM {}", c.table)).await?;
        let keys = c.keys.join(", ");
        run(
            tx,
            &format!(
                "INSERT INTO {} ({keys}, n) SELECT {keys}, n FROM ({}) live",
                c.table, c.live
            ),
        )
        .await?;
    }
    Ok(())
}

/// Drops the counter triggers: from then on the counters are stale until [`install`]
/// runs again (which recounts). For benchmarks measuring what the triggers cost, or a
/// bulk load that recounts once at the end; never while the service is serving.
pub async fn uninstall(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    present(&mut tx, db.backend()).await?;
    for t in triggers(db.backend()) {
        let sql = match db.backend() {
            Backend::Sqlite => format!("DROP TRIGGER IF EXISTS {}", t.name),
            Backend::Postgres => format!("DROP TRIGGER IF EXISTS {} ON {}", t.name, t.table),
        };
        run(&mut tx, &sql).await?;
    }
    tx.commit().await
}

/// A counter that did not equal the live count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The counter table.
    pub table: &'static str,
    pub unit_id: String,
    /// The rest of the key: `[status]`, or `[rule, severity]`.
    pub key: Vec<String>,
    /// The live count.
    pub counted: i64,
    /// What the counter held.
    pub kept: i64,
}

/// Compares every counter with a recount of the live rows and corrects the ones that
/// differ (each logged as a warning with its unit id and key; nothing else). Exact
/// under concurrent writers without locking anything: the comparison is one statement,
/// so it sees the counters and the rows they count in one snapshot (where the triggers
/// keep them equal unless they drifted), and the correction adds `counted − kept` to
/// the counter rather than overwriting it, so what other writers added since stays.
pub async fn repair(db: &Db) -> Result<Vec<Drift>, sqlx::Error> {
    let mut drifts = Vec::new();
    for c in &COUNTERS {
        let found = compare(db, c).await?;
        for chunk in found.chunks(CHUNK) {
            add_deltas(db, c, chunk).await?;
        }
        drifts.extend(found);
    }
    for d in &drifts {
        tracing::warn!(
            counter = d.table,
            unit_id = %d.unit_id,
            key = %d.key.join("/"),
            counted = d.counted,
            kept = d.kept,
            "risk counter drifted from the live rows: repaired"
        );
    }
    Ok(drifts)
}

/// The counters of `c` that differ from the live count, in one statement.
async fn compare(db: &Db, c: &Counter) -> Result<Vec<Drift>, sqlx::Error> {
    let keys = c.keys.join(", ");
    let sql = format!(
        "SELECT {keys}, CAST(SUM(live) AS BIGINT) AS counted, CAST(SUM(kept) AS BIGINT) AS kept \
         FROM (SELECT {keys}, n AS live, 0 AS kept FROM ({}) l \
               UNION ALL SELECT {keys}, 0 AS live, n AS kept FROM {}) t \
         GROUP BY {keys} HAVING SUM(live) <> SUM(kept)",
        c.live, c.table
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Drift {
                table: c.table,
                unit_id: r.try_get("unit_id")?,
                key: c.keys[1..]
                    .iter()
                    .map(|k| r.try_get::<String, _>(*k))
                    .collect::<Result<_, _>>()?,
                counted: r.try_get("counted")?,
                kept: r.try_get("kept")?,
            })
        })
        .collect()
}

/// Adds `counted − kept` of each drift to its counter row (one statement).
async fn add_deltas(db: &Db, c: &Counter, drifts: &[Drift]) -> Result<(), sqlx::Error> {
    if drifts.is_empty() {
        return Ok(());
    }
    let width = c.keys.len() + 1;
    let rows: Vec<String> = (0..drifts.len())
        .map(|i| format!("({})", crate::http::placeholders(1 + i * width, width)))
        .collect();
    let keys = c.keys.join(", ");
    let sql = format!(
        "INSERT INTO {table} AS c ({keys}, n) VALUES {} ON CONFLICT ({keys}) \
         DO UPDATE SET n = c.n + excluded.n",
        rows.join(", "),
        table = c.table
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in drifts {
        q = q.bind(d.unit_id.clone());
        for part in &d.key {
            q = q.bind(part.clone());
        }
        q = q.bind(d.counted - d.kept);
    }
    let mut tx = db.begin_write().await?;
    q.execute(&mut *tx).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_literal_is_the_finding_state() {
        assert_eq!(crate::inspection::FindingState::Open.as_str(), "open");
        for t in sqlite::TRIGGERS.iter().chain(postgres::TRIGGERS) {
            assert!(t.sql.contains(t.name), "{} creates another trigger", t.name);
            assert!(t.sql.contains(&format!(" ON {} ", t.table)), "{}", t.name);
        }
    }
}
