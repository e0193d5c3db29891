//! Scheduled jobs: an occurrence runs exactly once however many claimers race for it,
//! on one process or two servers on one PostgreSQL; a run whose server is killed is
//! finished once by another; missed ticks run once; a disabled job never runs;
//! `GET /api/v1/jobs` is for system administrators; the CLI's exit codes.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use credgov::jobs::store::{self, Trigger};
use credgov::jobs::{Runner, registry};
use reqwest::StatusCode;
use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp, fresh_database, spawn_app_with};
use crate::crash::Server;

/// Due once a year (1 January, 00:00 in the configured zone): the due occurrence
/// stays the same for the whole test.
const YEARLY: &str = "0 0 1 1 *";
const HOUR_MS: i64 = 3_600_000;

fn housekeeping() -> &'static dyn credgov::jobs::Job {
    registry::find("housekeeping").expect("housekeeping is registered")
}

/// Housekeeping on `cron` (enabled or not); the daily scan off, so that a sweep runs
/// housekeeping only.
async fn app_with_cron(engine: Engine, cron: &'static str, enabled: bool) -> Option<TestApp> {
    spawn_app_with(engine, |c| {
        // These scenarios are about housekeeping alone: the other jobs stay off.
        for (name, s) in c.jobs.schedules.iter_mut() {
            if name != "housekeeping" {
                s.enabled = false;
            }
        }
        let s = c
            .jobs
            .schedules
            .get_mut("housekeeping")
            .expect("housekeeping configured");
        s.cron = cron.into();
        s.enabled = enabled;
    })
    .await
}

/// (state, attempts, owner, due_at) of every housekeeping occurrence, by due time.
async fn runs(pool: &sqlx::AnyPool) -> Vec<(String, i64, Option<String>, i64)> {
    sqlx::query(
        "SELECT state, attempts, owner, due_at FROM job_runs WHERE job = 'housekeeping' ORDER BY due_at",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get::<String, _>(0),
            r.get::<i64, _>(1),
            r.get::<Option<String>, _>(2),
            r.get::<i64, _>(3),
        )
    })
    .collect()
}

/// Like `both_engines!`, for scenarios that configure their own app or servers:
/// `async fn name(engine: Engine)`.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(crate::common::Engine::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(crate::common::Engine::Postgres).await;
            }
        }
    )*};
}

on_both_engines!(
    claim_is_exactly_once_under_many_concurrent_claimers,
    missed_ticks_run_once_at_start,
    disabled_job_never_runs,
    abandoned_run_is_finished_once_by_another_instance,
    killed_mid_run_the_occurrence_completes_once,
);
both_engines!(
    jobs_endpoint_is_for_sysadmins,
    daily_scan_job_records_findings_and_counts,
    housekeeping_prunes_old_notification_rows,
);

async fn claim_is_exactly_once_under_many_concurrent_claimers(engine: Engine) {
    let Some(app) = app_with_cron(engine, YEARLY, true).await else {
        return;
    };
    Runner::new(app.state.clone()).prepare().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let runner = Runner::new(app.state.clone());
        tasks.push(tokio::spawn(
            async move { runner.tick(housekeeping()).await },
        ));
    }
    let mut ran = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().is_some() {
            ran += 1;
        }
    }
    assert_eq!(ran, 1, "exactly one claimer runs the occurrence");
    let rows = runs(app.pool()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1),
        ("succeeded", 1),
        "{rows:?}"
    );
}

async fn missed_ticks_run_once_at_start(engine: Engine) {
    let Some(app) = app_with_cron(engine, "0 * * * *", true).await else {
        return;
    };
    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    let first = runner.tick(housekeeping()).await.unwrap().expect("runs");
    assert!(runner.tick(housekeeping()).await.unwrap().is_none());
    // Every server is down for five hours, then one starts.
    app.clock.advance_ms(5 * HOUR_MS);
    let restarted = Runner::new(app.state.clone());
    let report = restarted.tick(housekeeping()).await.unwrap().expect("runs");
    assert!(restarted.tick(housekeeping()).await.unwrap().is_none());
    let rows = runs(app.pool()).await;
    assert_eq!(rows.len(), 2, "one run for five missed ticks: {rows:?}");
    assert!(rows.iter().all(|r| r.0 == "succeeded"), "{rows:?}");
    let now = app.now();
    assert!(report.due_at > first.due_at + 4 * HOUR_MS && report.due_at <= now);
    assert!(now - report.due_at < HOUR_MS, "the latest missed tick runs");
}

