//! The producers of issue 10: who hears what, queued in the transaction of the change.
//! Digests from the daily scan (rotation due/overdue/stale, handover overdue, veto and
//! rectification escalations, the daily summary, the missing calendar) are one message
//! per unit and recipient group, quiet on a rerun; handover opening, awaiting
//! acknowledgement and HR events, audit verify failures and key rotations each reach
//! their people once, and nobody else.

use credgov::audit::{VerifyReport, report_broken, verify_all};
use credgov::calendar::{DAY_MS, Date};
use credgov::crypto::{MasterKey, rotate_master_key};
use credgov::inspection::daily_scan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, TestUser};

/// The sysadmin the app starts with, as a [`TestUser`] for [`inbox`].
fn sysadmin(app: &TestApp) -> TestUser {
    TestUser {
        id: String::new(),
        username: String::new(),
        password: String::new(),
        token: app.admin_token.clone(),
        totp_secret: None,
    }
}

both_engines!(
    notices_rotation_digests_one_per_unit_and_quiet_on_rerun,
    notices_calendar_missing_reaches_sysadmins_once_per_year,
    notices_handover_opened_awaiting_ack_and_overdue,
    notices_rectification_due_overdue_escalation_and_daily_summary,
    notices_key_rotation_and_audit_break_reach_sysadmins_only,
    notices_two_concurrent_scans_queue_each_digest_once,
    notices_veto_findings_escalate_once_to_the_supervisors_above,
    notices_marks_keep_the_format_earlier_versions_wrote,
    notices_no_secret_reaches_any_channel_or_log,
    notices_robots_mention_custodians_and_the_units_own_admins,
);

/// A department with a supervisor, an office under it with an admin, a custodian and
/// an HR officer, and a second office whose admin must hear nothing of the first.
pub(crate) struct Fixture {
    pub dept: String,
    pub office: String,
    pub supervisor: TestUser,
    pub admin: TestUser,
    pub custodian: TestUser,
    pub hr: TestUser,
    pub stranger: TestUser,
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let dept = app
        .create_unit(&app.root_id, "区政务服务管理办公室", "department")
        .await;
    let office = app
        .create_unit(&dept, "区政务服务中心", "institution")
        .await;
    let other = app
        .create_unit(&app.root_id, "区档案馆", "institution")
        .await;
    Fixture {
        supervisor: app.user_with_role(&dept, "supervisor").await,
        admin: app.user_with_role(&office, "unit_admin").await,
        custodian: app.user_with_role(&office, "custodian").await,
        hr: app.user_with_role(&office, "hr").await,
        stranger: app.user_with_role(&other, "unit_admin").await,
        dept,
        office,
    }
}

