//! Session idle and absolute expiry, logout, and revocation when a user leaves.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(
    idle_session_expires_but_activity_keeps_it,
    absolute_lifetime_ends_an_active_session,
    logout_ends_the_session,
    departed_user_is_cut_off_at_once,
);

const MIN: i64 = 60_000;

async fn idle_session_expires_but_activity_keeps_it(app: TestApp) {
    let u = app.user_with_role(&app.root_id, "custodian").await;
    for _ in 0..3 {
        app.clock.advance_ms(10 * MIN);
        let (s, _) = app.get("/api/v1/me", &u.token).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "10 minutes idle is within the 15-minute limit"
        );
    }
    app.clock.advance_ms(16 * MIN);
    let (s, v) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "session_expired");
    let (s, _) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "an expired session stays dead");
}

async fn absolute_lifetime_ends_an_active_session(app: TestApp) {
    let u = app.user_with_role(&app.root_id, "custodian").await;
    let mut elapsed = 0;
    while elapsed + 10 * MIN < 8 * 60 * MIN {
        app.clock.advance_ms(10 * MIN);
        elapsed += 10 * MIN;
        let (s, _) = app.get("/api/v1/me", &u.token).await;
        assert_eq!(s, StatusCode::OK, "alive at {} minutes", elapsed / MIN);
    }
    app.clock.advance_ms(10 * MIN);
    let (s, v) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "past 8 hours: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum lifetime")
    );
}

async fn logout_ends_the_session(app: TestApp) {
    let u = app.user_with_role(&app.root_id, "hr").await;
    let (s, _) = app.post("/api/v1/auth/logout", &u.token, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let actions = app.audit_actions(&app.root_id).await;
    assert!(actions.contains(&("auth.logout".into(), "success".into())));
}

async fn departed_user_is_cut_off_at_once(app: TestApp) {
    let u = app.user_with_role(&app.root_id, "unit_admin").await;
    let second = app.login(&u).await;
    // The leaver had minted an integration token? Only sysadmins can; check sessions.
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", u.id),
            &app.admin_token,
            json!({ "status": "departed" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "departed");
    for t in [&u.token, &second] {
        let (s, _) = app.get("/api/v1/me", t).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let code = app.fresh_code(u.totp_secret.as_deref().unwrap());
    let (s, v) = app.login_raw(&u.username, &u.password, Some(&code)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "account_inactive");
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", u.id),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "empty patch: {v}");
}
