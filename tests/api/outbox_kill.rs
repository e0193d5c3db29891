//! Nothing lost, duplicates recognisable: two `credgov serve` processes on one
//! PostgreSQL deliver 1,000 queued webhook notifications to a counting receiver while
//! one of them is killed with SIGKILL in the middle of its batches (twice: it is started
//! again after the first kill). Every outbox id arrives, every request is signed and
//! names an id of the outbox, and a request that repeats an id repeats the same
//! message (what a receiver deduplicates on).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::common::{Engine, fresh_database};
use crate::crash::{Server, call, init_database, login_enrolled};
use crate::notify_channels::{signed_by, whsec};
use crate::receiver::Received;

const MESSAGES: usize = 1000;

/// Records every request; answers 200 after a short pause (so a batch takes a while
/// and the kill lands inside one).
#[derive(Clone, Default)]
struct Counter {
    received: Arc<Mutex<Vec<Received>>>,
}

impl Counter {
    async fn start(self) -> u16 {
        let app = Router::new().fallback(record).with_state(self);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn distinct(&self) -> usize {
        let all = self.received.lock().unwrap();
        all.iter()
            .map(|r| r.header("webhook-id").to_string())
            .collect::<HashSet<_>>()
            .len()
    }

    /// Waits until `n` distinct ids arrived (panics after `limit`).
    async fn wait_for(&self, n: usize, limit: Duration) {
        let start = Instant::now();
        while self.distinct() < n {
            assert!(
                start.elapsed() < limit,
                "only {} of {n} distinct messages arrived within {limit:?}",
                self.distinct()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn record(State(c): State<Counter>, headers: HeaderMap, body: Bytes) -> StatusCode {
    tokio::time::sleep(Duration::from_millis(3)).await;
    c.received.lock().unwrap().push(Received {
        path: "/hook".into(),
        query: String::new(),
        headers,
        body,
        refused: false,
    });
    StatusCode::OK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_one_killed_deliver_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _guard)) = fresh_database(Engine::Postgres, dir.path()).await else {
        return;
    };
    let config = dir.path().join("credgov.toml");
    std::fs::write(&config, "[outbound]\nallowed_hosts = [\"127.0.0.1\"]\n").unwrap();
    let mut env = crate::common::binary_env(&url, &dir.path().join("master.key"), "error");
    env.extend([
        ("CREDGOV_CONFIG".to_string(), config.display().to_string()),
        (
            "CREDGOV_JOBS__DAILY_SCAN__ENABLED".to_string(),
            "false".into(),
        ),
        ("CREDGOV_NOTIFY__POLL_MS".to_string(), "200".into()),
        ("CREDGOV_NOTIFY__LEASE_MS".to_string(), "1500".into()),
        ("CREDGOV_NOTIFY__BATCH".to_string(), "50".into()),
    ]);
    let admin_pw = "Obsidian-Lantern-Fescue-73";
    init_database(&env, admin_pw);
    let counter = Counter::default();
    let port = counter.clone().start().await;
    let secret = whsec(9);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // One server configures a unit's webhook, then stops: nothing is queued yet.
    let mut a = Server::on_free_port(&env);
    let mut b = Server::on_free_port(&env);
    a.start();
    a.wait_ready(&client).await;
    let base = format!("http://{}", a.addr);
    let admin = login_enrolled(&client, &base, "root-admin", admin_pw).await;
    let units = client
        .get(format!("{base}/api/v1/units"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let root = units["items"][0]["id"].as_str().unwrap().to_string();
    let (s, unit) = call(
        &client,
        &base,
        "/api/v1/units",
        Some(&admin),
        json!({ "name": "区大数据局", "kind": "department", "parent_id": root }),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{unit}");
    let unit = unit["id"].as_str().unwrap().to_string();
    let r = client
        .put(format!("{base}/api/v1/units/{unit}/channels"))
        .bearer_auth(&admin)
        .json(&json!({ "webhook": { "url": format!("http://127.0.0.1:{port}/hook"), "secret": secret } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    a.kill();

    // 1,000 notices queued in one transaction, as a producer would.
    sqlx::any::install_default_drivers();
    let db = credgov::db::Db::connect(&url, 4).await.unwrap();
    let now = credgov::clock::Clock::now_ms(&credgov::clock::SystemClock);
    let unit_id = credgov::ids::UnitId::new(unit.clone());
    let mut tx = db.begin_write().await.unwrap();
    for n in 0..MESSAGES {
        let notice = credgov::notify::Notice::new(
            credgov::notify::NotificationKind::ChannelTest,
            unit_id.clone(),
            now,
        )
        .to(credgov::notify::Audience::UnitGroups(unit_id.clone()))
        .data(json!({ "n": n }));
        let q = credgov::notify::enqueue(&mut tx, &notice).await.unwrap();
        assert_eq!(q.outbox, 1);
    }
    tx.commit().await.unwrap();
    let queued: HashSet<String> = sqlx::query("SELECT id FROM outbox")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    assert_eq!(queued.len(), MESSAGES);

    // Both deliver; A is killed mid-batch twice (started again after the first kill).
    let started = Instant::now();
    a.start();
    b.start();
    a.wait_ready(&client).await;
    b.wait_ready(&client).await;
    let limit = Duration::from_secs(90);
    counter.wait_for(300, limit).await;
    let held_first = kill_holding(&mut a, &db).await;
    let at_first_kill = counter.distinct();
    a.start();
    counter.wait_for(650, limit).await;
    let held_second = kill_holding(&mut a, &db).await;
    let at_second_kill = counter.distinct();
    assert!(
        held_first + held_second > 0,
        "neither kill landed inside a batch (the killed server held no unrecorded row)"
    );
    counter.wait_for(MESSAGES, limit).await;
    let elapsed = started.elapsed();
    // A row the killed server was sending when it died has its lease extended to the
    // send's cut-off (25 s for a webhook): B marks it once that has passed. Wait for
    // every row to be marked (a straggler a moment more), then stop B.
    let marked = Instant::now();
    loop {
        let undelivered: i64 =
            sqlx::query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
                .fetch_one(db.pool())
                .await
                .unwrap()
                .get(0);
        if undelivered == 0 || marked.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.kill();

    let all = counter.all();
    let mut first: HashMap<String, Bytes> = HashMap::new();
    let mut duplicates = 0usize;
    for r in &all {
        let id = r.header("webhook-id").to_string();
        assert!(queued.contains(&id), "a request names no outbox id: {id}");
        assert!(
            signed_by(r, &secret),
            "unsigned or badly signed request {id}"
        );
        match first.get(&id) {
            None => {
                first.insert(id, r.body.clone());
            }
            Some(body) => {
                duplicates += 1;
                assert_eq!(body, &r.body, "a repeat of {id} carries another message");
            }
        }
    }
    let arrived: HashSet<&String> = first.keys().collect();
    assert_eq!(arrived.len(), MESSAGES, "every queued id arrives");
    let undelivered: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(undelivered, 0, "every row is marked delivered");
    eprintln!(
        "outbox kill test: {MESSAGES} queued, {} requests, {} distinct ids, {duplicates} duplicates \
         (all repeating an id already seen with the same body), 0 lost; kills at {at_first_kill} \
         and {at_second_kill} delivered, holding {held_first} and {held_second} unrecorded rows; \
         {:.1} s",
        all.len(),
        arrived.len(),
        elapsed.as_secs_f64()
    );
    db.close().await;
}

/// SIGKILLs `server` and counts the outbox rows it held under a live lease, unrecorded.
async fn kill_holding(server: &mut Server, db: &credgov::db::Db) -> i64 {
    let pid = server.pid().unwrap();
    server.kill();
    sqlx::query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND lease_owner LIKE $1")
        .bind(format!("{pid}-%"))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0)
}
