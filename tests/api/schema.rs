//! The schema's plans that matter at any size: a foreign-key check on `accounts` is one
//! key lookup even before the table has statistics (migration 0026); and what the
//! shared migrations cannot say: PostgreSQL compresses audit details with lz4; and every
//! lookup by fingerprint can use the one partial index on them (migration 0029).

use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp};

both_engines!(an_account_key_check_is_one_lookup_on_a_new_database);
both_engines!(audit_details_are_compressed_with_lz4_on_postgresql);
both_engines!(every_fingerprint_lookup_uses_the_live_fingerprint_index);
both_engines!(a_re_evaluation_reads_versions_and_findings_by_key);

/// The lookup every table keyed (unit_id, account_id) runs to check its account, planned
/// as PostgreSQL plans its foreign-key checks (a generic plan, kept for the session) on
/// a database whose `accounts` was never analysed: the plan must find the row by `id`
/// in an index, not filter a unit's accounts. Before 0026 it took `accounts_unit_status`
/// (and without that one `accounts_unit_name`) and filtered by `id`, one pass over the
/// unit per inserted row.
async fn an_account_key_check_is_one_lookup_on_a_new_database(app: TestApp) {
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let plan: Vec<String> = match app.engine {
        Engine::Postgres => {
            sqlx::raw_sql(
                "SET plan_cache_mode = force_generic_plan; \
                 PREPARE account_key(text, text) AS SELECT 1 FROM ONLY accounts x \
                 WHERE unit_id = $1 AND id = $2 FOR KEY SHARE OF x",
            )
            .execute(&mut *conn)
            .await
            .unwrap();
            let rows = sqlx::query("EXPLAIN EXECUTE account_key('u', 'a')")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            sqlx::raw_sql("DEALLOCATE account_key; RESET plan_cache_mode")
                .execute(&mut *conn)
                .await
                .unwrap();
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        }
        Engine::Sqlite => {
            sqlx::query("EXPLAIN QUERY PLAN SELECT 1 FROM accounts WHERE unit_id = $1 AND id = $2")
                .bind("u")
                .bind("a")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect()
        }
    };
    let text = plan.join("\n");
    match app.engine {
        // The index finds the row by `id` (a filter on `unit_id` then checks one row).
        Engine::Postgres => assert!(
            plan.iter()
                .any(|l| l.trim_start().starts_with("Index Cond:") && l.contains("id = $2")),
            "filters the unit's accounts instead of looking the account up:\n{text}"
        ),
        // `id=?` in the searched index's key (`(unit_id=? AND id=?)` or `(id=?)`), not
        // only `(unit_id=?)`.
        Engine::Sqlite => assert!(
            text.contains(" id=?)") || text.contains("(id=?)"),
            "searches the unit's accounts instead of looking the account up:\n{text}"
        ),
    }
}

/// Migration 0029 left one index on fingerprints, partial over the live versions
/// (`state = 'current' OR state = 'pending'`). Each lookup by fingerprint must be able
/// to use it: the unit's reuse check (`vault::validate`, current and pending), the
/// district's reuse grouping (`inspection::detect::reuse`) and the scan's narrowing
/// (`inspection::scan`), which read the current ones. On SQLite that holds only when the
/// query's terms match one side of the index's OR, so this fails if a query or the
/// predicate is rewritten as an IN list. PostgreSQL is told not to scan the table, so
/// that on an empty one the plan shows whether the index is usable at all.
async fn every_fingerprint_lookup_uses_the_live_fingerprint_index(app: TestApp) {
    let lookups = [
        "SELECT COUNT(*) FROM credential_versions WHERE unit_id = 'u' AND fingerprint = 'f' \
         AND (state = 'current' OR state = 'pending') AND account_id <> 'a'",
        "SELECT v2.fingerprint FROM credential_versions v2 WHERE v2.state = 'current' \
         GROUP BY v2.fingerprint HAVING COUNT(*) > 1",
        "SELECT DISTINCT p.account_id FROM credential_versions p WHERE p.state = 'current' \
         AND p.fingerprint IN ('f', 'g')",
    ];
    let mut conn = no_scans(&app).await;
    for sql in lookups {
        let text = plan(&app, &mut conn, sql).await;
        assert!(
            text.contains("credential_versions_live_fingerprint"),
            "{sql}\ndoes not use the live fingerprint index:\n{text}"
        );
    }
}

