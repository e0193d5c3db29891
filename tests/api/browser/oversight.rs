//! A supervisor drills down from the ranking to a finding and its rectification item;
//! an auditor reads the trail with the chain shown intact — in a real browser, no
//! console errors (inline SVG charts hold under the strict CSP).

use super::Browser;
use crate::common::{Engine, TestApp, TestUser, spawn_app};
use crate::risk::district;

async fn sign_in(b: &Browser, app: &TestApp, user: &TestUser) {
    b.goto("/login").await;
    b.fill("#username", &user.username).await;
    b.fill("#password", &user.password).await;
    b.click("#login-submit").await;
    let code = app.fresh_code(user.totp_secret.as_deref().expect("enrolled"));
    b.fill("#code", &code).await;
    b.click("#totp-submit").await;
    assert_eq!(b.text("#who-name").await, user.username);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_drills_down_from_the_ranking_to_a_finding() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let d = district(&app).await;
    // Three weeks of daily snapshots, the scores moving, for the sparklines and the chart.
    for k in (0..21).rev() {
        let at = app.now() - k * crate::inspection::DAY;
        credgov::risk::snapshots::record(&app.state, at)
            .await
            .unwrap();
        let day = credgov::calendar::Date::in_china(at).to_string();
        sqlx::query("UPDATE risk_snapshots SET score_tenths = score_tenths - $1 WHERE day = $2")
            .bind((k % 5) * 40 + k * 5)
            .bind(day)
            .execute(app.pool())
            .await
            .unwrap();
    }
    let Some(mut b) = Browser::start("risk-drill-down", &app.base, "zh-CN").await else {
        return;
    };
    sign_in(&b, &app, &d.supervisor).await;
    b.click("nav a[href='/risk']").await;
    b.wait("#ranking").await;
    assert!(b.exists("svg.spark polyline").await, "sparklines");
    assert!(b.exists("#trend-chart").await, "trend chart");
    let b_row = b.text(&format!("tr[data-unit='{}']", d.b)).await;
    assert!(
        b_row.contains("乙镇") && b_row.contains("不合格"),
        "{b_row}"
    );
    b.shot("ranking").await;

    // Unit b: failing, its account and the finding, with the item's link.
    b.click(&format!("a.unit-link[href='/risk/units/{}']", d.b))
        .await;
    assert_eq!(b.text("#unit-name").await, "乙镇");
    assert!(b.exists("#unit-veto").await);
    let finding = b.text("tr.finding").await;
    assert!(
        finding.contains("乙镇微博") && finding.contains("长期未更新"),
        "{finding}"
    );
    b.shot("unit").await;
    b.click("tr.finding a.rect-link").await;
    assert_eq!(b.text("#item-rule").await, "长期未更新");
    assert!(b.text("#item-message").await.contains("乙镇微博"));
    assert_eq!(b.text("#item-unit").await, "乙镇");
    b.shot("rectification-item").await;

    // Back up and down the other branch: a → its sub-unit a1.
    b.goto(&format!("/risk/units/{}", d.a)).await;
    b.click(&format!("a.unit-link[href='/risk/units/{}']", d.a1))
        .await;
    assert_eq!(b.text("#unit-name").await, "甲街道一社区");
    b.shot("sub-unit").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditor_reads_the_trail() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let d = district(&app).await;
    let auditor = app.user_with_role(&d.office, "auditor").await;
    let Some(mut b) = Browser::start("audit-trail", &app.base, "zh-CN").await else {
        return;
    };
    sign_in(&b, &app, &auditor).await;
    b.click("nav a[href='/audit']").await;
    let intact = b.text("#chain-intact").await;
    assert!(intact.contains("校验通过"), "{intact}");
    assert!(b.exists("#audit-trail").await);
    b.shot("trail").await;

    // A unit below, account actions only.
    b.goto(&format!("/audit?unit_id={}", d.b)).await;
    b.fill("#action", "account.").await;
    b.click("#audit-apply").await;
    let path = b.wait_for_path("action=account.").await;
    assert!(path.contains("action=account."), "{path}");
    b.wait("#chain-intact").await;
    let action = b.text("td.event-action").await;
    assert_eq!(action, "account.create");
    b.shot("trail-filtered").await;
    b.assert_no_console_errors().await;

    // A unit outside: 404 without content.
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    b.goto(&format!("/audit?unit_id={foreign}")).await;
    b.wait("#error-message").await;
    assert!(!b.source().await.contains("外区单位"));
    b.allow_status_pages(&[404]).await;
    b.close().await;
}
