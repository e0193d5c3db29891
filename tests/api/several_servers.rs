//! Several servers on one PostgreSQL: nothing that must be shared lives only in one
//! process. Two servers on one database behind a round-robin client: a login lockout
//! is counted across both, a session made on one works on the other and one logout
//! ends it on both, a rate limit is one budget, the daily scan runs once, and a master
//! key rotation seen by one is refused by the other (the keyring epoch is shared).
//!
//! PostgreSQL only: SQLite is the single-process embedded default (README).

use std::sync::atomic::{AtomicUsize, Ordering};

use credgov::app::AppState;
use credgov::crypto::MasterKey;
use credgov::jobs::{Runner, registry};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Engine, TestApp, error_code, spawn_app};

/// Two servers (the test app's and a second one on its database and master key) and a
/// client that sends each request to the next one in turn.
struct RoundRobin {
    bases: [String; 2],
    next: AtomicUsize,
    client: reqwest::Client,
    second: AppState,
}

impl RoundRobin {
    async fn over(app: &TestApp) -> RoundRobin {
        let second = AppState::start(app.config.clone(), app.clock.clone())
            .await
            .expect("second server starts on the same database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(credgov::server::serve(
            second.clone(),
            listener,
            std::future::pending(),
        ));
        RoundRobin {
            bases: [app.base.clone(), format!("http://{addr}")],
            next: AtomicUsize::new(0),
            client: reqwest::Client::new(),
            second,
        }
    }

    /// Sends to server `which` (0 or 1); the status and body.
    async fn on(
        &self,
        which: usize,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.bases[which]));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Sends to the next server in turn; also says which one answered.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (usize, StatusCode, Value) {
        let which = self.next.fetch_add(1, Ordering::SeqCst) % 2;
        let (s, v) = self.on(which, method, path, token, body).await;
        (which, s, v)
    }

    async fn login(&self, username: &str, password: &str) -> (usize, StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "username": username, "password": password })),
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(app) = spawn_app(Engine::Postgres).await else {
        return;
    };
    let rr = RoundRobin::over(&app).await;
    lockout_is_counted_across_both(&app, &rr).await;
    session_works_on_both_and_one_logout_ends_it(&app, &rr).await;
    rate_limit_is_one_budget(&app, &rr).await;
    daily_scan_runs_once(&app, &rr).await;
    key_rotation_on_one_is_seen_by_the_other(&app, &rr).await;
    rr.second.db.close().await;
}

async fn lockout_is_counted_across_both(app: &TestApp, rr: &RoundRobin) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    let max = app.state.policy.lockout.max_failures;
    let mut answered = [0, 0];
    for i in 0..max {
        let (which, s, v) = rr.login(&user.username, &format!("wrong-{i}")).await;
        // The guess that reaches the threshold answers with the lock itself.
        let want = if i + 1 == max {
            StatusCode::LOCKED
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(s, want, "guess {i} on server {which}: {v}");
        answered[which] += 1;
    }
    assert!(answered[0] > 0 && answered[1] > 0, "{answered:?}");
    // Neither server alone saw `max` failures, yet both refuse the right password.
    for which in 0..2 {
        let (s, v) = rr
            .on(
                which,
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "username": user.username, "password": user.password })),
            )
            .await;
        assert_eq!(s, StatusCode::LOCKED, "server {which}: {v}");
        assert_eq!(error_code(&v), "locked", "{v}");
    }
}

async fn session_works_on_both_and_one_logout_ends_it(app: &TestApp, rr: &RoundRobin) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    let (made_on, s, v) = rr.login(&user.username, &user.password).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().expect("token").to_string();
    for which in 0..2 {
        let (s, me) = rr
            .on(which, Method::GET, "/api/v1/me", Some(&token), None)
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "made on {made_on}, used on {which}: {me}"
        );
        assert_eq!(me["user"]["id"], json!(user.id), "{me}");
    }
    // Log out on the server that did not make the session.
    let other = 1 - made_on;
    let (s, v) = rr
        .on(
            other,
            Method::POST,
            "/api/v1/auth/logout",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for which in 0..2 {
        let (s, v) = rr
            .on(which, Method::GET, "/api/v1/me", Some(&token), None)
            .await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "server {which} after logout: {v}"
        );
    }
}

