//! Personal notification preferences (issue 10): each person reads and sets only their
//! own (API tokens have none), the body is checked whole, and the preferences steer
//! notices — the inbox in the person's language, e-mail skipped for muted kinds (the
//! inbox row stays; security kinds cannot be muted), robots mentioning the person's
//! WeCom / DingTalk ids and mobile — and no e-mail row is queued while no relay is set.

use credgov::ids::UnitId;
use credgov::notify::{Audience, Notice, NotificationKind, enqueue};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, captured_logs, error_code};
use crate::notify_email::{SMTP_PASSWORD, deliver, put, set_relay};
use crate::receiver::Receiver;
use crate::smtp_server::SmtpServer;

both_engines!(
    preferences_are_personal_and_checked_whole,
    preferences_steer_language_email_and_mentions,
);

const ME: &str = "/api/v1/me/notifications";

async fn preferences_are_personal_and_checked_whole(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区司法局", "department")
        .await;
    let clerk = app.user_with_role(&unit, "custodian").await;
    let (s, v) = app.get(ME, &clerk.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lang"], "zh-CN");
    assert_eq!(v["muted_kinds"], json!([]));
    assert_eq!(v["email_in_use"], Value::Null);
    assert!(
        v["always_emailed"]
            .as_array()
            .unwrap()
            .contains(&json!("privileged_lockout"))
    );
    assert!(v["updated_at"].is_null());

    for (body, field, words) in [
        (
            json!({ "email": "not-an-address" }),
            "email",
            "not-an-address",
        ),
        (json!({ "mobile": "12345" }), "mobile", "11-digit"),
        (json!({ "mobile": "0571-88886666" }), "mobile", "11-digit"),
        (
            json!({ "wecom_user_id": "张三 zhang" }),
            "wecom_user_id",
            "user id",
        ),
        (
            json!({ "dingtalk_user_id": "x".repeat(65) }),
            "dingtalk_user_id",
            "64",
        ),
        (json!({ "lang": "fr" }), "lang", "zh-CN or en"),
        (
            json!({ "muted_kinds": ["daily_summary", "weather_report"] }),
            "muted_kinds",
            "weather_report",
        ),
        (
            json!({ "muted_kinds": ["audit_verify_failed"] }),
            "muted_kinds",
            "cannot be muted",
        ),
    ] {
        let (s, v) = put(&app, ME, &clerk.token, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(error_code(&v), "invalid_input");
        assert_eq!(v["error"]["details"]["field"], field, "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(words),
            "{v}"
        );
    }
    let (s, v) = put(&app, ME, &clerk.token, json!({ "sms": "x" })).await;
    assert!(s.is_client_error(), "{s} {v}");
    let (_, v) = app.get(ME, &clerk.token).await;
    assert!(
        v["updated_at"].is_null(),
        "a refused PUT saved something: {v}"
    );

    let (s, v) = put(
        &app,
        ME,
        &clerk.token,
        json!({ "email": " Li.Si@Example.gov.cn ", "mobile": "+86 138 0013 8000",
                "wecom_user_id": "LiSi", "dingtalk_user_id": "ding-lisi", "lang": "en",
                "muted_kinds": ["rotation_due", "rotation_due", "daily_summary"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email"], "li.si@example.gov.cn");
    assert_eq!(v["mobile"], "13800138000");
    assert_eq!(v["mobile_in_use"], "13800138000");
    assert_eq!(v["lang"], "en");
    assert_eq!(v["muted_kinds"], json!(["rotation_due", "daily_summary"]));
    let (_, got) = app.get(ME, &clerk.token).await;
    assert_eq!(got, v);
    // Someone else's are their own: the admin still has the defaults.
    let (_, v) = app.get(ME, &app.admin_token).await;
    assert_eq!(
        (v["lang"].as_str(), v["email"].is_null()),
        (Some("zh-CN"), true)
    );
    // Audited on the person's home unit, without the addresses.
    let rows = sqlx::query(
        "SELECT unit_id, details FROM audit_events WHERE action = 'notify.prefs.update'",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<String, _>(0), unit);
    let details: String = rows[0].get(1);
    assert!(
        !details.contains("li.si@") && !details.contains("13800138000"),
        "{details}"
    );

    // An API token has no preferences.
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "HR", "role": "hr", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap();
    let (s, v) = app.get(ME, token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = put(&app, ME, token, json!({ "lang": "en" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app.get(ME, "cg_nonsense").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Queues a rectification notice about `unit` to its admins and group channels, as the
/// scan would.
async fn notice(app: &TestApp, unit: &str) {
    let mut tx = app.state.db.begin_write().await.unwrap();
    let unit = UnitId::new(unit.to_string());
    let notice = Notice::new(NotificationKind::RectificationOpened, unit.clone(), app.now())
        .to(Audience::UnitAdmins(unit.clone()))
        .to(Audience::UnitGroups(unit))
        .data(json!({ "unit": "区住建委", "rule": "rotation_overdue", "deadline_at": app.now(), "count": 1 }));
    enqueue(&mut tx, &notice).await.unwrap();
    tx.commit().await.unwrap();
}

async fn email_rows(app: &TestApp) -> Vec<(Option<String>, Option<String>)> {
    sqlx::query("SELECT recipient_user_id, settings_unit_id FROM outbox WHERE channel = 'email' ORDER BY id")
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn preferences_steer_language_email_and_mentions(app: TestApp) {
    let rx = Receiver::start().await;
    let smtp = SmtpServer::start().await;
    let unit = app
        .create_unit(&app.root_id, "区住建委", "department")
        .await;
    let ding_secret = "SECcanary0prefs0dingtalk0secret";
    let (s, v) = put(
        &app,
        &format!("/api/v1/units/{unit}/channels"),
        &app.admin_token,
        json!({
            "wecom": { "webhook_url": rx.url("/cgi-bin/webhook/send?key=canary-prefs-wecom") },
            "dingtalk": { "webhook_url": rx.url("/robot/send?access_token=canary-prefs-ding"), "secret": ding_secret },
            "email": { "to": ["zjw@example.gov.cn"] },
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Two unit admins: one reads English and mutes rectification notices by e-mail,
    // the other keeps the defaults with an address of their own.
    let muted = app.user_with_role(&unit, "unit_admin").await;
    let plain = app.user_with_role(&unit, "unit_admin").await;
    let (s, v) = put(
        &app,
        ME,
        &muted.token,
        json!({ "email": "wang@example.gov.cn", "mobile": "13900139000", "wecom_user_id": "WangWu",
                "dingtalk_user_id": "ding-wangwu", "lang": "en", "muted_kinds": ["rectification_opened"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put(
        &app,
        ME,
        &plain.token,
        json!({ "email": "zhao@example.gov.cn" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Without a relay no e-mail row is queued at all (it could only fail).
    notice(&app, &unit).await;
    assert!(email_rows(&app).await.is_empty());
    let inbox = |token: String| {
        let app = &app;
        async move {
            let (s, v) = app.get("/api/v1/notifications", &token).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["items"].as_array().unwrap().clone()
        }
    };
    // Each inbox in its reader's language.
    assert_eq!(
        inbox(muted.token.clone()).await[0]["title"],
        "New rectification item"
    );
    assert_eq!(inbox(plain.token.clone()).await[0]["title"], "新的整改事项");

    // With a relay: the unit's list and the person who did not mute the kind get mail;
    // the muted person keeps the inbox row only.
    set_relay(&app, smtp.port).await;
    notice(&app, &unit).await;
    let rows = email_rows(&app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.contains(&(Some(plain.id.clone()), None)), "{rows:?}");
    assert!(rows.contains(&(None, Some(unit.clone()))), "{rows:?}");
    assert_eq!(inbox(muted.token.clone()).await.len(), 2);

    let round = deliver(&app).await;
    assert_eq!(round.failed, 0, "{round:?}");
    let mails = smtp.mails();
    let recipients: Vec<Vec<String>> = mails.iter().map(|m| m.to.clone()).collect();
    assert_eq!(mails.len(), 2, "{recipients:?}");
    assert!(recipients.contains(&vec!["zhao@example.gov.cn".to_string()]));
    assert!(recipients.contains(&vec!["zjw@example.gov.cn".to_string()]));
    for m in &mails {
        assert_eq!(m.header("Subject"), "新的整改事项");
    }

    // Robots mention the people by the ids and mobile they gave.
    let got = rx.received();
    let wecom: Vec<_> = got
        .iter()
        .filter(|r| r.path == "/cgi-bin/webhook/send")
        .collect();
    assert!(!wecom.is_empty());
    for r in &wecom {
        let body = r.json().to_string();
        assert!(body.contains("<@WangWu>"), "{body}");
    }
    let ding: Vec<_> = got.iter().filter(|r| r.path == "/robot/send").collect();
    assert!(!ding.is_empty());
    for r in &ding {
        let body = r.json();
        assert!(
            body["at"]["atMobiles"]
                .as_array()
                .unwrap()
                .contains(&json!("13900139000")),
            "{body}"
        );
        assert!(
            body["at"]["atUserIds"]
                .as_array()
                .unwrap()
                .contains(&json!("ding-wangwu")),
            "{body}"
        );
    }

    // A security kind reaches the muted person's e-mail whatever they mute.
    let (s, v) = put(
        &app,
        ME,
        &app.admin_token,
        json!({ "email": "root@example.gov.cn", "muted_kinds": ["delivery_failed"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let locked = app.user_with_role(&unit, "supervisor").await;
    for i in 0..6 {
        app.login_raw(&locked.username, &format!("wrong-{i}"), None)
            .await;
    }
    deliver(&app).await;
    assert!(
        smtp.mails()
            .iter()
            .any(|m| m.to == vec!["root@example.gov.cn".to_string()]
                && m.header("Subject") == "特权用户被锁定")
    );

    for m in smtp.mails() {
        for canary in [
            SMTP_PASSWORD,
            ding_secret,
            "canary-prefs-wecom",
            "canary-prefs-ding",
        ] {
            assert!(
                !m.data.contains(canary),
                "an e-mail shows a secret: {}",
                m.data
            );
        }
    }
    for r in rx.received() {
        assert!(!String::from_utf8_lossy(&r.body).contains(SMTP_PASSWORD));
    }
    let logs = captured_logs();
    for canary in [
        SMTP_PASSWORD,
        ding_secret,
        "canary-prefs-wecom",
        "canary-prefs-ding",
    ] {
        assert!(!logs.contains(canary), "the log shows {canary}");
    }
}
