//! Tenant isolation and role matrix: every endpoint, called by every role held on
//! unit A — as a person and as an API token carrying that role (plus a sysadmin-minted
//! HR token) — against A's resources (one expected answer per cell: the success status
//! or 403) and against a foreign unit B's resources (always 404, except the few things
//! no token may do at all, refused before anything is looked up). Personal resources
//! (the inbox) answer for the caller's own: someone else's is not found, whatever the
//! unit, and a token has none.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_engines;
use crate::common::{TestApp, TestUser};

both_engines!(every_endpoint_every_role_and_a_foreign_unit);

const ROLES: [&str; 6] = [
    "sysadmin",
    "supervisor",
    "unit_admin",
    "custodian",
    "hr",
    "auditor",
];

struct Fixture {
    a: String,
    a_child: String,
    b: String,
    user_a: String,
    user_b: String,
    token_b: String,
}

async fn token_in(app: &TestApp, unit: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "t", "role": "hr", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn plain_user(app: &TestApp, unit: &str, name: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": name, "display_name": name, "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// One request for `role`: (method, path, body, allowed roles → success status).
struct Case {
    name: &'static str,
    method: Method,
    own: String,
    foreign: String,
    body_own: Option<Value>,
    body_foreign: Option<Value>,
    allowed: &'static [&'static str],
    ok: StatusCode,
}

/// Cases whose success hands out a secret: for roles that may do them, a token is
/// refused (after the resource is found and the role checked).
const PERSON_ONLY: [&str; 4] = ["reveal", "reveal version", "start rotation", "POST account"];

/// Cases no token may do, whatever the unit: refused before anything is looked up, so
/// the refusal says nothing about the resource.
const TOKENS_NEVER: [&str; 1] = ["POST token"];

/// API-token principals stand in the caller list as `TestUser`s named `token:<role>`.
fn is_token(user: &TestUser) -> bool {
    user.username.starts_with("token:")
}

async fn run_case(app: &TestApp, users: &[(&str, TestUser)], case: &Case) {
    for (role, user) in users {
        let who = format!("{role}{}", if is_token(user) { " token" } else { "" });
        if is_token(user) && TOKENS_NEVER.contains(&case.name) {
            for (path, body) in [
                (&case.foreign, &case.body_foreign),
                (&case.own, &case.body_own),
            ] {
                let (s, v) = app
                    .call(case.method.clone(), path, Some(&user.token), body.clone())
                    .await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{} as {who}: {v}", case.name);
                assert_eq!(
                    v["error"]["code"], "person_required",
                    "{} as {who}: {v}",
                    case.name
                );
            }
            continue;
        }
        let (s, v) = app
            .call(
                case.method.clone(),
                &case.foreign,
                Some(&user.token),
                case.body_foreign.clone(),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "{} as {who} on the foreign unit: {v}",
            case.name
        );
        let allowed = case.allowed.contains(role);
        // A token's allowed change already succeeded for the person with the same role;
        // repeating it would test the state, not the access rule.
        if is_token(user)
            && allowed
            && case.method != Method::GET
            && !PERSON_ONLY.contains(&case.name)
        {
            continue;
        }
        let (s, v) = app
            .call(
                case.method.clone(),
                &case.own,
                Some(&user.token),
                case.body_own.clone(),
            )
            .await;
        let want = if allowed && is_token(user) && PERSON_ONLY.contains(&case.name) {
            assert_eq!(
                v["error"]["code"], "person_required",
                "{} as {who}: {v}",
                case.name
            );
            StatusCode::FORBIDDEN
        } else if allowed {
            case.ok
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, want, "{} as {who} on its own unit: {v}", case.name);
    }
}

/// Each person mints an API token carrying their own role on A; the sysadmin mints an
/// HR integration token. They join the callers as `token:<role>`.
async fn token_principals(
    app: &TestApp,
    unit: &str,
    users: &[(&'static str, TestUser)],
) -> Vec<(&'static str, TestUser)> {
    let mut out = Vec::new();
    for (role, person) in users {
        let carried = if *role == "sysadmin" { "hr" } else { role };
        let (s, v) = app
            .post(
                "/api/v1/tokens",
                &person.token,
                json!({ "name": format!("矩阵{role}"), "role": carried, "unit_id": unit }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "{role} mints a {carried} token: {v}"
        );
        let carried: &'static str = ROLES.iter().find(|r| **r == carried).unwrap();
        out.push((
            carried,
            TestUser {
                id: String::new(),
                username: format!("token:{carried}"),
                password: String::new(),
                token: v["token"].as_str().unwrap().to_string(),
                totp_secret: None,
            },
        ));
    }
    out
}

async fn every_endpoint_every_role_and_a_foreign_unit(app: TestApp) {
    let a = app
        .create_unit(&app.root_id, "区商务委", "department")
        .await;
    let a_child = app.create_unit(&a, "区招商中心", "institution").await;
    let b = app
        .create_unit(&app.root_id, "区农业农村委", "department")
        .await;
    let f = Fixture {
        user_a: plain_user(&app, &a_child, "matrix-a").await,
        user_b: plain_user(&app, &b, "matrix-b").await,
        token_b: token_in(&app, &b).await,
        a,
        a_child,
        b,
    };
    let mut users = Vec::new();
    for role in ROLES {
        users.push((role, app.user_with_role(&f.a, role).await));
    }
    let tokens = token_principals(&app, &f.a, &users).await;
    users.extend(tokens);
    // Mutations that succeed run only for the sysadmin; the others must fail first.
    let readers: &[&str] = &["sysadmin", "supervisor", "unit_admin", "custodian", "hr"];
    let user_readers: &[&str] = &["sysadmin", "supervisor", "unit_admin", "hr"];
    let admin: &[&str] = &["sysadmin"];
    let (af, bf) = (&f.a, &f.b);
    let cases = vec![
        Case {
            name: "GET unit",
            method: Method::GET,
            own: format!("/api/v1/units/{}", f.a_child),
            foreign: format!("/api/v1/units/{bf}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET members",
            method: Method::GET,
            own: format!("/api/v1/units/{af}/members"),
            foreign: format!("/api/v1/units/{bf}/members"),
            body_own: None,
            body_foreign: None,
            allowed: user_readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET user",
            method: Method::GET,
            own: format!("/api/v1/users/{}", f.user_a),
            foreign: format!("/api/v1/users/{}", f.user_b),
            body_own: None,
            body_foreign: None,
            allowed: user_readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET audit",
            method: Method::GET,
            own: format!("/api/v1/audit?unit_id={af}"),
            foreign: format!("/api/v1/audit?unit_id={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: &["auditor"],
            ok: StatusCode::OK,
        },
        Case {
            name: "POST unit",
            method: Method::POST,
            own: "/api/v1/units".into(),
            foreign: "/api/v1/units".into(),
            body_own: Some(json!({ "name": "新单位", "kind": "other", "parent_id": af })),
            body_foreign: Some(json!({ "name": "新单位", "kind": "other", "parent_id": bf })),
            allowed: admin,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "POST user",
            method: Method::POST,
            own: "/api/v1/users".into(),
            foreign: "/api/v1/users".into(),
            body_own: Some(
                json!({ "username": "matrix-new", "display_name": "新人", "unit_id": af }),
            ),
            body_foreign: Some(
                json!({ "username": "matrix-new-b", "display_name": "新人", "unit_id": bf }),
            ),
            allowed: admin,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "PATCH user",
            method: Method::PATCH,
            own: format!("/api/v1/users/{}", f.user_a),
            foreign: format!("/api/v1/users/{}", f.user_b),
            body_own: Some(json!({ "display_name": "改名" })),
            body_foreign: Some(json!({ "display_name": "改名" })),
            allowed: admin,
            ok: StatusCode::OK,
        },
        Case {
            name: "password reset",
            method: Method::POST,
            own: format!("/api/v1/users/{}/password-reset", f.user_a),
            foreign: format!("/api/v1/users/{}/password-reset", f.user_b),
            body_own: None,
            body_foreign: None,
            allowed: admin,
            ok: StatusCode::OK,
        },
        Case {
            name: "unlock",
            method: Method::POST,
            own: format!("/api/v1/users/{}/unlock", f.user_a),
            foreign: format!("/api/v1/users/{}/unlock", f.user_b),
            body_own: None,
            body_foreign: None,
            allowed: admin,
            ok: StatusCode::OK,
        },
        Case {
            name: "POST member",
            method: Method::POST,
            own: format!("/api/v1/units/{af}/members"),
            foreign: format!("/api/v1/units/{bf}/members"),
            body_own: Some(json!({ "user_id": f.user_a, "role": "custodian" })),
            body_foreign: Some(json!({ "user_id": f.user_b, "role": "custodian" })),
            allowed: admin,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "DELETE member",
            method: Method::DELETE,
            own: format!("/api/v1/units/{af}/members/{}/custodian", f.user_a),
            foreign: format!("/api/v1/units/{bf}/members/{}/custodian", f.user_b),
            body_own: None,
            body_foreign: None,
            allowed: admin,
            ok: StatusCode::NO_CONTENT,
        },
        Case {
            name: "POST token",
            method: Method::POST,
            own: "/api/v1/tokens".into(),
            foreign: "/api/v1/tokens".into(),
            body_own: Some(json!({ "name": "m", "role": "hr", "unit_id": af })),
            body_foreign: Some(json!({ "name": "m", "role": "hr", "unit_id": bf })),
            // An hr token carries only what an hr person holds, or a sysadmin mints it.
            allowed: &["sysadmin", "hr"],
            ok: StatusCode::CREATED,
        },
    ];
    for case in &cases {
        run_case(&app, &users, case).await;
    }
    // Token revocation: a fresh token in A per attempt.
    for (role, user) in &users {
        let (s, v) = app
            .delete(&format!("/api/v1/tokens/{}", f.token_b), &user.token)
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "DELETE token as {role} on the foreign unit: {v}"
        );
        let own = token_in(&app, &f.a).await;
        let (s, v) = app
            .delete(&format!("/api/v1/tokens/{own}"), &user.token)
            .await;
        let want = if *role == "sysadmin" {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, want, "DELETE token as {role}: {v}");
    }
    // Lists never leak the foreign unit.
    for (role, user) in &users {
        for (path, allowed) in [
            ("/api/v1/units", readers),
            ("/api/v1/users", user_readers),
            // Everyone lists the tokens they minted (sysadmins: those of their units).
            ("/api/v1/tokens", &ROLES[..]),
            (
                "/api/v1/findings",
                &["supervisor", "unit_admin", "auditor"][..],
            ),
            // Scheduled jobs belong to no unit (no foreign case): system administrators
            // only; no token is ever a sysadmin.
            ("/api/v1/jobs", admin),
            (
                "/api/v1/rectifications",
                &["supervisor", "unit_admin", "auditor"][..],
            ),
        ] {
            let (s, v) = app.get(path, &user.token).await;
            // Tokens neither mint nor list tokens.
            let want = if allowed.contains(role) && !(is_token(user) && path == "/api/v1/tokens") {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(s, want, "{path} as {role}: {v}");
            let text = v.to_string();
            assert!(
                !text.contains(&f.b) && !text.contains(&f.user_b),
                "{path} as {role} leaks unit B: {text}"
            );
        }
    }
    vault_and_policy_endpoints(&app, &f, &users).await;
    handover_endpoints(&app, &f, &users).await;
    rectification_endpoints(&app, &f, &users).await;
    notify_endpoints(&app, &f, &users).await;
    // Sanity: the root sysadmin does see B.
    let (s, v) = app
        .get(&format!("/api/v1/units/{bf}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn create_account(app: &TestApp, unit: &str, token: &str, name: &str) -> String {
    let (s, v) = app
        .post(&format!("/api/v1/units/{unit}/accounts"), token, json!({ "name": name, "platform": "weibo", "login_name": name, "classification": "core", "generate": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn pending_rotation(app: &TestApp, account: &str, token: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{account}/rotations"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["rotation_id"].as_str().unwrap().to_string()
}

/// The vault and policy endpoints, same matrix.
async fn vault_and_policy_endpoints(app: &TestApp, f: &Fixture, users: &[(&str, TestUser)]) {
    let admin_a = &users.iter().find(|(r, _)| *r == "unit_admin").unwrap().1;
    let custodian_a = &users.iter().find(|(r, _)| *r == "custodian").unwrap().1;
    let admin_b = app.user_with_role(&f.b, "unit_admin").await;
    let acct_a = create_account(app, &f.a, &admin_a.token, "矩阵账号A").await;
    let acct_b = create_account(app, &f.b, &admin_b.token, "矩阵账号B").await;
    let (af, bf) = (&f.a, &f.b);
    let readers: &[&str] = &["supervisor", "unit_admin", "custodian"];
    let admins: &[&str] = &["unit_admin"];
    let reason = json!({ "reason": "矩阵测试" });
    let cases = vec![
        Case {
            name: "GET accounts",
            method: Method::GET,
            own: format!("/api/v1/units/{af}/accounts"),
            foreign: format!("/api/v1/units/{bf}/accounts"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET account",
            method: Method::GET,
            own: format!("/api/v1/accounts/{acct_a}"),
            foreign: format!("/api/v1/accounts/{acct_b}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET versions",
            method: Method::GET,
            own: format!("/api/v1/accounts/{acct_a}/versions"),
            foreign: format!("/api/v1/accounts/{acct_b}/versions"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "PATCH account",
            method: Method::PATCH,
            own: format!("/api/v1/accounts/{acct_a}"),
            foreign: format!("/api/v1/accounts/{acct_b}"),
            body_own: Some(json!({ "notes": "矩阵" })),
            body_foreign: Some(json!({ "notes": "矩阵" })),
            allowed: admins,
            ok: StatusCode::OK,
        },
        Case {
            name: "POST account",
            method: Method::POST,
            own: format!("/api/v1/units/{af}/accounts"),
            foreign: format!("/api/v1/units/{bf}/accounts"),
            body_own: Some(
                json!({ "name": "矩阵新账号", "platform": "douyin", "login_name": "n", "classification": "general", "generate": true }),
            ),
            body_foreign: Some(
                json!({ "name": "矩阵新账号", "platform": "douyin", "login_name": "n", "classification": "general", "generate": true }),
            ),
            allowed: admins,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "reveal",
            method: Method::POST,
            own: format!("/api/v1/accounts/{acct_a}/reveal"),
            foreign: format!("/api/v1/accounts/{acct_b}/reveal"),
            body_own: Some(reason.clone()),
            body_foreign: Some(reason.clone()),
            allowed: admins,
            ok: StatusCode::OK,
        },
        Case {
            name: "reveal version",
            method: Method::POST,
            own: format!("/api/v1/accounts/{acct_a}/versions/1/reveal"),
            foreign: format!("/api/v1/accounts/{acct_b}/versions/1/reveal"),
            body_own: Some(reason.clone()),
            body_foreign: Some(reason.clone()),
            allowed: admins,
            ok: StatusCode::OK,
        },
        Case {
            name: "POST custodian",
            method: Method::POST,
            own: format!("/api/v1/accounts/{acct_a}/custodians"),
            foreign: format!("/api/v1/accounts/{acct_b}/custodians"),
            body_own: Some(json!({ "user_id": custodian_a.id })),
            body_foreign: Some(json!({ "user_id": custodian_a.id })),
            allowed: admins,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "DELETE custodian",
            method: Method::DELETE,
            own: format!("/api/v1/accounts/{acct_a}/custodians/{}", custodian_a.id),
            foreign: format!("/api/v1/accounts/{acct_b}/custodians/{}", custodian_a.id),
            body_own: None,
            body_foreign: None,
            allowed: admins,
            ok: StatusCode::NO_CONTENT,
        },
        // The custodian of A is no longer named on the account (removed above).
        Case {
            name: "report publication",
            method: Method::POST,
            own: format!("/api/v1/accounts/{acct_a}/publications"),
            foreign: format!("/api/v1/accounts/{acct_b}/publications"),
            body_own: Some(json!({ "published_at": app.now() - 60_000, "title": "矩阵" })),
            body_foreign: Some(json!({ "published_at": app.now() - 60_000 })),
            allowed: admins,
            ok: StatusCode::CREATED,
        },
        Case {
            name: "policy check",
            method: Method::POST,
            own: "/api/v1/policy/check".into(),
            foreign: "/api/v1/policy/check".into(),
            body_own: Some(json!({ "password": "x", "unit_id": af })),
            body_foreign: Some(json!({ "password": "x", "unit_id": bf })),
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET policy",
            method: Method::GET,
            own: format!("/api/v1/units/{af}/policy"),
            foreign: format!("/api/v1/units/{bf}/policy"),
            body_own: None,
            body_foreign: None,
            allowed: &["sysadmin", "supervisor", "unit_admin", "custodian", "hr"],
            ok: StatusCode::OK,
        },
        Case {
            name: "PUT policy",
            method: Method::PUT,
            own: format!("/api/v1/units/{af}/policy"),
            foreign: format!("/api/v1/units/{bf}/policy"),
            body_own: Some(json!({ "overrides": { "account_password": { "min_length": 14 } } })),
            body_foreign: Some(
                json!({ "overrides": { "account_password": { "min_length": 14 } } }),
            ),
            allowed: &["sysadmin", "unit_admin"],
            ok: StatusCode::OK,
        },
        Case {
            name: "GET findings",
            method: Method::GET,
            own: format!("/api/v1/findings?unit_id={af}"),
            foreign: format!("/api/v1/findings?unit_id={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: &["supervisor", "unit_admin", "auditor"],
            ok: StatusCode::OK,
        },
        // Risk: aggregates for every role that oversees (sysadmins without account
        // details, which the risk scenarios check).
        Case {
            name: "GET risk ranking",
            method: Method::GET,
            own: format!("/api/v1/risk/units?under={af}"),
            foreign: format!("/api/v1/risk/units?under={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: &["sysadmin", "supervisor", "unit_admin", "auditor"],
            ok: StatusCode::OK,
        },
        Case {
            name: "GET risk unit",
            method: Method::GET,
            own: format!("/api/v1/risk/units/{af}"),
            foreign: format!("/api/v1/risk/units/{bf}"),
            body_own: None,
            body_foreign: None,
            allowed: &["sysadmin", "supervisor", "unit_admin", "auditor"],
            ok: StatusCode::OK,
        },
        Case {
            name: "GET risk trend",
            method: Method::GET,
            own: format!("/api/v1/risk/trend?unit_id={af}"),
            foreign: format!("/api/v1/risk/trend?unit_id={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: &["sysadmin", "supervisor", "unit_admin", "auditor"],
            ok: StatusCode::OK,
        },
        Case {
            name: "GET circular",
            method: Method::GET,
            own: format!(
                "/api/v1/reports/circular?under={af}&from=2026-11-01&to=2026-11-30&format=csv"
            ),
            foreign: format!(
                "/api/v1/reports/circular?under={bf}&from=2026-11-01&to=2026-11-30&format=csv"
            ),
            body_own: None,
            body_foreign: None,
            allowed: &["sysadmin", "supervisor", "unit_admin", "auditor"],
            ok: StatusCode::OK,
        },
        Case {
            name: "start rotation",
            method: Method::POST,
            own: format!("/api/v1/accounts/{acct_a}/rotations"),
            foreign: format!("/api/v1/accounts/{acct_b}/rotations"),
            body_own: Some(json!({})),
            body_foreign: Some(json!({})),
            allowed: admins,
            ok: StatusCode::CREATED,
        },
    ];
    for case in &cases {
        run_case(app, users, case).await;
    }
    // Finishing rotations: a fresh pending rotation per attempt in A, one in B.
    let (_, a) = app
        .get(&format!("/api/v1/accounts/{acct_a}"), &admin_a.token)
        .await;
    let mut own_rotation = a["pending_rotation_id"].as_str().unwrap().to_string();
    let foreign_rotation = pending_rotation(app, &acct_b, &admin_b.token).await;
    for action in ["confirm", "cancel"] {
        for (role, user) in users {
            let (s, v) = app
                .post(
                    &format!("/api/v1/rotations/{foreign_rotation}/{action}"),
                    &user.token,
                    json!({}),
                )
                .await;
            assert_eq!(
                s,
                StatusCode::NOT_FOUND,
                "{action} as {role} on the foreign unit: {v}"
            );
            let (s, v) = app
                .post(
                    &format!("/api/v1/rotations/{own_rotation}/{action}"),
                    &user.token,
                    json!({}),
                )
                .await;
            let want = if *role == "unit_admin" {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(s, want, "{action} as {role}: {v}");
            if *role == "unit_admin" {
                own_rotation = pending_rotation(app, &acct_a, &admin_a.token).await;
            }
        }
    }
}

/// A role change in `unit` reported by `hr`, for a fresh custodian: the case id and the
/// leaver's user id.
async fn open_case(app: &TestApp, unit: &str, hr: &TestUser, key: &str) -> (String, String) {
    let leaver = app.user_with_role(unit, "custodian").await;
    let (s, v) = app
        .hr_event(
            &hr.token,
            key,
            json!({ "type": "role_change", "username": leaver.username, "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["handover_id"].as_str().unwrap().to_string(), leaver.id)
}

/// The handover endpoints, same matrix. Reading: supervisor, unit admin, HR; managing
/// (checklist, cancel): unit admin; sign-off: supervisor and unit admin (the case is not
/// ready, so they pass authorisation and get 409); acknowledging: only the successor, and
/// these cases have none; the exposure ledger: supervisor and unit admin.
async fn handover_endpoints(app: &TestApp, f: &Fixture, users: &[(&str, TestUser)]) {
    let hr_a = &users.iter().find(|(r, _)| *r == "hr").unwrap().1;
    let hr_b = app.user_with_role(&f.b, "hr").await;
    let (case_a, leaver_a) = open_case(app, &f.a, hr_a, "matrix-a").await;
    let (case_b, leaver_b) = open_case(app, &f.b, &hr_b, "matrix-b").await;
    let (af, bf) = (&f.a, &f.b);
    let readers: &[&str] = &["supervisor", "unit_admin", "hr"];
    let cases = vec![
        Case {
            name: "GET handovers",
            method: Method::GET,
            own: format!("/api/v1/handovers?unit_id={af}"),
            foreign: format!("/api/v1/handovers?unit_id={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET handover",
            method: Method::GET,
            own: format!("/api/v1/handovers/{case_a}"),
            foreign: format!("/api/v1/handovers/{case_b}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET handover sheet",
            method: Method::GET,
            own: format!("/api/v1/handovers/{case_a}/sheet"),
            foreign: format!("/api/v1/handovers/{case_b}/sheet"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET exposure",
            method: Method::GET,
            own: format!("/api/v1/users/{leaver_a}/exposure"),
            foreign: format!("/api/v1/users/{leaver_b}/exposure"),
            body_own: None,
            body_foreign: None,
            allowed: &["supervisor", "unit_admin"],
            ok: StatusCode::OK,
        },
        Case {
            name: "acknowledge",
            method: Method::POST,
            own: format!("/api/v1/handovers/{case_a}/acknowledge"),
            foreign: format!("/api/v1/handovers/{case_b}/acknowledge"),
            body_own: Some(json!({ "totp_code": "123456" })),
            body_foreign: Some(json!({ "totp_code": "123456" })),
            allowed: &[],
            ok: StatusCode::OK,
        },
        Case {
            name: "sign-off",
            method: Method::POST,
            own: format!("/api/v1/handovers/{case_a}/sign-off"),
            foreign: format!("/api/v1/handovers/{case_b}/sign-off"),
            body_own: Some(json!({})),
            body_foreign: Some(json!({})),
            allowed: &["supervisor", "unit_admin"],
            ok: StatusCode::CONFLICT,
        },
        Case {
            name: "checklist",
            method: Method::POST,
            own: format!("/api/v1/handovers/{case_a}/checklist"),
            foreign: format!("/api/v1/handovers/{case_b}/checklist"),
            body_own: Some(json!({ "entry": "materials", "note": "矩阵" })),
            body_foreign: Some(json!({ "entry": "materials" })),
            allowed: &["unit_admin"],
            ok: StatusCode::OK,
        },
        Case {
            name: "cancel",
            method: Method::POST,
            own: format!("/api/v1/handovers/{case_a}/cancel"),
            foreign: format!("/api/v1/handovers/{case_b}/cancel"),
            body_own: Some(json!({ "reason": "矩阵测试撤销" })),
            body_foreign: Some(json!({ "reason": "矩阵测试撤销" })),
            allowed: &["unit_admin"],
            ok: StatusCode::OK,
        },
    ];
    for case in &cases {
        run_case(app, users, case).await;
    }
    // Reporting staff changes: HR of the unit only; the foreign unit is not found.
    for (i, (role, user)) in users.iter().enumerate() {
        let someone = app.user_with_role(&f.a_child, "custodian").await;
        let (s, v) = app
            .hr_event(
                &user.token,
                &format!("matrix-foreign-{i}"),
                json!({ "type": "role_change", "username": leaver_b, "unit_id": bf }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "HR event as {role} on the foreign unit: {v}"
        );
        let (s, v) = app
            .hr_event(
                &user.token,
                &format!("matrix-own-{i}"),
                json!({ "type": "role_change", "username": someone.username, "unit_id": af }),
            )
            .await;
        let want = if *role == "hr" {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, want, "HR event as {role} on its own unit: {v}");
    }
}

/// An overdue account of `unit` (a `high` finding once scanned).
async fn overdue_account(app: &TestApp, unit: &str, token: &str, name: &str) -> String {
    let acct = create_account(app, unit, token, name).await;
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2")
        .bind(91 * 24 * 3_600_000_i64)
        .bind(&acct)
        .execute(app.pool())
        .await
        .unwrap();
    acct
}

async fn live_item(app: &TestApp, account: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT r.id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE f.rule = 'rotation_overdue' AND f.target_id = $1 AND r.closed_at IS NULL")
        .bind(account)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

/// The rectification endpoints, same matrix. Items sit in A's child unit, so A's
/// supervisor is strictly above them. Reading: supervisor, unit admin, auditor;
/// submitting: unit admin; accepting and returning: the supervisor above (the item is
/// open, so they pass authorisation and get 409).
async fn rectification_endpoints(app: &TestApp, f: &Fixture, users: &[(&str, TestUser)]) {
    let admin_a = &users.iter().find(|(r, _)| *r == "unit_admin").unwrap().1;
    let admin_b = app.user_with_role(&f.b, "unit_admin").await;
    let submitted = overdue_account(app, &f.a_child, &admin_a.token, "矩阵整改一").await;
    let reviewed = overdue_account(app, &f.a_child, &admin_a.token, "矩阵整改二").await;
    let foreign = overdue_account(app, &f.b, &admin_b.token, "矩阵整改B").await;
    credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .expect("scan");
    let (item_a, review_a, item_b) = (
        live_item(app, &submitted).await,
        live_item(app, &reviewed).await,
        live_item(app, &foreign).await,
    );
    let (af, bf) = (&f.a, &f.b);
    let readers: &[&str] = &["supervisor", "unit_admin", "auditor"];
    let until = json!({ "accept_risk_until": app.now() + 24 * 3_600_000 });
    let reason = json!({ "reason": "矩阵测试退回" });
    let cases = vec![
        Case {
            name: "GET rectifications",
            method: Method::GET,
            own: format!("/api/v1/rectifications?unit_id={af}"),
            foreign: format!("/api/v1/rectifications?unit_id={bf}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "GET rectification",
            method: Method::GET,
            own: format!("/api/v1/rectifications/{item_a}"),
            foreign: format!("/api/v1/rectifications/{item_b}"),
            body_own: None,
            body_foreign: None,
            allowed: readers,
            ok: StatusCode::OK,
        },
        Case {
            name: "submit rectification",
            method: Method::POST,
            own: format!("/api/v1/rectifications/{item_a}/submit"),
            foreign: format!("/api/v1/rectifications/{item_b}/submit"),
            body_own: Some(json!({ "evidence": "矩阵整改情况" })),
            body_foreign: Some(json!({ "evidence": "矩阵整改情况" })),
            allowed: &["unit_admin"],
            ok: StatusCode::OK,
        },
        Case {
            name: "accept rectification",
            method: Method::POST,
            own: format!("/api/v1/rectifications/{review_a}/accept"),
            foreign: format!("/api/v1/rectifications/{item_b}/accept"),
            body_own: Some(until.clone()),
            body_foreign: Some(until),
            allowed: &["supervisor"],
            ok: StatusCode::CONFLICT,
        },
        Case {
            name: "return rectification",
            method: Method::POST,
            own: format!("/api/v1/rectifications/{review_a}/return"),
            foreign: format!("/api/v1/rectifications/{item_b}/return"),
            body_own: Some(reason.clone()),
            body_foreign: Some(reason),
            allowed: &["supervisor"],
            ok: StatusCode::CONFLICT,
        },
    ];
    for case in &cases {
        run_case(app, users, case).await;
    }
}

async fn put_channels(app: &TestApp, unit: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/units/{unit}/channels"),
        Some(token),
        Some(body),
    )
    .await
}

/// The ids of the outbox rows about `unit`.
async fn outbox_rows(app: &TestApp, unit: &str) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT id FROM outbox WHERE unit_id = $1 ORDER BY id")
        .bind(unit)
        .fetch_all(app.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// One unread inbox notification of `user` about `unit`; its id.
async fn notification_for(app: &TestApp, user: &str, unit: &str) -> String {
    use credgov::notify::NotificationKind;
    use credgov::notify::inbox::{NewNotification, NewNotifications};
    use sqlx::Row;
    let key = format!("matrix-{user}");
    let mut tx = app.state.db.begin_write().await.unwrap();
    let mut rows = NewNotifications::default();
    rows.push(&NewNotification {
        user_id: user,
        unit_id: unit,
        kind: NotificationKind::ChannelTest,
        title: "矩阵通知",
        body: "矩阵",
        data: &json!({}),
        dedupe_key: Some(&key),
        at: app.now(),
    });
    let added = rows.insert(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(added, 1);
    sqlx::query("SELECT id FROM notifications WHERE user_id = $1 AND dedupe_key = $2")
        .bind(user)
        .bind(&key)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

/// The notification endpoints, same matrix. Channel settings (`ChannelsRead`,
/// `ChannelsWrite`): sysadmins and unit admins of the unit or a unit above, so A's and
/// its child's, never B's; a unit admin of the child does not reach its parent or its
/// sibling. The outbox (`OutboxRead`, `OutboxRetry`): sysadmins, scoped to their
/// subtree. The inbox: every person's own; someone else's is not found (in their unit
/// or another), and an API token has no inbox at all.
async fn notify_endpoints(app: &TestApp, f: &Fixture, users: &[(&str, TestUser)]) {
    let (af, bf, cf) = (&f.a, &f.b, &f.a_child);
    let email = |to: &str| json!({ "email": { "to": [to] } });
    // B's own channel and an outbox row of B, set up by the root sysadmin.
    let (s, v) = put_channels(app, bf, &app.admin_token, email("duty-b@example.gov.cn")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{bf}/channels/email/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let foreign_row = v["outbox_id"].as_str().unwrap().to_string();
    let channel_roles: &[&str] = &["sysadmin", "unit_admin"];
    let cases = vec![
        Case {
            name: "GET channels",
            method: Method::GET,
            own: format!("/api/v1/units/{af}/channels"),
            foreign: format!("/api/v1/units/{bf}/channels"),
            body_own: None,
            body_foreign: None,
            allowed: channel_roles,
            ok: StatusCode::OK,
        },
        Case {
            name: "PUT channels",
            method: Method::PUT,
            own: format!("/api/v1/units/{af}/channels"),
            foreign: format!("/api/v1/units/{bf}/channels"),
            body_own: Some(email("duty-a@example.gov.cn")),
            body_foreign: Some(email("matrix@example.gov.cn")),
            allowed: channel_roles,
            ok: StatusCode::OK,
        },
        // The child inherits A's e-mail list (saved just above).
        Case {
            name: "GET channels of the child unit",
            method: Method::GET,
            own: format!("/api/v1/units/{cf}/channels"),
            foreign: format!("/api/v1/units/{bf}/channels"),
            body_own: None,
            body_foreign: None,
            allowed: channel_roles,
            ok: StatusCode::OK,
        },
        Case {
            name: "test channel of the child unit",
            method: Method::POST,
            own: format!("/api/v1/units/{cf}/channels/email/test"),
            foreign: format!("/api/v1/units/{bf}/channels/email/test"),
            body_own: Some(json!({})),
            body_foreign: Some(json!({})),
            allowed: channel_roles,
            ok: StatusCode::ACCEPTED,
        },
    ];
    for case in &cases {
        run_case(app, users, case).await;
    }
    // B's list is untouched by every refused PUT.
    let (_, v) = app
        .get(&format!("/api/v1/units/{bf}/channels"), &app.admin_token)
        .await;
    assert_eq!(v["email"]["to"], json!(["duty-b@example.gov.cn"]), "{v}");

    // The tests above queued one row of the child per person allowed (sysadmin, unit
    // admin); one of them has failed, so a sysadmin may put it back.
    let own_rows = outbox_rows(app, cf).await;
    assert_eq!(own_rows.len(), 2, "{own_rows:?}");
    // What became of a test: read by those who read the unit's channels.
    run_case(
        app,
        users,
        &Case {
            name: "GET channel test outcome",
            method: Method::GET,
            own: format!("/api/v1/units/{cf}/channels/tests/{}", own_rows[0]),
            foreign: format!("/api/v1/units/{bf}/channels/tests/{foreign_row}"),
            body_own: None,
            body_foreign: None,
            allowed: channel_roles,
            ok: StatusCode::OK,
        },
    )
    .await;
    sqlx::query("UPDATE outbox SET state = 'failed', last_error = 'matrix' WHERE id = $1")
        .bind(&own_rows[0])
        .execute(app.pool())
        .await
        .unwrap();
    let retry = Case {
        name: "retry outbox message",
        method: Method::POST,
        own: format!("/api/v1/outbox/{}/retry", own_rows[0]),
        foreign: format!("/api/v1/outbox/{foreign_row}/retry"),
        body_own: Some(json!({})),
        body_foreign: Some(json!({})),
        allowed: &["sysadmin"],
        ok: StatusCode::OK,
    };
    run_case(app, users, &retry).await;

    // The outbox list: sysadmins see their subtree's rows (the child's), never B's.
    for (role, user) in users {
        let who = format!("{role}{}", if is_token(user) { " token" } else { "" });
        let (s, v) = app.get("/api/v1/outbox", &user.token).await;
        if *role == "sysadmin" && !is_token(user) {
            assert_eq!(s, StatusCode::OK, "GET outbox as {who}: {v}");
            let mut listed: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect();
            listed.sort();
            assert_eq!(listed, own_rows, "GET outbox as {who}");
        } else {
            assert_eq!(s, StatusCode::FORBIDDEN, "GET outbox as {who}: {v}");
        }
        let text = v.to_string();
        assert!(
            !text.contains(&f.b) && !text.contains(&foreign_row),
            "GET outbox as {who} leaks unit B: {text}"
        );
    }

    // Channel settings reach down, never up or sideways: a unit admin of the child.
    let sibling = app.create_unit(af, "区投资促进中心", "institution").await;
    let child_admin = app.user_with_role(cf, "unit_admin").await;
    for (unit, want) in [
        (cf.as_str(), StatusCode::OK),
        (af.as_str(), StatusCode::NOT_FOUND),
        (sibling.as_str(), StatusCode::NOT_FOUND),
        (bf.as_str(), StatusCode::NOT_FOUND),
    ] {
        let (s, v) = app
            .get(
                &format!("/api/v1/units/{unit}/channels"),
                &child_admin.token,
            )
            .await;
        assert_eq!(
            s, want,
            "GET channels of {unit} as the child's unit admin: {v}"
        );
        let (s, v) =
            put_channels(app, unit, &child_admin.token, email("child@example.gov.cn")).await;
        assert_eq!(
            s, want,
            "PUT channels of {unit} as the child's unit admin: {v}"
        );
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{unit}/channels/email/test"),
                &child_admin.token,
                json!({}),
            )
            .await;
        let want = if want == StatusCode::OK {
            StatusCode::ACCEPTED
        } else {
            want
        };
        assert_eq!(
            s, want,
            "test channel of {unit} as the child's unit admin: {v}"
        );
    }

    // The inbox: each person reads and marks their own notifications only.
    let persons: Vec<&(&str, TestUser)> = users.iter().filter(|(_, u)| !is_token(u)).collect();
    let mut own = Vec::new();
    for (_, user) in &persons {
        own.push(notification_for(app, &user.id, af).await);
    }
    let colleague = notification_for(app, &f.user_a, cf).await;
    let foreign = notification_for(app, &f.user_b, bf).await;
    for (i, (role, user)) in users.iter().enumerate() {
        let who = format!("{role}{}", if is_token(user) { " token" } else { "" });
        if is_token(user) {
            // A token has no inbox: refused before anything is looked up.
            for (method, path) in [
                (Method::GET, "/api/v1/notifications".to_string()),
                (
                    Method::POST,
                    format!("/api/v1/notifications/{}/read", own[0]),
                ),
                (
                    Method::POST,
                    format!("/api/v1/notifications/{foreign}/read"),
                ),
                (Method::POST, "/api/v1/notifications/read-all".to_string()),
            ] {
                let body = (method != Method::GET).then(|| json!({}));
                let (s, v) = app.call(method, &path, Some(&user.token), body).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{path} as {who}: {v}");
                assert_eq!(
                    v["error"]["code"], "person_required",
                    "{path} as {who}: {v}"
                );
            }
            continue;
        }
        let mine = &own[i];
        // Its own is listed, still unread (nobody before marked it), and nobody else's.
        let (s, v) = app
            .get("/api/v1/notifications?unread=true", &user.token)
            .await;
        assert_eq!(s, StatusCode::OK, "inbox of {who}: {v}");
        let listed: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert!(listed.contains(&mine.as_str()), "inbox of {who}: {v}");
        for other in own.iter().chain([&colleague, &foreign]) {
            assert!(
                other == mine || !listed.contains(&other.as_str()),
                "inbox of {who} lists {other}: {v}"
            );
        }
        // Someone else's: a colleague's in the child unit, another person's in A, B's.
        let others = [&colleague, &own[(i + 1) % persons.len()], &foreign];
        for other in others {
            let (s, v) = app
                .post(
                    &format!("/api/v1/notifications/{other}/read"),
                    &user.token,
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "reading {other} as {who}: {v}");
        }
        let (s, v) = app
            .post(
                &format!("/api/v1/notifications/{mine}/read"),
                &user.token,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "reading its own as {who}: {v}");
        assert!(v["read_at"].is_i64(), "{v}");
        let (s, v) = app
            .post("/api/v1/notifications/read-all", &user.token, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "read-all as {who}: {v}");
        assert!(v["marked"].is_u64(), "{v}");
    }
    // Nobody marked anyone else's.
    for id in [&colleague, &foreign] {
        let read_at: Option<i64> = {
            use sqlx::Row;
            sqlx::query("SELECT read_at FROM notifications WHERE id = $1")
                .bind(id)
                .fetch_one(app.pool())
                .await
                .unwrap()
                .get(0)
        };
        assert_eq!(read_at, None, "{id} was marked read by someone else");
    }
    // The SMTP relay is the installation's: only a sysadmin holding the role on the root
    // unit (every role here holds it on A: 403); nobody may write it either.
    for (role, user) in users {
        let who = format!("{role}{}", if is_token(user) { " token" } else { "" });
        let (s, v) = app.get("/api/v1/notify/smtp", &user.token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "GET smtp as {who}: {v}");
        let (s, v) = app
            .call(
                Method::PUT,
                "/api/v1/notify/smtp",
                Some(&user.token),
                Some(json!({ "host": "127.0.0.1", "port": 25, "tls": "none", "from": "a@b.cn" })),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "PUT smtp as {who}: {v}");
    }
    let (s, v) = app.get("/api/v1/notify/smtp", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "GET smtp as the root sysadmin: {v}");
    // Preferences: every person their own; a token has none.
    for (role, user) in users {
        let who = format!("{role}{}", if is_token(user) { " token" } else { "" });
        let want = if is_token(user) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        let (s, v) = app.get("/api/v1/me/notifications", &user.token).await;
        assert_eq!(s, want, "GET prefs as {who}: {v}");
        let (s, v) = app
            .call(
                Method::PUT,
                "/api/v1/me/notifications",
                Some(&user.token),
                Some(json!({ "lang": "en" })),
            )
            .await;
        assert_eq!(s, want, "PUT prefs as {who}: {v}");
    }
}
