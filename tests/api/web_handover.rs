//! The handover pages (issue 12) on both engines: HR reports a staff change at a form
//! (the same audited `record_event` as the API), the case page's steps (checklist, the
//! successor's TOTP acknowledgement, sign-off, cancel), the 交接单, and who may see what.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, TestUser};
use crate::web_client::{Answer, WebClient, field_value};

both_engines!(
    hr_reports_a_staff_change_at_the_form,
    a_case_runs_from_checklist_to_sign_off,
    case_pages_keep_to_their_units_and_roles,
    a_case_is_cancelled_with_a_reason,
);

pub struct World {
    pub unit: String,
    pub admin: TestUser,
    pub hr: TestUser,
    pub leaver: TestUser,
    pub successor: TestUser,
    pub account: String,
}

/// A unit with its admin, HR, and two custodians sharing one account.
pub async fn world(app: &TestApp, name: &str) -> World {
    let unit = app.create_unit(&app.root_id, name, "department").await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let hr = app.user_with_role(&unit, "hr").await;
    let leaver = app.user_with_role(&unit, "custodian").await;
    let mut successor = app.user_with_role(&unit, "custodian").await;
    app.enroll_totp(&mut successor).await;
    let (s, v) = app
        .post(&format!("/api/v1/units/{unit}/accounts"), &admin.token, json!({ "name": format!("{name}公众号"), "platform": "wechat_official", "login_name": "gzh", "classification": "core", "generate": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let account = v["id"].as_str().unwrap().to_string();
    for u in [&leaver, &successor] {
        let (s, v) = app
            .post(
                &format!("/api/v1/accounts/{account}/custodians"),
                &admin.token,
                json!({ "user_id": u.id }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    World {
        unit,
        admin,
        hr,
        leaver,
        successor,
        account,
    }
}

/// HR reports `w.leaver`'s departure with `w.successor` through the form; the case id.
pub async fn report(app: &TestApp, w: &World) -> String {
    let web = WebClient::new(app);
    web.sign_in(app, &w.hr).await;
    let form = web.get("/handovers/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let key = field_value(&form.body, "idempotency_key").expect("key");
    let a = web
        .post(
            "/handovers/new",
            &[
                ("_csrf", &form.csrf()),
                ("idempotency_key", &key),
                ("event_type", "departure"),
                ("unit_id", &w.unit),
                ("username", &w.leaver.username),
                ("successor_username", &w.successor.username),
                ("effective_date", ""),
                ("note", "调往区政府办"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    case_id(&a)
}

fn case_id(a: &Answer) -> String {
    let loc = a.location();
    let rest = loc.strip_prefix("/handovers/").expect("to the case");
    rest.split('?').next().unwrap().to_string()
}

/// A confirmed rotation of `account` (after the case opened, so its `rotate` is done).
pub async fn rotate(app: &TestApp, token: &str, account: &str) {
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{account}/rotations"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = app
        .post(
            &format!(
                "/api/v1/rotations/{}/confirm",
                r["rotation_id"].as_str().unwrap()
            ),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

async fn signed_in(app: &TestApp, user: &TestUser) -> WebClient {
    let web = WebClient::new(app);
    let a = web.sign_in(app, user).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    web
}

async fn hr_reports_a_staff_change_at_the_form(app: TestApp) {
    let w = world(&app, "区文旅委").await;
    let other = app
        .create_unit(&app.root_id, "区卫健委", "department")
        .await;
    let other_hr = app.user_with_role(&other, "hr").await;
    let web = signed_in(&app, &w.hr).await;
    // The nav shows handovers to HR; the form lists only HR's units.
    let home = web.get("/").await;
    assert!(home.body.contains("href=\"/handovers\""), "{}", home.body);
    let form = web.get("/handovers/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&w.unit) && !form.body.contains(&other));
    let key = field_value(&form.body, "idempotency_key").unwrap();
    let csrf = form.csrf();
    let fields = |date: &'static str, user: String| {
        vec![
            ("idempotency_key".to_string(), key.clone()),
            ("event_type".to_string(), "departure".to_string()),
            ("unit_id".to_string(), w.unit.clone()),
            ("username".to_string(), user),
            (
                "successor_username".to_string(),
                w.successor.username.clone(),
            ),
            ("effective_date".to_string(), date.to_string()),
        ]
    };
    let post = |extra: Vec<(String, String)>, with_csrf: bool| {
        let web = &web;
        let csrf = csrf.clone();
        async move {
            let mut f: Vec<(&str, &str)> = extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if with_csrf {
                f.push(("_csrf", &csrf));
            }
            web.post("/handovers/new", &f).await
        }
    };
    let cases = |app: &TestApp| {
        let pool = app.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM handovers")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // Without the CSRF token: refused, nothing recorded.
    let a = post(fields("", w.leaver.username.clone()), false).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(cases(&app).await, 0);
    // A date that is not one: 422, the form again with the fix, values kept.
    let a = post(fields("28/11/2026", w.leaver.username.clone()), true).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("2026-11-28 的格式"), "{}", a.body);
    assert!(a.body.contains(&w.leaver.username));
    // Someone unknown: 404 with what to check.
    let a = post(fields("", "nobody-here".into()), true).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert!(a.body.contains("请核对用户名和单位"), "{}", a.body);
    assert_eq!(cases(&app).await, 0);
    // The change: to its case; the same form sent again is the same case.
    let a = post(fields("", w.leaver.username.clone()), true).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = case_id(&a);
    let again = post(fields("", w.leaver.username.clone()), true).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(case_id(&again), id);
    assert_eq!(cases(&app).await, 1);
    let page = web.get(&format!("/handovers/{id}?done=reported")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("交接单已生成") && page.body.contains("离职"));
    assert!(page.body.contains(&w.successor.username));
    // Audited as the person who reported, like the API.
    let trail: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, outcome, actor_kind, actor_id FROM audit_events WHERE unit_id = $1 AND action IN ('hr.event', 'handover.open') ORDER BY seq",
    )
    .bind(&w.unit)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert!(
        trail.iter().all(|(_, o, k, by)| o == "success"
            && k == "user"
            && by.as_deref() == Some(w.hr.id.as_str())),
        "{trail:?}"
    );
    // The leaver's access is gone at once (the service's revocation).
    let (s, _) = app
        .get(&format!("/api/v1/accounts/{}", w.account), &w.leaver.token)
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the departed person's session ended"
    );
    // HR of another unit: naming this unit is not found, and shows nothing of it.
    let foreign = signed_in(&app, &other_hr).await;
    let f = foreign.get("/handovers/new").await;
    let a = foreign
        .post(
            "/handovers/new",
            &[
                ("_csrf", &f.csrf()),
                ("idempotency_key", "web-foreign-1"),
                ("event_type", "departure"),
                ("unit_id", &w.unit),
                ("username", &w.successor.username),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert!(!a.body.contains("区文旅委"));
    let a = foreign.get(&format!("/handovers/{id}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains(&w.leaver.username) && !a.body.contains("区文旅委"));
    // A custodian may not report: 403, no form.
    let c = signed_in(&app, &w.successor).await;
    let a = c.get("/handovers/new").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("idempotency_key"));
    assert!(!c.get("/").await.body.contains("href=\"/handovers\""));
}

async fn a_case_runs_from_checklist_to_sign_off(app: TestApp) {
    let w = world(&app, "区教委").await;
    let id = report(&app, &w).await;
    let admin = signed_in(&app, &w.admin).await;
    let succ = signed_in(&app, &w.successor).await;
    // The successor is told and finds the case on the home page and in the inbox.
    let home = succ.get("/").await;
    assert!(
        home.body.contains(&format!("/handovers/{id}")),
        "{}",
        home.body
    );
    assert!(home.body.contains("待您确认接收"));
    let inbox = succ.get("/notifications").await;
    assert!(
        inbox.body.contains(&format!("/handovers/{id}")),
        "{}",
        inbox.body
    );
    // Not ready: the acknowledgement form is not shown, and a post is refused (409).
    let page = succ.get(&format!("/handovers/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("id=\"ack-code\""));
    let code = app.fresh_code(w.successor.totp_secret.as_ref().unwrap());
    let a = succ
        .post(
            &format!("/handovers/{id}/acknowledge"),
            &[("_csrf", &page.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(
        a.body.contains("请先全部完成") || a.body.contains("every item"),
        "{}",
        a.body
    );
    // The password is changed (rotation on the account), the checklist confirmed: by
    // the admin (materials) and the successor (training).
    rotate(&app, &w.admin.token, &w.account).await;
    let page = admin.get(&format!("/handovers/{id}")).await;
    let a = admin
        .post(
            &format!("/handovers/{id}/checklist"),
            &[("entry", "materials")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no CSRF");
    let a = admin
        .post(
            &format!("/handovers/{id}/checklist"),
            &[
                ("_csrf", &page.csrf()),
                ("entry", "materials"),
                ("note", "纸质资料一盒"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = admin
        .post(
            &format!("/handovers/{id}/checklist"),
            &[("_csrf", &page.csrf()), ("entry", "lunch")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let spage = succ.get(&format!("/handovers/{id}")).await;
    let a = succ
        .post(
            &format!("/handovers/{id}/checklist"),
            &[("_csrf", &spage.csrf()), ("entry", "training")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // Sign-off before the acknowledgement: refused with the reason.
    let a = admin
        .post(
            &format!("/handovers/{id}/sign-off"),
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("接收人尚未确认接收"), "{}", a.body);
    // Now the successor acknowledges: a wrong code is refused and audited as denied…
    let spage = succ.get(&format!("/handovers/{id}")).await;
    assert!(spage.body.contains("id=\"ack-code\""), "{}", spage.body);
    let a = succ
        .post(
            &format!("/handovers/{id}/acknowledge"),
            &[("_csrf", &spage.csrf()), ("code", "000000")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    assert!(a.body.contains("动态码错误"), "{}", a.body);
    // …without the token nothing happens…
    let code = app.fresh_code(w.successor.totp_secret.as_ref().unwrap());
    let a = succ
        .post(&format!("/handovers/{id}/acknowledge"), &[("code", &code)])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // …and a fresh code acknowledges.
    let a = succ
        .post(
            &format!("/handovers/{id}/acknowledge"),
            &[
                ("_csrf", &spage.csrf()),
                ("code", &code),
                ("note", "已接收"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = succ.get(&format!("/handovers/{id}?done=acknowledge")).await;
    assert!(
        page.body.contains("data-state=\"awaiting_sign_off\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"case-acknowledged\""));
    // It no longer waits for the successor.
    assert!(
        !succ
            .get("/")
            .await
            .body
            .contains(&format!("/handovers/{id}"))
    );
    // HR may read but not sign off: 403 without the case.
    let hr = signed_in(&app, &w.hr).await;
    let hpage = hr.get(&format!("/handovers/{id}")).await;
    assert_eq!(hpage.status, StatusCode::OK);
    assert!(!hpage.body.contains("id=\"sign-off-submit\""));
    let a = hr
        .post(
            &format!("/handovers/{id}/sign-off"),
            &[("_csrf", &hpage.csrf())],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(!a.body.contains(&w.leaver.username));
    // The admin signs off.
    let page = admin.get(&format!("/handovers/{id}")).await;
    assert!(page.body.contains("id=\"sign-off-submit\""));
    let a = admin
        .post(
            &format!("/handovers/{id}/sign-off"),
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = admin.get(&format!("/handovers/{id}")).await;
    assert!(page.body.contains("data-state=\"closed\""), "{}", page.body);
    assert!(!page.body.contains("id=\"cancel-submit\""));
    // The 交接单: printable, in Chinese, no password, the print button.
    let sheet = admin.get(&format!("/handovers/{id}/print")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.body.contains("政务网站和政务新媒体账号交接单"));
    assert!(sheet.body.contains("data-print") && sheet.body.contains("已以动态码确认"));
    assert!(!sheet.body.contains("style=") && !sheet.body.contains("<style"));
    // The trail has every step the service writes, the wrong code as denied.
    let trail = app.audit_actions(&w.unit).await;
    for (action, outcome) in [
        ("handover.checklist", "success"),
        ("handover.acknowledge", "denied"),
        ("handover.acknowledge", "success"),
        ("handover.sign_off", "success"),
    ] {
        assert!(
            trail.iter().any(|(a, o)| a == action && o == outcome),
            "{action} {outcome} missing: {trail:?}"
        );
    }
    assert_eq!(
        trail
            .iter()
            .filter(|(a, o)| a == "handover.checklist" && o == "success")
            .count(),
        2
    );
}

async fn case_pages_keep_to_their_units_and_roles(app: TestApp) {
    let w = world(&app, "区水务局").await;
    let id = report(&app, &w).await;
    let other = app
        .create_unit(&app.root_id, "区林业局", "department")
        .await;
    let other_admin = app.user_with_role(&other, "unit_admin").await;
    let supervisor = app.user_with_role(&app.root_id, "supervisor").await;
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
    let print = format!("/handovers/{id}/print");
    // Who sees the case: the unit's admin, HR, the supervisor above, the successor.
    for u in [&w.admin, &w.hr, &supervisor, &w.successor] {
        let web = signed_in(&app, u).await;
        for p in [&case, &print] {
            let a = web.get(p).await;
            assert_eq!(a.status, StatusCode::OK, "{} {p}", u.username);
            assert!(a.body.contains(&w.leaver.username));
        }
    }
    // The list: roles with handover access; the successor (a custodian) has none.
    for (u, status) in [
        (&w.admin, StatusCode::OK),
        (&supervisor, StatusCode::OK),
        (&w.hr, StatusCode::OK),
        (&w.successor, StatusCode::FORBIDDEN),
        (&auditor, StatusCode::FORBIDDEN),
        (&sysadmin, StatusCode::FORBIDDEN),
    ] {
        let web = signed_in(&app, u).await;
        let a = web.get("/handovers").await;
        assert_eq!(a.status, status, "{}", u.username);
        assert_eq!(
            a.body.contains(&w.leaver.username),
            status == StatusCode::OK
        );
        assert_eq!(
            web.get("/").await.body.contains("href=\"/handovers\""),
            status == StatusCode::OK
        );
    }
    // Wrong role in the unit: 403; another unit: 404 — neither shows the case.
    for (u, status) in [
        (&bystander, StatusCode::FORBIDDEN),
        (&auditor, StatusCode::FORBIDDEN),
        (&other_admin, StatusCode::NOT_FOUND),
    ] {
        let web = signed_in(&app, u).await;
        for p in [&case, &print] {
            let a = web.get(p).await;
            assert_eq!(a.status, status, "{} {p}", u.username);
            assert!(
                !a.body.contains(&w.leaver.username) && !a.body.contains("区水务局"),
                "{}",
                a.body
            );
            assert!(a.body.contains("id=\"error-message\""));
        }
        let csrf = web.get("/").await.csrf();
        for (p, f) in [
            (
                format!("{case}/checklist"),
                vec![("_csrf", csrf.as_str()), ("entry", "materials")],
            ),
            (
                format!("{case}/cancel"),
                vec![("_csrf", csrf.as_str()), ("reason", "不需要交接了")],
            ),
            (format!("{case}/sign-off"), vec![("_csrf", csrf.as_str())]),
        ] {
            let a = web.post(&p, &f).await;
            assert_eq!(a.status, status, "{} {p}", u.username);
            assert!(!a.body.contains(&w.leaver.username));
        }
    }
    // A case that does not exist: 404; a bad list filter: 422 with the states to use.
    let web = signed_in(&app, &w.admin).await;
    assert_eq!(
        web.get("/handovers/nope").await.status,
        StatusCode::NOT_FOUND
    );
    let a = web.get("/handovers?state=lost").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("awaiting_sign_off"), "{}", a.body);
    let a = web.get("/handovers?state=open").await;
    assert!(a.body.contains(&format!("href=\"/handovers/{id}\"")));
    // Nothing changed through any refused post.
    let trail = app.audit_actions(&w.unit).await;
    assert!(
        !trail.iter().any(|(a, _)| a == "handover.checklist"
            || a == "handover.cancel"
            || a == "handover.sign_off"),
        "{trail:?}"
    );
}

async fn a_case_is_cancelled_with_a_reason(app: TestApp) {
    let w = world(&app, "区民政局").await;
    let id = report(&app, &w).await;
    let admin = signed_in(&app, &w.admin).await;
    let page = admin.get(&format!("/handovers/{id}")).await;
    assert!(page.body.contains("id=\"cancel-submit\""));
    let a = admin
        .post(&format!("/handovers/{id}/cancel"), &[("reason", "报错了")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no CSRF");
    let a = admin
        .post(
            &format!("/handovers/{id}/cancel"),
            &[("_csrf", &page.csrf()), ("reason", " ")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"step-error\""), "{}", a.body);
    let a = admin
        .post(
            &format!("/handovers/{id}/cancel"),
            &[("_csrf", &page.csrf()), ("reason", "人事系统重复报送")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = admin.get(&format!("/handovers/{id}?done=cancel")).await;
    assert!(
        page.body.contains("data-state=\"cancelled\"") && page.body.contains("人事系统重复报送")
    );
    // A cancelled case no longer changes: 409 with the reason.
    let a = admin
        .post(
            &format!("/handovers/{id}/cancel"),
            &[("_csrf", &page.csrf()), ("reason", "再撤销一次")],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("不能再修改"), "{}", a.body);
    let trail = app.audit_actions(&w.unit).await;
    assert_eq!(
        trail.iter().filter(|(a, _)| a == "handover.cancel").count(),
        1,
        "{trail:?}"
    );
}
