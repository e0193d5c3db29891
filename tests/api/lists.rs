//! Paged lists: `{items, next_cursor}`, `limit` and an opaque `cursor`, filters applied
//! in SQL, scoped to the caller's units, and a constant number of queries per page.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_engines;
use crate::common::{TestApp, captured_logs, error_code};
use crate::vault::{Vault, vault};

both_engines!(
    accounts_page_through_filter_and_stay_in_scope,
    account_list_queries_do_not_grow_with_page_size,
    bad_cursor_and_limit_get_the_error_shape,
    handovers_page_by_state_in_sql_with_constant_queries,
    every_list_pages_to_the_same_rows_as_one_big_page,
    every_list_reads_a_page_with_a_constant_number_of_statements,
);

async fn create(app: &TestApp, v: &Vault, name: &str, platform: &str) -> String {
    let (s, b) = app
        .post(
            &format!("/api/v1/units/{}/accounts", v.unit),
            &v.admin.token,
            json!({ "name": name, "platform": platform, "login_name": name, "classification": "general", "generate": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_string()
}

/// Follows `next_cursor` to the end; returns the page sizes and all items.
async fn all_pages(
    app: &TestApp,
    token: &str,
    path: &str,
    query: &str,
) -> (Vec<usize>, Vec<Value>) {
    let (mut sizes, mut items) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    let join = if path.contains('?') { '&' } else { '?' };
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{join}{query}&cursor={c}"),
            None => format!("{path}{join}{query}"),
        };
        let (s, page) = app.get(&url, token).await;
        assert_eq!(s, StatusCode::OK, "{url}: {page}");
        let got = page["items"].as_array().expect("items").clone();
        sizes.push(got.len());
        items.extend(got);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                return (sizes, items);
            }
        }
        assert!(sizes.len() < 50, "paging does not end");
    }
}

