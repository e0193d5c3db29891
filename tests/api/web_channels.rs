//! The notification channel and SMTP relay pages on both engines: set, list (host and
//! fingerprint, never a key or secret — in no page and no audit entry), test against a
//! local receiver (delivered, failing in plain words), remove; refused input and
//! CSRF-less posts change nothing; other units answer 404, other roles 403 and get no
//! link; the relay page is for sysadmins of the root unit only.

use credgov::notify::deliver::Deliverer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestApp, TestUser};
use crate::notify_channels::whsec;
use crate::receiver::Receiver;
use crate::smtp_server::SmtpServer;
use crate::web_client::{Answer, WebClient, enc};

both_engines!(
    web_channels_a_sysadmin_sets_tests_and_removes_channels,
    web_channels_refused_input_and_csrf_less_posts_save_nothing,
    web_channels_other_units_and_roles_see_nothing,
    web_channels_the_smtp_relay_page_is_for_root_sysadmins,
);

const WECOM_KEY: &str = "canary-web-wecom-key-91c2";
const DING_TOKEN: &str = "canary-web-ding-token-4d7e";
const DING_SECRET: &str = "SECcanary0web0dingtalk0a81f";
const SMTP_PASSWORD: &str = "canary-web-smtp-password-5b0c";

fn admin(app: &TestApp) -> TestUser {
    TestUser {
        id: String::new(),
        username: ADMIN.into(),
        password: ADMIN_PASSWORD.into(),
        token: app.admin_token.clone(),
        totp_secret: Some(app.admin_totp.clone()),
    }
}

async fn signed_in(app: &TestApp, user: &TestUser) -> WebClient {
    let web = WebClient::new(app);
    web.sign_in(app, user).await;
    web
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for s in [WECOM_KEY, DING_TOKEN, DING_SECRET, SMTP_PASSWORD]
        .iter()
        .chain(secrets)
    {
        assert!(!text.contains(s), "{what} shows a secret: {text}");
    }
}

