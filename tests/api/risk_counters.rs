//! The per-unit risk counters the database triggers keep (`src/db/counters/`): after a
//! mix of writes — accounts created through the API and imported, one suspended, scans
//! opening findings, a rotation and a custodian resolving some, raw SQL moving and
//! deleting rows — they equal a fresh recount; the daily scan job repairs a counter
//! that drifted (logging the unit) and the ranking reads the counters; concurrent
//! writers changing one unit's counts lose no update.

use std::collections::BTreeMap;
use std::time::Duration;

use credgov::authz::AuthContext;
use credgov::jobs::Runner;
use credgov::vault::import::{FileKind, ImportOpts, import_accounts, parse_bytes};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, captured_logs};
use crate::inspection::{DAY, scan};

both_engines!(
    counters_equal_a_recount_after_every_kind_of_write,
    the_daily_job_repairs_drift_and_the_ranking_reads_the_counters,
    concurrent_writers_to_one_unit_lose_no_count,
);

type Counts = BTreeMap<Vec<String>, i64>;

/// `(key…) → n` of a query returning text keys and a BIGINT `n`, zeros left out.
async fn counts(app: &TestApp, sql: &str, keys: usize) -> Counts {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let key = (0..keys).map(|i| r.get::<String, _>(i)).collect();
            (key, r.get::<i64, _>(keys))
        })
        .filter(|(_, n)| *n != 0)
        .collect()
}

/// What the counters hold and what a recount of the live rows gives: (accounts, findings).
async fn kept_and_counted(app: &TestApp) -> ((Counts, Counts), (Counts, Counts)) {
    let kept = (
        counts(app, "SELECT unit_id, status, n FROM unit_account_counts", 2).await,
        counts(
            app,
            "SELECT unit_id, rule, severity, n FROM unit_finding_counts",
            3,
        )
        .await,
    );
    let counted = (
        counts(
            app,
            "SELECT unit_id, status, COUNT(*) FROM accounts GROUP BY unit_id, status",
            2,
        )
        .await,
        counts(
            app,
            "SELECT unit_id, rule, severity, COUNT(*) FROM findings WHERE state = 'open' \
             GROUP BY unit_id, rule, severity",
            3,
        )
        .await,
    );
    (kept, counted)
}

/// The counters equal a recount; returns the recount.
async fn assert_exact(app: &TestApp, after: &str) -> (Counts, Counts) {
    let (kept, counted) = kept_and_counted(app).await;
    assert_eq!(
        kept, counted,
        "counters after {after} (left: kept, right: live)"
    );
    counted
}

fn n(c: &Counts, key: &[&str]) -> i64 {
    let key: Vec<String> = key.iter().map(|s| s.to_string()).collect();
    c.get(&key).copied().unwrap_or(0)
}