pub(crate) async fn account(app: &TestApp, unit: &str, token: &str, name: &str) -> String {
    let body = json!({ "name": name, "platform": "weibo", "login_name": name, "classification": "core", "generate": true });
    let (s, v) = app
        .post(&format!("/api/v1/units/{unit}/accounts"), token, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Moves an account's current version `days` into the past.
pub(crate) async fn age(app: &TestApp, account: &str, days: i64) {
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2 AND state = 'current'")
        .bind(days * DAY_MS)
        .bind(account)
        .execute(app.pool())
        .await
        .unwrap();
}

pub(crate) async fn scan(app: &TestApp, now: i64) {
    daily_scan(&app.state, now).await.expect("scan");
}

/// `user`'s inbox notices of `kind`, newest first.
pub(crate) async fn inbox(app: &TestApp, user: &TestUser, kind: &str) -> Vec<Value> {
    let (s, v) = app
        .get("/api/v1/notifications?limit=100", &user.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

/// Outbox rows of `kind` on `channel`.
pub(crate) async fn outbox_rows(app: &TestApp, kind: &str, channel: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM outbox WHERE kind = $1 AND channel = $2")
        .bind(kind)
        .bind(channel)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

/// Points `unit`'s WeCom robot at a local receiver (kept alive by the caller).
pub(crate) async fn robot(app: &TestApp, unit: &str) -> crate::receiver::Receiver {
    let rx = crate::receiver::Receiver::start().await;
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{unit}/channels"),
            Some(&app.admin_token),
            Some(json!({ "wecom": { "webhook_url": rx.url("/cgi-bin/webhook/send?key=k") } })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    rx
}

async fn notices_rotation_digests_one_per_unit_and_quiet_on_rerun(app: TestApp) {
    let f = fixture(&app).await;
    let _rx = robot(&app, &f.office).await;
    let mut due = Vec::new();
    for name in ["政务微博", "政务微信"] {
        let acct = account(&app, &f.office, &f.admin.token, name).await;
        // Due in 10 days: the 15-day stage.
        age(&app, &acct, 80).await;
        due.push(acct);
    }
    let late = account(&app, &f.office, &f.admin.token, "政务抖音").await;
    age(&app, &late, 95).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{}/custodians", due[0]),
            &f.admin.token,
            json!({ "user_id": f.custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A rotation started and never confirmed: pending past the 72-hour default.
    let pending = account(&app, &f.office, &f.admin.token, "政务B站").await;
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{pending}/rotations"),
            &f.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    sqlx::query("UPDATE rotations SET created_at = created_at - $1 WHERE id = $2")
        .bind(73 * 3_600_000_i64)
        .bind(r["rotation_id"].as_str().unwrap())
        .execute(app.pool())
        .await
        .unwrap();
    let now = app.now();
    scan(&app, now).await;

    // Two due accounts: one digest listing both, not two notices.
    let got = inbox(&app, &f.admin, "rotation_due").await;
    assert_eq!(got.len(), 1, "{got:?}");
    let n = &got[0];
    assert_eq!(n["unit_id"], f.office.as_str());
    assert_ne!(n["unit_id"], f.dept.as_str());
    assert_eq!(n["data"]["count"], 2);
    assert_eq!(n["data"]["stage_days"], 15);
    assert_eq!(n["data"]["items"].as_array().unwrap().len(), 2);
    let body = n["body"].as_str().unwrap();
    assert!(
        body.contains("区政务服务中心 有 2 个账号的密码将在 15 天内到期"),
        "{body}"
    );
    assert!(
        body.contains("政务微博") && body.contains("政务微信"),
        "{body}"
    );
    let overdue = inbox(&app, &f.admin, "rotation_overdue").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["data"]["count"], 1);
    assert!(overdue[0]["body"].as_str().unwrap().contains("政务抖音"));
    // The custodian of one due account hears of the due digest, not of the overdue
    // account they do not keep; the other office's admin hears nothing.
    let own = inbox(&app, &f.custodian, "rotation_due").await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(
        own[0]["data"]["count"], 1,
        "only the account they keep: {own:?}"
    );
    assert_eq!(own[0]["data"]["account_ids"][0], due[0].as_str());
    assert!(
        inbox(&app, &f.custodian, "rotation_overdue")
            .await
            .is_empty()
    );
    for kind in ["rotation_due", "rotation_overdue"] {
        assert!(inbox(&app, &f.stranger, kind).await.is_empty());
        assert!(inbox(&app, &f.supervisor, kind).await.is_empty());
        assert!(inbox(&app, &f.hr, kind).await.is_empty());
        assert_eq!(outbox_rows(&app, kind, "wecom").await, 1, "{kind}");
    }
    // (That no secret is in any message: `notices_no_secret_reaches_any_channel_or_log`.)

    // The stale pending rotation: its own digest to the unit's admins and groups.
    let stale = inbox(&app, &f.admin, "rotation_pending_stale").await;
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0]["data"]["count"], 1);
    assert!(
        stale[0]["body"].as_str().unwrap().contains("政务B站"),
        "{stale:?}"
    );
    assert!(
        inbox(&app, &f.stranger, "rotation_pending_stale")
            .await
            .is_empty()
    );
    assert_eq!(
        outbox_rows(&app, "rotation_pending_stale", "wecom").await,
        1
    );

    // A rerun the same day queues nothing new.
    scan(&app, now + 60_000).await;
    assert_eq!(
        inbox(&app, &f.admin, "rotation_pending_stale").await.len(),
        1
    );
    assert_eq!(inbox(&app, &f.admin, "rotation_due").await.len(), 1);
    assert_eq!(inbox(&app, &f.admin, "rotation_overdue").await.len(), 1);
    assert_eq!(outbox_rows(&app, "rotation_due", "wecom").await, 1);

    // Four days later: the due accounts reach the 7-day stage (a new digest), and the
    // overdue one is told again (daily).
    let later = now + 4 * DAY_MS;
    scan(&app, later).await;
    let got = inbox(&app, &f.admin, "rotation_due").await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["data"]["stage_days"], 7);
    assert_eq!(got[0]["data"]["count"], 2);
    assert_eq!(inbox(&app, &f.admin, "rotation_overdue").await.len(), 2);
    scan(&app, later + 60_000).await;
    assert_eq!(inbox(&app, &f.admin, "rotation_due").await.len(), 2);
    assert_eq!(inbox(&app, &f.admin, "rotation_overdue").await.len(), 2);
    assert_eq!(inbox(&app, &f.custodian, "rotation_due").await.len(), 2);
}

async fn notices_calendar_missing_reaches_sysadmins_once_per_year(app: TestApp) {
    let f = fixture(&app).await;
    let admin = sysadmin(&app);
    // No calendar for 2100 will ever be embedded: from 1 December 2099 it is missing.
    let dec = Date::parse("2099-12-10").unwrap().midnight_in_china() + 10 * 3_600_000;
    scan(&app, dec).await;
    let got = inbox(&app, &admin, "calendar_missing").await;
    let of_2100: Vec<&Value> = got.iter().filter(|n| n["data"]["year"] == 2100).collect();
    assert_eq!(of_2100.len(), 1, "{got:?}");
    assert!(
        of_2100[0]["body"]
            .as_str()
            .unwrap()
            .contains("缺少 2100 年的节假日日历")
    );
    scan(&app, dec + DAY_MS).await;
    let again = inbox(&app, &admin, "calendar_missing").await;
    assert_eq!(again.len(), got.len());
    assert!(inbox(&app, &f.admin, "calendar_missing").await.is_empty());
}

async fn notices_handover_opened_awaiting_ack_and_overdue(app: TestApp) {
    let f = fixture(&app).await;
    let mut leaver = app.user_with_role(&f.office, "custodian").await;
    app.enroll_totp(&mut leaver).await;
    let mut successor = app.user_with_role(&f.office, "custodian").await;
    app.enroll_totp(&mut successor).await;
    let acct = account(&app, &f.office, &f.admin.token, "中心公众号").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{acct}/custodians"),
            &f.admin.token,
            json!({ "user_id": leaver.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, ev) = app
        .hr_event(
            &f.hr.token,
            "hr-notices-1",
            json!({ "type": "departure", "username": leaver.username, "unit_id": f.office, "successor_username": successor.username }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["handover_id"].as_str().unwrap().to_string();

    // HR hears the event processed; the successor and the unit admins hear of the case.
    let hr = inbox(&app, &f.hr, "hr_event_processed").await;
    assert_eq!(hr.len(), 1, "{hr:?}");
    assert_eq!(hr[0]["data"]["handover_id"], id.as_str());
    let body = hr[0]["body"].as_str().unwrap();
    assert!(
        body.contains(&leaver.username) && body.contains("离职"),
        "{body}"
    );
    for who in [&successor, &f.admin] {
        let got = inbox(&app, who, "handover_opened").await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["data"]["handover_id"], id.as_str());
    }
    assert!(inbox(&app, &f.hr, "handover_opened").await.is_empty());
    assert!(inbox(&app, &f.admin, "hr_event_processed").await.is_empty());
    for kind in ["hr_event_processed", "handover_opened"] {
        assert!(inbox(&app, &f.stranger, kind).await.is_empty());
    }

    // The checklist first: the rotation is still open, so nothing awaits the successor.
    for entry in ["materials", "training"] {
        let (s, c) = app
            .post(
                &format!("/api/v1/handovers/{id}/checklist"),
                &f.admin.token,
                json!({ "entry": entry, "note": "已完成" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    assert!(
        inbox(&app, &successor, "handover_awaiting_ack")
            .await
            .is_empty()
    );
    // The rotation confirmed last leaves only the acknowledgement: the successor hears.
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{acct}/rotations"),
            &f.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rotation = r["rotation_id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &f.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &f.admin.token)
        .await;
    assert_eq!(case["state"], "awaiting_acknowledgement", "{case}");
    let ack = inbox(&app, &successor, "handover_awaiting_ack").await;
    assert_eq!(ack.len(), 1, "{ack:?}");
    assert!(ack[0]["body"].as_str().unwrap().contains(&leaver.username));
    assert!(
        inbox(&app, &f.admin, "handover_awaiting_ack")
            .await
            .is_empty()
    );

    // Past the deadline: HR hears daily, the supervisors above once (an escalation).
    let deadline = case["deadline_at"].as_i64().unwrap();
    let late = deadline + DAY_MS;
    scan(&app, late).await;
    scan(&app, late + 60_000).await;
    let overdue = inbox(&app, &f.hr, "handover_overdue").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["data"]["count"], 1);
    let up = inbox(&app, &f.supervisor, "escalation").await;
    let about_case: Vec<&Value> = up
        .iter()
        .filter(|n| n["data"]["about"] == "handover")
        .collect();
    assert_eq!(about_case.len(), 1, "{up:?}");
    assert_eq!(about_case[0]["data"]["handover_ids"][0], id.as_str());
    assert!(inbox(&app, &f.admin, "escalation").await.is_empty());
    assert!(
        inbox(&app, &f.stranger, "handover_overdue")
            .await
            .is_empty()
    );
    scan(&app, late + DAY_MS).await;
    assert_eq!(inbox(&app, &f.hr, "handover_overdue").await.len(), 2);
    let up = inbox(&app, &f.supervisor, "escalation").await;
    assert_eq!(
        up.iter()
            .filter(|n| n["data"]["about"] == "handover")
            .count(),
        1
    );
}

async fn notices_rectification_due_overdue_escalation_and_daily_summary(app: TestApp) {
    let f = fixture(&app).await;
    for name in ["中心网站", "中心微博"] {
        let acct = account(&app, &f.office, &f.admin.token, name).await;
        age(&app, &acct, 95).await;
    }
    let now = app.now();
    let mut days = std::collections::BTreeSet::new();
    scan(&app, now).await;
    days.insert(Date::in_china(now));
    let deadline: i64 = sqlx::query(
        "SELECT MIN(deadline_at) FROM rectifications WHERE unit_id = $1 AND closed_at IS NULL",
    )
    .bind(&f.office)
    .fetch_one(app.pool())
    .await
    .unwrap()
    .get(0);

    // The supervisor of the department hears one summary of its subtree a day.
    let summary = inbox(&app, &f.supervisor, "daily_summary").await;
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert_eq!(summary[0]["unit_id"], f.dept.as_str());
    assert!(
        summary[0]["data"]["high"].as_i64().unwrap() >= 2,
        "{summary:?}"
    );
    let body = summary[0]["body"].as_str().unwrap();
    assert!(
        body.contains("区政务服务管理办公室 及下级单位今日巡检"),
        "{body}"
    );
    scan(&app, now + 60_000).await;
    assert_eq!(inbox(&app, &f.supervisor, "daily_summary").await.len(), 1);
    for who in [&f.admin, &f.stranger, &f.hr] {
        assert!(inbox(&app, who, "daily_summary").await.is_empty());
    }

    // Due within a day: the admins hear once, in one notice for both items.
    for at in [deadline - 12 * 3_600_000, deadline - 11 * 3_600_000] {
        scan(&app, at).await;
        days.insert(Date::in_china(at));
    }
    let due = inbox(&app, &f.admin, "rectification_due").await;
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0]["data"]["count"], 2);
    assert!(
        inbox(&app, &f.supervisor, "rectification_due")
            .await
            .is_empty()
    );
    assert!(
        inbox(&app, &f.stranger, "rectification_due")
            .await
            .is_empty()
    );

    // Late: escalated once, the admins told it is overdue, the supervisors above told
    // of the escalation, one notice each for both items; a later scan adds nothing.
    for at in [deadline + 1, deadline + DAY_MS] {
        scan(&app, at).await;
        days.insert(Date::in_china(at));
    }
    let overdue = inbox(&app, &f.admin, "rectification_overdue").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["data"]["count"], 2);
    let up: Vec<Value> = inbox(&app, &f.supervisor, "escalation")
        .await
        .into_iter()
        .filter(|n| n["data"]["about"] == "rectification")
        .collect();
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0]["data"]["count"], 2);
    assert!(
        up[0]["body"]
            .as_str()
            .unwrap()
            .contains("下级单位 区政务服务中心 有 2 个整改事项逾期未完成")
    );
    assert!(inbox(&app, &f.admin, "escalation").await.is_empty());
    assert!(
        inbox(&app, &f.stranger, "rectification_overdue")
            .await
            .is_empty()
    );
    let summaries = inbox(&app, &f.supervisor, "daily_summary").await;
    assert_eq!(summaries.len(), days.len(), "{summaries:?}");
    assert!(
        summaries[0]["data"]["rectifications_overdue"]
            .as_i64()
            .unwrap()
            >= 2
    );
}

async fn notices_key_rotation_and_audit_break_reach_sysadmins_only(app: TestApp) {
    let f = fixture(&app).await;
    let admin = sysadmin(&app);
    // A completed master key rotation.
    let old = MasterKey::load(&app.config.master_key_file).unwrap();
    let new = MasterKey::generate();
    let report = rotate_master_key(&app.state.db, &old, &new, app.now(), None)
        .await
        .unwrap();
    assert!(report.finished);
    let got = inbox(&app, &admin, "key_rotated").await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0]["body"].as_str().unwrap().contains("主密钥已于"),
        "{got:?}"
    );
    let text = got[0].to_string();
    for check in [old.check_value(), new.check_value()] {
        assert!(
            !text.contains(&check[..16]),
            "a key check value leaked: {text}"
        );
    }
    assert!(inbox(&app, &f.admin, "key_rotated").await.is_empty());

    // A broken chain, reported twice the same day: told once.
    let root = &app.root_id;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE audit_events SET actor_name = 'mallory' WHERE unit_id = '{root}' AND seq = 2"
    )))
    .execute(app.pool())
    .await
    .unwrap();
    let verdict = verify_all(&app.state.db).await.unwrap();
    assert!(
        matches!(verdict, VerifyReport::Broken { .. }),
        "{verdict:?}"
    );
    assert!(
        report_broken(&app.state.db, app.now(), &verdict)
            .await
            .unwrap()
    );
    assert!(
        !report_broken(&app.state.db, app.now(), &verdict)
            .await
            .unwrap()
    );
    let got = inbox(&app, &admin, "audit_verify_failed").await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["data"]["seq"], 2);
    assert_eq!(got[0]["unit_id"], root.as_str());
    assert!(
        got[0]["body"]
            .as_str()
            .unwrap()
            .contains("测试区人民政府 的审计日志校验失败")
    );
    for who in [&f.admin, &f.supervisor] {
        assert!(inbox(&app, who, "audit_verify_failed").await.is_empty());
    }
    // The scheduled verification finds the same break: counted, not told twice today.
    let job = credgov::jobs::registry::find("audit_verify").expect("registered");
    let run = credgov::jobs::RunContext {
        run_id: "test".into(),
        job: "audit_verify",
        due_at: app.now(),
        attempt: 1,
    };
    let counts = job.run(&app.state, &run).await.expect("the job runs");
    assert_eq!(counts.get("broken"), Some(&1), "{counts:?}");
    assert_eq!(inbox(&app, &admin, "audit_verify_failed").await.len(), 1);
    let intact = VerifyReport::Intact {
        chains: 1,
        events: 1,
    };
    assert!(
        !report_broken(&app.state.db, app.now(), &intact)
            .await
            .unwrap()
    );
}