async fn disabled_job_never_runs(engine: Engine) {
    let Some(app) = app_with_cron(engine, "* * * * * *", false).await else {
        return;
    };
    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    assert!(runner.tick_all().await.is_empty());
    let (s, v) = app.get("/api/v1/jobs", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let job = &v.as_array().unwrap()[0];
    assert_eq!(job["name"], "housekeeping");
    assert_eq!(job["enabled"], false);
    assert!(
        job["next_run_at"].is_null() && job["last_run"].is_null(),
        "{v}"
    );
    // Two hours later (the admin's session has idled out by then): still nothing.
    app.clock.advance_ms(2 * HOUR_MS);
    assert!(runner.tick_all().await.is_empty());
    let err = runner.run_now("housekeeping").await.unwrap_err();
    assert!(
        matches!(err, credgov::jobs::JobsError::Disabled(_)),
        "{err}"
    );
    assert!(runs(app.pool()).await.is_empty());
}

/// The in-process half of "kill -9 during a run": an owner that stopped renewing loses
/// the occurrence once its lease ran out; the next instance finishes it; the old owner's
/// late outcome is not recorded.
async fn abandoned_run_is_finished_once_by_another_instance(engine: Engine) {
    let Some(app) = app_with_cron(engine, YEARLY, true).await else {
        return;
    };
    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    let now = app.now();
    let due = app
        .state
        .config
        .jobs
        .schedule("housekeeping")
        .unwrap()
        .latest_due(now)
        .unwrap();
    let mut tx = app.state.db.begin_write().await.unwrap();
    assert!(store::lock_job(&mut tx, "housekeeping").await.unwrap());
    assert!(
        store::add_occurrence(&mut tx, "housekeeping", due, Trigger::Schedule, now)
            .await
            .unwrap()
    );
    let dead = store::claim_latest(&mut tx, "housekeeping", "dead-server", now, 60_000)
        .await
        .unwrap()
        .expect("claimed");
    tx.commit().await.unwrap();
    assert!(
        runner.tick(housekeeping()).await.unwrap().is_none(),
        "a live lease is respected"
    );
    app.clock.advance_ms(61_000);
    let report = runner
        .tick(housekeeping())
        .await
        .unwrap()
        .expect("taken over");
    assert_eq!(
        (report.run_id.as_str(), report.attempt),
        (dead.run_id.as_str(), 2)
    );
    let late = store::Outcome {
        state: store::RunState::Succeeded,
        finished_at: app.now(),
        duration_ms: 1,
        counts: &Default::default(),
        error: None,
    };
    assert!(
        !store::finish(&app.state.db, &dead.run_id, "dead-server", &late)
            .await
            .unwrap()
    );
    let rows = runs(app.pool()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1, rows[0].2.as_deref()),
        ("succeeded", 2, Some(runner.instance()))
    );
    assert!(runner.tick(housekeeping()).await.unwrap().is_none());
}

