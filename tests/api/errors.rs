//! Bad input always gets a 4xx in the error shape, never a 500; start-up errors are clear.

use credgov::app::AppState;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, error_code, test_config};

both_engines!(
    bad_requests_get_the_error_shape,
    wrong_or_missing_master_key_is_a_start_error
);

async fn bad_requests_get_the_error_shape(app: TestApp) {
    let url = format!("{}/api/v1/auth/login", app.base);
    let send = |body: &'static str, ct: &'static str| {
        app.client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = send("{not json", "application/json").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.json().await.unwrap()), "bad_request");
    let r = send(r#"{"username":"a"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&v), "invalid_input");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("password"),
        "names the missing field: {v}"
    );
    let r = send(r#"{"username":"a","password":"b"}"#, "text/plain")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    error_code(&r.json().await.unwrap());
    let big = "x".repeat(200 * 1024);
    let r = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(format!(r#"{{"username":"{big}","password":"b"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&r.json().await.unwrap()), "payload_too_large");
    let (s, v) = app.get("/api/v1/nothing-here", &app.admin_token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    error_code(&v);
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/units",
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    error_code(&v);
    // Unknown fields are refused rather than ignored.
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "x", "kind": "town", "parent_id": app.root_id, "colour": "red" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Authentication errors.
    let (s, v) = app
        .call(reqwest::Method::GET, "/api/v1/me", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "unauthenticated");
    let (s, _) = app.get("/api/v1/me", "cgs_forged").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/api/v1/me", "garbage").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/api/v1/audit?limit=abc", &app.admin_token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Health.
    let r = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-request-id").is_some());
}

async fn wrong_or_missing_master_key_is_a_start_error(app: TestApp) {
    let config = app.config.clone();
    // Another key for the same database.
    let other = app.dir.path().join("other.key");
    credgov::crypto::MasterKey::generate()
        .write_new(&other)
        .unwrap();
    let mut wrong = config.clone();
    wrong.master_key_file = other;
    let e = AppState::start(wrong, app.clock.clone())
        .await
        .err()
        .expect("wrong key refused")
        .to_string();
    assert!(e.contains("does not match"), "{e}");
    // A missing key file is not silently replaced.
    let mut missing = config.clone();
    missing.master_key_file = app.dir.path().join("gone.key");
    let e = AppState::start(missing, app.clock.clone())
        .await
        .err()
        .expect("missing key refused")
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
    assert!(!app.dir.path().join("gone.key").exists());
    // The right key starts.
    assert!(
        AppState::start(config.clone(), app.clock.clone())
            .await
            .is_ok()
    );
    // Weak argon2 without the test flag refuses to start.
    let mut weak = test_config(app.dir.path(), config.database_url.clone());
    weak.argon2.insecure_allow_weak_params_for_tests = false;
    let e = AppState::start(weak, app.clock.clone())
        .await
        .err()
        .expect("weak argon2 refused")
        .to_string();
    assert!(e.contains("below the floor"), "{e}");
}
