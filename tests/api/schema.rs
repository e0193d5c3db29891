//! The schema's plans that matter at any size: a foreign-key check on `accounts` is one
//! key lookup even before the table has statistics (migration 0026).

use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp};

both_engines!(an_account_key_check_is_one_lookup_on_a_new_database);

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
