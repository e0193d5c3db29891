//! The oversight pages on both engines: the supervisor dashboard (ranking, drill-down,
//! trend, circular download), rectification (list, item, submit / accept / return) and
//! the audit trail with its chain verification — each for the right role, refused to
//! the wrong role and for a foreign unit without content, POSTs refused without CSRF,
//! bad input answered with a message a person can act on.

use reqwest::StatusCode;

use crate::both_engines;
use crate::common::{TestApp, TestUser};
use crate::risk::{District, district};
use crate::web_client::{WebClient, href_of, row_of};

both_engines!(
    dashboard_ranks_and_drills_down_by_role,
    circular_downloads_like_the_api_and_is_audited,
    rectification_steps_through_the_pages,
    auditor_reads_and_filters_the_trail,
);

async fn signed_in(app: &TestApp, user: &TestUser) -> WebClient {
    let web = WebClient::new(app);
    let a = web.sign_in(app, user).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    web
}

fn admin(app: &TestApp) -> TestUser {
    TestUser {
        id: String::new(),
        username: crate::common::ADMIN.into(),
        password: crate::common::ADMIN_PASSWORD.into(),
        token: app.admin_token.clone(),
        totp_secret: Some(app.admin_totp.clone()),
    }
}

/// No inline style or script on a page (the CSP would block it).
fn clean(body: &str) {
    assert!(!body.contains("style="), "no style attribute");
    assert!(!body.contains("<script>"), "no inline script");
}

/// The live rectification item of unit `unit`, through the API.
async fn item_of(app: &TestApp, d: &District, unit: &str) -> String {
    let (s, v) = app
        .get(
            &format!("/api/v1/rectifications?unit_id={unit}&state=open"),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"][0]["id"]
        .as_str()
        .expect("an open item")
        .to_string()
}

async fn item_state(app: &TestApp, d: &District, id: &str) -> String {
    let (_, v) = app
        .get(&format!("/api/v1/rectifications/{id}"), &d.supervisor.token)
        .await;
    v["state"].as_str().unwrap().to_string()
}

async fn dashboard_ranks_and_drills_down_by_role(app: TestApp) {
    let d = district(&app).await;
    credgov::risk::snapshots::record(&app.state, app.now())
        .await
        .unwrap();
    let sup = signed_in(&app, &d.supervisor).await;

    // The supervisor's ranking: both children, b failing (不合格), sparklines, the chart.
    let home = sup.get("/").await;
    assert!(
        home.body.contains("href=\"/risk\""),
        "nav shows the dashboard"
    );
    assert!(home.body.contains("href=\"/rectifications\""));
    assert!(!home.body.contains("href=\"/audit\""), "no audit link");
    let a = sup.get(&format!("/risk?under={}", d.office)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    clean(&a.body);
    assert!(a.body.contains("id=\"trend-chart\""), "{}", a.body);
    // b fails (veto) whatever its score; a passes; each row has its sparkline drawn.
    let row_b = row_of(&a.body, &format!("data-unit=\"{}\"", d.b));
    assert!(
        row_b.contains("乙镇") && row_b.contains("class=\"tag veto\">不合格"),
        "{row_b}"
    );
    let row_a = row_of(&a.body, &format!("data-unit=\"{}\"", d.a));
    assert!(
        row_a.contains("甲街道") && row_a.contains("class=\"tag ok\""),
        "{row_a}"
    );
    for row in [row_a, row_b] {
        assert!(
            row.contains("<svg class=\"spark\"") && row.contains("<polyline"),
            "{row}"
        );
    }
    assert!(a.body.contains(&format!("href=\"/risk/units/{}\"", d.b)));
    // Default root is the supervisor's own unit; sort by veto puts b first.
    let a = sup.get("/risk?sort=veto").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.find("乙镇").unwrap() < a.body.find("甲街道").unwrap());

    // Drill down: a → a1 (a sub-unit), b → its account → the finding → the item.
    let a = sup.get(&format!("/risk/units/{}", d.a)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains(&format!("href=\"/risk/units/{}\"", d.a1)));
    assert!(
        a.body.contains("甲街道微博"),
        "a's own accounts with findings"
    );
    let b = sup.get(&format!("/risk/units/{}", d.b)).await;
    assert_eq!(b.status, StatusCode::OK);
    clean(&b.body);
    assert!(b.body.contains("乙镇微博") && b.body.contains("长期未更新"));
    let item = item_of(&app, &d, &d.b).await;
    assert!(b.body.contains(&format!("href=\"/rectifications/{item}\"")));
    let i = sup.get(&format!("/rectifications/{item}")).await;
    assert_eq!(i.status, StatusCode::OK);
    assert!(
        i.body.contains("乙镇微博"),
        "the finding's message names the account"
    );

    // A unit admin sees its own unit, not its sibling (404, nothing of it).
    let b_admin = signed_in(&app, &d.b_admin).await;
    assert_eq!(
        b_admin.get(&format!("/risk/units/{}", d.b)).await.status,
        StatusCode::OK
    );
    let a = b_admin.get(&format!("/risk/units/{}", d.a)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("甲街道"), "nothing of the foreign unit");
    let a = b_admin.get(&format!("/risk?under={}", d.office)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("甲街道"));

    // The system administrator: aggregates only, no account names.
    let sys = signed_in(&app, &admin(&app)).await;
    let a = sys.get(&format!("/risk/units/{}", d.b)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("id=\"aggregates-only\""));
    assert!(!a.body.contains("乙镇微博"), "no account-level detail");

    // A custodian and an HR officer: no dashboard, no link to it.
    for role in ["custodian", "hr"] {
        let u = app.user_with_role(&d.a, role).await;
        let web = signed_in(&app, &u).await;
        assert!(!web.get("/").await.body.contains("href=\"/risk\""));
        let a = web.get("/risk").await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role}");
        assert!(
            !a.body.contains("甲街道") && !a.body.contains("得分"),
            "{role}"
        );
        let a = web.get(&format!("/risk/units/{}", d.a)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role}");
        assert!(!a.body.contains("甲街道微博"), "{role}");
    }

    // In English on request.
    *sup.accept_language.lock().unwrap() = Some("en".into());
    let a = sup.get("/risk").await;
    assert!(a.body.contains("Risk oversight") && a.body.contains("Fails (veto)"));
    *sup.accept_language.lock().unwrap() = None;

    // Bad input: a page that says what to fix.
    let a = sup.get("/risk?sort=best").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("排序方式"), "{}", a.body);
    let a = sup.get(&format!("/risk/units/{}?days=9999", d.b)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("天数须在 1 至 400 之间"), "{}", a.body);
    let a = sup.get("/risk?cursor=%%%").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = sup.get("/risk/units/no-such-unit").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

