//! Audited reveal throughput and p99 with concurrent clients, against the durable-commit
//! ceiling of the same engine measured in the same run (one single-row INSERT + COMMIT
//! per operation, same pool, same concurrency). Goal: reveal ≥ 0.5× the ceiling.
//!
//! `cargo bench --bench vault` (PostgreSQL too when `CREDGOV_TEST_DATABASE_URL` is set).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Harness, ms, percentile};
use credgov::db::Db;
use serde_json::json;

const CLIENTS: usize = 8;
const RUN: Duration = Duration::from_secs(6);
const ACCOUNTS: usize = 20;

struct Measured {
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
    fn p99(&self) -> Duration {
        percentile(&self.latencies, 0.99)
    }
}

/// Runs `op` from `CLIENTS` concurrent tasks for `RUN`.
async fn drive<F, Fut>(op: F) -> Measured
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let op = op.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                assert!(op(client, i).await, "operation failed");
                lat.push(t.elapsed());
                i += 1;
            }
            lat
        }));
    }
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Measured {
        ops: latencies.len(),
        elapsed,
        latencies,
    }
}

async fn ceiling(db: Db) -> Measured {
    sqlx::query("CREATE TABLE bench_ceiling (id TEXT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(db.pool())
        .await
        .expect("ceiling table");
    drive(move |client, i| {
        let db = db.clone();
        async move {
            let Ok(mut tx) = db.begin_write().await else {
                return false;
            };
            let ok = sqlx::query("INSERT INTO bench_ceiling (id, n) VALUES ($1, $2)")
                .bind(format!("{client}-{i}"))
                .bind(i as i64)
                .execute(&mut *tx)
                .await
                .is_ok();
            ok && tx.commit().await.is_ok()
        }
    })
    .await
}

async fn run_engine(name: &str, url: Option<String>) -> Vec<String> {
    let h = Harness::start(url).await;
    let (s, unit) = h
        .post(
            "/api/v1/units",
            &h.admin_token,
            json!({ "name": "基准单位", "kind": "department", "parent_id": h.root_id }),
        )
        .await;
    assert_eq!(s, 201, "{unit}");
    let unit = unit["id"].as_str().expect("unit").to_string();
    let token = h
        .user(
            &unit,
            "bench-unit-admin",
            "Bench-Unit-Admin-Lantern-55",
            "unit_admin",
        )
        .await;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let (s, a) = h
            .post(&format!("/api/v1/units/{unit}/accounts"), &token, json!({ "name": format!("账号{i}"), "platform": "weibo", "login_name": format!("acct{i}"), "classification": "core", "generate": true }))
            .await;
        assert_eq!(s, 201, "{a}");
        accounts.push(a["id"].as_str().expect("id").to_string());
    }
    let accounts = Arc::new(accounts);
    let floor = ceiling(h.state.db.clone()).await;
    let client = h.client.clone();
    let base = h.base.clone();
    let reveal = drive(move |c, i| {
        let client = client.clone();
        let url = format!(
            "{base}/api/v1/accounts/{}/reveal",
            accounts[(c * 7 + i) % accounts.len()]
        );
        let token = token.clone();
        async move {
            match client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "reason": "基准测试" }))
                .send()
                .await
            {
                Ok(r) => r.status().as_u16() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    let ratio = reveal.rate() / floor.rate();
    vec![format!(
        "| {name} | {CLIENTS} | {:.0}/s | {:.2} ms | {:.0}/s | {:.2} ms | {ratio:.2}× | ≥ 0.5× | {} |",
        reveal.rate(),
        ms(reveal.p99()),
        floor.rate(),
        ms(floor.p99()),
        if ratio >= 0.5 { "met" } else { "MISSED" }
    )]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("credgov vault benchmark — audited reveal vs durable single-row commit, {CLIENTS} clients, {}s each", RUN.as_secs());
        let mut rows = run_engine("sqlite", None).await;
        match common::pg_url("vault").await {
            Some(url) => rows.extend(run_engine("postgres", Some(url)).await),
            None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
        }
        println!();
        println!("| engine | clients | reveal rate | reveal p99 | commit ceiling | ceiling p99 | ratio | goal | |");
        println!("|---|---|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    });
}