/// Two servers' scans at once (on PostgreSQL really concurrent): each fact is claimed
/// by one of them, each daily digest key queued once.
async fn notices_two_concurrent_scans_queue_each_digest_once(app: TestApp) {
    let f = fixture(&app).await;
    let _rx = robot(&app, &f.office).await;
    for (name, days) in [("政务微博", 80), ("政务微信", 80), ("政务抖音", 95)] {
        let acct = account(&app, &f.office, &f.admin.token, name).await;
        age(&app, &acct, days).await;
    }
    let now = app.now();
    for round in 0..3 {
        let at = now + round * 60_000;
        let (a, b) = tokio::join!(daily_scan(&app.state, at), daily_scan(&app.state, at + 1));
        a.expect("first scan");
        b.expect("second scan");
    }
    for kind in ["rotation_due", "rotation_overdue"] {
        let got = inbox(&app, &f.admin, kind).await;
        assert_eq!(got.len(), 1, "{kind}: {got:?}");
        assert_eq!(outbox_rows(&app, kind, "wecom").await, 1, "{kind}");
    }
    let due = inbox(&app, &f.admin, "rotation_due").await;
    assert_eq!(due[0]["data"]["count"], 2, "{due:?}");
    assert_eq!(inbox(&app, &f.supervisor, "daily_summary").await.len(), 1);
}

