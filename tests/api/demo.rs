//! `credgov serve --demo`: on an empty database it builds the sample district, prints
//! the demo users and serves it; the audit trail verifies; a second `--demo` on the now
//! filled database is refused with one sentence and changes nothing.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::cli::{run, text};
use crate::common::{Engine, TestApp, binary_env, fresh_database};
use crate::crash::{call, login_enrolled};

/// Kills the demo server however the test ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// What the table printed for `username`: its password (the last cell).
fn password_of(out: &str, username: &str) -> String {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{username} ")))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("{username} is not in the printout:\n{out}"))
        .to_string()
}

async fn get(client: &reqwest::Client, base: &str, path: &str, token: &str) -> Value {
    let r = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0)
}

/// Rows of the tables a second `--demo` must leave alone.
async fn footprint(pool: &sqlx::AnyPool) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "units",
        "users",
        "memberships",
        "accounts",
        "credential_versions",
        "findings",
        "handovers",
        "audit_events",
        "risk_snapshots",
    ] {
        out.push(count(pool, &format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

async fn demo_scenario(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _guard)) = fresh_database(engine, dir.path()).await else {
        return;
    };
    let env = binary_env(&url, &dir.path().join("master.key"), "warn");
    let addr = free_addr();
    let out_path = dir.path().join("demo.out");
    let child = Command::new(TestApp::binary())
        .args(["serve", "--demo", "--listen", &addr])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(dir.path().join("demo.err")).unwrap())
        .spawn()
        .expect("credgov serve --demo starts");
    let mut server = Serving(child);
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    // The district is built before the first request is answered.
    let mut ready = false;
    for _ in 0..1200 {
        if let Some(status) = server.0.try_wait().unwrap() {
            let err = std::fs::read_to_string(dir.path().join("demo.err")).unwrap_or_default();
            panic!("serve --demo exited with {status}: {err}");
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "the demo server did not answer within 5 minutes");
    let out = std::fs::read_to_string(&out_path).unwrap();
    assert!(out.contains("DEMO DATA"), "{out}");
    assert!(
        out.contains("enrol"),
        "the printout says how to sign in: {out}"
    );
    for role in [
        "sysadmin",
        "supervisor",
        "unit_admin",
        "custodian",
        "hr 人事",
        "auditor",
    ] {
        assert!(
            out.contains(role),
            "{role} missing from the printout:\n{out}"
        );
    }

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let units = count(&pool, "SELECT COUNT(*) FROM units").await;
    assert!((28..=34).contains(&units), "{units} units");
    let accounts = count(&pool, "SELECT COUNT(*) FROM accounts").await;
    assert!((280..=320).contains(&accounts), "{accounts} accounts");
    let roles = count(&pool, "SELECT COUNT(DISTINCT role) FROM memberships").await;
    assert_eq!(roles, 6, "every role is held by someone");
    for rule in [
        "weak_password",
        "reused_password",
        "rotation_overdue",
        "rotation_pending_stale",
        "content_stale",
        "zombie_account",
        "no_custodian",
    ] {
        let n = count(
            &pool,
            &format!("SELECT COUNT(*) FROM findings WHERE state = 'open' AND rule = '{rule}'"),
        )
        .await;
        assert!(n > 0, "no open {rule} finding");
    }
    let live = count(
        &pool,
        "SELECT COUNT(*) FROM rectifications WHERE closed_at IS NULL",
    )
    .await;
    assert!(live > 0, "no live rectification item");
    let days = count(&pool, "SELECT COUNT(DISTINCT day) FROM risk_snapshots").await;
    assert!(days >= 30, "{days} days of risk snapshots");
    let case: String = sqlx::query("SELECT id FROM handovers")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);

    // The successor (a custodian: no second factor needed to read) finds the case
    // waiting for them.
    let (s, v) = call(
        &client,
        &base,
        "/api/v1/auth/login",
        None,
        serde_json::json!({ "username": "wuting", "password": password_of(&out, "wuting") }),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let h = get(&client, &base, &format!("/api/v1/handovers/{case}"), &token).await;
    assert_eq!(h["state"], "awaiting_acknowledgement", "{h}");
    assert_eq!(h["leaver"]["username"], "zhouxu");

    // The district supervisor signs in (enrolling TOTP) and sees a ranking with changes
    // and a month of trend.
    let token = login_enrolled(&client, &base, "zhangjian", &password_of(&out, "zhangjian")).await;
    let ranking = get(&client, &base, "/api/v1/risk/units?limit=100", &token).await;
    let rows = ranking["items"].as_array().unwrap();
    assert!(rows.len() >= 20, "{ranking}");
    assert!(rows.iter().any(|r| !r["change"].is_null()), "{ranking}");
    assert!(
        rows.iter().any(|r| r["veto"] == true),
        "a silent account fails its unit"
    );
    let root: String = sqlx::query("SELECT id FROM units WHERE parent_id IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    let trend = get(
        &client,
        &base,
        &format!("/api/v1/risk/trend?unit_id={root}&days=90"),
        &token,
    )
    .await;
    assert!(trend["points"].as_array().unwrap().len() >= 30, "{trend}");
    drop(server);

    let o = run(&env, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A second --demo is refused with one sentence and writes nothing.
    let before = footprint(&pool).await;
    let o = run(&env, &["serve", "--demo", "--listen", &free_addr()], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("credgov:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("credgov: the database already holds data"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("DEMO DATA"));
    assert_eq!(
        footprint(&pool).await,
        before,
        "the refusal changed nothing"
    );
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sqlite() {
    demo_scenario(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_postgres() {
    demo_scenario(Engine::Postgres).await;
}
