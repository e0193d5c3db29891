//! API tokens for integrations.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(api_token_lifecycle, api_tokens_die_with_their_creator);

async fn api_token_lifecycle(app: TestApp) {
    let a = app
        .create_unit(&app.root_id, "区人社局", "department")
        .await;
    let b = app.create_unit(&app.root_id, "区教委", "department").await;
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "HR system", "role": "hr", "unit_id": a }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("cgt_"));
    // The token works inside its unit and nowhere else.
    let (s, _) = app.get(&format!("/api/v1/units/{a}"), &token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.get(&format!("/api/v1/units/{b}"), &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["api_token"]["name"], "HR system");
    // It cannot mint tokens or users.
    let (s, _) = app
        .post(
            "/api/v1/tokens",
            &token,
            json!({ "name": "x", "role": "hr", "unit_id": a }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Listing never shows the secret.
    let (s, list) = app.get("/api/v1/tokens", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains(&token));
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // No sysadmin tokens, no past expiry.
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "x", "role": "sysadmin", "unit_id": a }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "x", "role": "hr", "unit_id": a, "expires_at": app.now() - 1 }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Expiry.
    let (s, v) = app
        .post("/api/v1/tokens", &app.admin_token, json!({ "name": "short", "role": "hr", "unit_id": a, "expires_at": app.now() + 60_000 }))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let short = v["token"].as_str().unwrap().to_string();
    let (s, _) = app.get("/api/v1/me", &short).await;
    assert_eq!(s, StatusCode::OK);
    app.clock.advance_ms(61_000);
    let (s, v) = app.get("/api/v1/me", &short).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    // Revocation.
    let (s, _) = app
        .delete(&format!("/api/v1/tokens/{id}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "unauthenticated");
    let (s, _) = app
        .delete(&format!("/api/v1/tokens/{id}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let actions = app.audit_actions(&a).await;
    assert!(actions.contains(&("api_token.create".into(), "success".into())));
    assert!(actions.contains(&("api_token.revoke".into(), "success".into())));
}

async fn api_tokens_die_with_their_creator(app: TestApp) {
    let a = app
        .create_unit(&app.root_id, "区大数据局", "department")
        .await;
    let admin2 = app.user_with_role(&a, "sysadmin").await;
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &admin2.token,
            json!({ "name": "sync", "role": "hr", "unit_id": a }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .patch(
            &format!("/api/v1/users/{}", admin2.id),
            &app.admin_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
