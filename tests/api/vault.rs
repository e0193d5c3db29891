//! The credential vault: accounts, policy enforcement, staged rotation, audited reveal,
//! tamper-evident sealing and the exposure ledger.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp, TestUser, captured_logs, error_code};

both_engines!(
    accounts_are_created_read_and_updated_without_secrets,
    weak_and_reused_passwords_are_refused_with_feedback,
    staged_rotation_confirm_cancel_and_history,
    concurrent_confirms_have_exactly_one_winner,
    reveal_is_audited_and_limited_to_custodians_and_admins,
    ciphertext_moved_between_rows_or_units_does_not_open,
    managed_totp_codes_are_shown_on_reveal,
    policy_check_stores_nothing,
    reveal_fails_closed_when_audit_cannot_be_written,
    vault_canaries_stay_out_of_logs_and_database,
);

pub struct Vault {
    pub unit: String,
    pub admin: TestUser,
}

pub async fn vault(app: &TestApp, name: &str) -> Vault {
    let unit = app.create_unit(&app.root_id, name, "department").await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    Vault { unit, admin }
}

pub async fn account(app: &TestApp, v: &Vault, name: &str, password: &str) -> String {
    let (s, body) = app
        .post(
            &format!("/api/v1/units/{}/accounts", v.unit),
            &v.admin.token,
            json!({ "name": name, "platform": "wechat_official", "login_name": format!("{name}@gov.cn"), "classification": "core", "password": password }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

pub async fn reveal(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/accounts/{id}/reveal"),
        token,
        json!({ "reason": "发布年度工作报告" }),
    )
    .await
}

async fn accounts_are_created_read_and_updated_without_secrets(app: TestApp) {
    let v = vault(&app, "区发改委").await;
    let pw = "Osmanthus-Ridge-Lantern-47";
    let id = account(&app, &v, "发改委公众号", pw).await;
    let (s, a) = app
        .get(&format!("/api/v1/accounts/{id}"), &v.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["platform"], "wechat_official");
    assert_eq!(a["current_version"], 1);
    assert_eq!(a["status"], "active");
    assert!(
        !a.to_string().contains(pw),
        "metadata never carries the secret"
    );
    // Generated password at creation.
    let (s, g) = app
        .post(&format!("/api/v1/units/{}/accounts", v.unit), &v.admin.token, json!({ "name": "发改委微博", "platform": "weibo", "login_name": "fgw", "classification": "important", "generate": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let generated = g["password"].as_str().unwrap().to_string();
    assert!(generated.chars().count() >= 20);
    let (s, list) = app
        .get(
            &format!("/api/v1/units/{}/accounts", v.unit),
            &v.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&generated) && !list.to_string().contains(pw));
    // Update metadata.
    let holder = app.user_with_role(&v.unit, "custodian").await;
    let (s, u) = app
        .patch(&format!("/api/v1/accounts/{id}"), &v.admin.token, json!({ "bound_phone": "13800000000", "binding_holder_id": holder.id, "classification": "important", "status": "suspended" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["binding_holder_id"], holder.id.as_str());
    assert_eq!(u["classification"], "important");
    // Suspended accounts do not rotate.
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    // Bad input.
    for body in [
        json!({ "name": "x", "platform": "myspace", "login_name": "a", "classification": "core", "password": pw }),
        json!({ "name": "x", "platform": "weibo", "login_name": "a", "classification": "core" }),
        json!({ "name": "x", "platform": "weibo", "login_name": "a", "classification": "core", "password": pw, "generate": true }),
        json!({ "name": "", "platform": "weibo", "login_name": "a", "classification": "core", "generate": true }),
        json!({ "name": "y", "platform": "weibo", "login_name": "a", "classification": "core", "generate": true, "totp_secret": "!!" }),
    ] {
        let (s, e) = app
            .post(
                &format!("/api/v1/units/{}/accounts", v.unit),
                &v.admin.token,
                body.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {e}");
        error_code(&e);
    }
    let (s, e) = app
        .post(&format!("/api/v1/units/{}/accounts", v.unit), &v.admin.token, json!({ "name": "发改委公众号", "platform": "weibo", "login_name": "a", "classification": "core", "generate": true }))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // Custodians: must hold a role on the unit.
    let outsider = app.user_with_role(&app.root_id, "hr").await;
    let (s, e) = app
        .post(
            &format!("/api/v1/accounts/{id}/custodians"),
            &v.admin.token,
            json!({ "user_id": outsider.id }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, a) = app
        .post(
            &format!("/api/v1/accounts/{id}/custodians"),
            &v.admin.token,
            json!({ "user_id": holder.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["custodians"][0]["user_id"], holder.id.as_str());
    let (s, _) = app
        .post(
            &format!("/api/v1/accounts/{id}/custodians"),
            &v.admin.token,
            json!({ "user_id": holder.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .delete(
            &format!("/api/v1/accounts/{id}/custodians/{}", holder.id),
            &v.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let actions = app.audit_actions(&v.unit).await;
    for want in [
        "account.create",
        "account.update",
        "custodian.add",
        "custodian.remove",
    ] {
        assert!(
            actions.iter().any(|(a, _)| a == want),
            "{want} missing: {actions:?}"
        );
    }
}

async fn weak_and_reused_passwords_are_refused_with_feedback(app: TestApp) {
    let v = vault(&app, "区卫健委").await;
    for weak in [
        "password",
        "weijianwei123",
        "Password1234!",
        "卫健委公众号2024",
    ] {
        let (s, e) = app
            .post(&format!("/api/v1/units/{}/accounts", v.unit), &v.admin.token, json!({ "name": "卫健委公众号", "platform": "wechat_official", "login_name": "weijianwei", "classification": "core", "password": weak }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {e}");
        assert_eq!(error_code(&e), "weak_password");
        assert!(
            !e["error"]["details"]["feedback"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        if weak != "password" {
            assert!(!e.to_string().contains(weak), "the password is not echoed");
        }
    }
    let shared = "Camellia-Harbor-Vesper-83";
    account(&app, &v, "卫健委公众号", shared).await;
    // The same password on another account of the unit.
    let (s, e) = app
        .post(&format!("/api/v1/units/{}/accounts", v.unit), &v.admin.token, json!({ "name": "卫健委抖音", "platform": "douyin", "login_name": "wjw-dy", "classification": "general", "password": shared }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(error_code(&e), "reused_password");
    // Another unit may (reuse is per unit), and nothing was stored for the refusals.
    let other = vault(&app, "区民政局").await;
    account(&app, &other, "民政局公众号", shared).await;
    let (_, list) = app
        .get(
            &format!("/api/v1/units/{}/accounts", v.unit),
            &v.admin.token,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn staged_rotation_confirm_cancel_and_history(app: TestApp) {
    let v = vault(&app, "区城管局").await;
    let first = "Juniper-Sextant-Cobalt-29";
    let id = account(&app, &v, "城管局微博", first).await;
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["state"], "pending");
    assert_eq!(r["version"], 2);
    let second = r["password"].as_str().unwrap().to_string();
    let rotation = r["rotation_id"].as_str().unwrap().to_string();
    // One pending rotation at a time.
    let (s, e) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&e), "rotation_pending");
    // While pending, reveal shows both.
    let (s, rv) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(s, StatusCode::OK, "{rv}");
    assert_eq!(rv["password"], first);
    assert_eq!(rv["version"], 1);
    assert_eq!(rv["pending"]["password"], second.as_str());
    assert_eq!(rv["pending"]["rotation_id"], rotation.as_str());
    // Confirm.
    let (s, _) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, rv) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(rv["password"], second.as_str());
    assert_eq!(rv["version"], 2);
    assert!(rv["pending"].is_null());
    let (_, a) = app
        .get(&format!("/api/v1/accounts/{id}"), &v.admin.token)
        .await;
    assert!(a["last_rotated_at"].as_i64().is_some());
    // Going back to the first password is refused (history).
    let (s, e) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({ "password": first }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(error_code(&e), "reused_password");
    // A chosen password, then cancelled: the current one stays.
    let chosen = "Tamarind-Quasar-Meridian-64";
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({ "password": chosen }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["password"], chosen);
    let rotation = r["rotation_id"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/cancel"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, rv) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(rv["password"], second.as_str());
    // History: metadata for all, the old secret for unit admins with a reason.
    let (s, versions) = app
        .get(&format!("/api/v1/accounts/{id}/versions"), &v.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    let states: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["abandoned", "current", "previous"]);
    assert!(!versions.to_string().contains(first));
    let (s, old) = app
        .post(
            &format!("/api/v1/accounts/{id}/versions/1/reveal"),
            &v.admin.token,
            json!({ "reason": "核对旧密码" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{old}");
    assert_eq!(old["password"], first);
    let (s, _) = app
        .post(
            &format!("/api/v1/accounts/{id}/versions/9/reveal"),
            &v.admin.token,
            json!({ "reason": "核对旧密码" }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let actions = app.audit_actions(&v.unit).await;
    for want in [
        "rotation.start",
        "rotation.confirm",
        "rotation.cancel",
        "secret.reveal",
        "secret.reveal_version",
    ] {
        assert!(actions.iter().any(|(a, _)| a == want), "{want} missing");
    }
}

async fn concurrent_confirms_have_exactly_one_winner(app: TestApp) {
    let v = vault(&app, "区交通局").await;
    let id = account(&app, &v, "交通局公众号", "Marigold-Anchor-Zephyr-35").await;
    for round in 0..3 {
        let (s, r) = app
            .post(
                &format!("/api/v1/accounts/{id}/rotations"),
                &v.admin.token,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let rotation = r["rotation_id"].as_str().unwrap().to_string();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let client = app.client.clone();
            let url = if i % 3 == 2 {
                format!("{}/api/v1/rotations/{rotation}/cancel", app.base)
            } else {
                format!("{}/api/v1/rotations/{rotation}/confirm", app.base)
            };
            let token = v.admin.token.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            let s = t.await.unwrap();
            assert!(
                s == StatusCode::NO_CONTENT || s == StatusCode::CONFLICT,
                "round {round}: {s}"
            );
            if s == StatusCode::NO_CONTENT {
                ok += 1;
            }
        }
        assert_eq!(ok, 1, "exactly one finisher in round {round}");
        let current: i64 = sqlx::query(
            "SELECT COUNT(*) FROM credential_versions WHERE account_id = $1 AND state = 'current'",
        )
        .bind(&id)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
        assert_eq!(current, 1);
        let (s, _) = reveal(&app, &v.admin.token, &id).await;
        assert_eq!(s, StatusCode::OK);
    }
    // Concurrent starts: one pending at most.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/accounts/{id}/rotations", app.base);
        let token = v.admin.token.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
        created += usize::from(s == StatusCode::CREATED);
    }
    assert_eq!(created, 1);
}

async fn reveal_is_audited_and_limited_to_custodians_and_admins(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let foreign = vault(&app, "区税务局").await;
    let id = account(&app, &v, "财政局网站后台", "Sapphire-Willow-Gazette-58").await;
    let foreign_id = account(
        &app,
        &foreign,
        "税务局网站后台",
        "Sapphire-Willow-Gazette-59",
    )
    .await;
    let mut custodian = app.user_with_role(&v.unit, "custodian").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/accounts/{id}/custodians"),
            &v.admin.token,
            json!({ "user_id": custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Without a second factor even a named custodian sees nothing.
    let (s, r) = reveal(&app, &custodian.token, &id).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    assert_eq!(error_code(&r), "second_factor_required");
    app.enroll_totp(&mut custodian).await;
    let other_custodian = app.user_with_role(&v.unit, "custodian").await;
    // Unit admin and named custodian may reveal; the response is not cacheable.
    let r = app
        .client
        .post(format!("{}/api/v1/accounts/{id}/reveal", app.base))
        .bearer_auth(&custodian.token)
        .json(&json!({ "reason": "更新网站栏目" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let (s, _) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(s, StatusCode::OK);
    // Reason required.
    let (s, e) = app
        .post(
            &format!("/api/v1/accounts/{id}/reveal"),
            &v.admin.token,
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Wrong role or not named: 403. Foreign unit: 404.
    let supervisor = app.user_with_role(&v.unit, "supervisor").await;
    let auditor = app.user_with_role(&v.unit, "auditor").await;
    let hr = app.user_with_role(&v.unit, "hr").await;
    for (who, token) in [
        ("unnamed custodian", &other_custodian.token),
        ("supervisor", &supervisor.token),
        ("auditor", &auditor.token),
        ("hr", &hr.token),
        ("sysadmin", &app.admin_token),
    ] {
        for path in [
            format!("/api/v1/accounts/{id}/reveal"),
            format!("/api/v1/accounts/{id}/rotations"),
            format!("/api/v1/accounts/{id}/versions/1/reveal"),
        ] {
            let body = if path.ends_with("/rotations") {
                json!({})
            } else {
                json!({ "reason": "想看看密码" })
            };
            let (s, e) = app.post(&path, token, body).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {path}: {e}");
        }
        let (s, _) = reveal(&app, token, &foreign_id).await;
        let want = if who == "sysadmin" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(s, want, "{who} on a foreign unit's account");
    }
    // The custodian cannot reveal history (unit admins only).
    let (s, _) = app
        .post(
            &format!("/api/v1/accounts/{id}/versions/1/reveal"),
            &custodian.token,
            json!({ "reason": "核对旧密码" }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Foreign unit admin: 404 on every vault endpoint of this unit.
    let f = &foreign.admin.token;
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/accounts/{id}")),
        (
            reqwest::Method::GET,
            format!("/api/v1/accounts/{id}/versions"),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/units/{}/accounts", v.unit),
        ),
        (reqwest::Method::PATCH, format!("/api/v1/accounts/{id}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/accounts/{id}/reveal"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/accounts/{id}/rotations"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/accounts/{id}/custodians"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/units/{}/accounts", v.unit),
        ),
    ] {
        let body = json!({ "reason": "跨单位尝试", "name": "x", "user_id": custodian.id, "platform": "weibo", "login_name": "x", "classification": "core", "generate": true });
        let (s, e) = app.call(method.clone(), &path, Some(f), Some(body)).await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {s} {e}"
        );
        if s == StatusCode::UNPROCESSABLE_ENTITY {
            // Body shape rejected before lookup is fine only when it reveals nothing.
            assert!(!e.to_string().contains(&id));
        }
    }
    // Exposure ledger: one row per reveal, with the user.
    let rows = sqlx::query("SELECT user_id, version, kind FROM exposures WHERE account_id = $1 AND kind = 'reveal' ORDER BY at")
        .bind(&id)
        .fetch_all(app.pool())
        .await
        .unwrap();
    let users: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    assert_eq!(users, vec![custodian.id.clone(), v.admin.id.clone()]);
    let reveals = app
        .audit_actions(&v.unit)
        .await
        .into_iter()
        .filter(|(a, _)| a == "secret.reveal")
        .count();
    assert_eq!(reveals, 2);
}

async fn ciphertext_moved_between_rows_or_units_does_not_open(app: TestApp) {
    let v = vault(&app, "区司法局").await;
    let w = vault(&app, "区法院").await;
    let a = account(&app, &v, "司法局公众号", "Quillon-Basalt-Harbor-41").await;
    let b = account(&app, &v, "司法局微博", "Quillon-Basalt-Harbor-42").await;
    let c = account(&app, &w, "法院公众号", "Quillon-Basalt-Harbor-43").await;
    let sa: Vec<u8> =
        sqlx::query("SELECT sealed FROM credential_versions WHERE account_id = $1 AND version = 1")
            .bind(&a)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get(0);
    // Same unit, another row.
    sqlx::query("UPDATE credential_versions SET sealed = $1 WHERE account_id = $2 AND version = 1")
        .bind(&sa)
        .bind(&b)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, e) = reveal(&app, &v.admin.token, &b).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    assert!(!e.to_string().contains("Quillon"));
    // Another unit.
    sqlx::query("UPDATE credential_versions SET sealed = $1 WHERE account_id = $2 AND version = 1")
        .bind(&sa)
        .bind(&c)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, e) = reveal(&app, &w.admin.token, &c).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    // A flipped bit.
    let mut flipped = sa.clone();
    let n = flipped.len() - 1;
    flipped[n] ^= 0x01;
    sqlx::query("UPDATE credential_versions SET sealed = $1 WHERE account_id = $2 AND version = 1")
        .bind(&flipped)
        .bind(&a)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, _) = reveal(&app, &v.admin.token, &a).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    // The untouched original still opens once restored.
    sqlx::query("UPDATE credential_versions SET sealed = $1 WHERE account_id = $2 AND version = 1")
        .bind(&sa)
        .bind(&a)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, r) = reveal(&app, &v.admin.token, &a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["password"], "Quillon-Basalt-Harbor-41");
    // No exposure was recorded for the failed reveals.
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM exposures WHERE kind = 'reveal'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

async fn managed_totp_codes_are_shown_on_reveal(app: TestApp) {
    let v = vault(&app, "区应急局").await;
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let (s, a) = app
        .post(&format!("/api/v1/units/{}/accounts", v.unit), &v.admin.token, json!({ "name": "应急局域名", "platform": "domain_registrar", "login_name": "yjj", "classification": "core", "generate": true, "totp_secret": secret }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["has_totp"], true);
    assert!(!a.to_string().contains(secret));
    let id = a["id"].as_str().unwrap();
    let (s, r) = reveal(&app, &v.admin.token, id).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let code = r["totp_code"].as_str().unwrap();
    let expected = credgov::identity::code_at(secret, app.now()).unwrap();
    let previous = credgov::identity::code_at(secret, app.now() - 30_000).unwrap();
    assert!(code == expected || code == previous, "{code} vs {expected}");
    assert!(r["totp_valid_for"].as_u64().unwrap() <= 30);
    let dump = app.dump().await;
    assert!(!dump.contains(secret));
}

async fn policy_check_stores_nothing(app: TestApp) {
    let v = vault(&app, "区统计局").await;
    let pw = "Larkspur-Tundra-Octave-72";
    let id = account(&app, &v, "统计局公众号", pw).await;
    let before: i64 = sqlx::query("SELECT COUNT(*) FROM credential_versions")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    let (s, r) = app
        .post(
            "/api/v1/policy/check",
            &v.admin.token,
            json!({ "password": "tongjiju2024", "unit_id": v.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["acceptable"], false);
    assert!(!r["feedback"].as_array().unwrap().is_empty());
    let (_, r) = app
        .post(
            "/api/v1/policy/check",
            &v.admin.token,
            json!({ "password": pw, "unit_id": v.unit }),
        )
        .await;
    assert_eq!(r["acceptable"], false);
    assert_eq!(r["reused"], "unit");
    let (_, r) = app
        .post(
            "/api/v1/policy/check",
            &v.admin.token,
            json!({ "password": pw, "account_id": id }),
        )
        .await;
    assert_eq!(r["reused"], "history");
    let (_, r) = app
        .post(
            "/api/v1/policy/check",
            &v.admin.token,
            json!({ "password": "Nebula-Garnet-Pinecone-18", "account_id": id }),
        )
        .await;
    assert_eq!(r["acceptable"], true, "{r}");
    assert!(r["score"].as_u64().unwrap() >= 3);
    let (s, _) = app
        .post(
            "/api/v1/policy/check",
            &v.admin.token,
            json!({ "password": "x" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = vault(&app, "区档案馆").await;
    let (s, _) = app
        .post(
            "/api/v1/policy/check",
            &foreign.admin.token,
            json!({ "password": "x", "unit_id": v.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let after: i64 = sqlx::query("SELECT COUNT(*) FROM credential_versions")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, after);
    assert!(!captured_logs().contains("Nebula-Garnet-Pinecone-18"));
}

async fn reveal_fails_closed_when_audit_cannot_be_written(app: TestApp) {
    let v = vault(&app, "区科技局").await;
    let pw = "Cinnabar-Fjord-Lattice-26";
    let id = account(&app, &v, "科技局公众号", pw).await;
    let (block, unblock) = match app.engine {
        Engine::Sqlite => (
            "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store down'); END",
            "DROP TRIGGER audit_fail",
        ),
        Engine::Postgres => (
            "ALTER TABLE audit_events ADD CONSTRAINT audit_fail CHECK (false) NOT VALID",
            "ALTER TABLE audit_events DROP CONSTRAINT audit_fail",
        ),
    };
    sqlx::query(sqlx::AssertSqlSafe(block.to_string()))
        .execute(app.pool())
        .await
        .unwrap();
    let (s, e) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !e.to_string().contains(pw),
        "no secret without its audit event"
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    sqlx::query(sqlx::AssertSqlSafe(unblock.to_string()))
        .execute(app.pool())
        .await
        .unwrap();
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM exposures WHERE kind <> 'create'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no exposure rows from the failed attempts");
    let (_, a) = app
        .get(&format!("/api/v1/accounts/{id}"), &v.admin.token)
        .await;
    assert!(
        a["pending_rotation_id"].is_null(),
        "no rotation half-started"
    );
}

async fn vault_canaries_stay_out_of_logs_and_database(app: TestApp) {
    let v = vault(&app, "区体育局").await;
    let canary = format!("Canary-{}-Vault", uuid::Uuid::new_v4().simple());
    let id = account(&app, &v, "体育局公众号", &canary).await;
    let (_, r) = app
        .post(
            &format!("/api/v1/accounts/{id}/rotations"),
            &v.admin.token,
            json!({}),
        )
        .await;
    let rotated = r["password"].as_str().unwrap().to_string();
    let (s, _) = reveal(&app, &v.admin.token, &id).await;
    assert_eq!(s, StatusCode::OK);
    let dump = app.dump().await;
    let logs = captured_logs();
    for secret in [&canary, &rotated] {
        assert!(!dump.contains(secret.as_str()), "plaintext in the database");
        assert!(!logs.contains(secret.as_str()), "plaintext in the logs");
    }
    for table in ["accounts", "credential_versions", "exposures", "rotations"] {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get(0);
        assert!(n > 0, "{table} is part of the dump");
    }
}