/// One job's entry in `GET /api/v1/jobs`, read by the sysadmin.
async fn job_status(app: &TestApp, name: &str) -> serde_json::Value {
    let (s, v) = app.get("/api/v1/jobs", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed: {v}"))
        .clone()
}

async fn jobs_endpoint_is_for_sysadmins(app: TestApp) {
    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    let report = runner.run_now("housekeeping").await.unwrap();
    assert_eq!(report.state, store::RunState::Succeeded);
    let job = job_status(&app, "housekeeping").await;
    assert_eq!(job["timezone"], "Asia/Shanghai");
    assert_eq!(job["cron"], "10 * * * *");
    assert!(job["next_run_at"].as_i64().unwrap() > app.now());
    let last = &job["last_run"];
    assert_eq!(last["outcome"], "succeeded", "{job}");
    assert_eq!(last["trigger"], "manual", "{job}");
    assert!(last["counts"]["sessions_deleted"].is_i64(), "{job}");
    assert!(last["duration_ms"].is_i64(), "{job}");
    for role in ["unit_admin", "supervisor", "auditor", "hr", "custodian"] {
        let user = app.user_with_role(&app.root_id, role).await;
        let (s, v) = app.get("/api/v1/jobs", &user.token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
        assert_eq!(v["error"]["code"], "forbidden");
    }
    let (s, _) = app
        .call(reqwest::Method::GET, "/api/v1/jobs", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// `credgov jobs run daily_scan` runs the inspection (an account without a custodian
/// is found) and `GET /api/v1/jobs` shows the scan's counts.
async fn daily_scan_job_records_findings_and_counts(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区档案馆", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            &admin.token,
            serde_json::json!({ "name": "档案馆公众号", "platform": "wechat_official",
                "login_name": "dag", "classification": "important", "generate": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let account = v["id"].as_str().unwrap().to_string();
    let env: Vec<(String, String)> = vec![
        (
            "CREDGOV_DATABASE_URL".into(),
            app.config.database_url.clone(),
        ),
        (
            "CREDGOV_MASTER_KEY_FILE".into(),
            app.config.master_key_file.display().to_string(),
        ),
        ("CREDGOV_LOG_LEVEL".into(), "warn".into()),
    ];
    let o = cli(&env, &["jobs", "run", "daily_scan"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("job daily_scan succeeded"),
        "{o:?}"
    );
    let state: Option<String> = sqlx::query_scalar(
        "SELECT state FROM findings WHERE rule = 'no_custodian' AND target_id = $1",
    )
    .bind(&account)
    .fetch_optional(app.pool())
    .await
    .unwrap();
    assert_eq!(state.as_deref(), Some("open"));

    let job = job_status(&app, "daily_scan").await;
    assert_eq!(job["cron"], "30 2 * * *");
    assert_eq!(job["enabled"], true);
    assert!(job["next_run_at"].as_i64().unwrap() > app.now());
    let last = &job["last_run"];
    assert_eq!(
        (&last["outcome"], &last["trigger"]),
        (
            &serde_json::json!("succeeded"),
            &serde_json::json!("manual")
        ),
        "{job}"
    );
    let counts = &last["counts"];
    assert_eq!(counts["open.no_custodian"], 1, "{job}");
    assert!(counts["opened"].as_i64().unwrap() >= 1, "{job}");
    assert!(counts["open"].as_i64().unwrap() >= 1, "{job}");
    assert_eq!(counts["resolved"], 0, "{job}");
}

// --- real server processes -------------------------------------------------------

fn cli(env: &[(String, String)], args: &[&str]) -> Output {
    Command::new(TestApp::binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("credgov runs")
}

/// Environment for servers whose housekeeping is due once a year and takes
/// `sleep_ms`, with a short lease and a 1 s sweep; the database is migrated and initialised.
async fn prepared_env(
    engine: Engine,
    dir: &std::path::Path,
    sleep_ms: u64,
    lease_seconds: u64,
) -> Option<(Vec<(String, String)>, String, Option<crate::common::PgDb>)> {
    let (url, guard) = fresh_database(engine, dir).await?;
    sqlx::any::install_default_drivers();
    let mut env = crate::common::binary_env(&url, &dir.join("master.key"), "error");
    env.extend([
        ("CREDGOV_JOBS__HOUSEKEEPING__CRON".into(), YEARLY.into()),
        ("CREDGOV_JOBS__DAILY_SCAN__ENABLED".into(), "false".into()),
        ("CREDGOV_JOBS__TEST_SLEEP_MS".into(), sleep_ms.to_string()),
        (
            "CREDGOV_JOBS__LEASE_SECONDS".into(),
            lease_seconds.to_string(),
        ),
        ("CREDGOV_JOBS__SWEEP_SECONDS".into(), "1".into()),
    ]);
    let o = cli(&env, &["migrate"]);
    assert!(o.status.success(), "{o:?}");
    crate::crash::init_database(&env, "Obsidian-Lantern-Fescue-73");
    Some((env, url, guard))
}

fn server(env: &[(String, String)]) -> Server {
    Server::on_free_port(env)
}

/// Polls until the housekeeping occurrence reaches `state` (30 s at most).
async fn wait_for_state(
    pool: &sqlx::AnyPool,
    state: &str,
) -> Vec<(String, i64, Option<String>, i64)> {
    for _ in 0..300 {
        let rows = runs(pool).await;
        if rows.iter().any(|r| r.0 == state) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no housekeeping run reached {state}: {:?}",
        runs(pool).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_run_an_occurrence_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some((env, url, _guard)) = prepared_env(Engine::Postgres, dir.path(), 1500, 3).await else {
        return;
    };
    let client = reqwest::Client::new();
    let mut a = server(&env);
    let mut b = server(&env);
    a.start();
    b.start();
    a.wait_ready(&client).await;
    b.wait_ready(&client).await;
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    wait_for_state(&pool, "succeeded").await;
    // Both servers keep sweeping every second; nothing runs it again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rows = runs(&pool).await;
    a.kill();
    b.kill();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1),
        ("succeeded", 1),
        "{rows:?}"
    );
    pool.close().await;
}

async fn killed_mid_run_the_occurrence_completes_once(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let Some((env, url, _guard)) = prepared_env(engine, dir.path(), 3000, 8).await else {
        return;
    };
    let client = reqwest::Client::new();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut first = server(&env);
    first.start();
    first.wait_ready(&client).await;
    let running = wait_for_state(&pool, "running").await;
    let first_owner = running[0].2.clone();
    first.kill(); // SIGKILL in the middle of the 3 s run
    // While it was held, the CLI refuses to run the job a second time.
    let o = cli(&env, &["jobs", "run", "housekeeping"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("running right now"),
        "{o:?}"
    );
    let mut second = server(&env);
    second.start();
    second.wait_ready(&client).await;
    let rows = wait_for_state(&pool, "succeeded").await;
    second.kill();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1),
        ("succeeded", 2),
        "{rows:?}"
    );
    assert_ne!(rows[0].2, first_owner, "another instance finished it");
    // The CLI: list shows the run; an unknown job is exit code 3.
    let o = cli(&env, &["jobs", "list"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("housekeeping") && out.contains("last run: succeeded"),
        "{out}"
    );
    let o = cli(&env, &["jobs", "run", "no_such_job"]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    pool.close().await;
}

/// Delivered outbox rows go after 90 days (failed ones stay for a sysadmin), read inbox
/// rows and notice marks after 400 days; anything younger, or unread, stays.
async fn housekeeping_prunes_old_notification_rows(app: TestApp) {
    let now = app.now();
    let day = 24 * HOUR_MS;
    let outbox = |id: &str, state: &str, at: i64| {
        sqlx::query(
            "INSERT INTO outbox (id, kind, unit_id, channel, title, body, html, data, mentions, \
             state, next_attempt_at, delivered_at, created_at) \
             VALUES ($1, 'channel_test', $2, 'webhook', 't', 'b', 'h', '{}', '{}', $3, $4, $5, $4)",
        )
        .bind(id.to_string())
        .bind(app.root_id.clone())
        .bind(state.to_string())
        .bind(at)
        .bind((state == "delivered").then_some(at))
    };
    for (id, state, at) in [
        ("old-delivered", "delivered", now - 91 * day),
        ("new-delivered", "delivered", now - 89 * day),
        ("old-failed", "failed", now - 500 * day),
    ] {
        outbox(id, state, at).execute(app.pool()).await.unwrap();
    }
    let admin_id: String = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(crate::common::ADMIN)
        .fetch_one(app.pool())
        .await
        .unwrap();
    for (id, read_at) in [
        ("old-read", Some(now - 401 * day)),
        ("new-read", Some(now - 399 * day)),
        ("old-unread", None),
    ] {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, unit_id, kind, title, body, data, created_at, read_at) \
             VALUES ($1, $2, $3, 'channel_test', 't', 'b', '{}', $4, $5)",
        )
        .bind(id)
        .bind(&admin_id)
        .bind(&app.root_id)
        .bind(now - 500 * day)
        .bind(read_at)
        .execute(app.pool())
        .await
        .unwrap();
    }
    for (mark, at) in [("old-mark", now - 401 * day), ("new-mark", now - 399 * day)] {
        sqlx::query("INSERT INTO notice_marks (mark, created_at) VALUES ($1, $2)")
            .bind(mark)
            .bind(at)
            .execute(app.pool())
            .await
            .unwrap();
    }
    let runner = Runner::new(app.state.clone());
    runner.prepare().await.unwrap();
    let report = runner.run_now("housekeeping").await.unwrap();
    assert_eq!(report.state, store::RunState::Succeeded);
    let pool = app.pool().clone();
    let ids = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let mut v: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            v.sort();
            v
        }
    };
    assert_eq!(
        ids("SELECT id FROM outbox").await,
        ["new-delivered", "old-failed"]
    );
    assert_eq!(
        ids("SELECT id FROM notifications").await,
        ["new-read", "old-unread"]
    );
    assert_eq!(ids("SELECT mark FROM notice_marks").await, ["new-mark"]);
    let job = job_status(&app, "housekeeping").await;
    let counts = &job["last_run"]["counts"];
    assert_eq!(
        (
            counts["outbox_delivered_deleted"].as_i64(),
            counts["notifications_read_deleted"].as_i64(),
            counts["notice_marks_deleted"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{job}"
    );
}