async fn rate_limit_is_one_budget(app: &TestApp, rr: &RoundRobin) {
    let v = crate::vault::vault(app, "区限速测试局").await;
    let limit = app.state.policy.policy_check.max_per_minute;
    let body = json!({ "password": "Quill-Sorrel-Basalt-90", "unit_id": v.unit });
    // One window for the whole burst.
    let now = app.now();
    app.clock.advance_ms(60_000 - now.rem_euclid(60_000));
    for i in 0..limit {
        let (which, s, v) = rr
            .call(
                Method::POST,
                "/api/v1/policy/check",
                Some(&v.admin.token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "check {i} on server {which}: {v}");
    }
    for which in 0..2 {
        let (s, v) = rr
            .on(
                which,
                Method::POST,
                "/api/v1/policy/check",
                Some(&v.admin.token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "server {which}: {v}");
        assert_eq!(error_code(&v), "throttled", "{v}");
    }
}

async fn daily_scan_runs_once(app: &TestApp, rr: &RoundRobin) {
    let job = registry::find("daily_scan").expect("daily_scan is registered");
    let (a, b) = (
        Runner::new(app.state.clone()),
        Runner::new(rr.second.clone()),
    );
    a.prepare().await.expect("prepare");
    b.prepare().await.expect("prepare");
    // The latest scheduled scan is due and has not run: both sweep at once, one runs it.
    let (ra, rb) = tokio::join!(a.tick(job), b.tick(job));
    let ran = [ra.expect("tick a"), rb.expect("tick b")]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert_eq!(ran, 1, "exactly one server runs the day's scan");
    // Sweeping again on either finds nothing left to do.
    assert!(a.tick(job).await.expect("tick").is_none());
    assert!(b.tick(job).await.expect("tick").is_none());
    let rows = sqlx::query(
        "SELECT state, attempts FROM job_runs WHERE job = 'daily_scan' ORDER BY due_at",
    )
    .fetch_all(app.pool())
    .await
    .expect("job runs");
    let rows: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(rows, vec![("succeeded".to_string(), 1)], "{rows:?}");
}

async fn key_rotation_on_one_is_seen_by_the_other(app: &TestApp, rr: &RoundRobin) {
    // A unit whose data key neither server has made yet.
    let v = crate::vault::vault(app, "区审计局").await;
    let new_path = app.dir.path().join("new-master.key");
    MasterKey::generate().write_new(&new_path).expect("new key");
    let (code, text) = crate::keys::cli_rotate(app, &new_path);
    assert_eq!(code, Some(0), "{text}");
    // Both servers still hold the old key: neither wraps a new data key under it;
    // each says to restart, and nothing is saved.
    for which in 0..2 {
        let (s, body) = rr
            .on(
                which,
                Method::POST,
                &format!("/api/v1/units/{}/accounts", v.unit),
                Some(&v.admin.token),
                Some(
                    json!({ "name": format!("审计局公众号{which}"), "platform": "wechat_official",
                    "login_name": "audit@gov.cn", "classification": "core",
                    "password": format!("Peregrine-Basalt-Lumen-4{which}") }),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "server {which}: {body}");
        assert_eq!(error_code(&body), "restart_required", "{body}");
    }
    let accounts: i64 = sqlx::query("SELECT COUNT(*) FROM accounts WHERE unit_id = $1")
        .bind(&v.unit)
        .fetch_one(app.pool())
        .await
        .expect("count")
        .get(0);
    assert_eq!(accounts, 0);
}
