//! Shared set-up for the benchmarks: a real service on port 0 (release build, default
//! argon2id parameters) on SQLite or PostgreSQL, with an initialised sysadmin who has
//! enrolled TOTP.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use credgov::app::AppState;
use credgov::clock::{Clock, SystemClock};
use credgov::config::Config;
use serde_json::{Value, json};

pub const ADMIN_PW: &str = "Bench-Admin-Quartz-Meadow-17";

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub struct Harness {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub admin_token: String,
    pub root_id: String,
    _dir: tempfile::TempDir,
}

pub async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

impl Harness {
    pub async fn start(url: Option<String>) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            database_url: url
                .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display())),
            master_key_file: dir.path().join("master.key"),
            log_level: "error".into(),
            // Benches may speak for many clients with X-Forwarded-For.
            trusted_proxies: vec![std::net::IpAddr::from([127, 0, 0, 1])],
            ..Config::default()
        };
        let state = AppState::start(config, Arc::new(SystemClock))
            .await
            .expect("start");
        let (root, _, _) = credgov::identity::create_first_admin(
            &state,
            "基准测试区",
            "bench-admin",
            Some(zeroize::Zeroizing::new(ADMIN_PW.into())),
        )
        .await
        .expect("init");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(credgov::server::serve(
            state.clone(),
            listener,
            std::future::pending(),
        ));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .expect("client");
        let mut h = Harness {
            base,
            client,
            state,
            admin_token: String::new(),
            root_id: root.id.into_string(),
            _dir: dir,
        };
        h.admin_token = h.login_enrolled("bench-admin", ADMIN_PW).await;
        h
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        post(&self.client, self.url(path), Some(token), body).await
    }

    /// Logs in a user whose role requires TOTP, enrols, returns a full session token.
    pub async fn login_enrolled(&self, username: &str, password: &str) -> String {
        login_enrolled(&self.client, &self.base, username, password).await
    }

    /// A user with `role` on `unit`, logged in.
    pub async fn user(&self, unit: &str, username: &str, password: &str, role: &str) -> String {
        let (s, u) = self
            .post("/api/v1/users", &self.admin_token, json!({ "username": username, "display_name": username, "password": password, "unit_id": unit }))
            .await;
        assert_eq!(s, 201, "{u}");
        let (s, _) = self
            .post(
                &format!("/api/v1/units/{unit}/members"),
                &self.admin_token,
                json!({ "user_id": u["id"], "role": role }),
            )
            .await;
        assert_eq!(s, 201);
        self.login_enrolled(username, password).await
    }
}

/// Logs in at `base`, enrols TOTP, returns a full session token.
pub async fn login_enrolled(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> String {
    let (_, v) = post(
        client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({ "username": username, "password": password }),
    )
    .await;
    let token = v["token"].as_str().expect("token").to_string();
    let (_, e) = post(
        client,
        format!("{base}/api/v1/auth/totp/enroll"),
        Some(&token),
        json!({}),
    )
    .await;
    let code =
        credgov::identity::code_at(e["secret"].as_str().expect("secret"), SystemClock.now_ms())
            .expect("code");
    let (s, _) = post(
        client,
        format!("{base}/api/v1/auth/totp/confirm"),
        Some(&token),
        json!({ "code": code }),
    )
    .await;
    assert_eq!(s, 204);
    token
}

/// `BINARY init --admin ADMIN --password-stdin` with `env` (a `credgov` child process
/// for the benches that run the real binary); panics unless it succeeds.
pub fn init_database(binary: &str, env: &[(String, String)], admin: &str, password: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut init = Command::new(binary)
        .args(["init", "--admin", admin, "--password-stdin"])
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("credgov init runs");
    if let Some(mut stdin) = init.stdin.take() {
        stdin.write_all(password.as_bytes()).expect("password");
    }
    assert!(init.wait().expect("init").success(), "credgov init failed");
}

/// A fresh PostgreSQL database for a benchmark, from `CREDGOV_TEST_DATABASE_URL`.
pub async fn pg_url(tag: &str) -> Option<String> {
    let admin = std::env::var("CREDGOV_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let name = format!("credgov_bench_{tag}_{}", std::process::id());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&pool)
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .ok()?;
    pool.close().await;
    let cut = admin.rfind('/')?;
    Some(format!("{}/{name}", &admin[..cut]))
}
