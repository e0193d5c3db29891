//! Resident memory of `credgov serve` (the release binary, default argon2id parameters)
//! idle after start and after 10,000 mixed requests from 8 concurrent clients: logins
//! (2 %, each hashing with 19 MiB), `GET /me`, account lists, audited reveals, strength
//! checks, the audit list, console pages, the OpenAPI document, and bad requests.
//! Goals: ≤ 30 MB idle, ≤ 60 MB after the 10,000 requests. RSS is read from
//! `/proc/PID/status` (`VmRSS`, and `VmHWM` for the peak).
//!
//! `cargo bench --bench memory` (SQLite; PostgreSQL too when `CREDGOV_TEST_DATABASE_URL`
//! is set). `CREDGOV_BENCH_REQUESTS` changes the 10,000; `CREDGOV_BENCH_BINARY` measures
//! another build of `credgov`.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

const CLIENTS: usize = 8;
const ADMIN_PW: &str = "Memory-Admin-Quartz-Meadow-17";
const UNIT_ADMIN_PW: &str = "Memory-Unit-Lantern-Harbor-55";
const ACCOUNTS: usize = 20;
const IDLE_GOAL_MB: f64 = 30.0;
const LOADED_GOAL_MB: f64 = 60.0;

/// The binary measured: this build's, or `CREDGOV_BENCH_BINARY` (another build of it,
/// e.g. with other profile settings).
fn binary() -> String {
    std::env::var("CREDGOV_BENCH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_credgov").into())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// (VmRSS, VmHWM) in MB.
    fn memory(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

/// The server's environment: the database, the key, quiet logs, and any allocator
/// tuning given to the bench (`MALLOC_*`, `GLIBC_TUNABLES`) to compare settings.
fn env(url: &str, key: &std::path::Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("CREDGOV_DATABASE_URL".into(), url.to_string()),
        ("CREDGOV_MASTER_KEY_FILE".into(), key.display().to_string()),
        ("CREDGOV_LOG_LEVEL".into(), "error".into()),
    ];
    env.extend(std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_") || k == "GLIBC_TUNABLES"));
    env
}

struct World {
    base: String,
    unit: String,
    token: String,
    accounts: Vec<String>,
}

/// One request of the mix; its kind is picked by `i`.
async fn one(client: &reqwest::Client, w: &World, i: usize) -> bool {
    let base = &w.base;
    let account = &w.accounts[i % w.accounts.len()];
    let req = match i % 100 {
        0 | 1 => client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "username": "memory-plain", "password": UNIT_ADMIN_PW })),
        2..=29 => client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&w.token),
        30..=44 => client
            .get(format!("{base}/api/v1/units/{}/accounts", w.unit))
            .bearer_auth(&w.token),
        45..=54 => client
            .post(format!("{base}/api/v1/accounts/{account}/reveal"))
            .bearer_auth(&w.token)
            .json(&json!({ "reason": "内存基准" })),
        55..=64 => client
            .post(format!("{base}/api/v1/policy/check"))
            .bearer_auth(&w.token)
            .json(&json!({ "password": format!("Harbor-{i}-Quince"), "unit_id": w.unit })),
        65..=74 => client
            .get(format!("{base}/api/v1/audit?unit_id={}&limit=50", w.unit))
            .bearer_auth(&w.token),
        75..=84 => client.get(format!("{base}/login")),
        85..=89 => client.get(format!("{base}/api/v1/openapi.json")),
        90..=94 => client
            .post(format!("{base}/api/v1/units/{}/accounts", w.unit))
            .bearer_auth(&w.token)
            .header("content-type", "application/json")
            .body("{\"name\": "),
        _ => client
            .get(format!("{base}/api/v1/no-such-thing/{i}"))
            .bearer_auth(&w.token),
    };
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            r.bytes().await.is_ok() && status < 500
        }
        Err(_) => false,
    }
}

async fn measure(engine: &str, url: String, requests: usize) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("master.key");
    let env = env(&url, &key);
    common::init_database(&binary(), &env, "memory-admin", ADMIN_PW);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        Command::new(binary())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (idle, _) = server.memory();

    let admin = common::login_enrolled(&client, &base, "memory-admin", ADMIN_PW).await;
    let units: Value = client
        .get(format!("{base}/api/v1/units"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("units")
        .json()
        .await
        .expect("units body");
    let root = units["items"][0]["id"].as_str().expect("root").to_string();
    let (_, u) = common::post(
        &client,
        format!("{base}/api/v1/units"),
        Some(&admin),
        json!({ "name": "内存基准单位", "kind": "department", "parent_id": root }),
    )
    .await;
    let unit = u["id"].as_str().expect("unit").to_string();
    let (s, user) = common::post(&client, format!("{base}/api/v1/users"), Some(&admin), json!({ "username": "memory-user", "display_name": "内存基准", "password": UNIT_ADMIN_PW, "unit_id": unit })).await;
    assert_eq!(s, 201, "{user}");
    let (s, _) = common::post(
        &client,
        format!("{base}/api/v1/units/{unit}/members"),
        Some(&admin),
        json!({ "user_id": user["id"], "role": "unit_admin" }),
    )
    .await;
    assert_eq!(s, 201);
    let token = common::login_enrolled(&client, &base, "memory-user", UNIT_ADMIN_PW).await;
    // Someone with no role logs in with a password alone (the mix's logins).
    let (s, plain) = common::post(&client, format!("{base}/api/v1/users"), Some(&admin), json!({ "username": "memory-plain", "display_name": "内存基准二", "password": UNIT_ADMIN_PW })).await;
    assert_eq!(s, 201, "{plain}");
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let (s, a) = common::post(&client, format!("{base}/api/v1/units/{unit}/accounts"), Some(&token), json!({ "name": format!("账号{i}"), "platform": "weibo", "login_name": format!("acct{i}"), "classification": "core", "generate": true })).await;
        assert_eq!(s, 201, "{a}");
        accounts.push(a["id"].as_str().expect("id").to_string());
    }
    let world = Arc::new(World {
        base: base.clone(),
        unit,
        token,
        accounts,
    });
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, world, next, failed) =
            (client.clone(), world.clone(), next.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                if !one(&client, &world, i).await {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (loaded, peak) = server.memory();
    let verdict = |v: f64, goal: f64| if v <= goal { "met" } else { "MISSED" };
    format!(
        "| {engine} | {idle:.1} MB | {} | {requests} ({} failed) | {loaded:.1} MB | {} | {peak:.1} MB |",
        verdict(idle, IDLE_GOAL_MB),
        failed.load(Ordering::Relaxed),
        verdict(loaded, LOADED_GOAL_MB),
    )
}

fn main() {
    let requests = std::env::var("CREDGOV_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut rows = vec![
            measure(
                "sqlite",
                format!("sqlite://{}", dir.path().join("memory.db").display()),
                requests,
            )
            .await,
        ];
        match common::pg_url("memory").await {
            Some(url) => rows.push(measure("postgres", url, requests).await),
            None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
        }
        println!(
            "\ncredgov memory benchmark — resident memory of `credgov serve`, {CLIENTS} clients (goals: ≤ {IDLE_GOAL_MB} MB idle, ≤ {LOADED_GOAL_MB} MB after the requests)\n"
        );
        println!("| engine | idle RSS | goal | mixed requests | RSS after | goal | peak RSS |");
        println!("|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    });
}