async fn circular_downloads_like_the_api_and_is_audited(app: TestApp) {
    let d = district(&app).await;
    let sup = signed_in(&app, &d.supervisor).await;
    let page = sup.get("/risk").await;
    assert!(page.body.contains("id=\"circular-form\""));
    let before = app.audit_actions(&d.office).await.len();
    let a = sup
        .get(&format!(
            "/risk/circular?under={}&from=2026-11-01&to=2026-11-30&format=csv",
            d.office
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = a.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"));
    assert!(a.body.contains("乙镇") && a.body.contains("甲街道"));
    let actions = app.audit_actions(&d.office).await;
    assert_eq!(actions.len(), before + 1);
    assert_eq!(actions.last().unwrap().0, "report.circular");
    let a = sup
        .get(&format!(
            "/risk/circular?under={}&from=2026-11-01&to=2026-11-30&format=xlsx",
            d.office
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    // Bad input: what to fix, and nothing audited.
    let count = app.audit_actions(&d.office).await.len();
    for (query, says) in [
        ("from=2026-11-01&to=2026-11-30&format=pdf", "XLSX"),
        ("from=2026-13-01&to=2026-11-30&format=csv", "开始日期"),
        ("from=2026-11-30&to=2026-11-01&format=csv", "不能早于"),
        ("from=2025-01-01&to=2026-11-30&format=csv", "366"),
    ] {
        let a = sup
            .get(&format!("/risk/circular?under={}&{query}", d.office))
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(a.body.contains(says), "{query}: {}", a.body);
    }
    assert_eq!(app.audit_actions(&d.office).await.len(), count);

    // A unit admin of b: not the office's circular (404), and nothing downloaded.
    let b_admin = signed_in(&app, &d.b_admin).await;
    let a = b_admin
        .get(&format!(
            "/risk/circular?under={}&from=2026-11-01&to=2026-11-30&format=csv",
            d.office
        ))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("甲街道"));
    // A custodian of a: 403 on its own unit.
    let custodian = app.user_with_role(&d.a, "custodian").await;
    let web = signed_in(&app, &custodian).await;
    let a = web
        .get(&format!(
            "/risk/circular?under={}&from=2026-11-01&to=2026-11-30&format=csv",
            d.a
        ))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("甲街道"));
    assert_eq!(app.audit_actions(&d.office).await.len(), count);
}

async fn rectification_steps_through_the_pages(app: TestApp) {
    let d = district(&app).await;
    let item = item_of(&app, &d, &d.b).await;
    let path = format!("/rectifications/{item}");
    let unit = signed_in(&app, &d.b_admin).await;

    // The unit admin's list and item page, with the submit form.
    let list = unit.get("/rectifications").await;
    assert_eq!(list.status, StatusCode::OK);
    clean(&list.body);
    assert!(list.body.contains(&format!("href=\"{path}\"")));
    assert!(list.body.contains("待整改"));
    let filtered = unit.get("/rectifications?state=accepted").await;
    assert!(!filtered.body.contains(&format!("href=\"{path}\"")));
    let a = unit.get("/rectifications?state=done").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("状态只能是"));
    let page = unit.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    clean(&page.body);
    assert!(page.body.contains("id=\"submit-form\""));
    assert!(
        !page.body.contains("id=\"accept-form\""),
        "the unit does not review itself"
    );
    let csrf = page.csrf();

    // Without CSRF: refused, nothing changes.
    let a = unit
        .post(
            &format!("{path}/submit"),
            &[("evidence", "已更新内容并发布公告")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(item_state(&app, &d, &item).await, "open");
    // Too short: what to do.
    let a = unit
        .post(
            &format!("{path}/submit"),
            &[("_csrf", &csrf), ("evidence", "x")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("2 至 2000"), "{}", a.body);
    let a = unit
        .post(&format!("{path}/submit"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("evidence"));
    // Submitted.
    let a = unit
        .post(
            &format!("{path}/submit"),
            &[("_csrf", &csrf), ("evidence", "已恢复更新，发布了三条信息")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("{path}?done=submit"));
    assert_eq!(item_state(&app, &d, &item).await, "submitted");
    assert!(
        app.audit_actions(&d.b)
            .await
            .contains(&("rectification.submit".into(), "success".into()))
    );
    // The unit may not accept its own item.
    let a = unit
        .post(&format!("{path}/accept"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // The supervisor above: accept and return forms; a return needs a real reason.
    let sup = signed_in(&app, &d.supervisor).await;
    let page = sup.get(&path).await;
    assert!(page.body.contains("已恢复更新") && page.body.contains("id=\"return-form\""));
    assert!(
        page.body.contains("id=\"accept-until\""),
        "the condition still holds"
    );
    let scsrf = page.csrf();
    let a = sup
        .post(&format!("{path}/return"), &[("reason", "证据不足，请补充")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = sup
        .post(
            &format!("{path}/return"),
            &[("_csrf", &scsrf), ("reason", "差")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("4 至 500"));
    let a = sup
        .post(
            &format!("{path}/return"),
            &[("_csrf", &scsrf), ("reason", "证据不足，请附上发布截图")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(item_state(&app, &d, &item).await, "returned");
    // Accepting a returned item: a conflict in plain words.
    let a = sup
        .post(&format!("{path}/accept"), &[("_csrf", &scsrf)])
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("刷新页面"));

    // Submitted again, then accepted as a risk: the date is required and checked.
    let a = unit
        .post(
            &format!("{path}/submit"),
            &[("_csrf", &csrf), ("evidence", "已补充发布截图三张")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    for until in ["", "tomorrow", "2020-01-01"] {
        let a = sup
            .post(
                &format!("{path}/accept"),
                &[("_csrf", &scsrf), ("until", until)],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{until}");
        assert!(a.body.contains("风险接受截止日期"), "{until}: {}", a.body);
    }
    let tomorrow = credgov::calendar::Date::in_china(app.now() + 86_400_000).to_string();
    let a = sup
        .post(
            &format!("{path}/accept"),
            &[("_csrf", &scsrf), ("until", &tomorrow), ("reason", "")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(item_state(&app, &d, &item).await, "accepted");
    let page = sup.get(&format!("{path}?done=accept")).await;
    assert!(page.body.contains("已审核通过") && page.body.contains("风险接受至"));
    let actions = app.audit_actions(&d.b).await;
    for want in ["rectification.return", "rectification.accept"] {
        assert!(actions.iter().any(|(a, _)| a == want), "{want}");
    }

    // An auditor reads the item, with no step to take.
    let auditor = app.user_with_role(&d.office, "auditor").await;
    let web = signed_in(&app, &auditor).await;
    let a = web.get(&path).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("已补充发布截图三张"));
    assert!(
        !a.body
            .contains("<form method=\"post\" action=\"/rectifications/")
    );

    // A sibling's admin: 404 without content, for the page and the steps.
    let other = signed_in(&app, &d.a_admin).await;
    let a = other.get(&path).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("乙镇"));
    let ocsrf = other.get("/rectifications").await.csrf();
    let a = other
        .post(
            &format!("{path}/submit"),
            &[("_csrf", &ocsrf), ("evidence", "不相干的单位提交")],
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/rectifications").await.body.contains(&path));
    // A custodian: no rectification pages.
    let custodian = app.user_with_role(&d.b, "custodian").await;
    let web = signed_in(&app, &custodian).await;
    let a = web.get("/rectifications").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web.get(&path).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("乙镇微博"));
}

async fn auditor_reads_and_filters_the_trail(app: TestApp) {
    let d = district(&app).await;
    let auditor = app.user_with_role(&d.office, "auditor").await;
    let web = signed_in(&app, &auditor).await;
    assert!(web.get("/").await.body.contains("href=\"/audit\""));

    // The auditor's own unit by default: the chain verified intact, newest first.
    let a = web.get("/audit").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    clean(&a.body);
    assert!(a.body.contains("id=\"chain-intact\""), "{}", a.body);
    assert!(a.body.contains("区网信办"));
    // Newest first: the auditor's own sign-in heads the trail; their membership's
    // grant is listed further down.
    let newest = row_of(&a.body, "<tr class=\"event\">");
    assert!(
        newest.contains("auth.login") && newest.contains(&auditor.username),
        "{newest}"
    );
    assert!(
        a.body
            .contains("<td class=\"event-action\">membership.grant</td>")
    );

    // A unit below, filtered by action prefix, actor and dates.
    let a = web
        .get(&format!("/audit?unit_id={}&action=account.", d.b))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("id=\"chain-intact\""));
    assert!(a.body.contains("account.create"), "{}", a.body);
    assert!(!a.body.contains(">membership."), "only account actions");
    let a = web
        .get(&format!(
            "/audit?unit_id={}&actor={}",
            d.b, d.b_admin.username
        ))
        .await;
    assert!(a.body.contains("account.create"));
    let a = web
        .get(&format!("/audit?unit_id={}&actor=nobody-at-all", d.b))
        .await;
    assert!(a.body.contains("id=\"audit-empty\""));
    let today = credgov::calendar::Date::in_china(app.now()).to_string();
    let a = web
        .get(&format!("/audit?unit_id={}&from={today}&to={today}", d.b))
        .await;
    assert!(a.body.contains("account.create"));
    let a = web
        .get(&format!(
            "/audit?unit_id={}&from=2000-01-01&to=2000-01-02",
            d.b
        ))
        .await;
    assert!(a.body.contains("id=\"audit-empty\""));

    // Bad input: what to fix.
    let a = web.get("/audit?from=01/11/2026").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("开始日期"));
    let a = web.get("/audit?from=2026-11-02&to=2026-11-01").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("不能早于"));

    // A unit outside the auditor's: 404 without content.
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let a = web.get(&format!("/audit?unit_id={foreign}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("外区单位") && !a.body.contains("chain-"));

    // A supervisor (no audit role): 403, no trail, no link.
    let sup = signed_in(&app, &d.supervisor).await;
    let a = sup.get("/audit").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("chain-") && !a.body.contains("区网信办"));
    let a = sup.get(&format!("/audit?unit_id={}", d.b)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("account.create"));

    // Paging: a page of 50, then the next from the cursor.
    for _ in 0..52 {
        let (s, _) = app
            .get(
                &format!(
                    "/api/v1/reports/circular?under={}&from=2026-11-01&to=2026-11-30&format=csv",
                    d.office
                ),
                &d.supervisor.token,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let first = web.get(&format!("/audit?unit_id={}", d.office)).await;
    let next = href_of(&first.body, "next-page").expect("a next page link");
    assert_eq!(first.body.matches("class=\"event\"").count(), 50);
    let second = web.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{next}");
    assert!(second.body.matches("class=\"event\"").count() >= 1);
    // Newest first: the second page continues below the first, with no event twice.
    let (first_seqs, second_seqs) = (seqs(&first.body), seqs(&second.body));
    let oldest_first = first_seqs.iter().min().copied().unwrap_or_default();
    assert!(
        second_seqs.iter().all(|s| *s < oldest_first),
        "{first_seqs:?} then {second_seqs:?}"
    );

    // An edited event in b's chain: b's page says where it breaks; the office's chain
    // (verified on its own) stays intact.
    sqlx::query("UPDATE audit_events SET actor_name = 'mallory' WHERE unit_id = $1 AND seq = 2")
        .bind(&d.b)
        .execute(app.pool())
        .await
        .unwrap();
    let a = web.get(&format!("/audit?unit_id={}", d.b)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("id=\"chain-broken\""), "{}", a.body);
    assert!(a.body.contains("第 2 条"), "{}", a.body);
    let a = web.get(&format!("/audit?unit_id={}", d.office)).await;
    assert!(a.body.contains("id=\"chain-intact\""));
}

/// The sequence numbers of the events listed on an audit page, in order.
fn seqs(body: &str) -> Vec<i64> {
    body.split("<tr class=\"event\">")
        .skip(1)
        .filter_map(|r| {
            let cell = r.split("<td class=\"num\">").nth(1)?;
            cell.split('<').next()?.trim().parse().ok()
        })
        .collect()
}
