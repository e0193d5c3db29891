//! `GET /metrics` (issue 13) on its own listener, behind a token, on both engines:
//! requests by route template and status, logins and failures, lockouts, job runs,
//! and the gauges read at scrape time; no label carries what a client sent.

use reqwest::StatusCode;

use crate::common::{Engine, spawn_app_with};

const TOKEN: &str = "metrics-token-for-the-test-5d1e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_sqlite() {
    scenario(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_postgres() {
    scenario(Engine::Postgres).await;
}

/// The value of the first sample line that starts with `series` (name and labels).
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scenario(engine: Engine) {
    let Some(app) = spawn_app_with(engine, |c| c.metrics.token = Some(TOKEN.into())).await else {
        return;
    };
    // The metrics listener, as `serve` starts it for `[metrics] listen`.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = credgov::telemetry::router(app.state.clone());
    tokio::spawn(async move { axum::serve(listener, metrics).await });
    let url = format!("http://{addr}/metrics");
    let scrape = || async {
        let r = app
            .client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        r.text().await.unwrap()
    };
    let before = scrape().await;
    let failures = r#"credgov_logins_total{outcome="failure"}"#;
    let failures_before = value(&before, failures).unwrap_or(0.0);

    // Without the token, or with another: 401 and nothing else.
    for auth in [None, Some("wrong")] {
        let mut req = app.client.get(&url);
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(!r.text().await.unwrap().contains("credgov_http"));
    }
    // The main listener does not serve it.
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A failed login, a unit looked up by an id a client made up, a made-up path.
    let user = app.user_with_role(&app.root_id, "hr").await;
    let (s, _) = app
        .login_raw(&user.username, "not-the-password-1", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let probe = "client-made-this-up-7741";
    let (s, _) = app
        .get(&format!("/api/v1/units/{probe}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/{probe}"), &app.admin_token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .expect("scan");

    let after = scrape().await;
    assert!(
        value(&after, failures).unwrap_or(0.0) >= failures_before + 1.0,
        "{after}"
    );
    for series in [
        r#"credgov_http_requests_total{method="GET",route="/api/v1/units/{id}",status="404"}"#,
        r#"credgov_http_requests_total{method="POST",route="/api/v1/auth/login",status="401"}"#,
        r#"credgov_http_requests_total{method="GET",route="unmatched",status="404"}"#,
        r#"credgov_http_request_duration_seconds_bucket{method="GET",route="/api/v1/units/{id}",le="0.1"}"#,
        r#"credgov_logins_total{outcome="success"}"#,
        r#"credgov_audit_events_total{action="membership.grant",outcome="success"}"#,
        "credgov_db_pool_connections ",
        "credgov_password_hashing_in_flight ",
        r#"credgov_outbox_messages{state="pending"}"#,
        r#"credgov_outbox_messages{state="failed"}"#,
        r#"credgov_findings_open{severity="veto"}"#,
    ] {
        assert!(
            value(&after, series).is_some(),
            "{series} missing:\n{after}"
        );
    }
    assert!(!after.contains(probe), "a client's path is never a label");
    assert!(!after.contains(TOKEN));
}