async fn accounts_page_through_filter_and_stay_in_scope(app: TestApp) {
    let v = vault(&app, "区融媒体中心").await;
    let other = vault(&app, "区文旅局").await;
    // 120 weibo accounts interleaved (by name) with 30 douyin accounts.
    for i in 0..120 {
        create(&app, &v, &format!("账号{i:03}"), "weibo").await;
        if i % 4 == 0 {
            create(&app, &v, &format!("账号{i:03}b"), "douyin").await;
        }
    }
    let foreign = create(&app, &other, "账号000", "weibo").await;
    // A custodian on one account of the first page comes with the page.
    let custodian = app.user_with_role(&v.unit, "custodian").await;
    let (_, first) = app
        .get(
            &format!("/api/v1/units/{}/accounts?limit=3", v.unit),
            &v.admin.token,
        )
        .await;
    let with_custodian = first["items"][2]["id"].as_str().unwrap().to_string();
    let (s, b) = app
        .post(
            &format!("/api/v1/accounts/{with_custodian}/custodians"),
            &v.admin.token,
            json!({ "user_id": custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let path = format!("/api/v1/units/{}/accounts", v.unit);
    let (sizes, items) = all_pages(&app, &v.admin.token, &path, "platform=weibo&limit=50").await;
    assert_eq!(sizes, vec![50, 50, 20]);
    let names: Vec<&str> = items.iter().map(|a| a["name"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..120).map(|i| format!("账号{i:03}")).collect();
    assert_eq!(names, expected, "no repeats, no gaps, in name order");
    assert!(items.iter().all(|a| a["platform"] == "weibo"));
    let ids: HashSet<&str> = items.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 120);
    assert!(
        !ids.contains(foreign.as_str()),
        "a foreign unit's account listed"
    );
    let listed = items
        .iter()
        .find(|a| a["id"] == with_custodian.as_str())
        .unwrap();
    assert_eq!(
        listed["custodians"][0]["user_id"],
        custodian.id.as_str(),
        "{listed}"
    );
    assert!(
        items
            .iter()
            .filter(|a| a["custodians"].as_array().unwrap().is_empty())
            .count()
            == 119
    );

    // The filter is in SQL: pages of douyin accounts are full although most rows are weibo.
    let (sizes, items) = all_pages(&app, &v.admin.token, &path, "platform=douyin&limit=7").await;
    assert_eq!(sizes, vec![7, 7, 7, 7, 2]);
    assert!(items.iter().all(|a| a["platform"] == "douyin"));
    // Unfiltered: everything once, default page size 50.
    let (sizes, _) = all_pages(&app, &v.admin.token, &path, "limit=500").await;
    assert_eq!(sizes, vec![150]);
    let (s, page) = app.get(&path, &v.admin.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    // The other unit's admin sees only its own account; the first unit is 404 to it.
    let (sizes, items) = all_pages(
        &app,
        &other.admin.token,
        &format!("/api/v1/units/{}/accounts", other.unit),
        "limit=50",
    )
    .await;
    assert_eq!(
        (sizes, items[0]["id"].as_str().unwrap()),
        (vec![1], foreign.as_str())
    );
    let (s, e) = app.get(&path, &other.admin.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
}

/// The statements sqlx logged for a request (by its request id): the fewer of two
/// requests, because a session's occasional last-seen refresh adds a statement to
/// whichever request happens to carry it, whatever the page size.
pub async fn statements_for(app: &TestApp, token: &str, path: &str) -> usize {
    let first = statements_of_one(app, token, path).await;
    first.min(statements_of_one(app, token, path).await)
}

async fn statements_of_one(app: &TestApp, token: &str, path: &str) -> usize {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let req = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("x-request-id", &id);
    let (s, v) = app.send(req).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    captured_logs()
        .lines()
        .filter(|l| l.contains(&id) && l.contains("\"target\":\"sqlx::query\""))
        .count()
}

async fn account_list_queries_do_not_grow_with_page_size(app: TestApp) {
    let v = vault(&app, "区档案馆").await;
    let custodian = app.user_with_role(&v.unit, "custodian").await;
    for i in 0..60 {
        let id = create(&app, &v, &format!("档案{i:02}"), "weibo").await;
        let (s, b) = app
            .post(
                &format!("/api/v1/accounts/{id}/custodians"),
                &v.admin.token,
                json!({ "user_id": custodian.id }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let path = format!("/api/v1/units/{}/accounts", v.unit);
    let small = statements_for(&app, &v.admin.token, &format!("{path}?limit=5")).await;
    let large = statements_for(&app, &v.admin.token, &format!("{path}?limit=50")).await;
    assert!(small > 0, "statement logging not captured");
    assert_eq!(small, large, "queries grow with the page size");
}

async fn bad_cursor_and_limit_get_the_error_shape(app: TestApp) {
    let v = vault(&app, "区统计局").await;
    let path = format!("/api/v1/units/{}/accounts", v.unit);
    for (q, status, code) in [
        ("cursor=%21%21", StatusCode::BAD_REQUEST, "bad_request"),
        ("cursor=WzFd", StatusCode::BAD_REQUEST, "bad_request"),
        ("limit=abc", StatusCode::BAD_REQUEST, "bad_request"),
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        (
            "limit=501",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        ("platform=myspace", StatusCode::BAD_REQUEST, "bad_request"),
    ] {
        let (s, e) = app.get(&format!("{path}?{q}"), &v.admin.token).await;
        assert_eq!(s, status, "{q}: {e}");
        assert_eq!(error_code(&e), code, "{q}");
    }
}

/// A departure case for a new custodian of `v.unit` (custodian of `account`, if any).
async fn departure(app: &TestApp, v: &Vault, hr: &str, key: &str, account: Option<&str>) -> String {
    let leaver = app.user_with_role(&v.unit, "custodian").await;
    if let Some(a) = account {
        let (s, b) = app
            .post(
                &format!("/api/v1/accounts/{a}/custodians"),
                &v.admin.token,
                json!({ "user_id": leaver.id }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, ev) = app
        .hr_event(
            hr,
            key,
            json!({ "type": "departure", "username": leaver.username, "unit_id": v.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    ev["handover_id"].as_str().unwrap().to_string()
}

async fn handovers_page_by_state_in_sql_with_constant_queries(app: TestApp) {
    let v = vault(&app, "区人社局").await;
    let other = vault(&app, "区医保局").await;
    let hr = app.user_with_role(&v.unit, "hr").await;
    let other_hr = app.user_with_role(&other.unit, "hr").await;
    let mut open = Vec::new();
    let mut cancelled = Vec::new();
    for i in 0..9 {
        let account = create(&app, &v, &format!("人社{i}"), "weibo").await;
        let id = departure(&app, &v, &hr.token, &format!("ls-{i}"), Some(&account)).await;
        if i % 3 == 0 {
            open.push(id);
        } else {
            let (s, c) = app
                .post(
                    &format!("/api/v1/handovers/{id}/cancel"),
                    &v.admin.token,
                    json!({ "reason": "录入错误" }),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{c}");
            cancelled.push(id);
        }
    }
    let foreign = departure(&app, &other, &other_hr.token, "ls-x", None).await;
    let ids = |items: &[Value]| -> HashSet<String> {
        items
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    let path = "/api/v1/handovers";
    let (sizes, items) = all_pages(&app, &v.admin.token, path, "state=open&limit=2").await;
    assert_eq!(sizes, vec![2, 1], "pages are filled from SQL");
    assert_eq!(ids(&items), open.iter().cloned().collect());
    assert!(
        items
            .iter()
            .all(|h| h["items"].as_array().unwrap().len() == 1),
        "each case shows its account"
    );
    let (sizes, items) = all_pages(&app, &v.admin.token, path, "state=cancelled&limit=4").await;
    assert_eq!(sizes, vec![4, 2]);
    assert_eq!(ids(&items), cancelled.iter().cloned().collect());
    let (sizes, items) = all_pages(
        &app,
        &v.admin.token,
        path,
        &format!("unit_id={}&limit=4", v.unit),
    )
    .await;
    assert_eq!(sizes, vec![4, 4, 1]);
    assert_eq!(ids(&items).len(), 9);
    assert!(
        !ids(&items).contains(&foreign),
        "a foreign unit's case listed"
    );
    // Newest first.
    let created: Vec<i64> = items
        .iter()
        .map(|h| h["created_at"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    // Escalation is computed at read time and filtered in SQL too.
    app.clock.advance_ms(30 * 86_400_000);
    let token = app.login(&v.admin).await;
    let (sizes, items) = all_pages(&app, &token, path, "state=escalated&limit=2").await;
    assert_eq!(sizes, vec![2, 1]);
    assert!(
        items
            .iter()
            .all(|h| h["state"] == "escalated" && h["progress_state"] == "open")
    );
    let (s, e) = app.get(&format!("{path}?state=lost"), &token).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );

    let small = statements_for(&app, &token, &format!("{path}?limit=2")).await;
    let large = statements_for(&app, &token, &format!("{path}?limit=9")).await;
    assert!(small > 0, "statement logging not captured");
    assert_eq!(small, large, "queries grow with the page size");
}

fn ids_of(items: &[Value], field: &str) -> Vec<String> {
    items.iter().map(|v| v[field].to_string()).collect()
}

async fn every_list_pages_to_the_same_rows_as_one_big_page(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区财政局", "department")
        .await;
    for i in 0..6 {
        let unit = app
            .create_unit(&dept, &format!("财政所{i}"), "institution")
            .await;
        app.user_with_role(&unit, "custodian").await;
        app.user_with_role(&dept, if i % 2 == 0 { "auditor" } else { "custodian" })
            .await;
        let (s, v) = app
            .post(
                "/api/v1/tokens",
                &app.admin_token,
                json!({ "name": format!("系统{i}"), "role": "hr", "unit_id": unit }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let auditor = app.user_with_role(&app.root_id, "auditor").await;
    let admin = app.admin_token.clone();
    for (token, path, sep, id_field, at_least) in [
        (&admin, "/api/v1/units".to_string(), "?", "id", 8),
        (&admin, "/api/v1/users".to_string(), "?", "id", 13),
        (&admin, "/api/v1/tokens".to_string(), "?", "id", 6),
        (
            &admin,
            format!("/api/v1/units/{dept}/members"),
            "?",
            "user_id",
            6,
        ),
        (
            &auditor.token,
            format!("/api/v1/audit?unit_id={}", app.root_id),
            "&",
            "seq",
            8,
        ),
    ] {
        let (sizes, whole) = all_pages(&app, token, &path, "limit=500").await;
        assert_eq!(sizes.len(), 1, "{path}");
        assert!(whole.len() >= at_least, "{path}: {}", whole.len());
        let (sizes, paged) = all_pages(&app, token, &path, "limit=3").await;
        assert!(
            sizes.iter().rev().skip(1).all(|n| *n == 3),
            "{path}: {sizes:?}"
        );
        assert_eq!(ids_of(&paged, id_field), ids_of(&whole, id_field), "{path}");
        if id_field != "user_id" {
            let unique: HashSet<String> = ids_of(&paged, id_field).into_iter().collect();
            assert_eq!(unique.len(), paged.len(), "{path}: repeats");
        }
        let small = statements_for(&app, token, &format!("{path}{sep}limit=2")).await;
        let large = statements_for(&app, token, &format!("{path}{sep}limit=20")).await;
        assert_eq!(small, large, "{path}: queries grow with the page size");
    }
    // A unit admin of one institution sees only its subtree.
    let (_, units) = app.get("/api/v1/units?limit=500", &admin).await;
    let inst = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "财政所3")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let local = app.user_with_role(&inst, "unit_admin").await;
    let (sizes, items) = all_pages(&app, &local.token, "/api/v1/units", "limit=1").await;
    assert_eq!(
        (sizes, items[0]["id"].as_str().unwrap()),
        (vec![1], inst.as_str())
    );
    let (_, users) = all_pages(&app, &local.token, "/api/v1/users", "limit=1").await;
    assert!(
        users.iter().all(|u| u["unit_id"] == inst.as_str()),
        "{users:?}"
    );
}

/// Units, users, members, tokens, accounts, handovers and the audit trail: the statements
/// one page costs do not depend on the page size. Prints the figures (`--nocapture`).
async fn every_list_reads_a_page_with_a_constant_number_of_statements(app: TestApp) {
    let v = vault(&app, "区统计局").await;
    let hr = app.user_with_role(&v.unit, "hr").await;
    let auditor = app.user_with_role(&app.root_id, "auditor").await;
    for i in 0..12 {
        app.create_unit(&v.unit, &format!("统计科{i:02}"), "department")
            .await;
        app.user_with_role(&v.unit, "custodian").await;
        let (s, t) = app
            .post(
                "/api/v1/tokens",
                &app.admin_token,
                json!({ "name": format!("HR {i}"), "role": "hr", "unit_id": v.unit }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let account = create(&app, &v, &format!("统计{i:02}"), "weibo").await;
        departure(&app, &v, &hr.token, &format!("q-{i}"), Some(&account)).await;
    }
    let lists = [
        ("/api/v1/units", app.admin_token.as_str()),
        ("/api/v1/users", app.admin_token.as_str()),
        (
            &*format!("/api/v1/units/{}/members", v.unit),
            app.admin_token.as_str(),
        ),
        ("/api/v1/tokens", app.admin_token.as_str()),
        (
            &*format!("/api/v1/units/{}/accounts", v.unit),
            v.admin.token.as_str(),
        ),
        ("/api/v1/handovers", v.admin.token.as_str()),
        (
            &*format!("/api/v1/audit?unit_id={}", v.unit),
            auditor.token.as_str(),
        ),
    ];
    for (path, token) in lists {
        let join = if path.contains('?') { '&' } else { '?' };
        let small = statements_for(&app, token, &format!("{path}{join}limit=2")).await;
        let large = statements_for(&app, token, &format!("{path}{join}limit=10")).await;
        eprintln!("statements per page {path}: limit=2 → {small}, limit=10 → {large}");
        assert!(small > 0, "{path}: statement logging not captured");
        assert_eq!(small, large, "{path}: statements grow with the page size");
    }
}