async fn notices_veto_findings_escalate_once_to_the_supervisors_above(app: TestApp) {
    let f = fixture(&app).await;
    for name in ["中心公众号", "中心服务号"] {
        let body = json!({ "name": name, "platform": "wechat_official", "login_name": name, "classification": "important", "generate": true });
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{}/accounts", f.office),
                &f.admin.token,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Silent for 16 days: past the veto threshold (单项否决).
    let at = app.now() + 16 * DAY_MS;
    scan(&app, at).await;
    let veto = |n: &Value| n["data"]["about"] == "veto";
    let up: Vec<Value> = inbox(&app, &f.supervisor, "escalation")
        .await
        .into_iter()
        .filter(veto)
        .collect();
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0]["data"]["count"], 2);
    assert_eq!(up[0]["unit_id"], f.office.as_str());
    let body = up[0]["body"].as_str().unwrap();
    assert!(
        body.contains("下级单位 区政务服务中心 有 2 项单项否决问题") && body.contains("中心公众号"),
        "{body}"
    );
    // The next day the findings still hold (their details move): nothing new.
    scan(&app, at + DAY_MS).await;
    let again = inbox(&app, &f.supervisor, "escalation")
        .await
        .into_iter()
        .filter(veto)
        .count();
    assert_eq!(again, 1);
    for who in [&f.admin, &f.stranger, &f.hr] {
        assert!(inbox(&app, who, "escalation").await.is_empty());
    }
}

