//! Own passwords (change, reset, unlock, log out everywhere, maximum age, re-hashing),
//! acting on another user only with scope over all their units, and the last sysadmin.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{ADMIN, Engine, TestApp, TestUser, error_code, spawn_app_with};

both_engines!(
    change_own_password,
    wrong_current_password_counts_toward_lockout_and_unlock_clears_it,
    log_out_everywhere,
    admin_reset_limits_the_session_until_changed,
    acting_on_a_user_needs_scope_over_all_their_units,
    login_rehashes_a_weaker_hash,
    cli_resets_a_locked_out_sole_admin,
    the_last_sysadmin_cannot_be_disabled,
    two_sysadmins_disabling_each_other_never_both_succeed,
);

const NEW_PASSWORD: &str = "Velvet-Harbor-Compass-8416";
const DAY_MS: i64 = 86_400_000;

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/me/password",
        token,
        json!({ "current_password": current, "new_password": new }),
    )
    .await
}

async fn failed_logins(app: &TestApp, id: &str) -> i64 {
    sqlx::query("SELECT failed_logins FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

async fn change_own_password(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    let other = app.login(&user).await;
    // Weak new password: 422 with the policy's feedback, nothing changed.
    let (s, v) = change(&app, &user.token, &user.password, "password123").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "weak_password");
    assert!(!v["error"]["details"]["feedback"].is_null(), "{v}");
    let (s, v) = change(&app, &user.token, &user.password, &user.password).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "invalid_input");
    // Wrong current password: 401 and counted as a failed login.
    let (s, v) = change(&app, &user.token, "Not-The-Password-1234", NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(error_code(&v), "invalid_credentials");
    assert_eq!(failed_logins(&app, &user.id).await, 1);
    // The real change.
    let (s, v) = change(&app, &user.token, &user.password, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // This session stays, the other one ended.
    let (s, v) = app.get("/api/v1/me", &user.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["session"], "full");
    let (s, v) = app.get("/api/v1/units", &user.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get("/api/v1/me", &other).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(error_code(&v), "session_expired");
    // Old password fails, new one works.
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = app.login_raw(&user.username, NEW_PASSWORD, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], false);
    let actions = app.audit_actions(&dept).await;
    assert!(actions.contains(&("user.password_change".into(), "success".into())));
    assert!(!app.dump().await.contains(NEW_PASSWORD));
    assert!(!crate::common::captured_logs().contains(NEW_PASSWORD));
}

async fn wrong_current_password_counts_toward_lockout_and_unlock_clears_it(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    let max = app.state.policy.lockout.max_failures;
    for i in 1..max {
        let (s, v) = change(&app, &user.token, "Not-The-Password-1234", NEW_PASSWORD).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let (s, v) = change(&app, &user.token, "Not-The-Password-1234", NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    assert_eq!(error_code(&v), "locked");
    // Locked: even the right current password is refused, and so is login.
    let (s, v) = change(&app, &user.token, &user.password, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    // The admin unlocks.
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{}/unlock", user.id),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["locked_until"], Value::Null);
    assert_eq!(failed_logins(&app, &user.id).await, 0);
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let actions = app.audit_actions(&dept).await;
    assert!(actions.contains(&("auth.lockout".into(), "success".into())));
    assert!(actions.contains(&("user.unlock".into(), "success".into())));
}

async fn log_out_everywhere(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    let other = app.login(&user).await;
    let (s, v) = app
        .post("/api/v1/me/sessions/revoke-all", &user.token, json!({}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for t in [&user.token, &other] {
        let (s, v) = app.get("/api/v1/me", t).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    let (s, _) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "other users keep their sessions");
    assert!(
        app.audit_actions(&dept)
            .await
            .contains(&("auth.logout_all".into(), "success".into()))
    );
}

async fn admin_reset_limits_the_session_until_changed(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    let res = app
        .client
        .post(format!(
            "{}/api/v1/users/{}/password-reset",
            app.base, user.id
        ))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let v: Value = res.json().await.unwrap();
    let otp = v["one_time_password"].as_str().unwrap().to_string();
    assert!(otp.len() >= 16);
    // Every session of the user ended; the old password is gone.
    let (s, _) = app.get("/api/v1/me", &user.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The one-time password logs in to a limited session.
    let (s, v) = app.login_raw(&user.username, &otp, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], true);
    let token = v["token"].as_str().unwrap().to_string();
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "password_change_required");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/me/password")
    );
    let (s, v) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["session"], "password_change_only");
    let (s, v) = change(&app, &token, &otp, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.login_raw(&user.username, NEW_PASSWORD, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], false);
    // Own password goes through /me/password, not the reset.
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{}/password-reset", user.id),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let actions = app.audit_actions(&dept).await;
    assert!(actions.contains(&("user.password_reset".into(), "success".into())));
    assert!(
        !app.dump().await.contains(&otp),
        "one-time password stored or audited"
    );
    assert!(!crate::common::captured_logs().contains(&otp));
}

async fn create_user_in(app: &TestApp, unit: &str) -> String {
    let username = format!("u-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": username, "display_name": "测试", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn grant(app: &TestApp, unit: &str, user: &str, role: &str) {
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/members"),
            &app.admin_token,
            json!({ "user_id": user, "role": role }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn acting_on_a_user_needs_scope_over_all_their_units(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let town = app.create_unit(&app.root_id, "来苏镇", "town").await;
    let sub_sys = app.user_with_role(&dept, "sysadmin").await;
    let town_sys = app.user_with_role(&town, "sysadmin").await;
    // Home in the sub-unit, but sysadmin of the whole district.
    let root_sys = create_user_in(&app, &dept).await;
    grant(&app, &dept, &root_sys, "supervisor").await;
    grant(&app, &app.root_id, &root_sys, "sysadmin").await;
    // An ordinary user of the sub-unit.
    let plain = create_user_in(&app, &dept).await;
    grant(&app, &dept, &plain, "custodian").await;
    let admin_id: String = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(ADMIN)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    let attempts = |id: &str| {
        vec![
            (
                "PATCH",
                format!("/api/v1/users/{id}"),
                json!({ "status": "disabled" }),
            ),
            (
                "PATCH",
                format!("/api/v1/users/{id}"),
                json!({ "display_name": "改名" }),
            ),
            (
                "PATCH",
                format!("/api/v1/users/{id}"),
                json!({ "reset_totp": true }),
            ),
            (
                "POST",
                format!("/api/v1/users/{id}/password-reset"),
                json!({}),
            ),
            ("POST", format!("/api/v1/users/{id}/unlock"), json!({})),
        ]
    };
    let call = |m: &str, path: String, token: String, body: Value| {
        let method = if m == "PATCH" {
            reqwest::Method::PATCH
        } else {
            reqwest::Method::POST
        };
        let app = &app;
        async move { app.call(method, &path, Some(&token), Some(body)).await }
    };
    for (m, path, body) in attempts(&root_sys) {
        let (s, v) = call(m, path.clone(), sub_sys.token.clone(), body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{m} {path}: {v}");
        assert_eq!(error_code(&v), "forbidden");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("scope"),
            "{v}"
        );
        let (s, v) = call(m, path.clone(), town_sys.token.clone(), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
        assert_eq!(error_code(&v), "not_found");
    }
    for (m, path, body) in attempts(&admin_id) {
        let (s, v) = call(m, path.clone(), sub_sys.token.clone(), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
    }
    // Within scope: allowed (the reset last, it changes nothing the others need).
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{plain}"),
            &sub_sys.token,
            json!({ "display_name": "新名" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{plain}/unlock"),
            &sub_sys.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{plain}/password-reset"),
            &sub_sys.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The root sysadmin may act on the district-wide one.
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{root_sys}/unlock"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let actions = app.audit_actions(&dept).await;
    for a in ["user.update", "user.unlock", "user.password_reset"] {
        assert!(
            actions.contains(&(a.into(), "success".into())),
            "{a}: {actions:?}"
        );
    }
    let (status, _) = app
        .get(&format!("/api/v1/users/{root_sys}"), &app.admin_token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = sqlx::query("SELECT status, display_name FROM users WHERE id = $1")
        .bind(&root_sys)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "active");
    assert_eq!(row.get::<String, _>(1), "测试");
}

async fn login_rehashes_a_weaker_hash(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    let weak = credgov::identity::PasswordHasher::new(&credgov::config::Argon2Config {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
        max_concurrent: Some(1),
        insecure_allow_weak_params_for_tests: true,
        ..credgov::config::Argon2Config::default()
    })
    .unwrap()
    .hash_blocking(user.password.as_bytes())
    .unwrap();
    assert!(weak.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&weak)
        .bind(&user.id)
        .execute(app.pool())
        .await
        .unwrap();
    let stored = || async {
        sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(&user.id)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get::<String, _>(0)
    };
    // A wrong password does not touch the hash.
    let (s, _) = app
        .login_raw(&user.username, "Wrong-Password-0000", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(stored().await, weak);
    let _ = app.login(&user).await;
    let now = stored().await;
    let c = &app.config.argon2;
    let expected = format!(
        "$argon2id$v=19$m={},t={},p={}$",
        c.memory_kib, c.iterations, c.parallelism
    );
    assert!(now.starts_with(&expected), "{now}");
    // Still the same password, and no second re-hash.
    let _ = app.login(&user).await;
    assert_eq!(stored().await, now);
}

async fn cli_resets_a_locked_out_sole_admin(app: TestApp) {
    // Lock the sole admin out.
    sqlx::query("UPDATE users SET locked_until = $1 WHERE username = $2")
        .bind(app.now() + DAY_MS)
        .bind(ADMIN)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, _) = app
        .login_raw(ADMIN, crate::common::ADMIN_PASSWORD, None)
        .await;
    assert_eq!(s, StatusCode::LOCKED);
    let out = std::process::Command::new(TestApp::binary())
        .args(["users", "reset-password", ADMIN])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("CREDGOV_ARGON2__MEMORY_KIB", "256")
        .env("CREDGOV_ARGON2__ITERATIONS", "1")
        .env(
            "CREDGOV_ARGON2__INSECURE_ALLOW_WEAK_PARAMS_FOR_TESTS",
            "true",
        )
        .env("CREDGOV_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let otp = stdout
        .lines()
        .find_map(|l| l.strip_prefix("one-time password (shown once, not logged): "))
        .unwrap_or_else(|| panic!("no password in {stdout}"))
        .trim()
        .to_string();
    let (s, _) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "sessions ended");
    let code = app.fresh_code(&app.admin_totp);
    let (s, v) = app.login_raw(ADMIN, &otp, Some(&code)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], true);
    let token = v["token"].as_str().unwrap();
    let (s, v) = change(&app, token, &otp, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, _) = app.get("/api/v1/units", token).await;
    assert_eq!(s, StatusCode::OK);
    let actor: String = sqlx::query(
        "SELECT actor_kind FROM audit_events WHERE unit_id = $1 AND action = 'user.password_reset'",
    )
    .bind(&app.root_id)
    .fetch_one(app.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(actor, "operator");
    // An unknown user: one line on stderr, exit 1.
    let out = std::process::Command::new(TestApp::binary())
        .args(["users", "reset-password", "nobody-here"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("CREDGOV_ARGON2__MEMORY_KIB", "256")
        .env("CREDGOV_ARGON2__ITERATIONS", "1")
        .env(
            "CREDGOV_ARGON2__INSECURE_ALLOW_WEAK_PARAMS_FOR_TESTS",
            "true",
        )
        .env("CREDGOV_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}

async fn the_last_sysadmin_cannot_be_disabled(app: TestApp) {
    let admin_id: String = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(ADMIN)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    for status in ["disabled", "departed"] {
        let (s, v) = app
            .patch(
                &format!("/api/v1/users/{admin_id}"),
                &app.admin_token,
                json!({ "status": status }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(error_code(&v), "last_sysadmin");
    }
    // With a second root sysadmin, either may be disabled.
    let second = app.user_with_role(&app.root_id, "sysadmin").await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", second.id),
            &app.admin_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            &app.admin_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the disabled one does not count: {v}"
    );
    // Revoking the role goes through the same guard.
    let (s, v) = app
        .delete(
            &format!("/api/v1/units/{}/members/{admin_id}/sysadmin", app.root_id),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "last_sysadmin");
}

async fn relogin(app: &TestApp, user: &TestUser) -> TestUser {
    let token = app.login(user).await;
    TestUser {
        token,
        ..user.clone()
    }
}

async fn two_sysadmins_disabling_each_other_never_both_succeed(app: TestApp) {
    let mut a = app.user_with_role(&app.root_id, "sysadmin").await;
    let mut b = app.user_with_role(&app.root_id, "sysadmin").await;
    // Only a and b remain active sysadmins.
    let admin_id: String = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(ADMIN)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            &a.token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for round in 0..10 {
        let (path_b, path_a) = (
            format!("/api/v1/users/{}", b.id),
            format!("/api/v1/users/{}", a.id),
        );
        let (ra, rb) = tokio::join!(
            app.patch(&path_b, &a.token, json!({ "status": "disabled" })),
            app.patch(&path_a, &b.token, json!({ "status": "disabled" })),
        );
        let ok = [ra.0, rb.0]
            .iter()
            .filter(|s| **s == StatusCode::OK)
            .count();
        assert_eq!(ok, 1, "round {round}: {ra:?} {rb:?}");
        for (s, v) in [&ra, &rb] {
            if *s != StatusCode::OK {
                let code = error_code(v);
                assert!(
                    code == "last_sysadmin" || code == "session_expired",
                    "round {round}: {v}"
                );
            }
        }
        let active: i64 = sqlx::query(
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.unit_id = $1 AND m.role = 'sysadmin' AND u.status = 'active'",
        )
        .bind(&app.root_id)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
        assert_eq!(active, 1, "round {round}");
        // The survivor re-enables the other, who logs in again.
        let (winner, loser) = if ra.0 == StatusCode::OK {
            (&a, &b)
        } else {
            (&b, &a)
        };
        let (s, v) = app
            .patch(
                &format!("/api/v1/users/{}", loser.id),
                &winner.token,
                json!({ "status": "active" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if ra.0 == StatusCode::OK {
            b = relogin(&app, &b).await;
        } else {
            a = relogin(&app, &a).await;
        }
    }
}

/// Maximum password age from the `mlps-level3` preset (90 days).
async fn expired_password_limits_the_session(engine: Engine) {
    let Some(app) = spawn_app_with(engine, |c| c.policy = "mlps-level3".into()).await else {
        return;
    };
    assert_eq!(app.state.policy.user_password.max_age_days, 90);
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let user = app.user_with_role(&dept, "custodian").await;
    app.clock.advance_ms(89 * DAY_MS);
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], false);
    app.clock.advance_ms(2 * DAY_MS);
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["password_change_required"], true);
    let token = v["token"].as_str().unwrap().to_string();
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "password_change_required");
    let (s, v) = change(&app, &token, &user.password, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/api/v1/units", &token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

mod expired_password_limits_the_session {
    use crate::common::Engine;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::expired_password_limits_the_session(Engine::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::expired_password_limits_the_session(Engine::Postgres).await;
    }
}
