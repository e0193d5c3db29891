//! Rectification (整改): items open for findings at or above the threshold with a
//! working-day deadline, the unit submits, a supervisor strictly above accepts or
//! returns, fixes close items by themselves, risk acceptances expire and reopen, late
//! items escalate; concurrent reviews have one winner.

use credgov::calendar::{DAY_MS, Date};
use credgov::inspection::daily_scan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, TestUser, error_code};

both_engines!(
    high_finding_opens_one_item_due_in_working_days_low_does_not,
    submit_return_resubmit_and_risk_acceptance_that_expires,
    fixing_the_finding_auto_resolves_the_item,
    a_scan_that_sees_the_condition_gone_auto_resolves_the_item,
    late_items_are_overdue_and_escalate_to_the_unit_above,
    only_a_supervisor_strictly_above_reviews,
    evidence_is_bounded_and_steps_follow_the_state,
    concurrent_accept_and_return_have_one_winner,
    list_is_scoped_paged_and_filtered,
    opened_items_reach_the_unit_admins_as_one_notice_and_returns_too,
);

/// A department with a supervisor, and an office under it with an admin: items of the
/// office are reviewed from the department.
struct Fixture {
    dept: String,
    office: String,
    supervisor: TestUser,
    admin: TestUser,
}

async fn fixture(app: &TestApp) -> Fixture {
    let dept = app
        .create_unit(&app.root_id, "区政务服务管理办公室", "department")
        .await;
    let office = app
        .create_unit(&dept, "区政务服务中心", "institution")
        .await;
    Fixture {
        supervisor: app.user_with_role(&dept, "supervisor").await,
        admin: app.user_with_role(&office, "unit_admin").await,
        dept,
        office,
    }
}

