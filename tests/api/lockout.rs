//! Login hardening: lockout under concurrency, the bounded hashing queue, per-address
//! throttling, step-up TOTP failures, case-insensitive usernames.

use std::path::Path;

use credgov::error::DomainError;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, TestUser, error_code, spawn_app_with};

both_engines!(
    concurrent_wrong_passwords_cannot_outrun_the_lock,
    correct_password_during_lock_is_423_until_the_window_ends,
    totp_failures_at_login_and_step_up_count_toward_lockout,
    usernames_are_case_insensitive,
    legacy_usernames_differing_in_case_are_reported_not_broken,
    slots_left_by_a_crashed_server_expire,
    a_full_hashing_pool_refuses_before_the_database,
);

/// Scenarios that need their own configuration.
macro_rules! with_config {
    ($($name:ident),* $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Engine::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Engine::Postgres).await;
            }
        }
        )*
    };
}

with_config!(
    full_hashing_queue_answers_busy,
    failed_logins_from_one_address_are_throttled,
);

const MAX_FAILURES: usize = 5;

async fn user_state(app: &TestApp, id: &str) -> (i64, Option<i64>, i64) {
    let r =
        sqlx::query("SELECT failed_logins, locked_until, login_pending FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

/// A login with an optional `X-Forwarded-For`; status, Retry-After and body.
async fn login_from(
    app: &TestApp,
    forwarded_for: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({ "username": username, "password": password }));
    if let Some(addr) = forwarded_for {
        req = req.header("x-forwarded-for", addr);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

async fn concurrent_wrong_passwords_cannot_outrun_the_lock(app: TestApp) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    let hashed_before = app.state.hasher.verifications();
    let mut wrong = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/auth/login", app.base);
        let body = json!({ "username": user.username, "password": format!("wrong-guess-{i}") });
        wrong.push(tokio::spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }));
    }
    // Once every slot is spoken for by the wrong guesses, send the right password.
    for _ in 0..500 {
        let (failed, locked, pending) = user_state(&app, &user.id).await;
        if failed + pending >= MAX_FAILURES as i64 || locked.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (s, right) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(
        s,
        StatusCode::LOCKED,
        "right password after the threshold: {right}"
    );
    assert_eq!(error_code(&right), "locked");
    let mut unauthorized = 0;
    for w in wrong {
        let (s, v) = w.await.unwrap();
        match s {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(error_code(&v), "invalid_credentials");
                unauthorized += 1;
            }
            StatusCode::LOCKED => assert_eq!(error_code(&v), "locked"),
            StatusCode::SERVICE_UNAVAILABLE => assert_eq!(error_code(&v), "busy"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(
        unauthorized < MAX_FAILURES,
        "{unauthorized} wrong guesses answered 401 (the fifth locks)"
    );
    let hashed = app.state.hasher.verifications() - hashed_before;
    assert!(
        hashed <= MAX_FAILURES as u64,
        "{hashed} argon2 verifications for at most {MAX_FAILURES} allowed guesses"
    );
    let (failed, locked, pending) = user_state(&app, &user.id).await;
    assert!(locked.is_some_and(|u| u > app.now()), "locked afterwards");
    assert_eq!(
        (failed, pending),
        (0, 0),
        "counter reset at the lock, no slot left"
    );
    let actions = app.audit_actions(&app.root_id).await;
    let lockouts = actions.iter().filter(|(a, _)| a == "auth.lockout").count();
    let failures = actions
        .iter()
        .filter(|(a, o)| a == "auth.login" && o == "failure")
        .count();
    let denied = actions
        .iter()
        .filter(|(a, o)| a == "auth.login" && o == "denied")
        .count();
    assert_eq!(lockouts, 1, "{actions:?}");
    assert_eq!(failures, MAX_FAILURES, "every evaluated guess is audited");
    assert_eq!(
        denied,
        41 - MAX_FAILURES,
        "every refused attempt is audited"
    );
}

async fn correct_password_during_lock_is_423_until_the_window_ends(app: TestApp) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    for i in 1..MAX_FAILURES {
        let (s, v) = app.login_raw(&user.username, "wrong-password", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let (s, v) = app.login_raw(&user.username, "wrong-password", None).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    let until = v["error"]["details"]["locked_until"].as_i64().unwrap();
    let hashed_before = app.state.hasher.verifications();
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    assert_eq!(error_code(&v), "locked");
    assert_eq!(v["error"]["details"]["locked_until"], until);
    assert_eq!(
        app.state.hasher.verifications(),
        hashed_before,
        "a locked account costs no hash"
    );
    // (The test clock runs with real time plus an offset: keep a margin.)
    app.clock.advance_ms(until - app.now() - 5_000);
    let (s, _) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::LOCKED, "five seconds before the end");
    app.clock.advance_ms(5_000);
    let (s, v) = app.login_raw(&user.username, &user.password, None).await;
    assert_eq!(s, StatusCode::OK, "after the lock window: {v}");
    assert_eq!(user_state(&app, &user.id).await, (0, None, 0));
}

async fn totp_failures_at_login_and_step_up_count_toward_lockout(app: TestApp) {
    let user: TestUser = app.user_with_role(&app.root_id, "unit_admin").await;
    let secret = user.totp_secret.clone().unwrap();
    for _ in 0..2 {
        let (s, v) = app
            .login_raw(&user.username, &user.password, Some("000000"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(error_code(&v), "invalid_totp");
    }
    assert_eq!(user_state(&app, &user.id).await.0, 2, "wrong codes count");
    let meta = credgov::audit::RequestMeta::default();
    let user_id = credgov::ids::UserId::new(user.id.as_str());
    for _ in 0..2 {
        let e = credgov::identity::verify_step_up(&app.state, &meta, &user_id, "000000")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_totp");
    }
    assert_eq!(
        user_state(&app, &user.id).await.0,
        4,
        "wrong step-up codes count"
    );
    // A right step-up code is not a failure and does not reset the counter.
    let code = app.fresh_code(&secret);
    credgov::identity::verify_step_up(&app.state, &meta, &user_id, &code)
        .await
        .unwrap();
    assert_eq!(user_state(&app, &user.id).await, (4, None, 0));
    // The fifth failure, over the handover acknowledgement endpoint's check, locks.
    let e = credgov::identity::verify_step_up(&app.state, &meta, &user_id, "000000")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "locked");
    assert_eq!(e.kind().status(), StatusCode::LOCKED);
    let code = app.fresh_code(&secret);
    let (s, v) = app
        .login_raw(&user.username, &user.password, Some(&code))
        .await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    // Step-up is refused too while locked, even with a right code.
    let code = app.fresh_code(&secret);
    let e = credgov::identity::verify_step_up(&app.state, &meta, &user_id, &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "locked");
    let actions = app.audit_actions(&app.root_id).await;
    for expected in [
        ("auth.step_up", "failure"),
        ("auth.step_up", "denied"),
        ("auth.lockout", "success"),
    ] {
        assert!(
            actions.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {actions:?}"
        );
    }
}

async fn usernames_are_case_insensitive(app: TestApp) {
    let create = |name: &str| json!({ "username": name, "display_name": "张伟", "password": "Lotus-Meridian-Cobalt-83", "unit_id": app.root_id });
    let (s, v) = app
        .post("/api/v1/users", &app.admin_token, create("Zhang.Wei"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["username"], "zhang.wei");
    let (s, v) = app
        .post("/api/v1/users", &app.admin_token, create("ZHANG.WEI"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "username_taken");
    for typed in ["zhang.wei", "Zhang.Wei", "ZHANG.wei"] {
        let (s, v) = app.login_raw(typed, "Lotus-Meridian-Cobalt-83", None).await;
        assert_eq!(s, StatusCode::OK, "{typed}: {v}");
    }
    // Two creates racing with names that differ only in case: exactly one wins.
    for round in 0..4 {
        let names = [format!("Li.Na{round}"), format!("li.na{round}")];
        let mut racing = Vec::new();
        for name in names {
            let client = app.client.clone();
            let url = format!("{}/api/v1/users", app.base);
            let token = app.admin_token.clone();
            let body = create(&name);
            racing.push(tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (res.status(), res.json::<Value>().await.unwrap())
            }));
        }
        let mut created = 0;
        for r in racing {
            let (s, v) = r.await.unwrap();
            match s {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => assert_eq!(error_code(&v), "username_taken"),
                other => panic!("round {round}: {other} {v}"),
            }
        }
        assert_eq!(created, 1, "round {round}");
    }
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE lower(username) LIKE 'li.na%'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 4);
}

async fn legacy_usernames_differing_in_case_are_reported_not_broken(app: TestApp) {
    // Rows as an older version could have written them, before migration 0005 ran.
    let hash = app
        .state
        .hasher
        .hash(zeroize::Zeroizing::new("Saffron-Tundra-Beacon-41".into()))
        .await
        .unwrap();
    for (id, name) in [
        ("legacy-1", "Wang"),
        ("legacy-2", "wang"),
        ("legacy-3", "Zhao"),
    ] {
        sqlx::query(
            "INSERT INTO users (id, unit_id, username, display_name, status, password_hash, failed_logins, created_at, updated_at) \
             VALUES ($1, $2, $3, '旧账号', 'active', $4, 0, 0, 0)",
        )
        .bind(id)
        .bind(&app.root_id)
        .bind(name)
        .bind(&hash)
        .execute(app.pool())
        .await
        .unwrap();
    }
    // The migration's normalising statement: the clash is left alone, the rest lower-cased.
    let migration = include_str!("../../migrations/0005_login_hardening.sql");
    let update = &migration[migration.find("UPDATE users SET username").unwrap()..];
    sqlx::query(sqlx::AssertSqlSafe(update.to_string()))
        .execute(app.pool())
        .await
        .unwrap();
    let names: Vec<String> =
        sqlx::query("SELECT username FROM users WHERE id LIKE 'legacy-%' ORDER BY id")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(names, ["Wang", "wang", "zhao"]);
    let clashes = credgov::identity::usernames::clashes(app.pool())
        .await
        .unwrap();
    assert_eq!(clashes, vec![vec!["Wang".to_string(), "wang".to_string()]]);
    // Each clashing account still logs in with its exact spelling; other spellings
    // reach the lower-case one.
    for (typed, id) in [
        ("Wang", "legacy-1"),
        ("wang", "legacy-2"),
        ("WANG", "legacy-2"),
        ("ZHAO", "legacy-3"),
    ] {
        let (s, v) = app.login_raw(typed, "Saffron-Tundra-Beacon-41", None).await;
        assert_eq!(s, StatusCode::OK, "{typed}: {v}");
        let (_, me) = app.get("/api/v1/me", v["token"].as_str().unwrap()).await;
        assert_eq!(me["user"]["id"], id, "{typed}");
    }
    // HR events and the CLI resolve usernames the same way.
    for (typed, id) in [
        ("Wang", "legacy-1"),
        ("WANG", "legacy-2"),
        ("Zhao", "legacy-3"),
    ] {
        let found = credgov::identity::usernames::find(app.pool(), typed)
            .await
            .unwrap()
            .map(|(id, _)| id);
        assert_eq!(found.as_ref().map(|i| i.as_str()), Some(id), "{typed}");
    }
}

async fn slots_left_by_a_crashed_server_expire(app: TestApp) {
    let user = app.user_with_role(&app.root_id, "custodian").await;
    // As if a server had reserved every slot and died before giving them back.
    sqlx::query("UPDATE users SET login_pending = 5, login_pending_until = $1 WHERE id = $2")
        .bind(app.now() + 60_000)
        .bind(&user.id)
        .execute(app.pool())
        .await
        .unwrap();
    let (s, retry, v) = login_from(&app, None, &user.username, &user.password).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    assert_eq!(error_code(&v), "locked");
    assert!(v["error"]["details"]["locked_until"].is_null(), "{v}");
    assert!(retry.is_some(), "Retry-After while attempts are in flight");
    app.clock.advance_ms(61_000);
    let (s, _, v) = login_from(&app, None, &user.username, &user.password).await;
    assert_eq!(s, StatusCode::OK, "the lease ended: {v}");
    assert_eq!(user_state(&app, &user.id).await, (0, None, 0));
}

/// A copy of the district preset with a small per-address limit, in its own folder.
fn small_address_limit(dir: &Path, limit: u32, window_minutes: u32) {
    let text = include_str!("../../policies/district-default.toml")
        .replace(
            "address_max_failures = 30",
            &format!("address_max_failures = {limit}"),
        )
        .replace(
            "address_window_minutes = 15",
            &format!("address_window_minutes = {window_minutes}"),
        );
    std::fs::write(dir.join("district-default.toml"), text).unwrap();
}

async fn failed_logins_from_one_address_are_throttled(engine: crate::common::Engine) {
    let policies = tempfile::tempdir().unwrap();
    small_address_limit(policies.path(), 3, 10);
    let dir = policies.path().to_path_buf();
    let Some(app) = spawn_app_with(engine, move |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.policies_dir = Some(dir);
    })
    .await
    else {
        return;
    };
    let user = app.user_with_role(&app.root_id, "custodian").await;
    let other = app.user_with_role(&app.root_id, "custodian").await;
    let stuffer = Some("203.0.113.5");
    // Three failures across usernames (one unknown) from one address.
    for name in [
        user.username.as_str(),
        other.username.as_str(),
        "no-such-user",
    ] {
        let (s, _, v) = login_from(&app, stuffer, name, "Password123!").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{name}: {v}");
    }
    let hashed_before = app.state.hasher.verifications();
    let (s, retry, v) = login_from(&app, stuffer, &user.username, &user.password).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(error_code(&v), "throttled");
    let retry = retry.expect("Retry-After");
    assert!((1..=600).contains(&retry), "{retry}");
    assert_eq!(
        app.state.hasher.verifications(),
        hashed_before,
        "no hash when throttled"
    );
    // The users themselves are not locked, and another address is not throttled.
    let (s, _, v) = login_from(&app, Some("198.51.100.7"), &user.username, &user.password).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // An IPv6 stuffer counts per /64.
    for host in ["2001:db8:7:7::1", "2001:db8:7:7::2", "2001:db8:7:7::3"] {
        let (s, _, _) = login_from(&app, Some(host), "no-such-user", "x-x-x-x-x").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_from(
        &app,
        Some("2001:db8:7:7::99"),
        &other.username,
        &other.password,
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "same /64");
    // After the window, the address may try again.
    app.clock.advance_ms(10 * 60_000);
    let (s, _, v) = login_from(&app, stuffer, &user.username, &user.password).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let actions = app.audit_actions(&app.root_id).await;
    assert!(
        actions.contains(&("auth.login".into(), "denied".into())),
        "{actions:?}"
    );
}

async fn full_hashing_queue_answers_busy(engine: crate::common::Engine) {
    let Some(app) = spawn_app_with(engine, |c| {
        c.argon2.max_concurrent = Some(1);
        c.argon2.max_queue = Some(1);
        // Slow enough that concurrent logins pile up behind the one worker.
        c.argon2.iterations = 150;
    })
    .await
    else {
        return;
    };
    let mut all = Vec::new();
    for i in 0..20 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/auth/login", app.base);
        let body = json!({ "username": format!("nobody-{i}"), "password": "Some-Password-1" });
        all.push(tokio::spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let status = res.status();
            let retry = res.headers().get("retry-after").cloned();
            (status, retry, res.json::<Value>().await.unwrap())
        }));
    }
    let (mut busy, mut checked) = (0, 0);
    for r in all {
        let (s, retry, v) = r.await.unwrap();
        match s {
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(error_code(&v), "busy");
                assert!(retry.is_some(), "Retry-After on busy");
                busy += 1;
            }
            StatusCode::UNAUTHORIZED => checked += 1,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(busy > 0, "a full queue refuses ({checked} checked)");
    assert!(checked >= 1, "the queue still serves");
    // Refused attempts gave their address slots back.
    let pending: i64 = sqlx::query("SELECT COUNT(*) FROM login_throttle WHERE pending <> 0")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 0);
}

/// With every place of the hashing pool taken, a login answers 503 `busy` having read
/// and written nothing: no attempt slot was reserved (and given back) for the user, so a
/// storm of logins costs the database only the ones that will be checked.
async fn a_full_hashing_pool_refuses_before_the_database(app: TestApp) {
    let password = "Lotus-Meridian-Cobalt-83";
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "wang.fang", "display_name": "王芳", "password": password, "unit_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let reserved_until = |app: &TestApp| {
        let id = id.clone();
        let pool = app.pool().clone();
        async move {
            sqlx::query("SELECT login_pending_until FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<Option<i64>, _>(0)
        }
    };
    let mut places = Vec::new();
    while let Ok(place) = app.state.hasher.take_place() {
        places.push(place);
        assert!(places.len() < 10_000, "the pool has a capacity");
    }
    let (s, v) = app.login_raw("wang.fang", password, None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(error_code(&v), "busy");
    assert_eq!(reserved_until(&app).await, None, "no slot was reserved");
    // Places given back, the same login is checked (and reserves its slot).
    drop(places);
    let (s, v) = app.login_raw("wang.fang", password, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(reserved_until(&app).await.is_some());
}