/// The scan reads only the facts whose mark is not taken, building each mark in SQL;
/// the marks must stay what earlier versions wrote from the findings (the reminder's
/// account, due date and stage; the veto finding's id and first sighting), or an
/// upgrade would tell every due account and veto finding again.
async fn notices_marks_keep_the_format_earlier_versions_wrote(app: TestApp) {
    let f = fixture(&app).await;
    let due = account(&app, &f.office, &f.admin.token, "政务微博").await;
    // 80 days old at the scan 16 days from now: due in 10 days, the 15-day stage.
    age(&app, &due, 64).await;
    let body = json!({ "name": "中心公众号", "platform": "wechat_official", "login_name": "gzh", "classification": "important", "generate": true });
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{}/accounts", f.office),
            &f.admin.token,
            body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let silent = v["id"].as_str().unwrap().to_string();
    scan(&app, app.now() + 16 * DAY_MS).await;
    let finding = |rule: &'static str, target: String| {
        let pool = app.pool().clone();
        async move {
            let r = sqlx::query("SELECT id, first_seen, details FROM findings WHERE rule = $1 AND target_id = $2 AND state = 'open'")
                .bind(rule)
                .bind(target)
                .fetch_one(&pool)
                .await
                .unwrap();
            let details: Value = serde_json::from_str(&r.get::<String, _>(2)).unwrap();
            (r.get::<String, _>(0), r.get::<i64, _>(1), details)
        }
    };
    let (_, _, d) = finding("rotation_due", due.clone()).await;
    let (veto_id, since, _) = finding("content_stale", silent.clone()).await;
    let marks: Vec<String> = sqlx::query("SELECT mark FROM notice_marks ORDER BY mark")
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for want in [
        format!(
            "rotation_due|{due}|{}|{}",
            d["due_at"].as_i64().unwrap(),
            d["stage_days"].as_u64().unwrap()
        ),
        format!("escalation|veto|{veto_id}|{since}"),
    ] {
        assert!(marks.contains(&want), "{want} not in {marks:?}");
    }
}