/// Every `details` of the notification settings' audit entries.
async fn audit_details(app: &TestApp) -> String {
    sqlx::query("SELECT details FROM audit_events WHERE action LIKE 'notify.%'")
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn api_channels(app: &TestApp, unit: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/units/{unit}/channels"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn save(web: &WebClient, csrf: &str, unit: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("_csrf", csrf), ("unit", unit)];
    all.extend_from_slice(fields);
    web.post("/admin/channels", &all).await
}

/// Presses a channel's test button; the outbox id from the page it leads to.
async fn press_test(web: &WebClient, csrf: &str, unit: &str, channel: &str) -> String {
    let a = web
        .post(
            "/admin/channels/test",
            &[("_csrf", csrf), ("unit", unit), ("channel", channel)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let to = a.location().to_string();
    let id = to.split("test=").nth(1).unwrap().split('#').next().unwrap();
    let page = web.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"test-result\""), "{}", page.body);
    assert!(page.body.contains("hx-get="), "a queued test is followed");
    id.to_string()
}

/// What the page says of the test `id` once the deliverer has had a go.
async fn outcome(app: &TestApp, web: &WebClient, unit: &str, id: &str) -> String {
    Deliverer::new(app.state.clone()).run_once().await.unwrap();
    let a = web
        .get(&format!(
            "/admin/channels/test?unit={}&id={}",
            enc(unit),
            enc(id)
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}

async fn web_channels_a_sysadmin_sets_tests_and_removes_channels(app: TestApp) {
    let rx = Receiver::start().await;
    let unit = app
        .create_unit(&app.root_id, "区委网信办", "department")
        .await;
    let secret = whsec(21);
    let web = signed_in(&app, &admin(&app)).await;
    let mut bodies = Vec::new();

    let page = web.get(&format!("/admin/channels?unit={unit}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("区委网信办") && page.body.contains("未设置"));
    let csrf = page.csrf();
    let wecom_url = rx.url(&format!("/cgi-bin/webhook/send?key={WECOM_KEY}"));
    let ding_url = rx.url(&format!("/robot/send?access_token={DING_TOKEN}"));
    let hook_url = rx.url("/hook");
    for fields in [
        vec![
            ("channel", "webhook"),
            ("url", hook_url.as_str()),
            ("secret", secret.as_str()),
        ],
        vec![("channel", "wecom"), ("url", wecom_url.as_str())],
        vec![
            ("channel", "dingtalk"),
            ("url", ding_url.as_str()),
            ("secret", DING_SECRET),
        ],
        vec![
            ("channel", "email"),
            ("to", "Office@Example.gov.cn\r\nduty@example.gov.cn"),
        ],
    ] {
        let a = save(&web, &csrf, &unit, &fields).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{fields:?}: {}", a.body);
        assert!(a.location().contains("saved="), "{}", a.location());
        let after = web.get(a.location()).await;
        assert!(after.body.contains("id=\"notice\""), "{}", after.body);
        bodies.push(after.body);
    }
    // Listed with host and fingerprint, as the API shows them.
    let v = api_channels(&app, &unit).await;
    let page = web.get(&format!("/admin/channels?unit={unit}")).await;
    for channel in ["webhook", "wecom", "dingtalk", "email"] {
        let fp = v[channel]["fingerprint"].as_str().unwrap();
        assert!(
            page.body.contains(fp),
            "{channel}'s fingerprint: {}",
            page.body
        );
    }
    assert!(page.body.contains("127.0.0.1") && page.body.contains("office@example.gov.cn"));
    assert!(page.body.contains("本单位的设置"));
    bodies.push(page.body.clone());

    // The test button: delivered to the local receiver, said in plain words.
    let id = press_test(&web, &csrf, &unit, "webhook").await;
    let said = outcome(&app, &web, &unit, &id).await;
    assert!(said.contains("测试消息已送达"), "{said}");
    assert!(
        !said.contains("hx-get="),
        "a delivered test is not polled again"
    );
    assert!(rx.received().iter().any(|r| r.path == "/hook"));
    bodies.push(said);
    // A receiver that refuses: failed, and why.
    rx.answer(403, "{}");
    let id = press_test(&web, &csrf, &unit, "webhook").await;
    let said = outcome(&app, &web, &unit, &id).await;
    assert!(
        said.contains("测试消息未能送达，已放弃") && said.contains("403"),
        "{said}"
    );
    // An address that refuses connections: not delivered yet, retried, and why.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = format!("http://127.0.0.1:{closed}/cgi-bin/webhook/send?key={WECOM_KEY}");
    let a = save(
        &web,
        &csrf,
        &unit,
        &[("channel", "wecom"), ("url", &refused)],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = press_test(&web, &csrf, &unit, "wecom").await;
    let said = outcome(&app, &web, &unit, &id).await;
    assert!(
        said.contains("测试消息尚未送达") && said.contains("127.0.0.1") && said.contains("hx-get="),
        "{said}"
    );
    bodies.push(said);
    // E-mail without a relay: given up, "no SMTP relay is configured".
    let id = press_test(&web, &csrf, &unit, "email").await;
    let said = outcome(&app, &web, &unit, &id).await;
    assert!(
        said.contains("未能送达") && said.contains("no SMTP relay"),
        "{said}"
    );

    // Removed: the unit has no WeCom robot any more (the root has none to inherit).
    let a = save(&web, &csrf, &unit, &[("channel", "wecom"), ("remove", "1")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(api_channels(&app, &unit).await["wecom"].is_null());
    let page = web.get(&format!("/admin/channels?unit={unit}")).await;
    assert!(
        !page.body.contains("id=\"remove-wecom\""),
        "nothing left to remove"
    );
    assert!(page.body.contains("id=\"remove-webhook\""));
    // A test of a channel no unit sets up: refused on its card, in plain words.
    let a = web
        .post(
            "/admin/channels/test",
            &[("_csrf", &csrf), ("unit", &unit), ("channel", "wecom")],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("请先保存设置再测试"), "{}", a.body);
    bodies.push(page.body);
    bodies.push(a.body);

    for body in &bodies {
        assert_no_secret("a page", body, &[&secret]);
    }
    let details = audit_details(&app).await;
    assert!(details.contains("\"removed\":[\"wecom\"]"), "{details}");
    assert_no_secret("an audit entry", &details, &[&secret]);
}

async fn web_channels_refused_input_and_csrf_less_posts_save_nothing(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区水务局", "department")
        .await;
    let web = signed_in(&app, &admin(&app)).await;
    let csrf = web
        .get(&format!("/admin/channels?unit={unit}"))
        .await
        .csrf();
    let before = api_channels(&app, &unit).await;
    let good_secret = whsec(22);
    for (fields, words) in [
        (
            vec![
                ("channel", "webhook"),
                ("url", "ftp://example.com/x"),
                ("secret", good_secret.as_str()),
            ],
            "http",
        ),
        (
            vec![
                ("channel", "webhook"),
                ("url", "https://hooks.example.gov.cn/x"),
                ("secret", "whsec_c2hvcnQ="),
            ],
            "secret",
        ),
        (
            vec![
                ("channel", "dingtalk"),
                (
                    "url",
                    "https://oapi.dingtalk.com/robot/send?access_token=canary-web-ding-token-4d7e",
                ),
                ("secret", "nope"),
            ],
            "SEC",
        ),
        (
            vec![("channel", "email"), ("to", "not-an-address")],
            "not-an-address",
        ),
        (vec![("channel", "email"), ("to", "")], "20"),
    ] {
        let a = save(&web, &csrf, &unit, &fields).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {}",
            a.body
        );
        assert!(a.body.contains("id=\"form-error\""), "{}", a.body);
        assert!(a.body.contains(words), "{words}: {}", a.body);
        assert_no_secret("a refused form", &a.body, &[&good_secret]);
    }
    // Without the session's token: 403, nothing saved, nothing queued.
    let hook = format!("https://hooks.example.gov.cn/x?token={WECOM_KEY}");
    let a = web
        .post(
            "/admin/channels",
            &[
                ("unit", unit.as_str()),
                ("channel", "wecom"),
                ("url", &hook),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web
        .post(
            "/admin/channels/test",
            &[("unit", unit.as_str()), ("channel", "wecom")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(api_channels(&app, &unit).await, before, "nothing was saved");
    let queued: i64 = sqlx::query("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0);
    assert!(audit_details(&app).await.is_empty(), "nothing was audited");
}

async fn web_channels_other_units_and_roles_see_nothing(app: TestApp) {
    let rx = Receiver::start().await;
    let a = app.create_unit(&app.root_id, "甲局", "department").await;
    let b = app.create_unit(&app.root_id, "乙局", "department").await;
    let body = json!({ "wecom": { "webhook_url": rx.url(&format!("/cgi-bin/webhook/send?key={WECOM_KEY}")) } });
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{a}/channels"),
            Some(&app.admin_token),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let fingerprint = v["wecom"]["fingerprint"].as_str().unwrap().to_string();
    let (s, q) = app
        .post(
            &format!("/api/v1/units/{a}/channels/wecom/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{q}");
    let test_id = q["outbox_id"].as_str().unwrap().to_string();
    // The API says what became of it, for the unit only.
    let outcome_path = format!("/api/v1/units/{a}/channels/tests/{test_id}");
    let (s, v) = app.get(&outcome_path, &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/units/{b}/channels/tests/{test_id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another unit's test");

    // Sysadmins and unit admins of another unit: 404, nothing of 甲局, nothing changed.
    for role in ["sysadmin", "unit_admin"] {
        let user = app.user_with_role(&b, role).await;
        let (s, _) = app.get(&outcome_path, &user.token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{role} through the API");
        let web = signed_in(&app, &user).await;
        let own = web.get("/admin/channels").await;
        assert_eq!(own.status, StatusCode::OK, "{role}: {}", own.body);
        assert!(
            own.body.contains("乙局") && !own.body.contains("甲局"),
            "{role}"
        );
        let csrf = own.csrf();
        for answer in [
            web.get(&format!("/admin/channels?unit={a}")).await,
            web.get(&format!("/admin/channels/test?unit={a}&id={test_id}"))
                .await,
            web.get(&format!("/admin/channels?unit={b}&test={test_id}"))
                .await,
            save(&web, &csrf, &a, &[("channel", "wecom"), ("remove", "1")]).await,
            web.post(
                "/admin/channels/test",
                &[("_csrf", &csrf), ("unit", &a), ("channel", "wecom")],
            )
            .await,
        ] {
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{role}: {}",
                answer.body
            );
            assert!(
                !answer.body.contains("甲局") && !answer.body.contains(&fingerprint),
                "{role}: {}",
                answer.body
            );
        }
    }
    assert_eq!(
        api_channels(&app, &a).await["wecom"]["fingerprint"],
        fingerprint.as_str()
    );
    let tests: i64 = sqlx::query("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(tests, 1, "no test was queued");

    // 甲局's unit admin reaches the page from the inbox and sees the robot.
    let unit_admin = app.user_with_role(&a, "unit_admin").await;
    let web = signed_in(&app, &unit_admin).await;
    assert!(
        web.get("/notifications")
            .await
            .body
            .contains("href=\"/admin/channels\"")
    );
    let page = web.get("/admin/channels").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&fingerprint) && page.body.contains("id=\"test-wecom\""));
    assert!(!page.body.contains("href=\"/admin/smtp\""), "no relay link");

    // Auditors and custodians: 403, and no link anywhere.
    for role in ["auditor", "custodian"] {
        let user = app.user_with_role(&a, role).await;
        let web = signed_in(&app, &user).await;
        for path in [
            "/admin/channels".to_string(),
            format!("/admin/channels?unit={a}"),
            format!("/admin/channels/test?unit={a}&id={test_id}"),
            "/admin/smtp".to_string(),
        ] {
            let p = web.get(&path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{role} {path}: {}", p.body);
            assert!(!p.body.contains(&fingerprint), "{role} {path}");
        }
        for path in ["/", "/notifications", "/admin/units"] {
            let p = web.get(path).await;
            assert!(
                !p.body.contains("/admin/channels") && !p.body.contains("/admin/smtp"),
                "{role} {path}: a link"
            );
        }
    }
}

async fn web_channels_the_smtp_relay_page_is_for_root_sysadmins(app: TestApp) {
    let smtp = SmtpServer::start().await;
    let web = signed_in(&app, &admin(&app)).await;
    assert!(
        web.get("/admin/units")
            .await
            .body
            .contains("href=\"/admin/smtp\"")
    );
    let page = web.get("/admin/smtp").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"smtp-not-configured\""));
    let csrf = page.csrf();
    let port = smtp.port.to_string();
    let relay = |password: &'static str, tls: &'static str, port: String| {
        vec![
            ("_csrf", csrf.clone()),
            ("host", "127.0.0.1".to_string()),
            ("port", port),
            ("tls", tls.to_string()),
            ("username", "mailer".to_string()),
            ("password", password.to_string()),
            ("from", "区政府办公室 <noreply@example.gov.cn>".to_string()),
            ("reply_to", String::new()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let web = &web;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            web.post("/admin/smtp", &f).await
        }
    };
    let a = post(relay(SMTP_PASSWORD, "none", port.clone())).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let (_, v) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    let fingerprint = v["password_fingerprint"].as_str().unwrap().to_string();
    let page = web.get(a.location()).await;
    assert!(page.body.contains("id=\"notice\"") && page.body.contains(&fingerprint));
    assert!(page.body.contains("value=\"127.0.0.1\""), "{}", page.body);
    let mut bodies = vec![page.body];

    // An empty password keeps the stored one; refused forms change nothing.
    let a = post(relay("", "none", port.clone())).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    for (fields, words) in [
        (relay("canary-new-smtp-pw", "none", "abc".into()), "port"),
        (
            {
                let mut f = relay("canary-new-smtp-pw", "none", port.clone());
                f[1].1 = "smtp.example.gov.cn".into();
                f
            },
            "starttls",
        ),
    ] {
        let a = post(fields).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert!(
            a.body.contains("id=\"form-error\"") && a.body.contains(words),
            "{}",
            a.body
        );
        assert!(
            !a.body.contains("canary-new-smtp-pw"),
            "the password is not echoed"
        );
        bodies.push(a.body);
    }
    let mut no_token = relay("canary-new-smtp-pw", "none", port.clone());
    no_token.remove(0);
    assert_eq!(post(no_token).await.status, StatusCode::FORBIDDEN);
    let (_, after) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(after["password_fingerprint"], fingerprint.as_str());
    assert_eq!(after["port"], smtp.port);

    // The unit e-mail list's test goes through the relay set here.
    let csrf_c = web.get("/admin/channels").await.csrf();
    let root = app.root_id.clone();
    let a = save(
        &web,
        &csrf_c,
        &root,
        &[("channel", "email"), ("to", "duty@example.gov.cn")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = press_test(&web, &csrf_c, &root, "email").await;
    let said = outcome(&app, &web, &root, &id).await;
    assert!(said.contains("测试消息已送达"), "{said}");
    assert_eq!(smtp.mails().len(), 1);

    // A sysadmin of a lower unit: channels yes, the relay no (403, no link).
    let lower = app.create_unit(&app.root_id, "丙局", "department").await;
    let sub = app.user_with_role(&lower, "sysadmin").await;
    let sub_web = signed_in(&app, &sub).await;
    let units = sub_web.get("/admin/units").await;
    assert!(units.body.contains("href=\"/admin/channels\""));
    assert!(!units.body.contains("href=\"/admin/smtp\""));
    let p = sub_web.get("/admin/smtp").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!p.body.contains("127.0.0.1"));
    let mut fields = relay("canary-new-smtp-pw", "none", port.clone());
    fields[0].1 = units.csrf();
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = sub_web.post("/admin/smtp", &f).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    let (_, after) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(after["password_fingerprint"], fingerprint.as_str());

    for body in &bodies {
        assert_no_secret("a page", body, &[]);
    }
    assert_no_secret(
        "an audit entry",
        &audit_details(&app).await,
        &["canary-new-smtp-pw"],
    );
}
