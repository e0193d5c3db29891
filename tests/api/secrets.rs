//! Canary secrets never reach the logs, error bodies or the database in plaintext.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, captured_logs};

both_engines!(canaries_stay_out_of_logs_and_database);

async fn canaries_stay_out_of_logs_and_database(app: TestApp) {
    let canary = format!("Canary-{}-Pw!", uuid::Uuid::new_v4().simple());
    let username = format!("canary-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": username, "display_name": "金丝雀", "password": canary }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, login) = app.login_raw(&username, &canary, None).await;
    assert_eq!(s, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_string();
    let (s, e) = app
        .post("/api/v1/auth/totp/enroll", &token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let totp_secret = e["secret"].as_str().unwrap().to_string();
    // A failed login with a different canary.
    let wrong = format!("Wrong-{}-Pw", uuid::Uuid::new_v4().simple());
    let (s, v) = app.login_raw(&username, &wrong, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!v.to_string().contains(&wrong));
    let (s, t) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "canary", "role": "hr", "unit_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let api_token = t["token"].as_str().unwrap().to_string();
    let (s, _) = app.get("/api/v1/me", &api_token).await;
    assert_eq!(s, StatusCode::OK);

    let logs = captured_logs();
    let dump = app.dump().await;
    assert!(dump.contains(&username), "the dump helper sees the data");
    for (what, secret) in [
        ("password", &canary),
        ("wrong password", &wrong),
        ("TOTP secret", &totp_secret),
        ("session token", &token),
        ("API token", &api_token),
    ] {
        assert!(
            !logs.contains(secret.as_str()),
            "{what} leaked into the logs"
        );
        assert!(
            !dump.contains(secret.as_str()),
            "{what} stored in plaintext"
        );
    }
    assert!(logs.contains("/api/v1/auth/login"), "the log capture works");
}
