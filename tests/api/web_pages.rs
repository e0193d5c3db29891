//! The console's pages over plain HTTP on both engines: sign-in in two steps, the
//! security headers, CSRF refusals, forced password change, language, 404s.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::TestApp;
use crate::web_client::WebClient;

both_engines!(
    sign_in_takes_password_then_code,
    every_post_needs_its_csrf_token,
    a_reset_password_is_changed_first,
    language_follows_the_browser_then_the_person,
    unknown_pages_are_html_and_api_stays_json,
    an_api_token_is_not_a_console_session,
);

async fn admin(app: &TestApp) -> crate::common::TestUser {
    crate::common::TestUser {
        id: String::new(),
        username: crate::common::ADMIN.into(),
        password: crate::common::ADMIN_PASSWORD.into(),
        token: app.admin_token.clone(),
        totp_secret: Some(app.admin_totp.clone()),
    }
}

async fn sign_in_takes_password_then_code(app: TestApp) {
    let web = WebClient::new(&app);
    // Not signed in: to the sign-in page, remembering where to come back to.
    let a = web.get("/").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/login?next=%2F");
    let page = web.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.body.contains("<html lang=\"zh-CN\">"));
    assert!(
        !page.body.contains("<script>") && !page.body.contains("style="),
        "no inline script or style"
    );
    let pre = page.csrf();
    assert!(pre.len() >= 20);
    let set_cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );

    // A wrong password: the page says so plainly, in Chinese.
    let a = web
        .post(
            "/login",
            &[
                ("_csrf", &pre),
                ("username", "admin"),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("用户名或密码错误"), "{}", a.body);

    // The right password: the code page; the password is nowhere in the answer.
    let a = web
        .post(
            "/login",
            &[
                ("_csrf", &pre),
                ("username", "admin"),
                ("password", crate::common::ADMIN_PASSWORD),
                ("next", "/?x=1"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("name=\"code\""));
    assert!(!a.body.contains(crate::common::ADMIN_PASSWORD));
    let pending = web.cookie("cg_login").expect("pending sign-in cookie");
    assert!(!pending.contains("Quartz"), "sealed, not plain");
    assert!(web.cookie("cg_session").is_none());
    // A wrong code, then the right one.
    let a = web
        .post(
            "/login/totp",
            &[("_csrf", &pre), ("code", "000000"), ("next", "/?x=1")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("动态码错误"), "{}", a.body);
    let code = app.fresh_code(&app.admin_totp);
    let a = web
        .post(
            "/login/totp",
            &[("_csrf", &pre), ("code", &code), ("next", "/?x=1")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/?x=1");
    assert!(web.cookie("cg_session").unwrap().starts_with("cgs_"));
    assert!(
        web.cookie("cg_login").is_none(),
        "the pending sign-in is dropped"
    );
    let home = web.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("系统管理员"), "{}", home.body);
    assert_eq!(home.headers["cache-control"], "no-store");
    // The same code cannot be used twice (a replayed pending sign-in gets nowhere).
    let again = WebClient::new(&app);
    let p = again.get("/login").await.csrf();
    again.jar.lock().unwrap().insert("cg_login".into(), pending);
    let a = again
        .post("/login/totp", &[("_csrf", &p), ("code", &code)])
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    // Signing in went through the same audited login as the API.
    let actions = app.audit_actions(&app.root_id).await;
    assert!(
        actions
            .iter()
            .filter(|(a, o)| a == "auth.login" && o == "success")
            .count()
            >= 2
    );
    // A pending sign-in from another installation (or tampered) does not open.
    let stranger = WebClient::new(&app);
    let p = stranger.get("/login").await.csrf();
    stranger
        .jar
        .lock()
        .unwrap()
        .insert("cg_login".into(), "AAAA".into());
    let a = stranger
        .post("/login/totp", &[("_csrf", &p), ("code", "123456")])
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("请重新输入用户名和密码"), "{}", a.body);
}

async fn every_post_needs_its_csrf_token(app: TestApp) {
    let web = WebClient::new(&app);
    // The sign-in form without (or with another) token.
    web.get("/login").await;
    let a = web
        .post(
            "/login",
            &[
                ("username", "admin"),
                ("password", crate::common::ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("表单已过期"), "{}", a.body);
    let a = web
        .post(
            "/login",
            &[
                ("_csrf", "pre_forged-value-000000000"),
                ("username", "admin"),
                ("password", crate::common::ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(web.cookie("cg_session").is_none());

    let a = web.sign_in(&app, &admin(&app).await).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let home = web.get("/").await;
    let csrf = home.csrf();
    assert_eq!(csrf.len(), 40);
    // Sign out and the language switch refused without the session's token.
    for (path, fields) in [
        ("/logout", vec![]),
        ("/lang", vec![("lang", "en")]),
        (
            "/logout",
            vec![("_csrf", "0000000000000000000000000000000000000000")],
        ),
    ] {
        let a = web.post(path, &fields).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(web.get("/").await.status, StatusCode::OK, "still signed in");
    // Another session's token does not do either.
    let other = WebClient::new(&app);
    other.sign_in(&app, &admin(&app).await).await;
    let other_csrf = other.get("/").await.csrf();
    assert_ne!(other_csrf, csrf);
    assert_eq!(
        web.post("/logout", &[("_csrf", &other_csrf)]).await.status,
        StatusCode::FORBIDDEN
    );
    // With it: signed out, on the server too (the old cookie is worth nothing).
    let session = web.cookie("cg_session").unwrap();
    let a = web.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/login?signed_out=1");
    assert!(web.cookie("cg_session").is_none());
    let replay = WebClient::new(&app);
    replay
        .jar
        .lock()
        .unwrap()
        .insert("cg_session".into(), session);
    let a = replay.get("/").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location().starts_with("/login"), "{}", a.location());
}

async fn a_reset_password_is_changed_first(app: TestApp) {
    let mut user = app.user_with_role(&app.root_id, "custodian").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{}/password-reset", user.id),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    user.password = v["one_time_password"].as_str().unwrap().to_string();
    let web = WebClient::new(&app);
    let a = web.sign_in(&app, &user).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/password");
    // Any other page sends them back there.
    let a = web.get("/").await;
    assert_eq!(a.location(), "/password");
    let page = web.get("/password").await;
    assert!(
        page.body.contains("您的密码已被重置或已过期"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let new = "Lotus-Anvil-Harbor-7719";
    let a = web
        .post(
            "/password",
            &[
                ("_csrf", &csrf),
                ("current", &user.password),
                ("new", new),
                ("repeat", "different"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("两次输入的新密码不一致"));
    let a = web
        .post(
            "/password",
            &[
                ("_csrf", &csrf),
                ("current", &user.password),
                ("new", "123"),
                ("repeat", "123"),
            ],
        )
        .await;
    assert!(a.status.is_client_error(), "{}", a.status);
    assert!(a.body.contains("id=\"password-error\""), "{}", a.body);
    let a = web
        .post(
            "/password",
            &[
                ("_csrf", &csrf),
                ("current", &user.password),
                ("new", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let home = web.get(a.location()).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("密码已修改"));
    assert!(home.body.contains("保管人"));
}

async fn language_follows_the_browser_then_the_person(app: TestApp) {
    let web = WebClient::new(&app);
    *web.accept_language.lock().unwrap() = Some("en-US,en;q=0.9".into());
    let page = web.get("/login").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Sign in"));
    *web.accept_language.lock().unwrap() = None;
    assert!(web.get("/login").await.body.contains("登录"));
    let page = web.get("/login?lang=en").await;
    assert!(page.body.contains("Username"));
    assert_eq!(web.cookie("cg_lang").as_deref(), Some("en"));
    assert!(
        web.get("/login").await.body.contains("Username"),
        "the cookie holds"
    );

    // Signed in, the person's saved language wins; switching saves it.
    let fresh = WebClient::new(&app);
    fresh.sign_in(&app, &admin(&app).await).await;
    let home = fresh.get("/").await;
    assert!(home.body.contains("<html lang=\"zh-CN\">"));
    let a = fresh
        .post("/lang", &[("_csrf", &home.csrf()), ("lang", "en")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let home = fresh.get("/").await;
    assert!(home.body.contains("<html lang=\"en\">") && home.body.contains("Sign out"));
    let (_, prefs) = app.get("/api/v1/me/notifications", &app.admin_token).await;
    assert_eq!(prefs["lang"], "en");
    assert!(
        app.audit_actions(&app.root_id)
            .await
            .iter()
            .any(|(a, _)| a == "notify.prefs.update")
    );
}

async fn unknown_pages_are_html_and_api_stays_json(app: TestApp) {
    let web = WebClient::new(&app);
    let a = web.get("/no/such/page").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(a.body.contains("没有找到这个页面"));
    assert!(a.headers.contains_key("content-security-policy"));
    let (s, v) = app.get("/api/v1/no-such-endpoint", &app.admin_token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
    // The assets are served under hashed names with long caching; others are 404.
    let css = credgov::web::assets::URLS.css.clone();
    let a = web.get(&css).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        web.get("/assets/app.css").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn an_api_token_is_not_a_console_session(app: TestApp) {
    // An HR system's token works on the API …
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "人事系统", "role": "hr", "unit_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/handovers", &token).await.0, StatusCode::OK);
    // … but put in the console's cookie it is no session: to the sign-in page.
    let web = WebClient::new(&app);
    web.jar.lock().unwrap().insert("cg_session".into(), token);
    for path in ["/", "/handovers", "/notifications"] {
        let a = web.get(path).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            a.location().starts_with("/login"),
            "{path}: {}",
            a.location()
        );
    }
}