/// Canaries: a password, a managed TOTP seed and an API token that exist while real
/// producers run (daily scans with due/overdue digests, rectifications and their
/// escalation, the daily summary, an HR event and its handover, a privileged lockout
/// whose failed logins type the password) with every channel configured; everything is
/// delivered, then every table (outbox and inbox rows included), every request the
/// receivers got, every e-mail and the log are searched for each canary.
async fn notices_no_secret_reaches_any_channel_or_log(app: TestApp) {
    use crate::notify_channels::whsec;
    use crate::notify_email::set_relay;
    use crate::smtp_server::SmtpServer;
    use credgov::notify::deliver::Deliverer;

    const PASSWORD: &str = "Canary-Lotus-Harbor-8812-qv";
    const SEED: &str = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";

    let f = fixture(&app).await;
    let rx = crate::receiver::Receiver::start().await;
    let smtp = SmtpServer::start().await;
    set_relay(&app, smtp.port).await;
    let hook_secret = whsec(77);
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/channels", f.dept),
            Some(&app.admin_token),
            Some(json!({
                "webhook": { "url": rx.url("/hook"), "secret": hook_secret },
                "wecom": { "webhook_url": rx.url("/cgi-bin/webhook/send?key=k") },
                "dingtalk": { "webhook_url": rx.url("/robot/send?access_token=t"), "secret": "SECcanarytest" },
                "email": { "to": ["office@example.gov.cn"] },
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Accounts that fall due and overdue, each with the canary password and seed.
    let mut accounts = Vec::new();
    for (i, days) in [80, 95, 100].into_iter().enumerate() {
        let name = format!("政务账号{i}");
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{}/accounts", f.office),
                &f.admin.token,
                json!({ "name": name, "platform": "weibo", "login_name": format!("canary{i}"),
                        "classification": "core", "password": format!("{PASSWORD}{i}"),
                        "totp_secret": SEED }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        age(&app, &id, days).await;
        accounts.push(id);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{}/custodians", accounts[0]),
            &f.admin.token,
            json!({ "user_id": f.custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // An API token, which then drives the HR producer.
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "hr-sync", "role": "hr", "unit_id": f.office,
                    "expires_at": app.now() + 30 * DAY_MS }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let leaver = app.user_with_role(&f.office, "custodian").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{}/custodians", accounts[1]),
            &f.admin.token,
            json!({ "user_id": leaver.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .hr_event(
            &token,
            "hr-canary-1",
            json!({ "type": "departure", "username": leaver.username, "unit_id": f.office }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // A privileged user locked out by logins that type the account password.
    let admin = app.user_with_role(&f.office, "unit_admin").await;
    for i in 0..6 {
        let _ = app
            .login_raw(&admin.username, &format!("{PASSWORD}{i}"), None)
            .await;
    }

    // Scans: today, then days later (rectifications overdue, escalations, handover late).
    let now = app.now();
    scan(&app, now).await;
    scan(&app, now + 3 * DAY_MS).await;
    scan(&app, now + 9 * DAY_MS).await;

    let mut delivered = 0;
    for _ in 0..40 {
        let round = Deliverer::new(app.state.clone()).run_once().await.unwrap();
        delivered += round.delivered;
        if round.claimed == 0 {
            break;
        }
        if round.deferred > 0 {
            app.clock.advance_ms(61_000);
        }
    }
    let kinds: Vec<String> =
        sqlx::query("SELECT kind FROM outbox UNION SELECT kind FROM notifications")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    for kind in [
        "rotation_due",
        "rotation_overdue",
        "rectification_opened",
        "hr_event_processed",
        "handover_opened",
        "privileged_lockout",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no {kind} produced: {kinds:?}"
        );
    }
    let channels: (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT channel) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(channels.0, 4, "every channel carried something");
    assert!(delivered > 10, "{delivered}");
    assert!(!rx.received().is_empty() && !smtp.mails().is_empty());

    let mut places: Vec<(String, String)> = vec![("the database".into(), app.dump().await)];
    for r in rx.received() {
        places.push((
            format!("a request to {}", r.path),
            format!(
                "{}?{} {:?} {}",
                r.path,
                r.query,
                r.headers,
                String::from_utf8_lossy(&r.body)
            ),
        ));
    }
    for m in smtp.mails() {
        places.push(("an e-mail".into(), m.data.clone()));
    }
    places.push(("the log".into(), crate::common::captured_logs()));
    // Channel secrets are sealed in the database; they must not be in anything sent.
    for (what, text) in &places[1..] {
        assert!(
            !text.contains(&hook_secret),
            "{what} holds the webhook secret"
        );
    }
    let canaries = [
        PASSWORD,
        SEED,
        &SEED.to_lowercase(),
        &token,
        crate::notify_email::SMTP_PASSWORD,
    ];
    for (what, text) in &places {
        for canary in canaries {
            assert!(!text.contains(canary), "{what} holds a canary ({canary})");
        }
    }
}

/// A unit's digest on its robot mentions the custodians of the listed accounts and the
/// admins holding the role on that very unit, not the admins of every unit above.
async fn notices_robots_mention_custodians_and_the_units_own_admins(app: TestApp) {
    let f = fixture(&app).await;
    let above = app.user_with_role(&f.dept, "unit_admin").await;
    for (who, id) in [
        (&above, "DeptAdmin"),
        (&f.admin, "OfficeAdmin"),
        (&f.custodian, "Keeper"),
    ] {
        let (s, v) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/notifications",
                Some(&who.token),
                Some(json!({ "wecom_user_id": id })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let rx = robot(&app, &f.office).await;
    let acct = account(&app, &f.office, &f.admin.token, "政务头条号").await;
    age(&app, &acct, 80).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{acct}/custodians"),
            &f.admin.token,
            json!({ "user_id": f.custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    scan(&app, app.now()).await;
    // The admin above still hears it (inbox); the robot does not ping them.
    assert_eq!(inbox(&app, &above, "rotation_due").await.len(), 1);
    let round = credgov::notify::deliver::Deliverer::new(app.state.clone())
        .run_once()
        .await
        .unwrap();
    assert!(round.delivered >= 1, "{round:?}");
    let due: Vec<String> = rx
        .received()
        .iter()
        .map(|r| {
            r.json()["markdown"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .filter(|c| c.contains("政务头条号"))
        .collect();
    assert_eq!(due.len(), 1, "{due:?}");
    assert!(due[0].contains("<@OfficeAdmin>"), "{}", due[0]);
    assert!(due[0].contains("<@Keeper>"), "{}", due[0]);
    assert!(!due[0].contains("<@DeptAdmin>"), "{}", due[0]);
}
