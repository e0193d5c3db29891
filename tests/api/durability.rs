//! Which commits wait for the disk: every write transaction does, except the relaxed
//! ones a login uses for its attempt slots and its new session (`Db::begin_write_relaxed`),
//! and the relaxed setting never outlives its own transaction.

use sqlx::Row;

use crate::both_engines;
use crate::common::{ADMIN, ADMIN_PASSWORD, Engine, TestApp};

both_engines!(
    only_relaxed_transactions_skip_the_disk_sync,
    every_connection_gets_the_session_settings
);

/// The synchronous setting as the transaction's connection sees it.
async fn sync_setting(app: &TestApp, tx: &mut credgov::db::Tx) -> String {
    let sql = match app.engine {
        Engine::Postgres => "SELECT current_setting('synchronous_commit')",
        Engine::Sqlite => "SELECT CAST(synchronous AS TEXT) FROM pragma_synchronous",
    };
    sqlx::query(sql)
        .fetch_one(&mut **tx)
        .await
        .unwrap()
        .get::<String, _>(0)
}

async fn only_relaxed_transactions_skip_the_disk_sync(app: TestApp) {
    // PostgreSQL `off` / `on`; SQLite NORMAL (1) / FULL (2).
    let (relaxed, durable) = match app.engine {
        Engine::Postgres => ("off", "on"),
        Engine::Sqlite => ("1", "2"),
    };
    let db = &app.state.db;
    for round in 0..3 {
        let mut tx = db.begin_write_relaxed().await.unwrap();
        assert_eq!(sync_setting(&app, &mut tx).await, relaxed, "round {round}");
        tx.commit().await.unwrap();
        // Whichever pooled connection comes next, its transaction is durable.
        let mut tx = db.begin_write().await.unwrap();
        assert_eq!(sync_setting(&app, &mut tx).await, durable, "round {round}");
        tx.commit().await.unwrap();
    }
    // A login (which commits relaxed twice) leaves the pool durable too, and its
    // session, written on the relaxed connection, is seen at once on the others.
    let code = app.fresh_code(&app.admin_totp);
    let (s, body) = app.login_raw(ADMIN, ADMIN_PASSWORD, Some(&code)).await;
    assert_eq!(s, 200, "{body}");
    let token = body["token"].as_str().unwrap();
    let (s, me) = app.get("/api/v1/me", token).await;
    assert_eq!(s, 200, "{me}");
    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(sync_setting(&app, &mut tx).await, durable);
}

/// Every pooled connection, several at once and the relaxed one, runs with the
/// engine's session settings: PostgreSQL without JIT compilation (it cost the daily
/// scan 20 ms and more per statement), SQLite with foreign keys enforced.
async fn every_connection_gets_the_session_settings(app: TestApp) {
    let (sql, want) = match app.engine {
        Engine::Postgres => ("SELECT current_setting('jit')", "off"),
        Engine::Sqlite => (
            "SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys",
            "1",
        ),
    };
    let db = &app.state.db;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(db.pool().acquire().await.unwrap());
    }
    for (i, conn) in held.iter_mut().enumerate() {
        let got: String = sqlx::query(sql)
            .fetch_one(&mut **conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(got, want, "pooled connection {i}");
    }
    drop(held);
    let mut tx = db.begin_write_relaxed().await.unwrap();
    let got: String = sqlx::query(sql).fetch_one(&mut *tx).await.unwrap().get(0);
    assert_eq!(got, want, "the relaxed connection");
}
