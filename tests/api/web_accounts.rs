//! The accounts pages over plain HTTP on both engines: the list with its filters, an
//! account's page, reveal (reason, second factor, no-store, the secret in that answer
//! only), the rotation wizard (strength fragment, stage, confirm, cancel), and who gets
//! 403 or 404 without seeing anything.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, TestUser, captured_logs};
use crate::web_client::{Answer, WebClient, href_of, row_of};

both_engines!(
    the_list_filters_and_searches_the_callers_accounts,
    an_account_page_shows_metadata_versions_and_custodians,
    reveal_needs_a_reason_and_shows_the_secret_only_in_its_answer,
    the_rotation_wizard_stages_confirms_and_cancels,
    strangers_and_the_wrong_roles_see_nothing,
    accounts_are_registered_and_edited,
    a_service_refusal_is_said_in_the_readers_language,
    the_strength_feedback_is_said_in_the_readers_language,
);

pub const CANARY: &str = "Canary-Persimmon-Lattice-7391";
const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub struct Setup {
    pub unit: String,
    pub admin: TestUser,
    pub custodian: TestUser,
    pub account: String,
    pub other_account: String,
}

/// A unit with an admin, a named custodian (TOTP enrolled), a WeChat account whose
/// password is [`CANARY`] and whose TOTP credgov keeps, and a Weibo account.
pub async fn setup(app: &TestApp) -> Setup {
    let unit = app
        .create_unit(&app.root_id, "永川区融媒体中心", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            &admin.token,
            json!({ "name": "永川发布公众号", "platform": "wechat_official", "login_name": "yongchuan_fabu",
                    "classification": "core", "password": CANARY, "totp_secret": TOTP }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let account = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            &admin.token,
            json!({ "name": "永川微博", "platform": "weibo", "login_name": "yc_weibo",
                    "classification": "general", "generate": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let other_account = v["id"].as_str().unwrap().to_string();
    let mut custodian = app.user_with_role(&unit, "custodian").await;
    app.enroll_totp(&mut custodian).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{account}/custodians"),
            &admin.token,
            json!({ "user_id": custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Setup {
        unit,
        admin,
        custodian,
        account,
        other_account,
    }
}

pub async fn signed_in(app: &TestApp, user: &TestUser) -> WebClient {
    let web = WebClient::new(app);
    let a = web.sign_in(app, user).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    web
}

/// The `action` of the first form whose action starts with `prefix`.
fn form_action(page: &Answer, prefix: &str) -> String {
    let at = page
        .body
        .find(&format!("action=\"{prefix}"))
        .unwrap_or_else(|| panic!("no form to {prefix}: {}", page.body));
    let rest = &page.body[at + 8..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn the_list_filters_and_searches_the_callers_accounts(app: TestApp) {
    let s = setup(&app).await;
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign, "unit_admin").await;
    let (st, v) = app
        .post(
            &format!("/api/v1/units/{foreign}/accounts"),
            &foreign_admin.token,
            json!({ "name": "外区公众号", "platform": "wechat_official", "login_name": "x", "classification": "core", "generate": true }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let web = signed_in(&app, &s.admin).await;
    let all = web.get("/accounts").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.headers["cache-control"], "no-store");
    assert!(all.body.contains("永川发布公众号") && all.body.contains("永川微博"));
    assert!(all.body.contains("永川区融媒体中心"), "the unit is named");
    assert!(!all.body.contains("外区公众号"), "another unit's account");
    assert!(
        all.body.contains("aria-current=\"page\""),
        "nav marks the section"
    );
    assert!(!all.body.contains("style=") && !all.body.contains("<script>"));
    let only = |a: &Answer, yes: &str, no: &str| {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains(yes), "{yes} missing");
        assert!(!a.body.contains(no), "{no} should be filtered out");
    };
    only(
        &web.get("/accounts?platform=weibo").await,
        "永川微博",
        "永川发布公众号",
    );
    only(
        &web.get("/accounts?classification=core").await,
        "永川发布公众号",
        "永川微博",
    );
    only(
        &web.get("/accounts?q=FABU").await,
        "永川发布公众号",
        "永川微博",
    );
    only(
        &web.get(&format!("/accounts?q={}", crate::web_client::enc("微博")))
            .await,
        "永川微博",
        "永川发布公众号",
    );
    let none = web.get("/accounts?status=closed").await;
    assert!(none.body.contains("id=\"accounts-empty\""), "{}", none.body);
    let none = web.get("/accounts?q=%25").await;
    assert!(
        none.body.contains("id=\"accounts-empty\""),
        "a % is literal"
    );
    // Nothing has an open finding yet in a fresh unit (no scan ran).
    let f = web.get("/accounts?findings=1").await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(f.body.contains("id=\"accounts-empty\""), "{}", f.body);
    // An unknown filter value is a 400 page that says what to do.
    let bad = web.get("/accounts?platform=myspace").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("筛选条件无法识别"), "{}", bad.body);
    let bad = web.get("/accounts?cursor=%21%21").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    // Paging: more accounts than a page, and the next page carries the filters.
    for i in 0..50 {
        let (st, v) = app
            .post(
                &format!("/api/v1/units/{}/accounts", s.unit),
                &s.admin.token,
                json!({ "name": format!("栏目账号{i:02}"), "platform": "weibo", "login_name": format!("lm{i}"), "classification": "general", "generate": true }),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let p1 = web.get("/accounts?platform=weibo").await;
    let href = href_of(&p1.body, "next-page").expect("a next page");
    assert!(
        href.contains("platform=weibo") && href.contains("cursor="),
        "{href}"
    );
    let p2 = web.get(&href).await;
    assert_eq!(p2.status, StatusCode::OK);
    let rows0 = p2.body.matches("<td><a href=\"/accounts/").count();
    assert!(!p2.body.contains("id=\"next-page\""), "{href} {rows0}");
    let rows = |a: &Answer| a.body.matches("<td><a href=\"/accounts/").count();
    assert_eq!(
        (rows(&p1), rows(&p2)),
        (50, 1),
        "51 Weibo accounts in two pages"
    );
    assert!(
        p1.body.contains("永川微博") != p2.body.contains("永川微博"),
        "on exactly one page"
    );
    assert!(
        !p2.body.contains("永川发布公众号"),
        "the filter holds on page two"
    );
    // A custodian sees the unit's accounts too.
    let web = signed_in(&app, &s.custodian).await;
    let a = web.get("/accounts?classification=core").await;
    assert!(a.body.contains("永川发布公众号"), "{}", a.body);
}

async fn an_account_page_shows_metadata_versions_and_custodians(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.admin).await;
    let page = web.get(&format!("/accounts/{}", s.account)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    for text in [
        "永川发布公众号",
        "yongchuan_fabu",
        "微信公众号",
        "核心",
        "由本系统保管",
        &s.custodian.username,
        "id=\"versions\"",
        "id=\"reveal-submit\"",
        "id=\"rotate-start\"",
        "待整改问题",
        "最近发布",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    assert!(!page.body.contains(CANARY));
    let versions = &page.body[page.body.find("id=\"versions\"").unwrap_or(0)..];
    assert!(
        row_of(versions, "当前").starts_with("<tr><td class=\"num\">1</td>"),
        "version 1 is the current one: {versions}"
    );
    // A publication shows on the page.
    let (st, v) = app
        .post(
            &format!("/api/v1/accounts/{}/publications", s.account),
            &s.admin.token,
            json!({ "published_at": app.now() - 3_600_000, "title": "永川区冬季供暖通知" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let page = web.get(&format!("/accounts/{}", s.account)).await;
    assert!(page.body.contains("永川区冬季供暖通知") && page.body.contains("人工上报"));
    // English.
    let web_en = signed_in(&app, &s.custodian).await;
    *web_en.accept_language.lock().unwrap() = Some("en-US".into());
    let page = web_en.get(&format!("/accounts/{}", s.account)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("WeChat official account"),
        "{}",
        page.body
    );
    // A custodian reads no findings: that section is left out, the rest is there.
    assert!(!page.body.contains("Open findings"));
    assert!(page.body.contains("Reveal"));
    // An account that does not exist.
    let a = web.get("/accounts/nonexistent-id").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

async fn reveal_needs_a_reason_and_shows_the_secret_only_in_its_answer(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.custodian).await;
    let page = web.get(&format!("/accounts/{}", s.account)).await;
    let csrf = page.csrf();
    let path = format!("/accounts/{}/reveal", s.account);
    // No CSRF token: refused, nothing revealed, nothing audited.
    let a = web.post(&path, &[("reason", "发布通知公告")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains(CANARY));
    // No reason, a too short one: a 422 page saying what to write.
    for reason in ["", "ab"] {
        let a = web
            .post(&path, &[("_csrf", &csrf), ("reason", reason)])
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert!(a.body.contains("请填写查看原因"), "{}", a.body);
        assert!(!a.body.contains(CANARY));
    }
    assert!(
        !app.audit_actions(&s.unit)
            .await
            .iter()
            .any(|(a, _)| a == "secret.reveal"),
        "nothing was revealed yet"
    );
    // With a reason: the password, masked, with show and copy; it hides after 30 s;
    // the managed TOTP code with its countdown; not cacheable.
    let a = web
        .post(&path, &[("_csrf", &csrf), ("reason", "发布冬季供暖通知")])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert!(
        a.body.contains(&format!("value=\"{CANARY}\"")),
        "{}",
        a.body
    );
    assert!(a.body.contains("data-hide-after=\"30\""));
    assert!(a.body.contains("type=\"password\""));
    assert!(a.body.contains("data-toggle=\"revealed-password\""));
    assert!(a.body.contains("data-copy=\"revealed-password\""));
    assert!(a.body.contains("data-totp-remaining=\""));
    let code = credgov::identity::code_at(TOTP, app.now()).unwrap();
    assert!(a.body.contains(&code), "the account's TOTP code");
    assert!(!a.body.contains("style=") && !a.body.contains("<script>"));
    let actions = app.audit_actions(&s.unit).await;
    assert!(actions.contains(&("secret.reveal".to_string(), "success".to_string())));
    // The canary is in no other page, no URL, no log line.
    for p in [
        "/accounts".to_string(),
        format!("/accounts/{}", s.account),
        format!("/accounts/{}/rotate", s.account),
        "/".to_string(),
    ] {
        let a = web.get(&p).await;
        assert!(!a.body.contains(CANARY), "{p} shows the secret");
        assert!(!a.location().contains(CANARY));
    }
    assert!(!a.location().contains(CANARY));
    let logs = captured_logs();
    assert!(!logs.contains(CANARY), "the secret reached a log line");
    assert!(!logs.contains("Persimmon"), "not even a part of it");
    // A custodian of the unit who is not named on this account: 403, nothing shown.
    let mut stranger = app.user_with_role(&s.unit, "custodian").await;
    app.enroll_totp(&mut stranger).await;
    let web = signed_in(&app, &stranger).await;
    let csrf = web.get("/accounts").await.csrf();
    let a = web
        .post(&path, &[("_csrf", &csrf), ("reason", "发布冬季供暖通知")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(!a.body.contains(CANARY));
    // A named custodian without a second factor: refused by the service.
    let plain = app.user_with_role(&s.unit, "custodian").await;
    let (st, _) = app
        .post(
            &format!("/api/v1/accounts/{}/custodians", s.account),
            &s.admin.token,
            json!({ "user_id": plain.id }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let web = signed_in(&app, &plain).await;
    let csrf = web.get("/accounts").await.csrf();
    let a = web
        .post(&path, &[("_csrf", &csrf), ("reason", "发布冬季供暖通知")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(!a.body.contains(CANARY));
}

async fn the_rotation_wizard_stages_confirms_and_cancels(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.admin).await;
    let wizard = web.get(&format!("/accounts/{}/rotate", s.account)).await;
    assert_eq!(wizard.status, StatusCode::OK, "{}", wizard.body);
    assert!(
        wizard.body.contains("hx-post=\"/accounts/"),
        "live strength feedback"
    );
    let csrf = wizard.csrf();
    // The strength fragment: a verdict, never the candidate.
    let strength = format!("/accounts/{}/rotate/strength", s.account);
    let weak = "password123";
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", weak)])
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    assert!(f.body.contains("强度不足"), "{}", f.body);
    assert!(!f.body.contains(weak) && !f.body.contains("<html"));
    let strong = "Glacier-Tangerine-Orbit-5520";
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", strong)])
        .await;
    assert!(f.body.contains("符合密码策略"), "{}", f.body);
    assert!(!f.body.contains(strong));
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", CANARY)])
        .await;
    assert!(
        f.body.contains("以前用过"),
        "the current password is reuse: {}",
        f.body
    );
    let f = web.post(&strength, &[("password", strong)]).await;
    assert_eq!(f.status, StatusCode::FORBIDDEN, "CSRF on the fragment too");
    let logs = captured_logs();
    assert!(
        !logs.contains(weak) && !logs.contains(strong),
        "candidates in a log"
    );
    // A typed weak password: 422, the wizard again with what is wrong.
    let stage = format!("/accounts/{}/rotate", s.account);
    let a = web
        .post(
            &stage,
            &[("_csrf", &csrf), ("mode", "typed"), ("password", weak)],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("不符合本单位的密码策略"), "{}", a.body);
    assert!(!a.body.contains(weak));
    let a = web
        .post(
            &stage,
            &[("_csrf", &csrf), ("mode", "typed"), ("password", "")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // No CSRF: nothing staged.
    let a = web.post(&stage, &[("mode", "generate")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        !app.audit_actions(&s.unit)
            .await
            .iter()
            .any(|(a, _)| a == "rotation.start")
    );
    // Typed and strong: staged and shown for copying, with confirm and cancel.
    let a = web
        .post(
            &stage,
            &[("_csrf", &csrf), ("mode", "typed"), ("password", strong)],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains(&format!("value=\"{strong}\"")));
    assert!(a.body.contains("data-copy=\"staged-password\""));
    let confirm = form_action(&a, "/rotations/");
    assert!(confirm.ends_with("/confirm"), "{confirm}");
    // While pending, the account page offers confirm and cancel; staging again is a 409.
    let page = web.get(&format!("/accounts/{}", s.account)).await;
    assert!(page.body.contains("id=\"pending-confirm\""));
    assert!(!page.body.contains(strong));
    let again = web
        .post(&stage, &[("_csrf", &csrf), ("mode", "generate")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // Confirm without CSRF: refused; with it: back to the account, confirmed.
    let a = web.post(&confirm, &[("account", &s.account)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web
        .post(&confirm, &[("_csrf", &csrf), ("account", &s.account)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.location(),
        format!("/accounts/{}?done=confirmed", s.account)
    );
    let page = web.get(a.location()).await;
    assert!(page.body.contains("密码修改已确认"), "{}", page.body);
    assert!(
        page.body.contains("上一版"),
        "the old version is kept as previous"
    );
    let a = web
        .post(&confirm, &[("_csrf", &csrf), ("account", &s.account)])
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "twice is a conflict page");
    // Generated, then cancelled: the confirmed one stays current.
    let a = web
        .post(&stage, &[("_csrf", &csrf), ("mode", "generate")])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let cancel = form_action(&a, "/rotations/").replace("/confirm", "/cancel");
    let a = web
        .post(&cancel, &[("_csrf", &csrf), ("account", "../evil")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.location(),
        "/accounts",
        "a strange back link goes to the list"
    );
    let actions: Vec<String> = app
        .audit_actions(&s.unit)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for action in [
        "rotation.start",
        "rotation.confirm",
        "rotation.cancel",
        "policy.check",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    let (_, r) = app
        .post(
            &format!("/api/v1/accounts/{}/reveal", s.account),
            &s.admin.token,
            json!({ "reason": "核对新密码" }),
        )
        .await;
    assert_eq!(r["password"], strong, "the confirmed password is current");
    assert!(r["pending"].is_null());
}

async fn strangers_and_the_wrong_roles_see_nothing(app: TestApp) {
    let s = setup(&app).await;
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign, "unit_admin").await;
    let supervisor = app.user_with_role(&s.unit, "supervisor").await;
    let hr = app.user_with_role(&s.unit, "hr").await;
    let auditor = app.user_with_role(&s.unit, "auditor").await;
    let account_page = format!("/accounts/{}", s.account);
    // Another unit's admin: 404 everywhere, nothing of the account.
    let web = signed_in(&app, &foreign_admin).await;
    let csrf = web.get("/").await.csrf();
    for a in [
        web.get(&account_page).await,
        web.get(&format!("{account_page}/rotate")).await,
        web.post(
            &format!("{account_page}/reveal"),
            &[("_csrf", &csrf), ("reason", "看看密码内容")],
        )
        .await,
        web.post(
            &format!("{account_page}/rotate"),
            &[("_csrf", &csrf), ("mode", "generate")],
        )
        .await,
        web.post(
            &format!("{account_page}/rotate/strength"),
            &[
                ("_csrf", &csrf),
                ("password", "Glacier-Tangerine-Orbit-5520"),
            ],
        )
        .await,
    ] {
        // The fragment answers 200 with the refusal inside it.
        assert!(
            a.status == StatusCode::NOT_FOUND || a.body.contains("strength-error"),
            "{} {}",
            a.status,
            a.body
        );
        for secret in [CANARY, "永川发布公众号", "yongchuan_fabu"] {
            assert!(!a.body.contains(secret), "{secret} leaked: {}", a.body);
        }
    }
    let list = web.get("/accounts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("永川发布公众号"));
    // A supervisor reads the account but may not see or change its secret.
    let web = signed_in(&app, &supervisor).await;
    let page = web.get(&account_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("id=\"reveal-submit\""),
        "no reveal form"
    );
    let csrf = page.csrf();
    let a = web
        .post(
            &format!("{account_page}/reveal"),
            &[("_csrf", &csrf), ("reason", "检查密码强度")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(!a.body.contains(CANARY));
    let a = web
        .post(
            &format!("{account_page}/rotate"),
            &[("_csrf", &csrf), ("mode", "generate")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    // Nor are the wizard's and the edit page's forms shown to them.
    for path in [
        format!("{account_page}/rotate"),
        format!("{account_page}/edit"),
    ] {
        let a = web.get(&path).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.body);
        assert!(
            !a.body.contains("<form method=\"post\" action=\"/accounts/"),
            "{path}: {}",
            a.body
        );
    }
    // HR and auditors read no accounts: 403, no link, no data.
    for user in [&hr, &auditor] {
        let web = signed_in(&app, user).await;
        let home = web.get("/").await;
        assert!(!home.body.contains("href=\"/accounts\""), "no nav link");
        for p in ["/accounts".to_string(), account_page.clone()] {
            let a = web.get(&p).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{p}: {}", a.body);
            assert!(!a.body.contains("永川发布公众号") && !a.body.contains("yongchuan_fabu"));
        }
    }
    // Signed out: to the sign-in page.
    let web = WebClient::new(&app);
    let a = web.get("/accounts").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location().starts_with("/login?next="));
    let _ = s.other_account;
}

async fn accounts_are_registered_and_edited(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.admin).await;
    let list = web.get("/accounts").await;
    assert!(list.body.contains("id=\"register-account\""));
    let form = web.get("/accounts/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(&format!("value=\"{}\"", s.unit)));
    let csrf = form.csrf();
    let fields = |name: &'static str, mode: &'static str, password: &'static str| {
        vec![
            ("unit_id", s.unit.clone()),
            ("name", name.to_string()),
            ("platform", "douyin".to_string()),
            ("login_name", format!("{name}-login")),
            ("classification", "important".to_string()),
            ("bound_email", "xc@yongchuan.gov.cn".to_string()),
            ("mode", mode.to_string()),
            ("password", password.to_string()),
        ]
    };
    let post = |path: String, f: Vec<(&'static str, String)>, csrf: Option<String>| {
        let web = &web;
        async move {
            let mut pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(c) = &csrf {
                pairs.push(("_csrf", c.as_str()));
            }
            web.post(&path, &pairs).await
        }
    };
    // No CSRF: nothing registered.
    let a = post(
        "/accounts/new".into(),
        fields("永川抖音", "generate", ""),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A weak typed password: the form again, filled in, never the password.
    let weak = "password123";
    let a = post(
        "/accounts/new".into(),
        fields("永川抖音", "typed", weak),
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("不符合密码策略"), "{}", a.body);
    assert!(a.body.contains("value=\"永川抖音\"") && !a.body.contains(weak));
    // No platform chosen.
    let mut f = fields("永川抖音", "generate", "");
    f[2].1 = String::new();
    let a = post("/accounts/new".into(), f, Some(csrf.clone())).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("请选择平台和等级"));
    // A bad e-mail: the service's reason, in Chinese.
    let mut f = fields("永川抖音", "generate", "");
    f[5].1 = "x".repeat(300);
    let a = post("/accounts/new".into(), f, Some(csrf.clone())).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("绑定邮箱最多 254 个字符"), "{}", a.body);
    // Generated: shown once, with copy.
    let a = post(
        "/accounts/new".into(),
        fields("永川抖音", "generate", ""),
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("data-copy=\"created-password\""));
    let id_at = a.body.find("id=\"to-account\"").unwrap();
    let href_at = a.body[..id_at].rfind("href=\"/accounts/").unwrap() + 6;
    let page_path = a.body[href_at..].split('"').next().unwrap().to_string();
    let page = web.get(&page_path).await;
    assert!(page.body.contains("永川抖音") && page.body.contains("抖音"));
    // Typed and strong: straight to the account page.
    let a = post(
        "/accounts/new".into(),
        fields("永川快报", "typed", "Harbor-Quill-Saffron-3306"),
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location().ends_with("?done=created"));
    let page = web.get(a.location()).await;
    assert!(page.body.contains("账号已登记"), "{}", page.body);
    // Same name twice: a conflict, said plainly.
    let a = post(
        "/accounts/new".into(),
        fields("永川快报", "generate", ""),
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    // Edit: pre-filled; saved; a bad value refused with the reason.
    let edit = format!("/accounts/{}/edit", s.account);
    let form = web.get(&edit).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"yongchuan_fabu\""));
    assert!(!form.body.contains(CANARY));
    let base = vec![
        ("name", "永川发布公众号".to_string()),
        ("login_name", "yongchuan_fabu".to_string()),
        ("classification", "important".to_string()),
        ("status", "active".to_string()),
        ("notes", "由宣传科负责".to_string()),
    ];
    let a = post(edit.clone(), base.clone(), None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let mut bad = base.clone();
    bad.push(("bound_email", "x".repeat(300)));
    let a = post(edit.clone(), bad, Some(csrf.clone())).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = post(edit.clone(), base.clone(), Some(csrf.clone())).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = web.get(a.location()).await;
    assert!(page.body.contains("由宣传科负责") && page.body.contains("重要"));
    let actions: Vec<String> = app
        .audit_actions(&s.unit)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert!(actions.iter().filter(|a| *a == "account.create").count() >= 4);
    assert!(actions.iter().any(|a| a == "account.update"));
    // A custodian may not register or edit; another unit's admin finds nothing.
    let web = signed_in(&app, &s.custodian).await;
    assert!(!web.get("/accounts").await.body.contains("register-account"));
    assert_eq!(web.get("/accounts/new").await.status, StatusCode::FORBIDDEN);
    let csrf = web.get("/accounts").await.csrf();
    let mut f: Vec<(&str, String)> = base.clone();
    f.push(("_csrf", csrf));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = web.post(&edit, &pairs).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign, "unit_admin").await;
    let web = signed_in(&app, &foreign_admin).await;
    let a = web.get(&edit).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("yongchuan_fabu"));
    let csrf = web.get("/accounts").await.csrf();
    let mut f = fields("越权账号", "generate", "");
    f.push(("_csrf", csrf));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = web.post("/accounts/new", &pairs).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

/// What the service refuses is said in the reader's language: its Chinese sentence on a
/// zh-CN page (the default), its English one once the person switches to English;
/// nothing is registered either way, and the API still answers in English.
async fn a_service_refusal_is_said_in_the_readers_language(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.admin).await;
    let long_name = "长".repeat(300);
    let register = |name: String, feed_url: &'static str, csrf: String| {
        let web = &web;
        let unit = s.unit.clone();
        async move {
            let fields = [
                ("unit_id", unit.as_str()),
                ("name", name.as_str()),
                ("platform", "douyin"),
                ("login_name", "yc_douyin"),
                ("classification", "general"),
                ("feed_url", feed_url),
                ("mode", "generate"),
                ("password", ""),
                ("_csrf", csrf.as_str()),
            ];
            web.post("/accounts/new", &fields).await
        }
    };
    let zh_name = "名称不能为空，最多 100 个字符，且不能包含换行、制表符等控制字符。";
    let en_name = "name must be 1 to 100 printable characters";
    let zh_feed = "更新检测地址须为以 http";
    let en_feed = "feed_url must be an http";

    // zh-CN: the name's bound and the feed address's rule in Chinese, the form kept.
    let csrf = web.get("/accounts/new").await.csrf();
    let a = register(long_name.clone(), "", csrf.clone()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("<html lang=\"zh-CN\">"));
    assert!(a.body.contains(zh_name), "{}", a.body);
    assert!(!a.body.contains(en_name), "{}", a.body);
    assert!(a.body.contains(&format!("value=\"{long_name}\"")));
    let a = register("永川抖音".into(), "ftp://feeds.example.gov.cn/rss", csrf).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains(zh_feed), "{}", a.body);
    assert!(!a.body.contains(en_feed), "{}", a.body);

    // English: the same refusals in the service's English words.
    let csrf = web.get("/").await.csrf();
    let a = web.post("/lang", &[("_csrf", &csrf), ("lang", "en")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let csrf = web.get("/accounts/new").await.csrf();
    let a = register(long_name.clone(), "", csrf.clone()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("<html lang=\"en\">"));
    assert!(a.body.contains(en_name), "{}", a.body);
    assert!(!a.body.contains(zh_name), "{}", a.body);
    let a = register("永川抖音".into(), "ftp://feeds.example.gov.cn/rss", csrf).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains(en_feed), "{}", a.body);
    assert!(!a.body.contains(zh_feed), "{}", a.body);

    // Nothing was registered; the API's answer stays English, without the Chinese.
    let created = app
        .audit_actions(&s.unit)
        .await
        .into_iter()
        .filter(|(a, _)| a == "account.create")
        .count();
    assert_eq!(created, 2, "only the two accounts of the setup");
    let (status, v) = app
        .post(
            &format!("/api/v1/units/{}/accounts", s.unit),
            &s.admin.token,
            json!({ "name": long_name, "platform": "douyin", "login_name": "yc_douyin",
                    "classification": "general", "generate": true }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v,
        json!({ "error": { "code": "invalid_input", "message": en_name,
                           "details": { "field": "name" } } })
    );
}

/// The wizard's live strength feedback and its refusal of a weak typed password say
/// zxcvbn's warning and the policy's reasons in the reader's language; the API's
/// check keeps its English sentences and nothing more.
async fn the_strength_feedback_is_said_in_the_readers_language(app: TestApp) {
    let s = setup(&app).await;
    let web = signed_in(&app, &s.admin).await;
    let strength = format!("/accounts/{}/rotate/strength", s.account);
    let stage = format!("/accounts/{}/rotate", s.account);
    // Eight characters, the most common password there is: too short, a top-10
    // password, a score below the policy's.
    let weak = "password";
    let zh = [
        "密码至少 12 个字符（现为 8 个）。",
        "这是最常用的 10 个密码之一。",
        "低于要求的",
    ];
    let en = [
        "Use at least 12 characters (this one has 8).",
        "This is a top-10 common password.",
        "is below the required",
    ];

    let csrf = web.get(&stage).await.csrf();
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", weak)])
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    assert!(f.body.contains("strength-feedback"), "{}", f.body);
    for (z, e) in zh.iter().zip(en) {
        assert!(f.body.contains(z), "{z}: {}", f.body);
        assert!(!f.body.contains(e), "{e}: {}", f.body);
    }
    assert!(!f.body.contains("easy to guess") && !f.body.contains("Add another"));
    let a = web
        .post(
            &stage,
            &[("_csrf", &csrf), ("mode", "typed"), ("password", weak)],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains(zh[1]), "{}", a.body);
    assert!(!a.body.contains(en[1]), "{}", a.body);
    // The current password is reuse, said in Chinese too.
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", CANARY)])
        .await;
    assert!(
        f.body.contains("该账号最近 10 个版本中用过这个密码。"),
        "{}",
        f.body
    );

    // English.
    let csrf = web.get("/").await.csrf();
    let a = web.post("/lang", &[("_csrf", &csrf), ("lang", "en")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let csrf = web.get(&stage).await.csrf();
    let f = web
        .post(&strength, &[("_csrf", &csrf), ("password", weak)])
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    for (z, e) in zh.iter().zip(en) {
        assert!(f.body.contains(e), "{e}: {}", f.body);
        assert!(!f.body.contains(z), "{z}: {}", f.body);
    }
    let a = web
        .post(
            &stage,
            &[("_csrf", &csrf), ("mode", "typed"), ("password", weak)],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains(en[1]), "{}", a.body);

    // The API: the same check in English sentences, the typed notes not answered.
    let (status, v) = app
        .post(
            "/api/v1/policy/check",
            &s.admin.token,
            json!({ "account_id": s.account, "password": weak }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let feedback: Vec<&str> = v["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        feedback.contains(&"use at least 12 characters (this one has 8)"),
        "{v}"
    );
    assert!(
        feedback.contains(&"This is a top-10 common password."),
        "{v}"
    );
    assert!(v.get("notes").is_none(), "{v}");
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["acceptable", "feedback", "min_score", "reused", "score"],
        "{v}"
    );
}
