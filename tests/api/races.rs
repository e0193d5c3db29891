//! Races and scope: concurrent handover transitions, HR events that name people outside
//! the reporter's scope, and initialisation / last-sysadmin checks with two servers
//! (two `AppState`s) on one database.

use std::net::SocketAddr;

use credgov::app::AppState;
use credgov::error::DomainError;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{ADMIN_PASSWORD, TestApp, TestUser, error_code, fresh_database, test_config};

both_engines!(
    cancel_and_sign_off_race_has_one_winner,
    double_checklist_entry_counts_once,
    hr_events_see_only_people_in_scope,
    init_race_across_two_servers_makes_one_root,
    sysadmins_revoking_each_other_at_once_leave_one,
);

/// A departure without accounts or successor: only the checklist stands between the
/// case and sign-off.
async fn open_case(app: &TestApp, unit: &str, hr: &TestUser, key: &str) -> String {
    let leaver = app.user_with_role(unit, "custodian").await;
    let (s, ev) = app
        .hr_event(
            &hr.token,
            key,
            json!({ "type": "departure", "username": leaver.username, "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    ev["handover_id"].as_str().unwrap().to_string()
}

async fn audit_count(app: &TestApp, case: &str, actions: &[&str]) -> usize {
    let rows = sqlx::query("SELECT action FROM audit_events WHERE target_id = $1")
        .bind(case)
        .fetch_all(app.pool())
        .await
        .unwrap();
    rows.iter()
        .filter(|r| actions.contains(&r.get::<String, _>(0).as_str()))
        .count()
}

async fn cancel_and_sign_off_race_has_one_winner(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区统计局", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let hr = app.user_with_role(&unit, "hr").await;
    for round in 0..4 {
        let id = open_case(&app, &unit, &hr, &format!("race-{round}")).await;
        for entry in ["materials", "training"] {
            let (s, c) = app
                .post(
                    &format!("/api/v1/handovers/{id}/checklist"),
                    &admin.token,
                    json!({ "entry": entry }),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{c}");
        }
        let (_, c) = app
            .get(&format!("/api/v1/handovers/{id}"), &admin.token)
            .await;
        assert_eq!(c["state"], "awaiting_sign_off", "{c}");
        let cancel_url = format!("/api/v1/handovers/{id}/cancel");
        let sign_url = format!("/api/v1/handovers/{id}/sign-off");
        let ((cs, cv), (ss, sv)) = tokio::join!(
            app.post(
                &cancel_url,
                &admin.token,
                json!({ "reason": "人事信息有误" })
            ),
            app.post(&sign_url, &admin.token, json!({})),
        );
        let wins = [cs, ss].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(
            wins, 1,
            "exactly one wins: cancel {cs} {cv}, sign-off {ss} {sv}"
        );
        let loser = if cs == StatusCode::OK { &sv } else { &cv };
        assert_eq!(
            [cs, ss]
                .iter()
                .filter(|s| **s == StatusCode::CONFLICT)
                .count(),
            1
        );
        assert!(
            matches!(error_code(loser), "case_closed" | "case_changed"),
            "{loser}"
        );
        assert_eq!(
            audit_count(&app, &id, &["handover.cancel", "handover.sign_off"]).await,
            1,
            "one transition, one audit entry"
        );
        let (_, c) = app
            .get(&format!("/api/v1/handovers/{id}"), &admin.token)
            .await;
        let expected = if cs == StatusCode::OK {
            "cancelled"
        } else {
            "closed"
        };
        assert_eq!(c["state"], expected, "{c}");
    }
}

async fn double_checklist_entry_counts_once(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区审计局", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let hr = app.user_with_role(&unit, "hr").await;
    for round in 0..3 {
        let id = open_case(&app, &unit, &hr, &format!("check-{round}")).await;
        let url = format!("/api/v1/handovers/{id}/checklist");
        let ((s1, v1), (s2, v2)) = tokio::join!(
            app.post(
                &url,
                &admin.token,
                json!({ "entry": "materials", "note": "一" })
            ),
            app.post(
                &url,
                &admin.token,
                json!({ "entry": "materials", "note": "二" })
            ),
        );
        let mut statuses = [s1, s2];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{v1} {v2}"
        );
        let loser = if s1 == StatusCode::OK { &v2 } else { &v1 };
        assert_eq!(error_code(loser), "already_done");
        assert_eq!(audit_count(&app, &id, &["handover.checklist"]).await, 1);
        // Once more, sequentially: refused, still one entry.
        let (s, v) = app
            .post(&url, &admin.token, json!({ "entry": "materials" }))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(error_code(&v), "already_done");
        assert_eq!(audit_count(&app, &id, &["handover.checklist"]).await, 1);
    }
}

async fn hr_events_see_only_people_in_scope(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区民政局", "department")
        .await;
    let sibling = app
        .create_unit(&app.root_id, "区水务局", "department")
        .await;
    let hr = app.user_with_role(&unit, "hr").await;
    let mine = app.user_with_role(&unit, "custodian").await;
    let foreign = app.user_with_role(&sibling, "custodian").await;
    let unknown = "nobody-at-all";
    // Leaver of a sibling unit: exactly like an unknown username.
    for kind in ["departure", "leave"] {
        let (s1, v1) = app
            .hr_event(
                &hr.token,
                &format!("f-{kind}"),
                json!({ "type": kind, "username": foreign.username, "unit_id": unit }),
            )
            .await;
        let (s2, v2) = app
            .hr_event(
                &hr.token,
                &format!("u-{kind}"),
                json!({ "type": kind, "username": unknown, "unit_id": unit }),
            )
            .await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{v1}");
        assert_eq!((s1, &v1), (s2, &v2), "foreign and unknown answer alike");
        assert_eq!(error_code(&v1), "not_found");
    }
    // Successor of a sibling unit: exactly like an unknown successor.
    let (s1, v1) = app.hr_event(&hr.token, "fs", json!({ "type": "departure", "username": mine.username, "unit_id": unit, "successor_username": foreign.username })).await;
    let (s2, v2) = app.hr_event(&hr.token, "us", json!({ "type": "departure", "username": mine.username, "unit_id": unit, "successor_username": unknown })).await;
    assert_eq!(s1, StatusCode::NOT_FOUND, "{v1}");
    assert_eq!((s1, &v1), (s2, &v2));
    // Nothing happened to the foreign user.
    let (s, me) = app.get("/api/v1/me", &foreign.token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    // `leave` needs a role in the unit: a user whose home is the unit but who holds no
    // role there is refused (and no case opens).
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "roleless-1", "display_name": "无角色", "password": "Tidal-Granite-77a1b2-Orchid", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .hr_event(
            &hr.token,
            "leave-roleless",
            json!({ "type": "leave", "username": "roleless-1", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "not_in_unit");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM handovers")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // A leave for someone who works there still opens a case.
    let (s, v) = app
        .hr_event(
            &hr.token,
            "leave-ok",
            json!({ "type": "leave", "username": mine.username, "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // effective_at is range-checked.
    for (i, bad) in [json!(9223372036854775807i64), json!(-1), json!(1.5)]
        .iter()
        .enumerate()
    {
        let (s, v) = app.hr_event(&hr.token, &format!("eff-{i}"), json!({ "type": "departure", "username": mine.username, "unit_id": unit, "effective_at": bad })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        error_code(&v);
        if i < 2 {
            assert_eq!(v["error"]["details"]["field"], "effective_at", "{v}");
        }
    }
}

async fn init_race_across_two_servers_makes_one_root(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(app.engine, dir.path()).await.unwrap();
    let config = test_config(dir.path(), url);
    let a = AppState::start(config.clone(), app.clock.clone())
        .await
        .unwrap();
    let b = AppState::start(config.clone(), app.clock.clone())
        .await
        .unwrap();
    let pw = || Some(zeroize::Zeroizing::new(ADMIN_PASSWORD.to_string()));
    // Different usernames, so only the one-root rule can stop the second.
    let (ra, rb) = tokio::join!(
        credgov::identity::create_first_admin(&a, "甲区人民政府", "admin-a", pw()),
        credgov::identity::create_first_admin(&b, "乙区人民政府", "admin-b", pw()),
    );
    let oks = [ra.is_ok(), rb.is_ok()];
    assert_eq!(
        oks.iter().filter(|o| **o).count(),
        1,
        "exactly one init wins"
    );
    let err = ra.err().or(rb.err()).unwrap();
    assert_eq!(err.code(), "already_initialised", "{err}");
    let pool = a.db.pool();
    let roots: i64 = sqlx::query("SELECT COUNT(*) FROM units WHERE parent_id IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(roots, 1);
    let users: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 1);
    // The database itself refuses a second root.
    let e = sqlx::query(
        "INSERT INTO units (id, parent_id, path, depth, kind, name, code, created_at) VALUES ('x', NULL, '/x/', 0, 'district', 'x', NULL, 0)",
    )
    .execute(pool)
    .await
    .expect_err("second root refused");
    assert!(credgov::db::is_unique_violation(&e), "{e}");
    a.db.close().await;
    b.db.close().await;
}

async fn second_server(app: &TestApp) -> (AppState, String) {
    let state = AppState::start(app.config.clone(), app.clock.clone())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(credgov::server::serve(
        state.clone(),
        listener,
        std::future::pending(),
    ));
    (state, format!("http://{addr}"))
}

async fn active_root_sysadmins(app: &TestApp) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.unit_id = $1 AND m.role = 'sysadmin' AND u.status = 'active'",
    )
    .bind(&app.root_id)
    .fetch_one(app.pool())
    .await
    .unwrap()
    .get(0)
}

async fn sysadmins_revoking_each_other_at_once_leave_one(app: TestApp) {
    let mut app = app;
    let (_other, base2) = second_server(&app).await;
    let me: Value = app.get("/api/v1/me", &app.admin_token).await.1;
    let mut survivor = (
        me["user"]["id"].as_str().unwrap().to_string(),
        app.admin_token.clone(),
    );
    for _ in 0..3 {
        let b = app.user_with_role(&app.root_id, "sysadmin").await;
        assert_eq!(active_root_sysadmins(&app).await, 2);
        let (a_id, a_token) = survivor.clone();
        let revoke = |base: String, token: String, target: String| {
            let client = app.client.clone();
            let url = format!(
                "{base}/api/v1/units/{}/members/{target}/sysadmin",
                app.root_id
            );
            async move {
                let r = client.delete(url).bearer_auth(token).send().await.unwrap();
                let s = r.status();
                (s, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let ((s1, v1), (s2, v2)) = tokio::join!(
            revoke(app.base.clone(), a_token.clone(), b.id.clone()),
            revoke(base2.clone(), b.token.clone(), a_id.clone()),
        );
        assert_eq!(
            active_root_sysadmins(&app).await,
            1,
            "never zero: {s1} {v1} / {s2} {v2}"
        );
        // One revoke wins; the other is refused as the last sysadmin (or, if it
        // arrived after the winner committed, because its caller lost the role).
        let wins = [s1, s2]
            .iter()
            .filter(|s| **s == StatusCode::NO_CONTENT)
            .count();
        assert_eq!(wins, 1, "{s1} {v1} / {s2} {v2}");
        let loser = if s1 == StatusCode::NO_CONTENT {
            &v2
        } else {
            &v1
        };
        assert!(
            matches!(
                error_code(loser),
                "last_sysadmin" | "forbidden" | "not_found"
            ),
            "{loser}"
        );
        if s2 == StatusCode::NO_CONTENT {
            // B revoked A: B carries on.
            survivor = (b.id.clone(), b.token.clone());
            app.admin_token = b.token.clone();
        }
    }
}
