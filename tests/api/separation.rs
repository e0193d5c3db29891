//! Three-role separation (三员分立) by construction: no self-grants, no sysadmin who is
//! also an auditor or unit role holder, API tokens that carry no more than their
//! creator holds and never see a secret, and a policy check that is no guessing oracle.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp, TestUser, error_code, spawn_app_with};

both_engines!(
    tokens_carry_no_more_than_their_creator_holds,
    tokens_never_see_secrets,
    sysadmin_cannot_walk_around_separation,
    concurrent_conflicting_grants_never_both_succeed,
    policy_check_reuse_only_for_those_who_may_reveal,
    policy_check_is_throttled_per_caller,
);

/// Like `both_engines!`, under the `mlps-level2` preset.
mod mlps_level2_lets_a_sysadmin_hold_unit_roles {
    use super::*;

    async fn app(engine: Engine) -> Option<TestApp> {
        spawn_app_with(engine, |c| c.policy = "mlps-level2".into()).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) = app(Engine::Sqlite).await {
            super::mlps_level2_relaxes_unit_roles_only(app).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = app(Engine::Postgres).await {
            super::mlps_level2_relaxes_unit_roles_only(app).await;
        }
    }
}

async fn mint(app: &TestApp, by: &str, unit: &str, role: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/tokens",
        by,
        json!({ "name": format!("{role} integration"), "role": role, "unit_id": unit }),
    )
    .await
}

async fn mint_ok(app: &TestApp, by: &str, unit: &str, role: &str) -> String {
    let (s, v) = mint(app, by, unit, role).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["token"].as_str().unwrap().to_string()
}

async fn grant(app: &TestApp, by: &str, unit: &str, user: &str, role: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/units/{unit}/members"),
        by,
        json!({ "user_id": user, "role": role }),
    )
    .await
}