async fn account(app: &TestApp, unit: &str, token: &str, name: &str, pw: Option<&str>) -> String {
    let mut body =
        json!({ "name": name, "platform": "weibo", "login_name": name, "classification": "core" });
    match pw {
        Some(p) => body["password"] = json!(p),
        None => body["generate"] = json!(true),
    }
    let (s, v) = app
        .post(&format!("/api/v1/units/{unit}/accounts"), token, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// A bare account row written with raw SQL (no versions: free to move and delete).
async fn raw_account(app: &TestApp, unit: &str, id: &str, status: &str) {
    sqlx::query(
        "INSERT INTO accounts (unit_id, id, name, platform, login_name, classification, status, \
         created_at, updated_at) VALUES ($1, $2, $2, 'weibo', $2, 'general', $3, $4, $4)",
    )
    .bind(unit)
    .bind(id)
    .bind(status)
    .bind(app.now())
    .execute(app.pool())
    .await
    .unwrap();
}

/// A bare finding row about `target`, severity as its rule defines it.
async fn raw_finding(app: &TestApp, unit: &str, id: &str, rule: &str, target: &str, state: &str) {
    let severity = credgov::inspection::Rule::parse(rule)
        .unwrap()
        .def()
        .severity;
    sqlx::query(
        "INSERT INTO findings (unit_id, id, rule, target_kind, target_id, severity, details, \
         state, first_seen, last_seen) VALUES ($1, $2, $3, 'account', $4, $5, '{}', $6, $7, $7)",
    )
    .bind(unit)
    .bind(id)
    .bind(rule)
    .bind(target)
    .bind(severity.as_str())
    .bind(state)
    .bind(app.now())
    .execute(app.pool())
    .await
    .unwrap();
}

async fn exec(app: &TestApp, sql: &str, binds: &[&str]) -> u64 {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for b in binds {
        q = q.bind(b.to_string());
    }
    q.execute(app.pool()).await.unwrap().rows_affected()
}

async fn counters_equal_a_recount_after_every_kind_of_write(app: TestApp) {
    let a = app.create_unit(&app.root_id, "甲局", "department").await;
    let a1 = app.create_unit(&a, "甲局一科", "other").await;
    let b = app.create_unit(&app.root_id, "乙局", "department").await;
    let mut admin = app.user_with_role(&a, "unit_admin").await;
    assert_exact(&app, "start").await;

    const SHARED: &str = "Harbor-Quartz-Lantern-5813!";
    let x = account(&app, &a, &admin.token, "甲局微博", Some(SHARED)).await;
    let y = account(&app, &a1, &admin.token, "一科微博", Some(SHARED)).await;
    let z = account(&app, &a1, &admin.token, "一科抖音", None).await;
    let c = assert_exact(&app, "creating accounts").await;
    assert_eq!(n(&c.0, &[&a, "active"]), 1);
    assert_eq!(n(&c.0, &[&a1, "active"]), 2);

    let (s, v) = app
        .patch(
            &format!("/api/v1/accounts/{z}"),
            &admin.token,
            json!({ "status": "suspended" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let c = assert_exact(&app, "suspending one").await;
    assert_eq!(n(&c.0, &[&a1, "active"]), 1);
    assert_eq!(n(&c.0, &[&a1, "suspended"]), 1);

    // Findings: reuse and no custodian; x's password past its maximum age.
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2 AND state = 'current'")
        .bind(400 * DAY)
        .bind(&x)
        .execute(app.pool())
        .await
        .unwrap();
    scan(&app).await;
    let c = assert_exact(&app, "the first scan").await;
    assert_eq!(n(&c.1, &[&a, "reused_password", "high"]), 1, "{c:?}");
    assert_eq!(n(&c.1, &[&a1, "reused_password", "high"]), 1, "{c:?}");
    assert_eq!(n(&c.1, &[&a, "rotation_overdue", "high"]), 1, "{c:?}");
    assert!(n(&c.1, &[&a, "no_custodian", "medium"]) >= 1, "{c:?}");
    app.clock.advance_ms(DAY);
    scan(&app).await;
    assert_exact(&app, "a rescan").await;
    admin.token = app.login(&admin).await;

    // A rotation resolves x's overdue and reused findings in its own transaction.
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{x}/rotations"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/rotations/{}/confirm",
                r["rotation_id"].as_str().unwrap()
            ),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let c = assert_exact(&app, "a rotation").await;
    assert_eq!(n(&c.1, &[&a, "rotation_overdue", "high"]), 0, "{c:?}");
    assert_eq!(n(&c.1, &[&a1, "reused_password", "high"]), 0, "{c:?}");

    // A custodian resolves y's no_custodian.
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{y}/custodians"),
            &admin.token,
            json!({ "user_id": admin.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_exact(&app, "adding a custodian").await;

    // Bulk import into b (multi-row INSERTs in one transaction), then a scan.
    let csv = "名称,平台,登录名,密码,级别\n\
               乙局公众号,微信公众号,yj_wx,Violet-Harbor-Quartz-91,核心\n\
               乙局微博,微博,yj_wb,Osmanthus-Ridge-Lantern-47,一般\n\
               乙局抖音,抖音,yj_dy,Cobalt^Meadow^Tundra^58,一般\n";
    let parsed = parse_bytes(csv.as_bytes(), FileKind::Csv).unwrap();
    let opts = ImportOpts {
        dry_run: false,
        progress: false,
        file_name: Some("counters.csv".into()),
        format: Some("CSV".into()),
        meta: Default::default(),
    };
    let report = import_accounts(
        &app.state,
        &AuthContext::operator(),
        &credgov::ids::UnitId::new(b.as_str()),
        parsed.rows,
        &opts,
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 3);
    let c = assert_exact(&app, "an import").await;
    assert_eq!(n(&c.0, &[&b, "active"]), 3);
    scan(&app).await;
    let c = assert_exact(&app, "scanning the import").await;
    assert_eq!(n(&c.1, &[&b, "no_custodian", "medium"]), 3, "{c:?}");

    // Raw SQL (bare rows, which nothing else refers to): rows moved between units,
    // a status, a severity and states changed, rows deleted.
    raw_account(&app, &a, "raw-1", "active").await;
    raw_account(&app, &a, "raw-2", "closed").await;
    raw_finding(&app, &a, "rf-1", "no_custodian", "raw-1", "open").await;
    raw_finding(&app, &a, "rf-2", "weak_password", "raw-2", "open").await;
    raw_finding(&app, &a, "rf-3", "rotation_due", "raw-1", "resolved").await;
    let before = assert_exact(&app, "raw inserts").await;
    exec(
        &app,
        "UPDATE accounts SET unit_id = $1 WHERE id = 'raw-1'",
        &[&b],
    )
    .await;
    exec(
        &app,
        "UPDATE accounts SET status = 'active' WHERE id = 'raw-2'",
        &[],
    )
    .await;
    exec(
        &app,
        "UPDATE findings SET unit_id = $1 WHERE id = 'rf-1'",
        &[&b],
    )
    .await;
    exec(
        &app,
        "UPDATE findings SET severity = 'veto' WHERE id = 'rf-2'",
        &[],
    )
    .await;
    exec(
        &app,
        "UPDATE findings SET state = 'open' WHERE id = 'rf-3'",
        &[],
    )
    .await;
    let c = assert_exact(&app, "moving and changing rows").await;
    assert_eq!(n(&c.0, &[&b, "active"]), 4, "{c:?}");
    assert_eq!(n(&c.0, &[&a, "active"]), 2, "{c:?}");
    assert_eq!(n(&c.0, &[&a, "closed"]), 0, "{c:?}");
    let medium = n(&before.1, &[&b, "no_custodian", "medium"]);
    assert_eq!(n(&c.1, &[&b, "no_custodian", "medium"]), medium + 1);
    assert_eq!(n(&c.1, &[&a, "weak_password", "veto"]), 1, "{c:?}");
    assert_eq!(n(&c.1, &[&a, "rotation_due", "low"]), 1, "{c:?}");
    exec(
        &app,
        "UPDATE findings SET state = 'resolved' WHERE id = 'rf-1'",
        &[],
    )
    .await;
    exec(
        &app,
        "DELETE FROM findings WHERE id IN ('rf-1', 'rf-2')",
        &[],
    )
    .await;
    exec(
        &app,
        "DELETE FROM accounts WHERE id IN ('raw-1', 'raw-2')",
        &[],
    )
    .await;
    // An update of no counted column changes nothing.
    exec(&app, "UPDATE findings SET last_seen = last_seen + 1", &[]).await;
    let c = assert_exact(&app, "resolving and deleting").await;
    assert_eq!(n(&c.1, &[&a, "weak_password", "veto"]), 0, "{c:?}");
    assert_eq!(n(&c.1, &[&b, "no_custodian", "medium"]), medium);
    assert_eq!(n(&c.0, &[&b, "active"]), 3);

    // Nothing for the safety net to do.
    let drifts = credgov::db::counters::repair(&app.state.db).await.unwrap();
    assert!(drifts.is_empty(), "{drifts:?}");
}

fn ranked<'a>(page: &'a Value, unit: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_id"] == unit)
        .unwrap_or_else(|| panic!("{unit} is ranked: {page}"))
}

async fn the_daily_job_repairs_drift_and_the_ranking_reads_the_counters(app: TestApp) {
    let a = app.create_unit(&app.root_id, "丙局", "department").await;
    let admin = app.user_with_role(&a, "unit_admin").await;
    account(&app, &a, &admin.token, "丙局微博", None).await;
    account(&app, &a, &admin.token, "丙局抖音", None).await;
    scan(&app).await;
    let (_, counted) = kept_and_counted(&app).await;
    assert_eq!(n(&counted.1, &[&a, "no_custodian", "medium"]), 2);

    // Drift: two accounts too many, the open findings lost.
    exec(
        &app,
        "UPDATE unit_account_counts SET n = n + 2 WHERE unit_id = $1 AND status = 'active'",
        &[&a],
    )
    .await;
    exec(
        &app,
        "DELETE FROM unit_finding_counts WHERE unit_id = $1",
        &[&a],
    )
    .await;
    let url = format!("/api/v1/risk/units?under={}", app.root_id);
    let (s, page) = app.get(&url, &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let row = ranked(&page, &a);
    assert_eq!(row["accounts"], 4, "the ranking reads the counters: {row}");
    assert_eq!(row["counts"]["medium"], 0, "{row}");

    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    let report = runner.run_now("daily_scan").await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!(
        report.counts.get("risk_counters_repaired"),
        Some(&2),
        "{:?}",
        report.counts
    );
    let (kept, counted) = kept_and_counted(&app).await;
    assert_eq!(kept, counted, "repaired");
    let (s, page) = app.get(&url, &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let row = ranked(&page, &a);
    assert_eq!(row["accounts"], 2, "{row}");
    assert_eq!(row["counts"]["medium"], 2, "{row}");

    // Each repair is a warning naming the unit and the counter, nothing more.
    let logs = captured_logs();
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("risk counter drifted") && l.contains(&a))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("no_custodian/medium")));
    assert!(warnings.iter().all(|w| w.contains("WARN")), "{warnings:?}");

    // A second run finds nothing to repair.
    app.clock.advance_ms(DAY);
    let report = runner.run_now("daily_scan").await.unwrap();
    assert_eq!(report.counts.get("risk_counters_repaired"), Some(&0));
}

async fn concurrent_writers_to_one_unit_lose_no_count(app: TestApp) {
    let u = app.create_unit(&app.root_id, "丁局", "department").await;
    raw_account(&app, &u, "c-0", "active").await;
    let db = app.state.db.clone();

    // Two transactions on one counter row: the second waits for the first (its row
    // lock on PostgreSQL, the write lock on SQLite), then adds to what it committed.
    let now = app.now();
    let insert = "INSERT INTO accounts (unit_id, id, name, platform, login_name, \
                  classification, status, created_at, updated_at) \
                  VALUES ($1, $2, $2, 'weibo', $2, 'general', 'active', $3, $3)";
    let finding = "INSERT INTO findings (unit_id, id, rule, target_kind, target_id, severity, \
                   details, state, first_seen, last_seen) \
                   VALUES ($1, $2, 'no_custodian', 'account', $3, 'medium', '{}', 'open', $4, $4)";
    let mut first = db.begin_write().await.unwrap();
    sqlx::query(insert)
        .bind(&u)
        .bind("c-1")
        .bind(now)
        .execute(&mut *first)
        .await
        .unwrap();
    sqlx::query(finding)
        .bind(&u)
        .bind("cf-1")
        .bind("c-1")
        .bind(now)
        .execute(&mut *first)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET status = 'suspended' WHERE id = 'c-0'")
        .execute(&mut *first)
        .await
        .unwrap();
    let second = {
        let (db, u) = (db.clone(), u.clone());
        tokio::spawn(async move {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query(insert)
                .bind(&u)
                .bind("c-2")
                .bind(now)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query(finding)
                .bind(&u)
                .bind("cf-2")
                .bind("c-2")
                .bind(now)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second writer waits for the first"
    );
    first.commit().await.unwrap();
    second.await.unwrap();
    let c = assert_exact(&app, "two interleaved writers").await;
    assert_eq!(n(&c.0, &[&u, "active"]), 2, "{c:?}");
    assert_eq!(n(&c.0, &[&u, "suspended"]), 1, "{c:?}");
    assert_eq!(n(&c.1, &[&u, "no_custodian", "medium"]), 2, "{c:?}");

    // Many writers at once, each adding accounts and findings in its own transactions.
    let mut tasks = Vec::new();
    for w in 0..6 {
        let (db, u) = (db.clone(), u.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let id = format!("w{w}-{i}");
                let mut tx = db.begin_write().await.unwrap();
                sqlx::query(insert)
                    .bind(&u)
                    .bind(&id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query(finding)
                    .bind(&u)
                    .bind(format!("f-{id}"))
                    .bind(&id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let c = assert_exact(&app, "six concurrent writers").await;
    assert_eq!(n(&c.0, &[&u, "active"]), 62, "{c:?}");
    assert_eq!(n(&c.1, &[&u, "no_custodian", "medium"]), 62, "{c:?}");
}
