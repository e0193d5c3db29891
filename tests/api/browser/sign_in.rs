//! Sign in with first-time TOTP enrolment, sign out, sign in with password then code,
//! and the English switch — in a real browser, no console errors.

use serde_json::json;

use super::Browser;
use crate::common::{Engine, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_totp_enrolment() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let Some(mut b) = Browser::start("sign-in", &app.base, "zh-CN").await else {
        return;
    };
    // A unit administrator who has never signed in: the role requires TOTP.
    let unit = app
        .create_unit(&app.root_id, "永川区网信办", "department")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"username": "wangfang", "display_name": "王芳", "password": "Harbor-Willow-Copper-482", "unit_id": unit}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/members"),
            &app.admin_token,
            json!({"user_id": id, "role": "unit_admin"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    b.goto("/").await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    assert_eq!(b.text("h1").await, "登录");
    b.shot("login").await;
    b.fill("#username", "wangfang").await;
    b.fill("#password", "Harbor-Willow-Copper-482").await;
    b.click("#login-submit").await;
    // First sign-in: enrolment with the QR code and the manual key.
    let secret = b.text("#enroll-secret").await;
    assert!(b.exists("#enroll-qr").await);
    b.shot("enroll").await;
    let code = credgov::identity::code_at(&secret, app.now()).unwrap();
    b.fill("#code", &code).await;
    b.click("#enroll-submit").await;
    assert_eq!(b.text("#who-name").await, "wangfang");
    assert!(b.source().await.contains("两步验证已设置"));
    b.shot("home").await;
    b.assert_no_console_errors().await;

    // Sign out; the old page's session is gone on the server too.
    b.click("#logout").await;
    // The sign-in form of the page the sign-out lands on (the click does not wait).
    b.wait("#username").await;
    assert!(
        b.path().await.starts_with("/login?signed_out=1"),
        "{}",
        b.path().await
    );
    b.goto("/").await;
    assert!(b.path().await.starts_with("/login"));

    // Password, then the code on its own page.
    b.fill("#username", "wangfang").await;
    b.fill("#password", "Harbor-Willow-Copper-482").await;
    b.click("#login-submit").await;
    b.wait("#code").await;
    b.shot("totp").await;
    b.fill("#code", "000000").await;
    b.click("#totp-submit").await;
    assert!(b.text("#login-error").await.contains("动态码"));
    b.allow_status_pages(&[401]).await;
    let code = app.fresh_code(&secret);
    b.fill("#code", &code).await;
    b.click("#totp-submit").await;
    assert_eq!(b.text("#who-name").await, "wangfang");

    // English, saved for the person.
    b.click("#lang-switch").await;
    b.wait("html[lang=en]").await;
    assert!(b.source().await.contains("Sign out"));
    b.shot("home-en").await;
    b.assert_no_console_errors().await;
    b.close().await;
    let lang: String = sqlx::query_scalar("SELECT lang FROM notify_prefs WHERE user_id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(lang, "en");
}
