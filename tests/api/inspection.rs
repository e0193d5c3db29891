//! Daily inspection: every rule raised by a crafted state and cleared when fixed (at
//! once through the write's own re-evaluation where a write fixes it), idempotent
//! rescans, concurrent scanners, the findings list's scope and paging, and no secret in
//! any finding.

use credgov::inspection::daily_scan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, TestUser, error_code};

both_engines!(
    rotation_age_rules_raise_and_clear_on_confirm,
    stale_pending_rotation_is_reported_until_finished,
    policy_change_reevaluates_at_once,
    reuse_across_units_is_reported_without_the_value,
    custodian_changes_show_at_once,
    departure_raises_exposure_binding_and_custody_at_once,
    overdue_handover_is_reported_until_closed,
    role_holders_without_totp_are_reported,
    rescan_is_idempotent_and_moves_last_seen,
    a_finding_resolved_after_a_quiet_scan_keeps_that_sighting,
    concurrent_scans_keep_one_row_per_rule_and_target,
    findings_list_is_scoped_paged_and_filtered,
    scan_command_prints_the_counts,
);

pub(crate) const DAY: i64 = 24 * 3_600_000;

pub(crate) struct Unit {
    pub(crate) id: String,
    pub(crate) admin: TestUser,
}

pub(crate) async fn unit(app: &TestApp, name: &str) -> Unit {
    let id = app.create_unit(&app.root_id, name, "department").await;
    let admin = app.user_with_role(&id, "unit_admin").await;
    Unit { id, admin }
}

/// A generated account (`core`: 90 days in the district preset) or one with `password`.
async fn account(
    app: &TestApp,
    u: &Unit,
    name: &str,
    class: &str,
    password: Option<&str>,
) -> String {
    let mut body =
        json!({ "name": name, "platform": "weibo", "login_name": name, "classification": class });
    match password {
        Some(p) => body["password"] = json!(p),
        None => body["generate"] = json!(true),
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{}/accounts", u.id),
            &u.admin.token,
            body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Moves an account's current version `days` into the past.
async fn age(app: &TestApp, account: &str, days: i64) {
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2 AND state = 'current'")
        .bind(days * DAY)
        .bind(account)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn start_rotation(app: &TestApp, token: &str, account: &str) -> String {
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{account}/rotations"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["rotation_id"].as_str().unwrap().to_string()
}

async fn confirm(app: &TestApp, token: &str, rotation: &str) {
    let (s, v) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
}

pub(crate) async fn scan(app: &TestApp) -> credgov::inspection::ScanCounts {
    daily_scan(&app.state, app.now()).await.expect("scan")
}

/// The stored finding of `rule` about `target`.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) state: String,
    pub(crate) severity: String,
    pub(crate) first_seen: i64,
    /// The last sighting: the row's own, or for an open finding the district scan's
    /// sighting of every open finding if that is later.
    pub(crate) last_seen: i64,
    /// `last_seen` as the row stores it.
    pub(crate) stored_last_seen: i64,
    pub(crate) resolved_how: Option<String>,
    pub(crate) details: Value,
    pub(crate) unit_id: String,
}

pub(crate) async fn finding(app: &TestApp, rule: &str, target: &str) -> Option<Stored> {
    let rows = sqlx::query(
        "SELECT state, first_seen, CASE WHEN state = 'open' AND last_seen < s.at THEN s.at ELSE last_seen END, \
         resolved_how, details, unit_id, severity, last_seen \
         FROM findings CROSS JOIN findings_seen s WHERE rule = $1 AND target_id = $2",
    )
        .bind(rule)
        .bind(target)
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(rows.len() <= 1, "{rule} {target}: {} rows", rows.len());
    rows.first().map(|r| Stored {
        state: r.get(0),
        first_seen: r.get(1),
        last_seen: r.get(2),
        resolved_how: r.get(3),
        details: serde_json::from_str(&r.get::<String, _>(4)).unwrap(),
        unit_id: r.get(5),
        severity: r.get(6),
        stored_last_seen: r.get(7),
    })
}

pub(crate) async fn state_of(app: &TestApp, rule: &str, target: &str) -> Option<String> {
    finding(app, rule, target).await.map(|f| f.state)
}

/// The details of the unit's one finding of `rule`, as `GET /findings` shows them.
pub(crate) async fn listed_details(app: &TestApp, u: &Unit, rule: &str) -> Value {
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}&rule={rule}", u.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"][0]["details"].clone()
}

