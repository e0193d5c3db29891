//! HR reports a departure and the successor acknowledges with TOTP; every role's
//! forbidden page answers 403/404 without content — in a real browser.

use reqwest::StatusCode;

use super::Browser;
use crate::common::{Engine, TestApp, TestUser, spawn_app};
use crate::web_client::WebClient;
use crate::web_handover::{rotate, world};

/// A role, a person holding it, the pages they may not use with the status each
/// answers, and whether their navigation shows the handovers link.
type Forbidden<'a> = (&'a str, &'a TestUser, Vec<(String, u16)>, bool);

/// Signs `u` in through the pages (the code page when they have TOTP).
async fn sign_in(b: &Browser, app: &TestApp, u: &TestUser) {
    b.goto("/login").await;
    b.fill("#username", &u.username).await;
    b.fill("#password", &u.password).await;
    b.click("#login-submit").await;
    if let Some(secret) = &u.totp_secret {
        b.wait("#code").await;
        let code = app.fresh_code(secret);
        b.fill("#code", &code).await;
        b.click("#totp-submit").await;
    }
    assert_eq!(b.text("#who-name").await, u.username);
}

async fn sign_out(b: &Browser) {
    b.click("#logout").await;
    b.wait("#username").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_reports_a_departure_and_the_successor_acknowledges() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let w = world(&app, "区融媒体中心").await;
    let Some(mut b) = Browser::start("handover", &app.base, "zh-CN").await else {
        return;
    };
    // HR reports the departure at the form.
    sign_in(&b, &app, &w.hr).await;
    b.click("a[href='/handovers']").await;
    b.click("#report-link").await;
    b.wait("#report-form").await;
    b.fill("#username", &w.leaver.username).await;
    b.fill("#successor_username", &w.successor.username).await;
    b.fill("#note", "调往区政府办公室").await;
    b.shot("report-form").await;
    b.click("#report-submit").await;
    assert!(b.text("#notice").await.contains("交接单已生成"));
    let case = b.path().await;
    let case = case.split('?').next().unwrap().to_string();
    assert!(case.starts_with("/handovers/"), "{case}");
    assert_eq!(b.text("#case-state").await, "办理中");
    b.shot("case-opened").await;
    // The 交接单, printable.
    b.click("#print-link").await;
    assert!(b.text("#sheet h1").await.contains("账号交接单"));
    assert!(b.exists("#print-button").await);
    b.shot("sheet").await;
    b.assert_no_console_errors().await;
    sign_out(&b).await;

    // The unit admin has the password changed (rotation on the account).
    rotate(&app, &w.admin.token, &w.account).await;

    // The successor: the case waits on their home page.
    sign_in(&b, &app, &w.successor).await;
    let link = format!("#case-list a[href='{case}']");
    b.shot("successor-home").await;
    b.click(&link).await;
    // They confirm the checklist themselves.
    b.click("#confirm-materials").await;
    assert!(b.text("#notice").await.contains("交接事项已确认"));
    b.click("#confirm-training").await;
    b.wait("#ack-code").await;
    b.shot("ready-to-acknowledge").await;
    // A wrong code: refused in plain words.
    b.fill("#ack-code", "000000").await;
    b.click("#ack-submit").await;
    assert!(b.text("#step-error").await.contains("动态码错误"));
    b.allow_status_pages(&[401]).await;
    b.shot("wrong-code").await;
    // A fresh code: acknowledged.
    let code = app.fresh_code(w.successor.totp_secret.as_ref().unwrap());
    b.fill("#ack-code", &code).await;
    b.click("#ack-submit").await;
    assert!(b.text("#notice").await.contains("您已确认接收"));
    assert_eq!(b.text("#case-state").await, "待审核签字");
    assert!(b.exists("#case-acknowledged").await);
    assert!(!b.exists("#ack-code").await);
    b.shot("acknowledged").await;
    b.assert_no_console_errors().await;
    b.close().await;
    let trail = app.audit_actions(&w.unit).await;
    assert!(
        trail
            .iter()
            .any(|(a, o)| a == "handover.acknowledge" && o == "success")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_roles_forbidden_page_answers_without_content() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let w = world(&app, "区住建委").await;
    let id = crate::web_handover::report(&app, &w).await;
    let other = app
        .create_unit(&app.root_id, "区交通局", "department")
        .await;
    let other_admin = app.user_with_role(&other, "unit_admin").await;
    let other_supervisor = app.user_with_role(&other, "supervisor").await;
    let auditor = app.user_with_role(&w.unit, "auditor").await;
    let bystander = app.user_with_role(&w.unit, "custodian").await;
    let sysadmin = TestUser {
        id: String::new(),
        username: crate::common::ADMIN.into(),
        password: crate::common::ADMIN_PASSWORD.into(),
        token: app.admin_token.clone(),
        totp_secret: Some(app.admin_totp.clone()),
    };
    let case = format!("/handovers/{id}");
    // Each role, the pages of this branch it may not use, and what they answer.
    let forbidden: Vec<Forbidden> = vec![
        (
            "sysadmin",
            &sysadmin,
            vec![("/handovers".into(), 403), (case.clone(), 403)],
            false,
        ),
        (
            "auditor",
            &auditor,
            vec![("/handovers".into(), 403), (case.clone(), 403)],
            false,
        ),
        (
            "custodian",
            &bystander,
            vec![("/handovers/new".into(), 403), (case.clone(), 403)],
            false,
        ),
        (
            "unit_admin",
            &other_admin,
            vec![("/handovers/new".into(), 403), (case.clone(), 404)],
            true,
        ),
        (
            "supervisor",
            &other_supervisor,
            vec![
                ("/handovers/new".into(), 403),
                (format!("{case}/print"), 404),
            ],
            true,
        ),
        ("hr", &w.hr, vec![], true),
    ];
    // Over HTTP: the status.
    for (role, u, pages, _) in &forbidden {
        let web = WebClient::new(&app);
        web.sign_in(&app, u).await;
        for (p, status) in pages {
            let a = web.get(p).await;
            assert_eq!(
                a.status,
                StatusCode::from_u16(*status).unwrap(),
                "{role} {p}"
            );
            assert!(!a.body.contains(&w.leaver.username), "{role} {p}");
        }
    }
    // HR may not sign off: a 403 page too.
    let web = WebClient::new(&app);
    web.sign_in(&app, &w.hr).await;
    let csrf = web.get(&case).await.csrf();
    let a = web
        .post(&format!("{case}/sign-off"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // In the browser: the error page, none of the case, no link the role may not use.
    let Some(mut b) = Browser::start("forbidden", &app.base, "zh-CN").await else {
        return;
    };
    for (role, u, pages, sees_handovers) in &forbidden {
        sign_in(&b, &app, u).await;
        assert_eq!(
            b.exists("nav a[href='/handovers']").await,
            *sees_handovers,
            "{role}: handovers link"
        );
        assert!(b.exists("nav a[href='/notifications']").await, "{role}");
        for (p, status) in pages {
            b.goto(p).await;
            let msg = b.text("#error-message").await;
            assert!(!msg.is_empty(), "{role} {p}");
            let src = b.source().await;
            assert!(src.contains(&format!("({status})")), "{role} {p}");
            assert!(
                !src.contains(&w.leaver.username) && !src.contains("区住建委"),
                "{role} {p}"
            );
            b.shot(&format!("{role}-{status}")).await;
            b.allow_status_pages(&[*status]).await;
        }
        b.goto("/").await;
        sign_out(&b).await;
    }
    b.assert_no_console_errors().await;
    b.close().await;
}
