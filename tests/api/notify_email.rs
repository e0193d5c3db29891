//! E-mail (issue 10): the installation's SMTP relay (sysadmins of the root unit only,
//! checked whole, the password sealed and write-only, audited), notices delivered to a
//! local SMTP listener with the right envelope, headers and both parts in zh-CN or, per
//! the person's preference, English; a relay that refuses or cannot be reached fails or
//! retries with an error that names no secret.

use credgov::notify::deliver::Deliverer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, captured_logs, error_code};
use crate::smtp_server::SmtpServer;

both_engines!(
    smtp_settings_are_for_sysadmins_checked_whole_and_write_only,
    notices_reach_the_relay_in_each_persons_language,
    a_missing_refusing_or_unreachable_relay_fails_in_plain_words,
    the_relay_password_survives_a_master_key_rotation,
);

/// The relay password: must never leave the sealed row.
pub const SMTP_PASSWORD: &str = "canary-smtp-password-3e9d71";

pub async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

pub fn relay_body(port: u16) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "username": "mailer",
        "password": SMTP_PASSWORD,
        "from": "区政府办公室 <noreply@example.gov.cn>",
        "reply_to": "xxb@example.gov.cn",
    })
}

/// Sets the relay to the local listener (as the root's sysadmin).
pub async fn set_relay(app: &TestApp, port: u16) -> Value {
    let (s, v) = put(
        app,
        "/api/v1/notify/smtp",
        &app.admin_token,
        relay_body(port),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Delivers everything due now through the real channels.
pub async fn deliver(app: &TestApp) -> credgov::notify::deliver::Round {
    Deliverer::new(app.state.clone()).run_once().await.unwrap()
}

fn assert_no_canary(what: &str, text: &str, extra: &[&str]) {
    for canary in [SMTP_PASSWORD].iter().chain(extra) {
        assert!(!text.contains(canary), "{what} shows a secret: {text}");
    }
}

async fn smtp_settings_are_for_sysadmins_checked_whole_and_write_only(app: TestApp) {
    let (s, v) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["configured"], false);
    assert_eq!(v["password_set"], false);

    // Only a sysadmin of the root unit: not other roles, not a sysadmin lower down,
    // not an API token.
    let dept = app
        .create_unit(&app.root_id, "区大数据局", "department")
        .await;
    let lower_sysadmin = app.user_with_role(&dept, "sysadmin").await;
    let mut refused = vec![lower_sysadmin.token.clone()];
    for role in ["unit_admin", "supervisor", "auditor", "custodian", "hr"] {
        refused.push(app.user_with_role(&app.root_id, role).await.token);
    }
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "HR", "role": "hr", "unit_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    refused.push(v["token"].as_str().unwrap().to_string());
    for token in &refused {
        let (s, v) = app.get("/api/v1/notify/smtp", token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = put(&app, "/api/v1/notify/smtp", token, relay_body(2525)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(error_code(&v), "forbidden");
    }

    // Bad bodies are refused whole, naming the field; nothing is saved.
    let with = |patch: Value| {
        let mut body = relay_body(2525);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (body, field) in [
        (
            with(json!({ "host": "smtp://mail.example.gov.cn" })),
            "host",
        ),
        (with(json!({ "host": "mail.example.gov.cn:25" })), "host"),
        (
            with(json!({ "host": "10.9.8.7", "tls": "starttls" })),
            "host",
        ),
        (with(json!({ "tls": "ssl" })), "tls"),
        (
            with(json!({ "host": "smtp.example.gov.cn", "tls": "none" })),
            "tls",
        ),
        (with(json!({ "port": 0 })), "port"),
        (with(json!({ "password": null })), "password"),
        (with(json!({ "username": null })), "username"),
        (with(json!({ "from": "not an address" })), "from"),
        (with(json!({ "reply_to": "x@" })), "reply_to"),
    ] {
        let (s, v) = put(&app, "/api/v1/notify/smtp", &app.admin_token, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(error_code(&v), "invalid_input", "{v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
        assert_no_canary("an error", &v.to_string(), &[]);
    }
    let (s, v) = put(
        &app,
        "/api/v1/notify/smtp",
        &app.admin_token,
        with(json!({ "smarthost": "x" })),
    )
    .await;
    assert!(s.is_client_error(), "{s} {v}");
    let (_, v) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(v["configured"], false, "a refused PUT saved something: {v}");

    // Saved: the password only as "set" and a fingerprint.
    let v = set_relay(&app, 2525).await;
    assert_eq!(v["configured"], true);
    assert_eq!(v["host"], "127.0.0.1");
    assert_eq!(v["tls"], "none");
    assert_eq!(v["username"], "mailer");
    assert_eq!(v["password_set"], true);
    assert_eq!(v["reply_to"], "xxb@example.gov.cn");
    let fingerprint = v["password_fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16);
    assert_no_canary("the PUT answer", &v.to_string(), &[]);
    let (_, got) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(got, v);
    // Left out, the password stays; a new one changes the fingerprint.
    let mut keep = relay_body(2526);
    keep.as_object_mut().unwrap().remove("password");
    let (s, v) = put(&app, "/api/v1/notify/smtp", &app.admin_token, keep).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["port"].as_i64(), v["password_fingerprint"].as_str()),
        (Some(2526), Some(fingerprint.as_str()))
    );
    let (s, v) = put(
        &app,
        "/api/v1/notify/smtp",
        &app.admin_token,
        with(json!({ "password": "another-relay-password" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(v["password_fingerprint"], fingerprint.as_str());
    // Without a login there is no password.
    let (s, v) = put(&app, "/api/v1/notify/smtp", &app.admin_token, with(json!({ "username": null, "password": null, "tls": "starttls", "host": "smtp.example.gov.cn", "port": 587 }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["password_set"].as_bool(), v["tls"].as_str()),
        (Some(false), Some("starttls"))
    );
    set_relay(&app, 2525).await;

    // Two writers: dropping the login races keeping the stored password. Whichever
    // order they land in, a login never stays without its password.
    let mut saves = 5;
    for _ in 0..5 {
        set_relay(&app, 2525).await;
        let mut drop_login = relay_body(2525);
        drop_login["username"] = Value::Null;
        drop_login.as_object_mut().unwrap().remove("password");
        let mut keep = relay_body(2525);
        keep.as_object_mut().unwrap().remove("password");
        let (a, b) = tokio::join!(
            put(&app, "/api/v1/notify/smtp", &app.admin_token, drop_login),
            put(&app, "/api/v1/notify/smtp", &app.admin_token, keep),
        );
        assert_eq!(a.0, StatusCode::OK, "{}", a.1);
        assert!(
            b.0 == StatusCode::OK || b.0 == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            b.1
        );
        saves += 2 + usize::from(b.0 == StatusCode::OK);
        let (_, v) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
        assert!(v["username"].is_null() || v["password_set"] == true, "{v}");
    }
    set_relay(&app, 2525).await;
    saves += 1;

    // Audited on the root's chain, with the fingerprint and never the password.
    let rows = sqlx::query(
        "SELECT unit_id, details FROM audit_events WHERE action = 'notify.smtp.update' ORDER BY seq",
    )
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), saves);
    for r in &rows {
        assert_eq!(r.get::<String, _>(0), app.root_id);
        assert_no_canary(
            "an audit entry",
            &r.get::<String, _>(1),
            &["another-relay-password"],
        );
    }
    assert!(rows[0].get::<String, _>(1).contains(&fingerprint));
    assert_no_canary(
        "the database",
        &app.dump().await,
        &["another-relay-password"],
    );
    assert_no_canary("the log", &captured_logs(), &["another-relay-password"]);
}

async fn notices_reach_the_relay_in_each_persons_language(app: TestApp) {
    let smtp = SmtpServer::start().await;
    set_relay(&app, smtp.port).await;
    let unit = app
        .create_unit(&app.root_id, "区政务服务中心", "institution")
        .await;

    // A unit's e-mail list, through a channel test.
    let (s, v) = put(
        &app,
        &format!("/api/v1/units/{unit}/channels"),
        &app.admin_token,
        json!({ "email": { "to": ["office@example.gov.cn", "duty@example.gov.cn"] } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/email/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let test_id = v["outbox_id"].as_str().unwrap().to_string();
    let round = deliver(&app).await;
    assert_eq!((round.claimed, round.delivered), (1, 1), "{round:?}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.from, "noreply@example.gov.cn");
    assert_eq!(m.to, vec!["office@example.gov.cn", "duty@example.gov.cn"]);
    assert_eq!(
        m.login,
        Some(("mailer".to_string(), SMTP_PASSWORD.to_string()))
    );
    assert!(
        m.header("From").contains("区政府办公室"),
        "{}",
        m.header("From")
    );
    assert!(m.header("From").contains("<noreply@example.gov.cn>"));
    assert!(m.header("Reply-To").contains("xxb@example.gov.cn"));
    assert!(m.header("To").contains("office@example.gov.cn"));
    assert_eq!(m.header("Subject"), "通知渠道测试");
    assert!(
        m.header("Message-ID").contains(&test_id),
        "{}",
        m.header("Message-ID")
    );
    assert!(
        m.header("Content-Type")
            .starts_with("multipart/alternative")
    );
    assert!(
        m.part("text/plain")
            .contains("这是来自 区政务服务中心 的测试消息"),
        "{}",
        m.part("text/plain")
    );
    assert!(
        m.part("text/html")
            .contains("<p>这是来自 区政务服务中心 的测试消息。</p>"),
        "{}",
        m.part("text/html")
    );

    // Personal e-mail: the admin reads English, a second sysadmin keeps zh-CN with the
    // directory's address; both hear of a privileged lockout by e-mail and inbox.
    let (s, v) = put(
        &app,
        "/api/v1/me/notifications",
        &app.admin_token,
        json!({ "email": "Admin@Example.gov.cn", "lang": "en" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email_in_use"], "admin@example.gov.cn");
    let second = app.user_with_role(&app.root_id, "sysadmin").await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", second.id),
            &app.admin_token,
            json!({ "email": "ops@example.gov.cn" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put(
        &app,
        "/api/v1/me/notifications",
        &second.token,
        json!({ "muted_kinds": ["delivery_failed"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email"], Value::Null);
    assert_eq!(v["email_in_use"], "ops@example.gov.cn");
    let locked = app.user_with_role(&unit, "unit_admin").await;
    for i in 0..6 {
        app.login_raw(&locked.username, &format!("wrong-{i}"), None)
            .await;
    }
    let (s, v) = app.get("/api/v1/notifications", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["title"], "Privileged user locked out", "{v}");
    let (_, v) = app.get("/api/v1/notifications", &second.token).await;
    assert_eq!(v["items"][0]["title"], "特权用户被锁定", "{v}");
    let round = deliver(&app).await;
    assert_eq!(round.delivered, 2, "{round:?}");
    let mails = smtp.mails();
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.to == vec![address.to_string()])
            .cloned()
            .unwrap_or_else(|| panic!("no mail to {address}: {mails:?}"))
    };
    let en = to("admin@example.gov.cn");
    assert_eq!(en.header("Subject"), "Privileged user locked out");
    assert!(
        en.part("text/plain").contains("is locked out until"),
        "{}",
        en.part("text/plain")
    );
    assert!(en.part("text/html").contains(&locked.username));
    let zh = to("ops@example.gov.cn");
    assert_eq!(zh.header("Subject"), "特权用户被锁定");
    assert!(
        zh.part("text/plain").contains("次登录失败被锁定"),
        "{}",
        zh.part("text/plain")
    );
    let personal: i64 = sqlx::query(
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND recipient_user_id IS NOT NULL",
    )
    .fetch_one(app.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(personal, 2);

    // No message, answer or log line carries the relay password or a login password.
    for m in smtp.mails() {
        assert_no_canary("an e-mail", &m.data, &[&locked.password]);
    }
    assert_no_canary("the log", &captured_logs(), &[]);
}

async fn a_missing_refusing_or_unreachable_relay_fails_in_plain_words(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区档案馆", "institution")
        .await;
    let (s, v) = put(
        &app,
        &format!("/api/v1/units/{unit}/channels"),
        &app.admin_token,
        json!({ "email": { "to": ["office@example.gov.cn"] } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // No relay: the row fails at once and says what to do.
    let id = queue_email_test(&app, &unit).await;
    assert_eq!(deliver(&app).await.failed, 1);
    let (state, _, error) = outbox_row(&app, &id).await;
    assert_eq!(state, "failed");
    assert!(error.contains("no SMTP relay is configured"), "{error}");

    // A relay that refuses the recipient (550): failed for good, the relay's words kept.
    let smtp = SmtpServer::start().await;
    set_relay(&app, smtp.port).await;
    smtp.refuse_recipients("550 5.7.1 relaying denied");
    let id = queue_email_test(&app, &unit).await;
    assert_eq!(deliver(&app).await.failed, 1);
    let (state, _, error) = outbox_row(&app, &id).await;
    assert_eq!(state, "failed");
    assert!(
        error.contains("127.0.0.1") && error.contains("relaying denied"),
        "{error}"
    );
    assert_no_canary("an outbox error", &error, &[]);
    assert!(smtp.mails().is_empty());

    // STARTTLS is required, never a silent downgrade: a relay that does not offer it
    // gets neither the password nor the message.
    let logins = smtp.logins();
    let (s, v) = put(
        &app,
        "/api/v1/notify/smtp",
        &app.admin_token,
        json!({ "host": "127.0.0.1", "port": smtp.port, "tls": "starttls", "username": "mailer",
                "from": "noreply@example.gov.cn" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    smtp.accept_recipients();
    let id = queue_email_test(&app, &unit).await;
    let round = deliver(&app).await;
    assert_eq!(round.delivered, 0, "{round:?}");
    let (state, _, error) = outbox_row(&app, &id).await;
    assert_ne!(state, "delivered");
    assert!(error.contains("127.0.0.1"), "{error}");
    assert_eq!(smtp.logins(), logins, "the password went out unencrypted");
    assert!(smtp.mails().is_empty());
    // (Out of the way of the rounds below.)
    sqlx::query("UPDATE outbox SET state = 'failed' WHERE id = $1")
        .bind(&id)
        .execute(app.pool())
        .await
        .unwrap();
    smtp.refuse_recipients("550 5.7.1 relaying denied");

    // A relay nobody answers for: retried later, not failed.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    set_relay(&app, port).await;
    let id = queue_email_test(&app, &unit).await;
    let round = deliver(&app).await;
    assert_eq!(round.retried, 1, "{round:?}");
    let (state, attempts, error) = outbox_row(&app, &id).await;
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!(error.contains("127.0.0.1"), "{error}");
    assert_no_canary("an outbox error", &error, &[]);

    // Back to a working relay: the retry goes out.
    smtp.accept_recipients();
    set_relay(&app, smtp.port).await;
    app.clock.advance_ms(24 * 3_600_000);
    assert_eq!(deliver(&app).await.delivered, 1);
    assert_eq!(smtp.mails().len(), 1);
    let failed: Vec<String> =
        sqlx::query("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
    for e in &failed {
        assert_no_canary("an outbox error", e, &[]);
    }
    assert_no_canary("the log", &captured_logs(), &[]);
}

async fn queue_email_test(app: &TestApp, unit: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/email/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v["outbox_id"].as_str().unwrap().to_string()
}

/// (state, attempts, last_error) of an outbox row.
async fn outbox_row(app: &TestApp, id: &str) -> (String, i64, String) {
    let r = sqlx::query("SELECT state, attempts, last_error FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    (
        r.get::<String, _>(0),
        r.get::<i64, _>(1),
        r.get::<Option<String>, _>(2).unwrap_or_default(),
    )
}

async fn the_relay_password_survives_a_master_key_rotation(app: TestApp) {
    use credgov::crypto::{MasterKey, rotate_master_key};
    use secrecy::ExposeSecret;

    set_relay(&app, 2525).await;
    let old = MasterKey::load(&app.config.master_key_file).unwrap();
    let new_path = app.dir.path().join("new-master.key");
    let new = MasterKey::generate();
    new.write_new(&new_path).unwrap();
    let report = rotate_master_key(&app.state.db, &old, &new, app.now(), None)
        .await
        .unwrap();
    assert!(report.finished);
    let mut with_new = app.config.clone();
    with_new.master_key_file = new_path;
    let rotated = credgov::app::AppState::start(with_new, app.clock.clone())
        .await
        .expect("the new key starts");
    let relay = credgov::notify::smtp::store::open_relay(&rotated)
        .await
        .unwrap()
        .expect("the relay is still set");
    assert_eq!(
        relay
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_string()),
        Some(SMTP_PASSWORD.to_string())
    );
    assert!(!format!("{relay:?}").contains(SMTP_PASSWORD));
}