async fn account(app: &TestApp, unit: &str, token: &str, name: &str) -> String {
    let body = json!({ "name": name, "platform": "weibo", "login_name": name, "classification": "core", "generate": true });
    let (s, v) = app
        .post(&format!("/api/v1/units/{unit}/accounts"), token, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Moves an account's current version `days` into the past.
async fn age(app: &TestApp, account: &str, days: i64) {
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2 AND state = 'current'")
        .bind(days * DAY_MS)
        .bind(account)
        .execute(app.pool())
        .await
        .unwrap();
}

/// An account of the office whose password is overdue (a `high` finding), scanned: the
/// account and its item's id.
async fn overdue_item(app: &TestApp, f: &Fixture, name: &str) -> (String, String) {
    let acct = account(app, &f.office, &f.admin.token, name).await;
    age(app, &acct, 91).await;
    scan(app, app.now()).await;
    let item = live_item(app, "rotation_overdue", &acct)
        .await
        .expect("an item opened");
    (acct, item)
}

async fn scan(app: &TestApp, now: i64) {
    daily_scan(&app.state, now).await.expect("scan");
}

/// The ids of every item of `rule` about `target`.
async fn items(app: &TestApp, rule: &str, target: &str) -> Vec<String> {
    sqlx::query("SELECT r.id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE f.rule = $1 AND f.target_id = $2 ORDER BY r.opened_at, r.id")
        .bind(rule)
        .bind(target)
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn live_item(app: &TestApp, rule: &str, target: &str) -> Option<String> {
    sqlx::query("SELECT r.id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE f.rule = $1 AND f.target_id = $2 AND r.closed_at IS NULL")
        .bind(rule)
        .bind(target)
        .fetch_optional(app.pool())
        .await
        .unwrap()
        .map(|r| r.get(0))
}

async fn get(app: &TestApp, item: &str, token: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/rectifications/{item}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn step(
    app: &TestApp,
    item: &str,
    action: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/rectifications/{item}/{action}"),
        token,
        body,
    )
    .await
}

async fn submit(app: &TestApp, item: &str, token: &str) -> Value {
    let (s, v) = step(
        app,
        item,
        "submit",
        token,
        json!({ "evidence": "已于平台修改密码，并在系统中发起轮换。\n经办人：张三" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The audit actions recorded on one item, in order.
async fn item_actions(app: &TestApp, item: &str) -> Vec<String> {
    sqlx::query("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY unit_id, seq")
        .bind(item)
        .fetch_all(app.pool())
        .await
        .expect("audit rows")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

fn actions_of(actions: &[(String, String)]) -> Vec<&str> {
    actions
        .iter()
        .filter(|(a, _)| a.starts_with("rectification."))
        .map(|(a, _)| a.as_str())
        .collect()
}

async fn high_finding_opens_one_item_due_in_working_days_low_does_not(app: TestApp) {
    // 2026-09-30 10:00 China time, the day before the National Day week (10-01..07 are
    // holidays; Saturday 10-10 is an adjusted working day): three working days end on
    // 2026-10-10.
    let pinned = Date::parse("2026-09-30").unwrap().midnight_in_china() + 10 * 3_600_000;
    app.clock.advance_ms(pinned - app.now());
    let f = fixture(&app).await;
    let (acct, item) = overdue_item(&app, &f, "政务服务微博").await;
    let v = get(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "open", "{v}");
    assert_eq!(v["rule"], "rotation_overdue");
    assert_eq!(v["severity"], "high");
    assert_eq!(v["unit_id"], f.office.as_str());
    assert_eq!(v["target_id"], acct.as_str());
    assert_eq!(v["overdue"], false);
    // The test clock is the wall clock moved to the pinned time: it keeps running.
    let opened = v["opened_at"].as_i64().unwrap();
    assert!((pinned..pinned + 60_000).contains(&opened), "{v}");
    let deadline = v["deadline_at"].as_i64().unwrap();
    assert_eq!(Date::in_china(deadline).to_string(), "2026-10-10", "{v}");
    assert!(
        v["message"]["zh_cn"]
            .as_str()
            .unwrap()
            .contains("政务服务微博")
    );
    // A rescan (and a re-evaluation) keeps the one item.
    scan(&app, app.now()).await;
    assert_eq!(
        items(&app, "rotation_overdue", &acct).await,
        vec![item.clone()]
    );
    assert_eq!(
        actions_of(&app.audit_actions(&f.office).await),
        vec!["rectification.open"]
    );
    // 80 of 90 days: a `low` reminder, below the threshold: no item.
    let soon = account(&app, &f.office, &f.admin.token, "政务服务抖音").await;
    age(&app, &soon, 80).await;
    scan(&app, app.now()).await;
    let due: i64 = sqlx::query("SELECT COUNT(*) FROM findings WHERE rule = 'rotation_due' AND target_id = $1 AND state = 'open'")
        .bind(&soon)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(due, 1);
    assert!(items(&app, "rotation_due", &soon).await.is_empty());
}

async fn submit_return_resubmit_and_risk_acceptance_that_expires(app: TestApp) {
    let f = fixture(&app).await;
    let (_, item) = overdue_item(&app, &f, "中心公众号").await;
    let v = submit(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "submitted");
    assert!(v["evidence"].as_str().unwrap().contains("经办人"));
    assert_eq!(v["submitted_by"], f.admin.username.as_str());
    // Returned: a reason is required.
    let (s, v) = step(
        &app,
        &item,
        "return",
        &f.supervisor.token,
        json!({ "reason": "" }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["field"], "reason");
    let (s, v) = step(
        &app,
        &item,
        "return",
        &f.supervisor.token,
        json!({ "reason": "未见平台修改记录截图" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "returned");
    assert_eq!(v["review_reason"], "未见平台修改记录截图");
    assert_eq!(v["reviewed_by"], f.supervisor.username.as_str());
    // Resubmitted.
    let v = submit(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "submitted");
    // The password is still overdue: accepting is a risk acceptance with an expiry.
    let (s, v) = step(&app, &item, "accept", &f.supervisor.token, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["field"], "accept_risk_until");
    let too_late = app.now() + 91 * DAY_MS;
    let (s, v) = step(
        &app,
        &item,
        "accept",
        &f.supervisor.token,
        json!({ "accept_risk_until": too_late }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = step(
        &app,
        &item,
        "accept",
        &f.supervisor.token,
        json!({ "accept_risk_until": app.now() - 1 }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let until = app.now() + 30 * DAY_MS;
    let (s, v) = step(
        &app,
        &item,
        "accept",
        &f.supervisor.token,
        json!({ "accept_risk_until": until, "reason": "平台改版期间暂缓" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["risk_accepted_until"], until);
    assert_eq!(v["closed_at"], Value::Null);
    assert_eq!(v["finding_state"], "open");
    // Until the expiry the scan leaves it alone and opens no second item.
    scan(&app, app.now()).await;
    assert_eq!(get(&app, &item, &f.admin.token).await["state"], "accepted");
    // After it, the scan reopens the item with a new deadline.
    let later = until + DAY_MS;
    scan(&app, later).await;
    let v = get(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "open", "{v}");
    assert_eq!(v["reopened_count"], 1);
    assert_eq!(v["risk_accepted_until"], Value::Null);
    assert!(v["deadline_at"].as_i64().unwrap() > later, "{v}");
    // (Later findings of the same unit — content going stale over the months the test
    // clock jumps — open items of their own; this item's trail is what is checked.)
    assert_eq!(
        item_actions(&app, &item).await,
        vec![
            "rectification.open",
            "rectification.submit",
            "rectification.return",
            "rectification.submit",
            "rectification.accept",
            "rectification.reopen",
        ]
    );
}

async fn fixing_the_finding_auto_resolves_the_item(app: TestApp) {
    let f = fixture(&app).await;
    let (acct, item) = overdue_item(&app, &f, "中心头条号").await;
    submit(&app, &item, &f.admin.token).await;
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{acct}/rotations"),
            &f.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rotation = r["rotation_id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &f.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // In the confirm's own transaction, before any scan.
    let v = get(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "auto_resolved", "{v}");
    assert_eq!(v["closed_how"], "rotation.confirm");
    assert_eq!(v["finding_state"], "resolved");
    assert!(v["closed_at"].is_i64());
    // A closed item takes no more steps.
    let (s, v) = step(
        &app,
        &item,
        "accept",
        &f.supervisor.token,
        json!({ "accept_risk_until": app.now() + DAY_MS }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "rectification_state");
    assert!(
        actions_of(&app.audit_actions(&f.office).await).contains(&"rectification.auto_resolve")
    );
}

/// A condition cleared by no audited write (here the version's dates moved by SQL) is
/// resolved by the next daily scan, and that scan's sync closes its item — and only
/// its item — as the finding was closed (`daily_scan`).
async fn a_scan_that_sees_the_condition_gone_auto_resolves_the_item(app: TestApp) {
    let f = fixture(&app).await;
    let (fixed, item) = overdue_item(&app, &f, "中心网站").await;
    let (_, other) = overdue_item(&app, &f, "中心头条号").await;
    age(&app, &fixed, -91).await;
    assert_eq!(get(&app, &item, &f.admin.token).await["state"], "open");
    scan(&app, app.now() + 1_000).await;
    let v = get(&app, &item, &f.admin.token).await;
    assert_eq!(v["state"], "auto_resolved", "{v}");
    assert_eq!(v["closed_how"], "daily_scan");
    assert_eq!(v["finding_state"], "resolved");
    let v = get(&app, &other, &f.admin.token).await;
    assert_eq!(v["state"], "open", "{v}");
    assert_eq!(v["closed_at"], Value::Null);
    assert!(
        actions_of(&app.audit_actions(&f.office).await).contains(&"rectification.auto_resolve")
    );
}

async fn late_items_are_overdue_and_escalate_to_the_unit_above(app: TestApp) {
    let f = fixture(&app).await;
    let (_, item) = overdue_item(&app, &f, "中心网站").await;
    let v = get(&app, &item, &f.admin.token).await;
    assert_eq!(v["escalated_at"], Value::Null);
    let late = v["deadline_at"].as_i64().unwrap() + 1;
    scan(&app, late).await;
    let row = sqlx::query("SELECT escalated_at, escalated_to FROM rectifications WHERE id = $1")
        .bind(&item)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<Option<i64>, _>(0), Some(late));
    assert_eq!(
        row.get::<Option<String>, _>(1).as_deref(),
        Some(f.dept.as_str())
    );
    // Once: a later scan does not escalate again.
    scan(&app, late + DAY_MS).await;
    let esc = actions_of(&app.audit_actions(&f.office).await)
        .into_iter()
        .filter(|a| *a == "rectification.escalate")
        .count();
    assert_eq!(esc, 1);
    // Overdue as the API reads it (at the server's time, past the deadline).
    sqlx::query("UPDATE rectifications SET deadline_at = $1 WHERE id = $2")
        .bind(app.now() - 1)
        .bind(&item)
        .execute(app.pool())
        .await
        .unwrap();
    let v = get(&app, &item, &f.supervisor.token).await;
    assert_eq!(v["overdue"], true, "{v}");
    assert_eq!(v["escalated_to"], f.dept.as_str());
    // A submitted item waits on the supervisor: not the unit's lateness.
    let v = submit(&app, &item, &f.admin.token).await;
    assert_eq!(v["overdue"], false, "{v}");
}

async fn only_a_supervisor_strictly_above_reviews(app: TestApp) {
    let f = fixture(&app).await;
    let (_, item) = overdue_item(&app, &f, "中心视频号").await;
    // Only the unit's admin submits.
    let auditor = app.user_with_role(&f.office, "auditor").await;
    for who in [&f.supervisor, &auditor] {
        let (s, v) = step(
            &app,
            &item,
            "submit",
            &who.token,
            json!({ "evidence": "已整改" }),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    assert_eq!(get(&app, &item, &auditor.token).await["state"], "open");
    submit(&app, &item, &f.admin.token).await;
    let body = json!({ "accept_risk_until": app.now() + DAY_MS });
    // The unit's own admin cannot accept its own item.
    let (s, v) = step(&app, &item, "accept", &f.admin.token, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // A supervisor of the same unit is not above it.
    let same = app.user_with_role(&f.office, "supervisor").await;
    for action in ["accept", "return"] {
        let b = if action == "accept" {
            body.clone()
        } else {
            json!({ "reason": "同级退回" })
        };
        let (s, v) = step(&app, &item, action, &same.token, b).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{action}: {v}");
        assert_eq!(error_code(&v), "forbidden");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("above"),
            "{v}"
        );
    }
    // A supervisor of another department does not even see it.
    let other = app
        .create_unit(&app.root_id, "区农业农村委", "department")
        .await;
    let foreign = app.user_with_role(&other, "supervisor").await;
    let (s, v) = step(&app, &item, "accept", &foreign.token, body.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, _) = app
        .get(&format!("/api/v1/rectifications/{item}"), &foreign.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The supervisor above does.
    let (s, v) = step(&app, &item, "accept", &f.supervisor.token, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn evidence_is_bounded_and_steps_follow_the_state(app: TestApp) {
    let f = fixture(&app).await;
    let (_, item) = overdue_item(&app, &f, "中心小程序").await;
    let (s, v) = step(
        &app,
        &item,
        "submit",
        &f.admin.token,
        json!({ "evidence": "整".repeat(2001) }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["field"], "evidence");
    let (s, v) = step(
        &app,
        &item,
        "submit",
        &f.admin.token,
        json!({ "evidence": " " }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = step(
        &app,
        &item,
        "submit",
        &f.admin.token,
        json!({ "evidence": 5 }),
    )
    .await;
    assert!(s.is_client_error(), "{v}");
    assert_eq!(get(&app, &item, &f.admin.token).await["state"], "open");
    // Accepting or returning an item nobody submitted.
    let (s, v) = step(
        &app,
        &item,
        "return",
        &f.supervisor.token,
        json!({ "reason": "尚未提交" }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "rectification_state");
    assert_eq!(v["error"]["details"]["state"], "open");
    let (s, v) = step(
        &app,
        &item,
        "submit",
        &f.admin.token,
        json!({ "evidence": "整".repeat(2000) }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Submitting twice.
    let (s, v) = step(
        &app,
        &item,
        "submit",
        &f.admin.token,
        json!({ "evidence": "再次提交" }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = app
        .get("/api/v1/rectifications/not-an-item", &f.admin.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn concurrent_accept_and_return_have_one_winner(app: TestApp) {
    let f = fixture(&app).await;
    for round in 0..3 {
        let (_, item) = overdue_item(&app, &f, &format!("并发账号{round}")).await;
        submit(&app, &item, &f.admin.token).await;
        let accept = step(
            &app,
            &item,
            "accept",
            &f.supervisor.token,
            json!({ "accept_risk_until": app.now() + DAY_MS }),
        );
        let ret = step(
            &app,
            &item,
            "return",
            &f.supervisor.token,
            json!({ "reason": "并发退回" }),
        );
        let ((s1, v1), (s2, v2)) = tokio::join!(accept, ret);
        let mut statuses = [s1, s2];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{v1} {v2}"
        );
        let loser = if s1 == StatusCode::CONFLICT { &v1 } else { &v2 };
        assert!(
            ["rectification_changed", "rectification_state"].contains(&error_code(loser)),
            "{loser}"
        );
        let winner = if s1 == StatusCode::OK {
            "rectification.accept"
        } else {
            "rectification.return"
        };
        let steps: Vec<String> = sqlx::query("SELECT action FROM audit_events WHERE target_id = $1 AND action IN ('rectification.accept', 'rectification.return')")
            .bind(&item)
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(steps, vec![winner.to_string()]);
    }
}

async fn list_is_scoped_paged_and_filtered(app: TestApp) {
    let f = fixture(&app).await;
    let (_, first) = overdue_item(&app, &f, "列表账号一").await;
    let (_, second) = overdue_item(&app, &f, "列表账号二").await;
    submit(&app, &second, &f.admin.token).await;
    let path = format!("/api/v1/rectifications?unit_id={}&limit=1", f.dept);
    let (s, v) = app.get(&path, &f.supervisor.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (s, v2) = app
        .get(&format!("{path}&cursor={cursor}"), &f.supervisor.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v2}");
    let mut seen = vec![
        v["items"][0]["id"].as_str().unwrap().to_string(),
        v2["items"][0]["id"].as_str().unwrap().to_string(),
    ];
    seen.sort();
    let mut want = vec![first.clone(), second.clone()];
    want.sort();
    assert_eq!(seen, want);
    let (s, v) = app
        .get("/api/v1/rectifications?state=submitted", &f.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![second.as_str()]);
    let (s, v) = app
        .get("/api/v1/rectifications?state=overdue", &f.admin.token)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .get("/api/v1/rectifications?cursor=garbage", &f.admin.token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // Another department sees none of them; custodians read no items.
    let other = app
        .create_unit(&app.root_id, "区文化旅游委", "department")
        .await;
    let foreign = app.user_with_role(&other, "supervisor").await;
    let (s, v) = app.get("/api/v1/rectifications", &foreign.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"], json!([]));
    let (s, _) = app
        .get(
            &format!("/api/v1/rectifications?unit_id={}", f.office),
            &foreign.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let custodian = app.user_with_role(&f.office, "custodian").await;
    let (s, _) = app.get("/api/v1/rectifications", &custodian.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn opened_items_reach_the_unit_admins_as_one_notice_and_returns_too(app: TestApp) {
    let f = fixture(&app).await;
    let rx = crate::receiver::Receiver::start().await;
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/channels", f.office),
            Some(&app.admin_token),
            Some(json!({
                "wecom": { "webhook_url": rx.url("/cgi-bin/webhook/send?key=k") },
                "email": { "to": ["xxb@example.gov.cn"] },
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut accounts = Vec::new();
    for name in ["政务微博", "政务微信", "政务抖音"] {
        let acct = account(&app, &f.office, &f.admin.token, name).await;
        age(&app, &acct, 91).await;
        accounts.push(acct);
    }
    scan(&app, app.now()).await;
    let inbox = |token: String| {
        let app = &app;
        async move {
            let (s, v) = app.get("/api/v1/notifications", &token).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["items"].as_array().unwrap().clone()
        }
    };
    // One notice listing the three items, not three notices.
    let got = inbox(f.admin.token.clone()).await;
    let opened: Vec<&Value> = got
        .iter()
        .filter(|n| n["kind"] == "rectification_opened")
        .collect();
    assert_eq!(opened.len(), 1, "{got:?}");
    let n = opened[0];
    assert_eq!(n["unit_id"], f.office.as_str());
    assert_eq!(n["data"]["count"], 3);
    assert_eq!(n["data"]["items"].as_array().unwrap().len(), 3);
    assert!(
        n["body"].as_str().unwrap().contains("区政务服务中心"),
        "{n}"
    );
    // The supervisor above is not a unit admin: not told of the opening.
    let sup = inbox(f.supervisor.token.clone()).await;
    assert!(
        sup.iter().all(|n| n["kind"] != "rectification_opened"),
        "{sup:?}"
    );
    // The unit's robot got one message too; a second scan opens nothing and says nothing.
    let robot_rows = |kind: &'static str| {
        let app = &app;
        async move {
            sqlx::query("SELECT COUNT(*) FROM outbox WHERE kind = $1 AND channel = 'wecom'")
                .bind(kind)
                .fetch_one(app.pool())
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    assert_eq!(robot_rows("rectification_opened").await, 1);
    // No e-mail rows while no SMTP relay is set: they could only fail.
    let email_rows: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE channel = 'email'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(email_rows, 0);
    scan(&app, app.now()).await;
    assert_eq!(robot_rows("rectification_opened").await, 1);
    assert_eq!(inbox(f.admin.token.clone()).await.len(), got.len());

    // Returned: the admins hear why.
    let item = live_item(&app, "rotation_overdue", &accounts[0])
        .await
        .unwrap();
    submit(&app, &item, &f.admin.token).await;
    let (s, v) = step(
        &app,
        &item,
        "return",
        &f.supervisor.token,
        json!({ "reason": "证据不足，请补充修改记录截图" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = inbox(f.admin.token.clone()).await;
    let returned = got
        .iter()
        .find(|n| n["kind"] == "rectification_returned")
        .expect("a returned notice");
    assert_eq!(returned["data"]["rectification_id"], item.as_str());
    assert!(
        returned["body"]
            .as_str()
            .unwrap()
            .contains("证据不足，请补充修改记录截图")
    );
    assert_eq!(robot_rows("rectification_returned").await, 1);
}
