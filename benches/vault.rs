//! Audited reveal throughput and p99 with concurrent clients, against two baselines of
//! the same engine measured in the same run, same pool, same concurrency:
//! - the minimal SQL a reveal needs (goal: reveal ≥ 0.5× of it): one keyed read of the
//!   account and its current version, then one write transaction that advances the
//!   unit's audit chain head, inserts the audit row and inserts the exposure — all on
//!   one unit, as the reveals are;
//! - the durable-commit ceiling (one single-row INSERT + COMMIT per operation), the
//!   wave-one baseline, reported for comparison.
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

/// The minimal SQL of an audited reveal, on `account` of `unit` (its own unit, so that
/// the product's chain is not touched): a keyed read, then one transaction advancing
/// the chain head, inserting the audit event and the exposure.
async fn minimal_reveal(db: Db, unit: String, account: String) -> Measured {
    drive(move |client, i| {
        let (db, unit, account) = (db.clone(), unit.clone(), account.clone());
        async move {
            let read = sqlx::query(
                "SELECT a.name, v.version, v.sealed FROM accounts a JOIN credential_versions v \
                 ON v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current' \
                 WHERE a.unit_id = $1 AND a.id = $2",
            )
            .bind(&unit)
            .bind(&account)
            .fetch_one(db.pool())
            .await;
            let Ok(row) = read else { return false };
            let version: i64 = sqlx::Row::get(&row, 1);
            let Ok(mut tx) = db.begin_write().await else {
                return false;
            };
            let id = format!("{client}-{i}");
            let head = sqlx::query(
                "UPDATE audit_heads SET seq = seq + 1, hash = $2 WHERE unit_id = $1 RETURNING seq",
            )
            .bind(&unit)
            .bind(&id)
            .fetch_one(&mut *tx)
            .await;
            let Ok(head) = head else { return false };
            let seq: i64 = sqlx::Row::get(&head, 0);
            let event = sqlx::query(
                "INSERT INTO audit_events (unit_id, seq, id, at, actor_kind, actor_id, actor_name, action, \
                 target_kind, target_id, outcome, request_id, client_addr, details, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, 'user', 'bench', 'bench', 'secret.reveal', 'account', $5, 'success', \
                 $3, '127.0.0.1', '{\"reason\":\"基准测试\"}', 'prev', 'hash')",
            )
            .bind(&unit)
            .bind(seq)
            .bind(&id)
            .bind(i as i64)
            .bind(&account)
            .execute(&mut *tx)
            .await;
            let exposure = sqlx::query(
                "INSERT INTO exposures (unit_id, id, account_id, version, user_id, actor_kind, actor_id, kind, at) \
                 VALUES ($1, $2, $3, $4, 'bench', 'user', 'bench', 'reveal', $5)",
            )
            .bind(&unit)
            .bind(&id)
            .bind(&account)
            .bind(version)
            .bind(i as i64)
            .execute(&mut *tx)
            .await;
            event.is_ok() && exposure.is_ok() && tx.commit().await.is_ok()
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
    // The minimal-SQL baseline's own unit and account.
    let (s, other) = h
        .post(
            "/api/v1/units",
            &h.admin_token,
            json!({ "name": "基准单位二", "kind": "department", "parent_id": h.root_id }),
        )
        .await;
    assert_eq!(s, 201, "{other}");
    let other = other["id"].as_str().expect("unit").to_string();
    let other_token = h
        .user(
            &other,
            "bench-unit-admin-2",
            "Bench-Unit-Admin-Lantern-56",
            "unit_admin",
        )
        .await;
    let (s, a) = h
        .post(&format!("/api/v1/units/{other}/accounts"), &other_token, json!({ "name": "基线账号", "platform": "weibo", "login_name": "baseline", "classification": "core", "generate": true }))
        .await;
    assert_eq!(s, 201, "{a}");
    let minimal = minimal_reveal(
        h.state.db.clone(),
        other,
        a["id"].as_str().expect("id").to_string(),
    )
    .await;
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
    let ratio = reveal.rate() / minimal.rate();
    let old_ratio = reveal.rate() / floor.rate();
    vec![format!(
        "| {name} | {CLIENTS} | {:.0}/s | {:.2} ms | {:.0}/s | {:.2} ms | {ratio:.2}× | ≥ 0.5× | {} | {:.0}/s | {old_ratio:.2}× |",
        reveal.rate(),
        ms(reveal.p99()),
        minimal.rate(),
        ms(minimal.p99()),
        if ratio >= 0.5 { "met" } else { "MISSED" },
        floor.rate(),
    )]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("credgov vault benchmark — audited reveal vs the minimal SQL of a reveal (and vs a durable single-row commit), {CLIENTS} clients, {}s each", RUN.as_secs());
        let mut rows = run_engine("sqlite", None).await;
        match common::pg_url("vault").await {
            Some(url) => rows.extend(run_engine("postgres", Some(url)).await),
            None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
        }
        println!();
        println!("| engine | clients | reveal rate | reveal p99 | minimal SQL rate | minimal p99 | ratio | goal | | single-row commit | ratio to it |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    });
}
