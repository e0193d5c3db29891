//! The administration pages on both engines: units, users and roles, tokens shown once,
//! jobs; who may see them; CSRF; bad input.

use reqwest::StatusCode;

use crate::both_engines;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestApp, TestUser};
use crate::web_client::{WebClient, field_value};

both_engines!(
    a_sysadmin_runs_units_users_roles_and_tokens,
    administration_is_for_sysadmins_of_the_unit_only,
);

fn admin(app: &TestApp) -> TestUser {
    TestUser {
        id: String::new(),
        username: ADMIN.into(),
        password: ADMIN_PASSWORD.into(),
        token: app.admin_token.clone(),
        totp_secret: Some(app.admin_totp.clone()),
    }
}

async fn a_sysadmin_runs_units_users_roles_and_tokens(app: TestApp) {
    let web = WebClient::new(&app);
    web.sign_in(&app, &admin(&app)).await;
    let home = web.get("/").await;
    assert!(
        home.body.contains("href=\"/admin\""),
        "sysadmins see the link"
    );
    assert_eq!(web.get("/admin").await.location(), "/admin/units");

    // A unit, refused without a name, then added.
    let page = web.get("/admin/units").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let root = app.root_id.clone();
    let a = web
        .post(
            "/admin/units",
            &[
                ("_csrf", &csrf),
                ("parent_id", &root),
                ("name", " "),
                ("kind", "town"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"form-error\""), "{}", a.body);
    let a = web
        .post(
            "/admin/units",
            &[("parent_id", &root), ("name", "无令牌镇"), ("kind", "town")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web
        .post(
            "/admin/units",
            &[
                ("_csrf", &csrf),
                ("parent_id", &root),
                ("name", "双石镇"),
                ("kind", "town"),
                ("code", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let list = web.get("/admin/units").await;
    assert!(list.body.contains("双石镇") && list.body.contains("镇"));
    assert!(
        !list.body.contains("无令牌镇"),
        "the CSRF-less post changed nothing"
    );
    let (_, units) = app.get("/api/v1/units", &app.admin_token).await;
    let town = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "双石镇")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A user: the generated password is shown once, on a no-store page.
    let a = web
        .post(
            "/admin/users",
            &[
                ("_csrf", &csrf),
                ("username", "liqiang"),
                ("display_name", "李强"),
                ("unit_id", &town),
                ("phone", ""),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    let initial = field_value(&a.body, "shown-value").or_else(|| {
        let at = a.body.find("id=\"shown-value\"")?;
        let v = a.body[at..].find("value=\"")? + at + 7;
        Some(a.body[v..v + a.body[v..].find('"')?].to_string())
    });
    let initial = initial.expect("the initial password is on the page");
    assert!(initial.len() >= 12, "{initial}");
    let (_, users) = app.get("/api/v1/users", &app.admin_token).await;
    let user_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "liqiang")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The password works (and must be changed first).
    let (s, v) = app.login_raw("liqiang", &initial, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Roles: granted, listed, removed; the audit trail has each.
    let page = format!("/admin/users/{user_id}");
    let a = web
        .post(
            &format!("{page}/roles"),
            &[("_csrf", &csrf), ("unit_id", &town), ("role", "custodian")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let p = web.get(&page).await;
    assert!(
        p.body.contains("保管人") && p.body.contains("双石镇"),
        "{}",
        p.body
    );
    let a = web
        .post(
            &format!("{page}/roles/remove"),
            &[("_csrf", &csrf), ("unit_id", &town), ("role", "custodian")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let actions = app.audit_actions(&town).await;
    assert!(
        actions.iter().any(|(a, _)| a == "membership.grant"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|(a, _)| a == "membership.revoke"),
        "{actions:?}"
    );

    // Reset password (shown once), disable.
    let a = web
        .post(&format!("{page}/reset-password"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("id=\"shown-value\""));
    let a = web
        .post(
            &format!("{page}/status"),
            &[("_csrf", &csrf), ("status", "disabled")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(web.get(&page).await.body.contains("已停用"));
    // The last sysadmin cannot be disabled: the page says why.
    let (_, me) = app.get("/api/v1/me", &app.admin_token).await;
    let me_id = me["user"]["id"]
        .as_str()
        .or(me["id"].as_str())
        .unwrap()
        .to_string();
    let a = web
        .post(
            &format!("/admin/users/{me_id}/status"),
            &[("_csrf", &csrf), ("status", "disabled")],
        )
        .await;
    assert!(a.status.is_client_error(), "{}", a.status);
    assert!(a.body.contains("id=\"form-error\""), "{}", a.body);

    // A token: shown once, listed by name only, revoked.
    let a = web
        .post(
            "/admin/tokens",
            &[
                ("_csrf", &csrf),
                ("name", "人事系统"),
                ("role", "hr"),
                ("unit_id", &root),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("cgt_"));
    let list = web.get("/admin/tokens").await;
    assert!(list.body.contains("人事系统"));
    assert!(
        !list.body.contains("cgt_"),
        "the token is never shown again"
    );
    let a = web
        .post(
            "/admin/tokens",
            &[
                ("_csrf", &csrf),
                ("name", "x"),
                ("role", "hr"),
                ("unit_id", &root),
                ("days", "0"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, tokens) = app.get("/api/v1/tokens", &app.admin_token).await;
    let token_id = tokens["items"][0]["id"].as_str().unwrap().to_string();
    let a = web
        .post(
            &format!("/admin/tokens/{token_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(web.get("/admin/tokens").await.body.contains("已撤销"));

    // Jobs.
    let jobs = web.get("/admin/jobs").await;
    assert_eq!(jobs.status, StatusCode::OK);
    assert!(jobs.body.contains("daily_scan"), "{}", jobs.body);
}

async fn administration_is_for_sysadmins_of_the_unit_only(app: TestApp) {
    let a = app.create_unit(&app.root_id, "甲局", "department").await;
    let b = app.create_unit(&app.root_id, "乙局", "department").await;
    let stranger = app.user_with_role(&b, "custodian").await;
    let unit_admin = app.user_with_role(&a, "unit_admin").await;
    let sub_sysadmin = app.user_with_role(&a, "sysadmin").await;
    for (user, status) in [
        (&unit_admin, StatusCode::FORBIDDEN),
        (&stranger, StatusCode::FORBIDDEN),
    ] {
        let web = WebClient::new(&app);
        web.sign_in(&app, user).await;
        assert!(
            !web.get("/").await.body.contains("href=\"/admin\""),
            "no link for {}",
            user.username
        );
        for path in [
            "/admin/users",
            "/admin/tokens",
            "/admin/jobs",
            "/admin/units",
        ] {
            let p = web.get(path).await;
            if path == "/admin/units"
                || (path == "/admin/users" && user.username == unit_admin.username)
            {
                // Every role reads its own units, unit admins their people too (as the
                // API lets them), without the forms to add any, and nothing of another
                // unit.
                assert_eq!(p.status, StatusCode::OK, "{path}");
                let other = if user.username == unit_admin.username {
                    "乙局"
                } else {
                    "甲局"
                };
                assert!(!p.body.contains(other), "{path}");
                if user.username == unit_admin.username {
                    assert!(!p.body.contains(&stranger.username), "{path}");
                }
                assert!(
                    !p.body.contains("method=\"post\" action=\"/admin/"),
                    "{path}: no forms"
                );
                continue;
            }
            assert!(
                p.status == status || p.status == StatusCode::NOT_FOUND,
                "{path} {}",
                p.status
            );
            assert!(
                !p.body.contains(&stranger.username) && !p.body.contains("cgt_"),
                "{path}"
            );
        }
    }
    // A sysadmin of 甲局 does not see 乙局's people: 404 without content.
    let web = WebClient::new(&app);
    web.sign_in(&app, &sub_sysadmin).await;
    let p = web.get(&format!("/admin/users/{}", stranger.id)).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(!p.body.contains(&stranger.username));
    let csrf = web.get("/admin/users").await.csrf();
    let p = web
        .post(
            &format!("/admin/users/{}/status", stranger.id),
            &[("_csrf", &csrf), ("status", "disabled")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let (_, v) = app
        .get(&format!("/api/v1/users/{}", stranger.id), &app.admin_token)
        .await;
    assert_eq!(v["status"], "active", "nothing changed");
}
