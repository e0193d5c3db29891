//! Bad input always gets a 4xx in the error shape, never a 500; start-up errors are clear.

use credgov::app::AppState;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, error_code, test_config};

both_engines!(
    bad_requests_get_the_error_shape,
    wrong_or_missing_master_key_is_a_start_error,
    bad_paths_and_queries_get_the_error_shape,
    out_of_range_numbers_are_refused,
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
    // A value in the wrong place (here a robot URL with its key where an object belongs)
    // is named by its field, never echoed back.
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/channels", app.root_id),
            Some(&app.admin_token),
            Some(serde_json::json!({ "wecom": "https://qyapi.example/send?key=canary-echo-51f" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("wecom") && !text.contains("canary-echo"),
        "{text}"
    );
    let r = send(r#"{"username":"a","password":"b"}"#, "text/plain")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    error_code(&r.json().await.unwrap());
    let big = "x".repeat(200 * 1024);
    // Its own client: the server may close the connection after refusing a body it did not
    // read, and a pooled connection reused by the next request would then fail to send.
    let r = reqwest::Client::new()
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

/// Status and error code, asserting the shape (and, for 422, the named field).
async fn expect_error(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
    status: StatusCode,
) -> serde_json::Value {
    let (s, v) = app.call(method, path, Some(&app.admin_token), body).await;
    assert_eq!(s, status, "{path}: {v}");
    error_code(&v);
    v
}

async fn bad_paths_and_queries_get_the_error_shape(app: TestApp) {
    use reqwest::Method;
    let root = app.root_id.clone();
    let lists = [
        "/api/v1/users".to_string(),
        "/api/v1/units".to_string(),
        format!("/api/v1/units/{root}/members"),
        format!("/api/v1/units/{root}/accounts"),
        "/api/v1/accounts/no-such-account/versions".to_string(),
        "/api/v1/tokens".to_string(),
        "/api/v1/handovers".to_string(),
        "/api/v1/audit".to_string(),
    ];
    for list in &lists {
        // Sanity: the list itself answers in the shape (sysadmins may not read
        // accounts; the made-up account is 404).
        let (s, v) = app.get(list, &app.admin_token).await;
        assert!(
            [StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&s),
            "{list}: {v}"
        );
        for q in [
            "limit=abc",
            "limit=0",
            "limit=100000",
            "after=-x",
            "limit=1.5",
        ] {
            let (s, v) = app.get(&format!("{list}?{q}"), &app.admin_token).await;
            assert!(
                s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
                "{list}?{q}: {s} {v}"
            );
            error_code(&v);
        }
    }
    // The paged list: a limit that does not parse is 400, one out of range 422.
    let v = expect_error(
        &app,
        Method::GET,
        "/api/v1/audit?limit=abc",
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error_code(&v), "bad_request");
    assert_eq!(v["error"]["details"]["field"], "limit", "{v}");
    for q in ["limit=0", "limit=100000", "limit=-3", "after=-1"] {
        let v = expect_error(
            &app,
            Method::GET,
            &format!("/api/v1/audit?{q}"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_code(&v), "invalid_input");
        let field = q.split('=').next().unwrap();
        assert_eq!(v["error"]["details"]["field"], field, "{v}");
    }
    let v = expect_error(
        &app,
        Method::GET,
        "/api/v1/audit?after=9223372036854775808",
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(v["error"]["details"]["field"], "after", "{v}");
    let (s, v) = app.get("/api/v1/audit?limit=500", &app.admin_token).await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "500 is allowed: {v}");
    // Unknown query parameters on a filtered list.
    let v = expect_error(
        &app,
        Method::GET,
        "/api/v1/handovers?colour=red",
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error_code(&v), "bad_request");
    // Typed path parameters.
    let reveal =
        |version: &str| format!("/api/v1/accounts/no-such-account/versions/{version}/reveal");
    let body = json!({ "reason": "核对" });
    for bad in ["abc", "1.5", "99999999999999999999"] {
        let v = expect_error(
            &app,
            Method::POST,
            &reveal(bad),
            Some(body.clone()),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(v["error"]["details"]["field"], "version", "{v}");
    }
    for bad in ["0", "-1"] {
        let v = expect_error(
            &app,
            Method::POST,
            &reveal(bad),
            Some(body.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["error"]["details"]["field"], "version", "{v}");
    }
    // Not valid UTF-8 in a path segment.
    expect_error(
        &app,
        Method::GET,
        "/api/v1/units/%FF%FE",
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Unknown routes under /api answer the error shape; wrong methods too.
    for path in [
        "/api/v1/nothing",
        "/api/v1/units/a/b/c/d/e",
        "/api",
        "/api/v2/units",
    ] {
        let v = expect_error(&app, Method::GET, path, None, StatusCode::NOT_FOUND).await;
        assert_eq!(error_code(&v), "not_found");
    }
    // Outside /api an unknown path is the console's 404 page.
    let res = app
        .client
        .get(format!("{}/nothing", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    for (m, path) in [
        (Method::DELETE, "/api/v1/audit"),
        (Method::PUT, "/api/v1/handovers"),
        (Method::GET, "/api/v1/auth/login"),
        (Method::POST, "/healthz"),
    ] {
        let v = expect_error(&app, m, path, None, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(error_code(&v), "method_not_allowed");
    }
    // JSON bodies of the wrong type.
    let v = expect_error(
        &app,
        Method::POST,
        "/api/v1/units",
        Some(json!({ "name": 5, "kind": "town", "parent_id": root })),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_code(&v), "invalid_input");
}

async fn out_of_range_numbers_are_refused(app: TestApp) {
    use reqwest::Method;
    let root = app.root_id.clone();
    let now = app.now();
    // API token expiry: past, negative, overflowing, absurdly far, fractional.
    for bad in [
        json!(now - 1),
        json!(-5),
        json!(9223372036854775807i64),
        json!(now + 100 * 366 * 24 * 3600 * 1000),
    ] {
        let v = expect_error(
            &app,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "name": "hr-sync", "role": "hr", "unit_id": root, "expires_at": bad })),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["error"]["details"]["field"], "expires_at", "{bad}: {v}");
    }
    for bad in [
        json!(1.5),
        json!("soon"),
        json!(18446744073709551616u128 as f64),
    ] {
        let v = expect_error(
            &app,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "name": "hr-sync", "role": "hr", "unit_id": root, "expires_at": bad })),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_code(&v), "invalid_input");
    }
    // A sane expiry is fine.
    let (s, v) = app
        .post("/api/v1/tokens", &app.admin_token, json!({ "name": "hr-sync", "role": "hr", "unit_id": root, "expires_at": now + 30 * 24 * 3600 * 1000 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Policy overrides: deadlines and working days stay within their bounds.
    for bad in [
        json!(9223372036854775807i64),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(61),
    ] {
        let v = expect_error(
            &app,
            Method::PUT,
            &format!("/api/v1/units/{root}/policy"),
            Some(json!({ "overrides": { "handover": { "deadline_working_days": bad } } })),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_code(&v), "invalid_policy", "{bad}: {v}");
    }
}