async fn rotation_age_rules_raise_and_clear_on_confirm(app: TestApp) {
    let u = unit(&app, "区网信办").await;
    let acct = account(&app, &u, "网信微博", "core", None).await;
    scan(&app).await;
    assert_eq!(state_of(&app, "rotation_due", &acct).await, None);
    // 80 of 90 days: within the 15-day reminder stage.
    age(&app, &acct, 80).await;
    scan(&app).await;
    let due = finding(&app, "rotation_due", &acct).await.unwrap();
    assert_eq!(due.state, "open");
    assert_eq!(due.details["stage_days"], 15, "{:?}", due.details);
    assert!(
        due.details.get("days_left").is_none(),
        "day counts are derived when read, not rewritten daily: {:?}",
        due.details
    );
    let listed = listed_details(&app, &u, "rotation_due").await;
    assert_eq!(listed["days_left"], 10, "{listed}");
    assert_eq!(due.unit_id, u.id);
    // 91 days: overdue; the reminder is gone.
    age(&app, &acct, 11).await;
    scan(&app).await;
    let over = finding(&app, "rotation_overdue", &acct).await.unwrap();
    assert_eq!(over.state, "open");
    assert_eq!(over.details["max_age_days"], 90);
    let listed = listed_details(&app, &u, "rotation_overdue").await;
    assert_eq!(listed["age_days"], 91, "{listed}");
    let due = finding(&app, "rotation_due", &acct).await.unwrap();
    assert_eq!(
        (due.state.as_str(), due.resolved_how.as_deref()),
        ("resolved", Some("daily_scan"))
    );
    // Confirming a rotation clears it in the same transaction, before any scan.
    let r = start_rotation(&app, &u.admin.token, &acct).await;
    assert_eq!(
        state_of(&app, "rotation_overdue", &acct).await.as_deref(),
        Some("open")
    );
    confirm(&app, &u.admin.token, &r).await;
    let over = finding(&app, "rotation_overdue", &acct).await.unwrap();
    assert_eq!(
        (over.state.as_str(), over.resolved_how.as_deref()),
        ("resolved", Some("rotation.confirm"))
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}&rule=rotation_overdue", u.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["state"], "resolved", "{v}");
    assert_eq!(item["severity"], "high");
    assert!(
        item["message"]["zh_cn"]
            .as_str()
            .unwrap()
            .contains("网信微博"),
        "{item}"
    );
    assert!(
        item["message"]["en"].as_str().unwrap().contains("91 days"),
        "{item}"
    );
    assert!(!item["fix"]["en"].as_str().unwrap().is_empty());
}