async fn plain_user(app: &TestApp, unit: &str, name: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": name, "display_name": name, "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn account(app: &TestApp, unit: &str, token: &str, name: &str, pw: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            token,
            json!({ "name": name, "platform": "weibo", "login_name": format!("{name}@gov.cn"), "classification": "core", "password": pw }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn tokens_carry_no_more_than_their_creator_holds(app: TestApp) {
    let a = app
        .create_unit(&app.root_id, "区民政局", "department")
        .await;
    let c = app.create_unit(&a, "区婚姻登记处", "institution").await;
    // The walk-arounds measured on main: a sysadmin minting unit_admin / auditor tokens.
    for role in ["unit_admin", "auditor", "custodian", "supervisor"] {
        let (s, v) = mint(&app, &app.admin_token, &a, role).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "sysadmin mints {role}: {v}");
        assert_eq!(error_code(&v), "token_role_not_held");
    }
    // An HR integration token is the sysadmin's to mint: HR events and reading cases.
    let hr = mint_ok(&app, &app.admin_token, &a, "hr").await;
    let (s, v) = app.get(&format!("/api/v1/audit?unit_id={a}"), &hr).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "hr token reads no audit trail: {s} {v}"
    );
    // A unit admin delegates what they hold, on their unit and below, not above.
    let ua = app.user_with_role(&c, "unit_admin").await;
    mint_ok(&app, &ua.token, &c, "custodian").await;
    let (s, v) = mint(&app, &ua.token, &a, "custodian").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "parent unit: {v}");
    assert_eq!(error_code(&v), "not_found");
    let (s, v) = mint(&app, &ua.token, &c, "hr").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "token_role_not_held");
    // A token is worth only what its minter still holds.
    let held = mint_ok(&app, &ua.token, &c, "custodian").await;
    let (s, _) = app.get("/api/v1/me", &held).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .delete(
            &format!("/api/v1/units/{c}/members/{}/unit_admin", ua.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/api/v1/me", &held).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(error_code(&v), "unauthenticated");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{c}/members"),
            &app.admin_token,
            json!({ "user_id": ua.id, "role": "unit_admin" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The unit admin sees and revokes the token they minted.
    let (s, list) = app.get("/api/v1/tokens", &ua.token).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let mine = list["items"].as_array().unwrap();
    assert_eq!(mine.len(), 2, "{list}");
    let id = mine[0]["id"].as_str().unwrap();
    let (s, v) = app.delete(&format!("/api/v1/tokens/{id}"), &ua.token).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
}

async fn tokens_never_see_secrets(app: TestApp) {
    let u = app
        .create_unit(&app.root_id, "区水务局", "department")
        .await;
    let ua = app.user_with_role(&u, "unit_admin").await;
    let id = account(
        &app,
        &u,
        &ua.token,
        "水务局微博",
        "Saffron-Glacier-Monsoon-41",
    )
    .await;
    let admin_token = mint_ok(&app, &ua.token, &u, "unit_admin").await;
    let custodian_token = mint_ok(&app, &ua.token, &u, "custodian").await;
    // The role is checked first: a custodian token is named on no account (403
    // `forbidden`); a unit-admin token passes the role check and is refused as a token.
    for (who, t, code) in [
        ("unit_admin", &admin_token, "person_required"),
        ("custodian", &custodian_token, "forbidden"),
    ] {
        let reason = json!({ "reason": "发布防汛通知" });
        for path in [
            format!("/api/v1/accounts/{id}/reveal"),
            format!("/api/v1/accounts/{id}/versions/1/reveal"),
        ] {
            let (s, v) = app.post(&path, t, reason.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} token {path}: {v}");
            assert_eq!(error_code(&v), code);
        }
        for body in [json!({}), json!({ "password": "Topaz-Harbor-Quiver-8812" })] {
            let (s, v) = app
                .post(&format!("/api/v1/accounts/{id}/rotations"), t, body)
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} token rotation: {v}");
            assert_eq!(error_code(&v), code);
        }
    }
    // A generated password would be returned: refused. A supplied one is not returned,
    // and the exposure row names the person who minted the token.
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{u}/accounts"),
            &admin_token,
            json!({ "name": "水务局抖音", "platform": "douyin", "login_name": "swj", "classification": "core", "generate": true }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "person_required");
    let by_token = account(
        &app,
        &u,
        &admin_token,
        "水务局头条",
        "Walnut-Cobalt-Meridian-63",
    )
    .await;
    let rows = sqlx::query("SELECT user_id, actor_kind FROM exposures WHERE account_id = $1")
        .bind(&by_token)
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<Option<String>, _>(0).as_deref(),
        Some(ua.id.as_str())
    );
    assert_eq!(rows[0].get::<String, _>(1), "api_token");
    let nameless: i64 = sqlx::query("SELECT COUNT(*) FROM exposures WHERE user_id IS NULL")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(nameless, 0);
    // The person still may.
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{id}/reveal"),
            &ua.token,
            json!({ "reason": "发布防汛通知" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn my_id(app: &TestApp) -> String {
    let (s, me) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    me["user"]["id"].as_str().unwrap().to_string()
}

async fn sysadmin_cannot_walk_around_separation(app: TestApp) {
    let u = app
        .create_unit(&app.root_id, "区审计局", "department")
        .await;
    let me = my_id(&app).await;
    for role in ["unit_admin", "auditor", "custodian", "sysadmin"] {
        let (s, v) = grant(&app, &app.admin_token, &u, &me, role).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "self-grant {role}: {v}");
        assert_eq!(error_code(&v), "self_grant");
    }
    // A sysadmin takes no unit role and no auditor role …
    let sys = app.user_with_role(&u, "sysadmin").await;
    for role in ["unit_admin", "custodian", "auditor"] {
        let (s, v) = grant(&app, &app.admin_token, &u, &sys.id, role).await;
        assert_eq!(s, StatusCode::CONFLICT, "sysadmin + {role}: {v}");
        assert_eq!(error_code(&v), "role_conflict");
    }
    // … and vice versa.
    for role in ["unit_admin", "custodian", "auditor"] {
        let holder = app.user_with_role(&u, role).await;
        let (s, v) = grant(&app, &app.admin_token, &u, &holder.id, "sysadmin").await;
        assert_eq!(s, StatusCode::CONFLICT, "{role} + sysadmin: {v}");
        assert_eq!(error_code(&v), "role_conflict");
    }
    // Roles that do not conflict still combine.
    let hr = app.user_with_role(&u, "hr").await;
    let (s, v) = grant(&app, &app.admin_token, &u, &hr.id, "custodian").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn mlps_level2_relaxes_unit_roles_only(app: TestApp) {
    let u = app.create_unit(&app.root_id, "某镇政府", "town").await;
    let sys = app.user_with_role(&u, "sysadmin").await;
    let (s, v) = grant(&app, &app.admin_token, &u, &sys.id, "unit_admin").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = grant(&app, &app.admin_token, &u, &sys.id, "auditor").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "role_conflict");
    let me = my_id(&app).await;
    let (s, v) = grant(&app, &app.admin_token, &u, &me, "unit_admin").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(error_code(&v), "self_grant");
}

async fn concurrent_conflicting_grants_never_both_succeed(app: TestApp) {
    let u = app
        .create_unit(&app.root_id, "区财政局", "department")
        .await;
    for i in 0..10 {
        let user = plain_user(&app, &u, &format!("race-{i}")).await;
        let (a, b) = tokio::join!(
            grant(&app, &app.admin_token, &app.root_id, &user, "sysadmin"),
            grant(&app, &app.admin_token, &u, &user, "unit_admin"),
        );
        assert!(
            !(a.0 == StatusCode::CREATED && b.0 == StatusCode::CREATED),
            "round {i}: both conflicting grants succeeded"
        );
        for (s, v) in [&a, &b] {
            assert!(
                *s == StatusCode::CREATED
                    || (*s == StatusCode::CONFLICT && error_code(v) == "role_conflict"),
                "round {i}: {s} {v}"
            );
        }
        let held: i64 = sqlx::query("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
            .bind(&user)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(held, 1, "round {i}");
    }
}

struct CheckWorld {
    unit: String,
    account: String,
    password: String,
    admin: TestUser,
}

async fn check_world(app: &TestApp) -> CheckWorld {
    let unit = app
        .create_unit(&app.root_id, "区交通委", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let password = format!(
        "Indigo-Thistle-{}-Cairn7",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let account = account(app, &unit, &admin.token, "交通委公众号", &password).await;
    CheckWorld {
        unit,
        account,
        password,
        admin,
    }
}

async fn check(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/policy/check", token, body).await
}

async fn policy_check_reuse_only_for_those_who_may_reveal(app: TestApp) {
    let w = check_world(&app).await;
    let supervisor = app.user_with_role(&app.root_id, "supervisor").await;
    let other_custodian = app.user_with_role(&w.unit, "custodian").await;
    let by_account = json!({ "password": w.password, "account_id": w.account });
    for (who, t) in [
        ("supervisor", &supervisor.token),
        ("other custodian", &other_custodian.token),
    ] {
        let (s, v) = check(&app, t, by_account.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
        assert_eq!(error_code(&v), "forbidden");
        assert!(v.get("reused").is_none());
    }
    let token = mint_ok(&app, &w.admin.token, &w.unit, "unit_admin").await;
    let (s, v) = check(&app, &token, by_account.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "token: {v}");
    assert_eq!(error_code(&v), "person_required");
    // The unit admin may reveal the account, so may learn about reuse.
    let (s, v) = check(&app, &w.admin.token, by_account.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reused"], "history");
    // The unit form answers strength to readers, reuse only to who may reveal all.
    let by_unit = json!({ "password": w.password, "unit_id": w.unit });
    let (s, v) = check(&app, &supervisor.token, by_unit.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["reused"].is_null(), "{v}");
    let (s, v) = check(&app, &w.admin.token, by_unit).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reused"], "unit");
    // Audited when an account is named, refusals included; never the candidate.
    let actions = app.audit_actions(&w.unit).await;
    assert!(
        actions.contains(&("policy.check".into(), "success".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("policy.check".into(), "denied".into())),
        "{actions:?}"
    );
    let n = actions.iter().filter(|(a, _)| a == "policy.check").count();
    assert_eq!(
        n, 4,
        "two refused people, one token, one admin: {actions:?}"
    );
    let dump = app.dump().await;
    assert!(!dump.contains(&w.password), "candidate in the database");
}

async fn policy_check_is_throttled_per_caller(app: TestApp) {
    let w = check_world(&app).await;
    let limit = app.state.policy.policy_check.max_per_minute;
    let body = json!({ "password": "Quill-Sorrel-Basalt-90", "account_id": w.account });
    // Start at the beginning of a minute so the whole burst shares one window.
    let now = app.now();
    app.clock.advance_ms(60_000 - now.rem_euclid(60_000));
    for i in 0..limit {
        let (s, v) = check(&app, &w.admin.token, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "check {i}: {v}");
    }
    let res = app
        .client
        .post(format!("{}/api/v1/policy/check", app.base))
        .bearer_auth(&w.admin.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let v: Value = res.json().await.unwrap();
    assert_eq!(error_code(&v), "throttled");
    // Someone else is not held up.
    let other = app.user_with_role(&w.unit, "supervisor").await;
    let (s, v) = check(
        &app,
        &other.token,
        json!({ "password": "x", "unit_id": w.unit }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The window passes.
    app.clock.advance_ms(60_000);
    let (s, v) = check(&app, &w.admin.token, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let actions = app.audit_actions(&w.unit).await;
    assert!(
        actions.contains(&("policy.check".into(), "denied".into())),
        "{actions:?}"
    );
}
