//! A custodian reveals a password (masked, shown on request, gone after 30 s, never in
//! the URL) and completes a rotation through the wizard (live strength feedback, stage,
//! confirm) — in a real browser, no console errors.

use std::time::Duration;

use super::Browser;
use crate::common::{Engine, spawn_app};
use crate::web_accounts::{CANARY, setup};

/// Waits up to 5 s for `css` to contain `needle`.
async fn wait_text(b: &Browser, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        // Polled as the page changes: an element replaced between finding and
        // reading it is read again on the next round.
        if let Some(text) = b.text_now(css).await {
            last = text;
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never said {needle:?} (last: {last:?})");
}

async fn value(b: &Browser, css: &str) -> String {
    b.wait(css)
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custodian_reveals_then_rotates() {
    let Some(app) = spawn_app(Engine::Sqlite).await else {
        return;
    };
    let Some(mut b) = Browser::start("accounts", &app.base, "zh-CN").await else {
        return;
    };
    let s = setup(&app).await;
    let me = &s.custodian;
    b.goto("/login").await;
    b.fill("#username", &me.username).await;
    b.fill("#password", &me.password).await;
    b.click("#login-submit").await;
    b.wait("#code").await;
    let code = app.fresh_code(me.totp_secret.as_deref().unwrap());
    b.fill("#code", &code).await;
    b.click("#totp-submit").await;
    assert_eq!(b.text("#who-name").await, me.username);

    // The list, then the account.
    b.click("a[href=\"/accounts\"]").await;
    b.wait("#accounts").await;
    b.shot("list").await;
    b.click(&format!("#accounts a[href=\"/accounts/{}\"]", s.account))
        .await;
    assert_eq!(b.text("#account-name").await, "永川发布公众号");
    b.shot("account").await;

    // Reveal with a reason: masked, shown on request, the TOTP code counting down.
    b.fill("#reason", "发布冬季供暖通知").await;
    b.click("#reveal-submit").await;
    let input = b.wait("#revealed-password").await;
    assert_eq!(
        input.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    assert_eq!(value(&b, "#revealed-password").await, CANARY);
    assert!(!b.path().await.contains(CANARY), "not in the URL");
    assert!(b.exists("#totp-remaining").await);
    b.click("#revealed-show").await;
    let input = b.wait("#revealed-password").await;
    assert_eq!(input.attr("type").await.unwrap().as_deref(), Some("text"));
    b.shot("revealed").await;
    // 30 s later the password is gone from the page.
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(!b.exists("#revealed-password").await, "still on screen");
    assert!(b.exists("#revealed-gone").await);
    assert!(!b.source().await.contains(CANARY), "still in the page");
    b.shot("hidden").await;

    // The rotation wizard: a weak typed password is flagged live, a strong one passes.
    b.click("#back-to-account").await;
    b.click("#rotate-start").await;
    b.click("#mode-typed").await;
    b.fill("#new-password", "password123").await;
    wait_text(&b, "#strength-verdict", "强度不足").await;
    b.shot("strength-weak").await;
    let strong = "Glacier-Tangerine-Orbit-5520";
    b.fill("#new-password", strong).await;
    wait_text(&b, "#strength-verdict", "符合密码策略").await;
    b.shot("strength-ok").await;
    b.click("#rotate-stage").await;
    assert_eq!(value(&b, "#staged-password").await, strong);
    b.shot("staged").await;
    b.click("#rotate-confirm").await;
    let notice = b.text("#notice").await;
    assert!(notice.contains("已确认"), "{notice}");
    assert!(!b.source().await.contains(strong));
    b.shot("confirmed").await;
    b.assert_no_console_errors().await;
    b.close().await;
    let actions: Vec<String> = app
        .audit_actions(&s.unit)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for a in ["secret.reveal", "rotation.start", "rotation.confirm"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
    let logs = crate::common::captured_logs();
    assert!(!logs.contains(CANARY) && !logs.contains(strong));
}
