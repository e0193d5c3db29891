//! Never lose a password: the real binary is killed with SIGKILL at random moments of
//! rotate/confirm loops, restarted, and every account is checked: it has exactly one
//! current version that opens, every confirmed rotation survived, and a pending value
//! (if any) is still retrievable.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Engine, TestApp, fresh_database};

const TRIALS: usize = 20;
const ACCOUNTS: usize = 3;

/// A `credgov serve` child process (also used by the scheduler tests).
pub(crate) struct Server {
    pub(crate) env: Vec<(String, String)>,
    pub(crate) addr: String,
    pub(crate) child: Option<Child>,
}

impl Server {
    /// A server (not started yet) with `env`, on a free port of 127.0.0.1.
    pub(crate) fn on_free_port(env: &[(String, String)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server {
            env: env.to_vec(),
            addr: format!("127.0.0.1:{port}"),
            child: None,
        }
    }

    pub(crate) fn start(&mut self) {
        let child = Command::new(TestApp::binary())
            .args(["serve", "--listen", &self.addr])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("credgov serve starts");
        self.child = Some(child);
    }

    pub(crate) async fn wait_ready(&self, client: &reqwest::Client) {
        for _ in 0..600 {
            if let Ok(r) = client
                .get(format!("http://{}/readyz", self.addr))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become ready within 30 s");
    }

    /// The running child's process id (deliverer lease owners start with it).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) async fn call(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let mut req = client.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    let s = r.status();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

fn now_ms() -> i64 {
    credgov::clock::Clock::now_ms(&credgov::clock::SystemClock)
}

/// Logs in a user who must enrol TOTP and enrols; returns a full session token.
pub(crate) async fn login_enrolled(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> String {
    let (s, v) = call(
        client,
        base,
        "/api/v1/auth/login",
        None,
        json!({ "username": user, "password": password }),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (_, e) = call(
        client,
        base,
        "/api/v1/auth/totp/enroll",
        Some(&token),
        json!({}),
    )
    .await
    .unwrap();
    let code = credgov::identity::code_at(e["secret"].as_str().unwrap(), now_ms()).unwrap();
    let (s, _) = call(
        client,
        base,
        "/api/v1/auth/totp/confirm",
        Some(&token),
        json!({ "code": code }),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::NO_CONTENT);
    token
}

/// What the client knows for sure about an account: the password of the last
/// rotation whose confirm was acknowledged.
type Confirmed = Arc<Mutex<HashMap<String, String>>>;

async fn churn(
    client: reqwest::Client,
    base: String,
    token: String,
    accounts: Vec<String>,
    confirmed: Confirmed,
) {
    loop {
        for id in &accounts {
            let Ok(r) = client
                .get(format!("{base}/api/v1/accounts/{id}"))
                .bearer_auth(&token)
                .send()
                .await
            else {
                return;
            };
            let Ok(a) = r.json::<Value>().await else {
                return;
            };
            let (rotation, password) = match a["pending_rotation_id"].as_str() {
                Some(p) => (p.to_string(), None),
                None => match call(
                    &client,
                    &base,
                    &format!("/api/v1/accounts/{id}/rotations"),
                    Some(&token),
                    json!({}),
                )
                .await
                {
                    Ok((StatusCode::CREATED, r)) => (
                        r["rotation_id"].as_str().unwrap_or_default().to_string(),
                        r["password"].as_str().map(str::to_string),
                    ),
                    _ => return,
                },
            };
            // Until the confirm is acknowledged the outcome is unknown (it may commit and
            // lose its response to the kill), so forget what we knew.
            if let Ok(mut m) = confirmed.lock() {
                m.remove(id);
            }
            match call(
                &client,
                &base,
                &format!("/api/v1/rotations/{rotation}/confirm"),
                Some(&token),
                json!({}),
            )
            .await
            {
                Ok((StatusCode::NO_CONTENT, _)) => {
                    if let (Some(p), Ok(mut m)) = (password, confirmed.lock()) {
                        m.insert(id.clone(), p);
                    }
                }
                _ => return,
            }
        }
    }
}

/// `credgov init --admin root-admin --password-stdin` with `env`; panics unless it succeeds.
pub(crate) fn init_database(env: &[(String, String)], admin_pw: &str) {
    let mut init = Command::new(TestApp::binary())
        .args(["init", "--admin", "root-admin", "--password-stdin"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        init.stdin
            .take()
            .unwrap()
            .write_all(admin_pw.as_bytes())
            .unwrap();
    }
    assert!(init.wait().unwrap().success());
}

async fn crash_scenario(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _guard)) = fresh_database(engine, dir.path()).await else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = crate::common::binary_env(&url, &dir.path().join("master.key"), "error");
    let admin_pw = "Obsidian-Lantern-Fescue-73";
    init_database(&env, admin_pw);
    let mut server = Server {
        env,
        addr: format!("127.0.0.1:{port}"),
        child: None,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("http://{}", server.addr);
    server.start();
    server.wait_ready(&client).await;

    let admin = login_enrolled(&client, &base, "root-admin", admin_pw).await;
    let root: String = {
        let r = client
            .get(format!("{base}/api/v1/units"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (_, unit) = call(
        &client,
        &base,
        "/api/v1/units",
        Some(&admin),
        json!({ "name": "区融媒体中心", "kind": "institution", "parent_id": root }),
    )
    .await
    .unwrap();
    let unit = unit["id"].as_str().unwrap().to_string();
    let (_, user) = call(&client, &base, "/api/v1/users", Some(&admin), json!({ "username": "crash-admin", "display_name": "单位管理员", "password": "Vermilion-Cascade-Orbit-64", "unit_id": unit })).await.unwrap();
    let (s, _) = call(
        &client,
        &base,
        &format!("/api/v1/units/{unit}/members"),
        Some(&admin),
        json!({ "user_id": user["id"], "role": "unit_admin" }),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::CREATED);
    let token = login_enrolled(&client, &base, "crash-admin", "Vermilion-Cascade-Orbit-64").await;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let (s, a) = call(&client, &base, &format!("/api/v1/units/{unit}/accounts"), Some(&token), json!({ "name": format!("融媒体账号{i}"), "platform": "douyin", "login_name": format!("rmt{i}"), "classification": "core", "generate": true })).await.unwrap();
        assert_eq!(s, StatusCode::CREATED, "{a}");
        accounts.push(a["id"].as_str().unwrap().to_string());
    }

    let confirmed: Confirmed = Arc::new(Mutex::new(HashMap::new()));
    let mut rotations_confirmed_total = 0usize;
    for trial in 0..TRIALS {
        let task = tokio::spawn(churn(
            client.clone(),
            base.clone(),
            token.clone(),
            accounts.clone(),
            confirmed.clone(),
        ));
        let delay = rand::rng().random_range(20..250);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        let _ = task.await;
        server.start();
        server.wait_ready(&client).await;
        let known = confirmed.lock().unwrap().clone();
        rotations_confirmed_total = rotations_confirmed_total.max(known.len());
        // Every account: exactly one current version that opens; confirmed ones survived.
        for id in &accounts {
            let (s, r) = call(
                &client,
                &base,
                &format!("/api/v1/accounts/{id}/reveal"),
                Some(&token),
                json!({ "reason": "崩溃后核对" }),
            )
            .await
            .unwrap();
            assert_eq!(
                s,
                StatusCode::OK,
                "trial {trial}: account {id} has no retrievable password: {r}"
            );
            assert!(!r["password"].as_str().unwrap_or_default().is_empty());
            if let Some(p) = known.get(id) {
                let current = r["password"].as_str().unwrap();
                assert_eq!(
                    current, p,
                    "trial {trial}: an acknowledged rotation was lost for {id}"
                );
            }
        }
        let pool = {
            sqlx::any::install_default_drivers();
            sqlx::AnyPool::connect(&url).await.unwrap()
        };
        for id in &accounts {
            let counts = sqlx::query("SELECT state, COUNT(*) FROM credential_versions WHERE account_id = $1 GROUP BY state")
                .bind(id)
                .fetch_all(&pool)
                .await
                .unwrap();
            let count = |state: &str| {
                counts
                    .iter()
                    .find(|r| r.get::<String, _>(0) == state)
                    .map_or(0, |r| r.get::<i64, _>(1))
            };
            assert_eq!(
                count("current"),
                1,
                "trial {trial}: exactly one current version"
            );
            assert!(count("pending") <= 1);
        }
        pool.close().await;
    }
    let versions: i64 = {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let n = sqlx::query("SELECT COUNT(*) FROM credential_versions")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        pool.close().await;
        n
    };
    println!(
        "crash test ({engine:?}): {TRIALS} SIGKILL trials, {ACCOUNTS} accounts, {versions} versions written; all accounts kept a retrievable password"
    );
    assert!(
        versions > (ACCOUNTS as i64) * 2,
        "the loops did rotate ({versions} versions)"
    );
    let _ = rotations_confirmed_total;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_rotation_never_loses_a_password_sqlite() {
    crash_scenario(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_rotation_never_loses_a_password_postgres() {
    crash_scenario(Engine::Postgres).await;
}