async fn stale_pending_rotation_is_reported_until_finished(app: TestApp) {
    let u = unit(&app, "区融媒体中心").await;
    let acct = account(&app, &u, "融媒体抖音", "general", None).await;
    let r = start_rotation(&app, &u.admin.token, &acct).await;
    scan(&app).await;
    assert_eq!(state_of(&app, "rotation_pending_stale", &acct).await, None);
    // 73 hours pending, past the 72-hour default.
    sqlx::query("UPDATE rotations SET created_at = created_at - $1 WHERE id = $2")
        .bind(73 * 3_600_000_i64)
        .bind(&r)
        .execute(app.pool())
        .await
        .unwrap();
    scan(&app).await;
    let f = finding(&app, "rotation_pending_stale", &acct)
        .await
        .unwrap();
    assert_eq!(f.state, "open");
    let listed = listed_details(&app, &u, "rotation_pending_stale").await;
    assert_eq!(
        (listed["max_hours"].as_i64(), listed["age_hours"].as_i64()),
        (Some(72), Some(73)),
        "{listed}"
    );
    assert_eq!(f.details["rotation_id"], r.as_str());
    let (s, v) = app
        .post(
            &format!("/api/v1/rotations/{r}/cancel"),
            &u.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let f = finding(&app, "rotation_pending_stale", &acct)
        .await
        .unwrap();
    assert_eq!(
        (f.state.as_str(), f.resolved_how.as_deref()),
        ("resolved", Some("rotation.cancel"))
    );
}

async fn policy_change_reevaluates_at_once(app: TestApp) {
    let u = unit(&app, "区发改委").await;
    let acct = account(&app, &u, "发改公众号", "important", None).await;
    age(&app, &acct, 100).await; // important: 180 days in the district preset
    scan(&app).await;
    assert_eq!(state_of(&app, "rotation_overdue", &acct).await, None);
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/policy", u.id),
            Some(&u.admin.token),
            Some(json!({ "overrides": { "rotation": { "max_age_days_important": 90 } } })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["policy"]["rotation"]["pending_max_hours"], 72, "{v}");
    assert_eq!(
        v["policy"]["rotation"]["reminder_days"],
        json!([15, 7, 1]),
        "{v}"
    );
    let f = finding(&app, "rotation_overdue", &acct).await.unwrap();
    assert_eq!(f.state, "open");
    assert_eq!(f.details["max_age_days"], 90);
    let (s, v) = app
        .delete(&format!("/api/v1/units/{}/policy", u.id), &u.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = finding(&app, "rotation_overdue", &acct).await.unwrap();
    assert_eq!(
        (f.state.as_str(), f.resolved_how.as_deref()),
        ("resolved", Some("policy.clear"))
    );
    // Reminder stages are a unit's choice; bad ones are refused.
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/policy", u.id),
            Some(&u.admin.token),
            Some(json!({ "overrides": { "rotation": { "reminder_days": [0, 400] } } })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "invalid_policy");
}

const CANARY: &str = "Canary-Kestrel-5821-Obsidian!";

async fn reuse_across_units_is_reported_without_the_value(app: TestApp) {
    let a = unit(&app, "区教委").await;
    let b = unit(&app, "区卫健委").await;
    let x = account(&app, &a, "教委网站后台", "core", Some(CANARY)).await;
    let y = account(&app, &b, "卫健委网站后台", "core", Some(CANARY)).await;
    let other = account(&app, &a, "教委邮箱", "core", None).await;
    scan(&app).await;
    let fx = finding(&app, "reused_password", &x).await.unwrap();
    let fy = finding(&app, "reused_password", &y).await.unwrap();
    assert_eq!((fx.state.as_str(), fy.state.as_str()), ("open", "open"));
    assert_eq!(fx.details["other_units"], 1, "{:?}", fx.details);
    assert_eq!(fx.details["same_unit_count"], 0);
    assert_eq!(state_of(&app, "reused_password", &other).await, None);
    // Never the value, nor its fingerprint, anywhere in findings or the list.
    let fingerprint = credgov::vault::fingerprint(&app.state, CANARY);
    let rows = sqlx::query("SELECT details FROM findings")
        .fetch_all(app.pool())
        .await
        .unwrap();
    let (_, listed) = app.get("/api/v1/findings", &a.admin.token).await;
    for text in rows
        .iter()
        .map(|r| r.get::<String, _>(0))
        .chain([listed.to_string()])
    {
        assert!(
            !text.contains(CANARY) && !text.contains(&fingerprint),
            "{text}"
        );
    }
    // Rotating one of them clears both at once (the other is no longer shared).
    let r = start_rotation(&app, &b.admin.token, &y).await;
    confirm(&app, &b.admin.token, &r).await;
    for acct in [&x, &y] {
        let f = finding(&app, "reused_password", acct).await.unwrap();
        assert_eq!(
            (f.state.as_str(), f.resolved_how.as_deref()),
            ("resolved", Some("rotation.confirm"))
        );
    }
    let dump = app.dump().await;
    assert!(
        !dump.contains(CANARY),
        "the canary is stored in clear somewhere"
    );
}

async fn custodian_changes_show_at_once(app: TestApp) {
    let u = unit(&app, "区文旅委").await;
    let keeper = app.user_with_role(&u.id, "custodian").await;
    let acct = account(&app, &u, "文旅小红书", "general", None).await;
    scan(&app).await;
    assert_eq!(
        state_of(&app, "no_custodian", &acct).await.as_deref(),
        Some("open")
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{acct}/custodians"),
            &u.admin.token,
            json!({ "user_id": keeper.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let f = finding(&app, "no_custodian", &acct).await.unwrap();
    assert_eq!(
        (f.state.as_str(), f.resolved_how.as_deref()),
        ("resolved", Some("custodian.add"))
    );
    let (s, v) = app
        .delete(
            &format!("/api/v1/accounts/{acct}/custodians/{}", keeper.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let f = finding(&app, "no_custodian", &acct).await.unwrap();
    assert_eq!((f.state.as_str(), f.resolved_how), ("open", None));
}

/// The district scan records one sighting of every finding still open instead of
/// writing each; a finding resolved later keeps that sighting as its own, and the list
/// shows it, not the time the finding's row was last written.
async fn a_finding_resolved_after_a_quiet_scan_keeps_that_sighting(app: TestApp) {
    let u = unit(&app, "区机关事务局").await;
    let keeper = app.user_with_role(&u.id, "custodian").await;
    let acct = account(&app, &u, "机关事务公众号", "general", None).await;
    // Two scans an hour apart, the later one an hour before the fix.
    let quiet_day = app.now() - 3_600_000;
    daily_scan(&app.state, quiet_day - 3_600_000).await.unwrap();
    let opened = finding(&app, "no_custodian", &acct).await.unwrap();
    daily_scan(&app.state, quiet_day).await.unwrap();
    let seen = finding(&app, "no_custodian", &acct).await.unwrap();
    assert_eq!(
        (seen.last_seen, seen.stored_last_seen),
        (quiet_day, opened.stored_last_seen)
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{acct}/custodians"),
            &u.admin.token,
            json!({ "user_id": keeper.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let resolved = finding(&app, "no_custodian", &acct).await.unwrap();
    assert_eq!(
        (resolved.state.as_str(), resolved.stored_last_seen),
        ("resolved", quiet_day)
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}&rule=no_custodian", u.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["last_seen"].as_i64(), Some(quiet_day), "{v}");
    assert!(item["resolved_at"].as_i64() > Some(quiet_day), "{v}");
    // The next scan's sighting does not reach a finding that is already resolved.
    scan(&app).await;
    let later = finding(&app, "no_custodian", &acct).await.unwrap();
    assert_eq!(
        (later.state.as_str(), later.last_seen),
        ("resolved", quiet_day)
    );
}

async fn departure_raises_exposure_binding_and_custody_at_once(app: TestApp) {
    let u = unit(&app, "区民政局").await;
    let hr = app.user_with_role(&u.id, "hr").await;
    let mut leaver = app.user_with_role(&u.id, "custodian").await;
    app.enroll_totp(&mut leaver).await;
    let seen = account(&app, &u, "民政公众号", "core", None).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{seen}/custodians"),
            &u.admin.token,
            json!({ "user_id": leaver.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .patch(
            &format!("/api/v1/accounts/{seen}"),
            &u.admin.token,
            json!({ "binding_holder_id": leaver.id }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{seen}/reveal"),
            &leaver.token,
            json!({ "reason": "日常发布" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    scan(&app).await;
    for rule in [
        "exposed_to_departed",
        "binding_holder_departed",
        "no_custodian",
    ] {
        assert_eq!(state_of(&app, rule, &seen).await, None, "{rule}");
    }
    let (s, v) = app
        .hr_event(
            &hr.token,
            "insp-departure",
            json!({ "type": "departure", "username": leaver.username, "unit_id": u.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // No scan: the HR event's transaction re-evaluated the leaver's accounts.
    for rule in [
        "exposed_to_departed",
        "binding_holder_departed",
        "no_custodian",
    ] {
        assert_eq!(
            state_of(&app, rule, &seen).await.as_deref(),
            Some("open"),
            "{rule}"
        );
    }
    let f = finding(&app, "exposed_to_departed", &seen).await.unwrap();
    assert_eq!(
        f.details["users"][0]["user_id"],
        leaver.id.as_str(),
        "{:?}",
        f.details
    );
    let f = finding(&app, "binding_holder_departed", &seen)
        .await
        .unwrap();
    assert_eq!(f.details["holder"], leaver.username.as_str());
    // Rotating clears the exposure at once; the binding stays until rebound.
    let r = start_rotation(&app, &u.admin.token, &seen).await;
    confirm(&app, &u.admin.token, &r).await;
    let f = finding(&app, "exposed_to_departed", &seen).await.unwrap();
    assert_eq!(
        (f.state.as_str(), f.resolved_how.as_deref()),
        ("resolved", Some("rotation.confirm"))
    );
    assert_eq!(
        state_of(&app, "binding_holder_departed", &seen)
            .await
            .as_deref(),
        Some("open")
    );
    let (s, v) = app
        .patch(
            &format!("/api/v1/accounts/{seen}"),
            &u.admin.token,
            json!({ "binding_holder_id": u.admin.id }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    scan(&app).await;
    assert_eq!(
        state_of(&app, "binding_holder_departed", &seen)
            .await
            .as_deref(),
        Some("resolved")
    );
}

async fn overdue_handover_is_reported_until_closed(app: TestApp) {
    let u = unit(&app, "区司法局").await;
    let hr = app.user_with_role(&u.id, "hr").await;
    let leaver = app.user_with_role(&u.id, "custodian").await;
    let (s, v) = app
        .hr_event(
            &hr.token,
            "insp-case",
            json!({ "type": "role_change", "username": leaver.username, "unit_id": u.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let case = v["handover_id"].as_str().unwrap().to_string();
    scan(&app).await;
    assert_eq!(state_of(&app, "handover_overdue", &case).await, None);
    sqlx::query("UPDATE handovers SET deadline_at = $1 WHERE id = $2")
        .bind(app.now() - 2 * DAY)
        .bind(&case)
        .execute(app.pool())
        .await
        .unwrap();
    scan(&app).await;
    let f = finding(&app, "handover_overdue", &case).await.unwrap();
    assert_eq!(f.state, "open");
    let listed = listed_details(&app, &u, "handover_overdue").await;
    assert_eq!(listed["days_overdue"], 2, "{listed}");
    assert_eq!(f.details["leaver"], leaver.username.as_str());
    let (s, v) = app
        .post(
            &format!("/api/v1/handovers/{case}/cancel"),
            &u.admin.token,
            json!({ "reason": "误报，撤销交接" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    scan(&app).await;
    assert_eq!(
        state_of(&app, "handover_overdue", &case).await.as_deref(),
        Some("resolved")
    );
}

async fn role_holders_without_totp_are_reported(app: TestApp) {
    let u = unit(&app, "区审计局").await;
    let password = "Harbor-Willow-4417-Slate";
    let (s, v) = app
        .post("/api/v1/users", &app.admin_token, json!({ "username": "insp-sup", "display_name": "监管", "password": password, "unit_id": u.id }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let user = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{}/members", u.id),
            &app.admin_token,
            json!({ "user_id": user, "role": "supervisor" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    scan(&app).await;
    assert_eq!(
        state_of(&app, "mfa_not_enrolled", &user).await,
        None,
        "within the grace period"
    );
    sqlx::query("UPDATE memberships SET created_at = created_at - $1 WHERE user_id = $2")
        .bind(8 * DAY)
        .bind(&user)
        .execute(app.pool())
        .await
        .unwrap();
    scan(&app).await;
    let f = finding(&app, "mfa_not_enrolled", &user).await.unwrap();
    assert_eq!(f.state, "open");
    let listed = listed_details(&app, &u, "mfa_not_enrolled").await;
    assert_eq!(
        (
            listed["days"].as_i64(),
            listed["enrol_within_days"].as_i64()
        ),
        (Some(8), Some(7)),
        "{listed}"
    );
    app.login_and_enroll("insp-sup", password).await;
    scan(&app).await;
    assert_eq!(
        state_of(&app, "mfa_not_enrolled", &user).await.as_deref(),
        Some("resolved")
    );
}

async fn rescan_is_idempotent_and_moves_last_seen(app: TestApp) {
    let u = unit(&app, "区水利局").await;
    let acct = account(&app, &u, "水利微博", "core", None).await;
    let first = scan(&app).await;
    let before = finding(&app, "no_custodian", &acct).await.unwrap();
    let rows: i64 = sqlx::query("SELECT COUNT(*) FROM findings")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    app.clock.advance_ms(60_000);
    let at = app.now();
    let second = daily_scan(&app.state, at).await.unwrap();
    let after = finding(&app, "no_custodian", &acct).await.unwrap();
    let rows_after: i64 = sqlx::query("SELECT COUNT(*) FROM findings")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, rows_after, "no duplicate rows");
    assert_eq!(after.first_seen, before.first_seen);
    assert!(
        after.last_seen >= before.last_seen + 60_000,
        "{after:?} {before:?}"
    );
    assert_eq!(
        after.stored_last_seen, before.stored_last_seen,
        "an unchanged finding's row is not written"
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}&rule=no_custodian", u.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["last_seen"].as_i64(), Some(at), "{v}");
    assert_eq!(first.open, second.open);
    assert!(
        first.opened >= 1 && second.opened == 0,
        "{first:?} {second:?}"
    );
    assert_eq!(second.resolved, 0);
    assert_eq!(second.by_rule.get("no_custodian"), Some(&1));
}

async fn concurrent_scans_keep_one_row_per_rule_and_target(app: TestApp) {
    let u = unit(&app, "区交通局").await;
    for i in 0..12 {
        let acct = account(&app, &u, &format!("交通账号{i}"), "core", None).await;
        age(&app, &acct, 85 + i).await;
    }
    // A second server on the same database.
    let other = credgov::app::AppState::start(app.config.clone(), app.clock.clone())
        .await
        .expect("second server");
    for round in 0..3 {
        app.clock.advance_ms(1_000);
        let (a, b) = tokio::join!(
            daily_scan(&app.state, app.now()),
            daily_scan(&other, app.now() + round)
        );
        let (a, b) = (a.expect("scan a"), b.expect("scan b"));
        assert_eq!(a.open, b.open);
    }
    let dup: i64 = sqlx::query("SELECT COUNT(*) FROM (SELECT rule, target_id FROM findings GROUP BY rule, target_id HAVING COUNT(*) > 1) d")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(dup, 0);
    let open: i64 =
        sqlx::query("SELECT COUNT(*) FROM findings WHERE state = 'open' AND unit_id = $1")
            .bind(&u.id)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get(0);
    // 12 without custodian, each either due or overdue.
    assert_eq!(open, 24);
    other.db.close().await;
}

async fn findings_list_is_scoped_paged_and_filtered(app: TestApp) {
    let a = unit(&app, "区城管局").await;
    let b = unit(&app, "区商务委").await;
    for i in 0..3 {
        account(&app, &a, &format!("城管账号{i}"), "core", None).await;
    }
    let foreign = account(&app, &b, "商务账号", "core", None).await;
    scan(&app).await;
    let supervisor = app.user_with_role(&a.id, "supervisor").await;
    let auditor = app.user_with_role(&a.id, "auditor").await;
    for reader in [&a.admin, &supervisor, &auditor] {
        let (s, v) = app.get("/api/v1/findings", &reader.token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["items"].as_array().unwrap().len(), 3, "{v}");
        assert!(
            !v.to_string().contains(&foreign) && !v.to_string().contains(&b.id),
            "{v}"
        );
    }
    // Paged: one at a time, each once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/findings?unit_id={}&limit=1&cursor={c}", a.id),
            None => format!("/api/v1/findings?unit_id={}&limit=1", a.id),
        };
        let (s, v) = app.get(&path, &supervisor.token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for i in v["items"].as_array().unwrap() {
            seen.push(i["id"].as_str().unwrap().to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (3, 3));
    // Filters.
    let (_, v) = app
        .get(
            "/api/v1/findings?rule=no_custodian&severity=medium&state=open",
            &a.admin.token,
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 3, "{v}");
    let (_, v) = app
        .get("/api/v1/findings?state=resolved", &a.admin.token)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "{v}");
    for bad in ["rule=nope", "severity=extreme", "state=closed", "limit=0"] {
        let (s, v) = app
            .get(&format!("/api/v1/findings?{bad}"), &a.admin.token)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert_eq!(error_code(&v), "invalid_input");
    }
    let (s, v) = app.get("/api/v1/findings?colour=red", &a.admin.token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // A foreign unit is not found; roles without the permission are refused.
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}", b.id),
            &a.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    for role in ["custodian", "hr"] {
        let user = app.user_with_role(&a.id, role).await;
        let (s, v) = app
            .get(&format!("/api/v1/findings?unit_id={}", a.id), &user.token)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
        let (s, v) = app.get("/api/v1/findings", &user.token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
    }
    let (s, v) = app.get("/api/v1/findings", &app.admin_token).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "sysadmins do not read findings: {v}"
    );
}

async fn scan_command_prints_the_counts(app: TestApp) {
    let u = unit(&app, "区统计局").await;
    let acct = account(&app, &u, "统计公众号", "core", None).await;
    let out = std::process::Command::new(TestApp::binary())
        .args(["scan", "--json"])
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
        .expect("credgov scan runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(counts["by_rule"]["no_custodian"], 1, "{counts}");
    // From 1 December (wall clock) until next year's calendar ships, the district also
    // has `calendar_missing`.
    let calendar = counts["by_rule"]["calendar_missing"].as_i64().unwrap_or(0);
    assert_eq!(counts["opened"], 1 + calendar, "{counts}");
    assert_eq!(
        state_of(&app, "no_custodian", &acct).await.as_deref(),
        Some("open")
    );
}