/// A large event (here ~300 KB of details) is compressed with lz4 on PostgreSQL (this
/// machine's server has it; `db::compression` keeps pglz where it has not), and
/// migrating again changes nothing on either engine.
async fn audit_details_are_compressed_with_lz4_on_postgresql(app: TestApp) {
    app.state.db.migrate().await.unwrap();
    if !matches!(app.engine, Engine::Postgres) {
        return;
    }
    let setting: String = sqlx::query(
        "SELECT attcompression::text FROM pg_attribute \
         WHERE attrelid = 'audit_events'::regclass AND attname = 'details'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(setting, "l");
    let names: Vec<String> = (0..4000).map(|i| format!("账号{i:05}-{i:x}")).collect();
    let mut tx = app.state.db.begin_write().await.unwrap();
    tx.audit(
        app.state.now(),
        &Default::default(),
        credgov::audit::Entry::new(&app.root_id, credgov::audit::Actor::system(), "test.large")
            .details(serde_json::json!({ "names": names })),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let method: Option<String> = sqlx::query(
        "SELECT pg_column_compression(details) FROM audit_events WHERE action = 'test.large'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(method.as_deref(), Some("lz4"));
}

/// The lookups a re-evaluation (a rotation confirm's hook) runs for a few targets must
/// read by key, not walk a table the size of the district: the accounts' current
/// fingerprints (`inspection::detect::reuse`, through the accounts: versions are keyed
/// by `(unit_id, account_id)` since 0028), the targets' findings (`Scope::findings`
/// names each kind's rules for the `(rule, target_id)` index) and their live
/// rectification items (`rectification::sync`, joined from the findings). At 100,000
/// accounts the first one scanning every version was 22 ms of a 35 ms confirm on
/// PostgreSQL. PostgreSQL is told not to scan, so that on an empty table the plan shows
/// whether a key path exists at all.
async fn a_re_evaluation_reads_versions_and_findings_by_key(app: TestApp) {
    let lookups = [
        (
            "SELECT s.fingerprint FROM accounts sa JOIN credential_versions s \
             ON s.unit_id = sa.unit_id AND s.account_id = sa.id \
             WHERE s.state = 'current' AND (sa.id IN ('a1', 'a2'))",
            "credential_versions",
        ),
        (
            "SELECT id FROM findings WHERE 1 = 1 AND ((target_kind = 'account' \
             AND rule IN ('rotation_overdue', 'weak_password') AND (target_id IN ('a1'))))",
            "findings",
        ),
        (
            "SELECT r.item_id, findings.state FROM findings JOIN \
             (SELECT id AS item_id, finding_id AS of_finding, closed_at AS item_closed FROM rectifications) r \
             ON r.of_finding = findings.id WHERE r.item_closed IS NULL \
             AND ((target_kind = 'account' AND rule IN ('rotation_overdue') AND (target_id IN ('a1'))))",
            "rectifications",
        ),
    ];
    let mut conn = no_scans(&app).await;
    for (sql, table) in lookups {
        let text = plan(&app, &mut conn, sql).await;
        let walks = match app.engine {
            Engine::Postgres => text.contains(&format!("Seq Scan on {table}")),
            // `SCAN t` walks a table, `SEARCH t USING …` looks rows up by key; the
            // aliases are the tables' first letters or names.
            Engine::Sqlite => text.lines().any(|l| {
                let l = l.trim_start_matches(['|', '`', '-', ' ']);
                l.starts_with("SCAN ")
            }),
        };
        assert!(!walks, "{sql}\nwalks {table}:\n{text}");
    }
}

/// A connection on which PostgreSQL avoids sequential scans wherever an index could
/// serve (so that on an empty table the plan shows whether a key path exists at all).
/// The setting dies with the connection: it is detached from the pool.
async fn no_scans(app: &TestApp) -> sqlx::AnyConnection {
    let mut conn = app.state.db.pool().acquire().await.unwrap().detach();
    if app.engine == Engine::Postgres {
        sqlx::raw_sql("SET enable_seqscan = off")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn
}

/// The plan of `sql` on `conn`, one line per step.
async fn plan(app: &TestApp, conn: &mut sqlx::AnyConnection, sql: &str) -> String {
    let (explain, column) = match app.engine {
        Engine::Postgres => (format!("EXPLAIN {sql}"), 0),
        Engine::Sqlite => (format!("EXPLAIN QUERY PLAN {sql}"), 3),
    };
    sqlx::query(sqlx::AssertSqlSafe(explain))
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(column))
        .collect::<Vec<_>>()
        .join("\n")
}
