//! Login, lockout, TOTP enrolment, replay and mandatory two-factor.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestApp, error_code};

both_engines!(
    admin_logs_in_with_totp_and_sees_memberships,
    wrong_password_and_unknown_user_are_401_and_audited,
    lockout_after_failures_then_unlock_after_time,
    totp_required_wrong_and_replayed_codes_rejected,
    mandatory_mfa_gives_enroll_only_token,
    roles_without_mfa_get_full_token,
    enrolment_rules,
);

async fn admin_logs_in_with_totp_and_sees_memberships(app: TestApp) {
    let (s, me) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["session"], "full");
    assert_eq!(me["user"]["username"], ADMIN);
    assert_eq!(me["user"]["totp_enrolled"], true);
    assert_eq!(me["memberships"][0]["role"], "sysadmin");
    assert_eq!(me["memberships"][0]["unit_id"], app.root_id.as_str());
    // A second login needs the code now.
    let code = app.fresh_code(&app.admin_totp);
    let (s, v) = app.login_raw(ADMIN, ADMIN_PASSWORD, Some(&code)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mfa_enrollment_required"], false);
    assert!(v["expires_at"].as_i64().unwrap() > app.now());
    let actions = app.audit_actions(&app.root_id).await;
    assert!(actions.contains(&("auth.login".into(), "success".into())));
    assert!(actions.contains(&("auth.totp_enroll_confirm".into(), "success".into())));
}

async fn wrong_password_and_unknown_user_are_401_and_audited(app: TestApp) {
    let (s, v) = app.login_raw(ADMIN, "not-the-password", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "invalid_credentials");
    let (s, v) = app
        .login_raw("nobody-here", "whatever-password", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        error_code(&v),
        "invalid_credentials",
        "same answer for unknown users"
    );
    let actions = app.audit_actions(&app.root_id).await;
    let failures = actions
        .iter()
        .filter(|(a, o)| a == "auth.login" && o == "failure")
        .count();
    assert_eq!(failures, 2, "{actions:?}");
}

async fn lockout_after_failures_then_unlock_after_time(app: TestApp) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    for i in 1..=4 {
        let (s, v) = app.login_raw(&user.username, "wrong-password", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let (s, v) = app.login_raw(&user.username, "wrong-password", None).await;
    assert_eq!(s, StatusCode::LOCKED, "fifth failure locks: {v}");
    assert_eq!(error_code(&v), "locked");
    // Even the right password is refused while locked.
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    app.clock.advance_ms(14 * 60_000);
    let (s, _) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::LOCKED, "still locked at 14 minutes");
    app.clock.advance_ms(2 * 60_000);
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::OK, "unlocked after 15 minutes: {v}");
    // The counter restarted: one failure does not lock again.
    let (s, _) = app.login_raw(&user.username, "wrong-password", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let actions = app.audit_actions(&app.root_id).await;
    assert!(
        actions.contains(&("auth.lockout".into(), "success".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("auth.login".into(), "denied".into())),
        "{actions:?}"
    );
}

async fn totp_required_wrong_and_replayed_codes_rejected(app: TestApp) {
    let (s, v) = app.login_raw(ADMIN, ADMIN_PASSWORD, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "mfa_required");
    let (s, v) = app.login_raw(ADMIN, ADMIN_PASSWORD, Some("000000")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "invalid_totp");
    let code = app.fresh_code(&app.admin_totp);
    let (s, v) = app.login_raw(ADMIN, ADMIN_PASSWORD, Some(&code)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.login_raw(ADMIN, ADMIN_PASSWORD, Some(&code)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "replay: {v}");
    assert_eq!(error_code(&v), "totp_replayed");
    let actions = app.audit_actions(&app.root_id).await;
    assert!(
        actions.contains(&("auth.totp_replay".into(), "denied".into())),
        "{actions:?}"
    );
}

async fn mandatory_mfa_gives_enroll_only_token(app: TestApp) {
    let (s, v) = app
        .post("/api/v1/users", &app.admin_token, json!({ "username": "ua-mfa", "display_name": "单位管理员", "password": "Harbor-Violet-Quartz-77" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            &format!("/api/v1/units/{}/members", app.root_id),
            &app.admin_token,
            json!({ "user_id": id, "role": "unit_admin" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .login_raw("ua-mfa", "Harbor-Violet-Quartz-77", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mfa_enrollment_required"], true);
    let token = v["token"].as_str().unwrap().to_string();
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&v), "mfa_enrollment_required");
    let (s, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["session"], "enroll_only");
    let (s, e) = app
        .post("/api/v1/auth/totp/enroll", &token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let secret = e["secret"].as_str().unwrap();
    assert!(
        e["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(e["qr_png_base64"].as_str().unwrap().len() > 100);
    let (s, v) = app
        .post(
            "/api/v1/auth/totp/confirm",
            &token,
            json!({ "code": "123456x" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let code = credgov::identity::code_at(secret, app.now()).unwrap();
    let (s, _) = app
        .post("/api/v1/auth/totp/confirm", &token, json!({ "code": code }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the same session is full after enrolment: {v}"
    );
}

async fn roles_without_mfa_get_full_token(app: TestApp) {
    for role in ["custodian", "hr"] {
        let u = app.user_with_role(&app.root_id, role).await;
        let (s, me) = app.get("/api/v1/me", &u.token).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(me["session"], "full", "{role}");
    }
}

async fn enrolment_rules(app: TestApp) {
    // Already enrolled: a second enrolment needs a reset by a sysadmin.
    let (s, v) = app
        .post("/api/v1/auth/totp/enroll", &app.admin_token, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "totp_already_enrolled");
    // Confirm without enrolment.
    let u = app.user_with_role(&app.root_id, "custodian").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/totp/confirm",
            &u.token,
            json!({ "code": "123456" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // Optional enrolment for a custodian makes later logins need the code.
    let (s, e) = app
        .post("/api/v1/auth/totp/enroll", &u.token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let secret = e["secret"].as_str().unwrap().to_string();
    let code = credgov::identity::code_at(&secret, app.now()).unwrap();
    let (s, _) = app
        .post(
            "/api/v1/auth/totp/confirm",
            &u.token,
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.login_raw(&u.username, &u.password, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "mfa_required");
    // A sysadmin resets it; the user's sessions end and they log in without a code.
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", u.id),
            &app.admin_token,
            json!({ "reset_totp": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["totp_enrolled"], false);
    let (s, _) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.login_raw(&u.username, &u.password, None).await;
    assert_eq!(s, StatusCode::OK);
}
