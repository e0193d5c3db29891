//! Naming and removing an account's custodians from its page (issue 12), on both
//! engines: only whoever may change the account sees the forms; the service's rules
//! (eligible roles, no duplicates) answer in plain words; every change is audited.

use reqwest::StatusCode;

use crate::both_engines;
use crate::common::TestApp;
use crate::web_accounts::{setup, signed_in};

both_engines!(
    a_unit_admin_names_and_removes_custodians,
    only_those_who_change_the_account_name_custodians,
);

async fn custodian_ids(app: &TestApp, account: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT user_id FROM account_custodians WHERE account_id = $1 ORDER BY user_id",
    )
    .bind(account)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

async fn a_unit_admin_names_and_removes_custodians(app: TestApp) {
    let s = setup(&app).await;
    let second = app.user_with_role(&s.unit, "custodian").await;
    let auditor = app.user_with_role(&s.unit, "auditor").await;
    let web = signed_in(&app, &s.admin).await;
    let path = format!("/accounts/{}", s.account);
    let page = web.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The picker offers the second custodian, not the one already named nor the auditor.
    let picker = &page.body[page.body.find("id=\"custodian-user\"").expect("a picker")..];
    let picker = &picker[..picker.find("</select>").unwrap_or(picker.len())];
    assert!(
        picker.contains(&format!("value=\"{}\"", second.id)),
        "{picker}"
    );
    assert!(
        !picker.contains(&format!("value=\"{}\"", s.custodian.id)),
        "{picker}"
    );
    assert!(
        !picker.contains(&format!("value=\"{}\"", auditor.id)),
        "{picker}"
    );
    let csrf = page.csrf();

    // Named: back to the page, which lists them; audited.
    let add = format!("{path}/custodians");
    let a = web
        .post(&add, &[("_csrf", &csrf), ("user_id", &second.id)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("{path}?done=custodian_added"));
    let page = web.get(a.location()).await;
    assert!(page.body.contains("已指定保管人。"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("id=\"remove-custodian-{}\"", second.id))
    );
    assert!(custodian_ids(&app, &s.account).await.contains(&second.id));

    // Twice: a conflict in plain words; an auditor: not eligible; nothing changes.
    let before = custodian_ids(&app, &s.account).await;
    let a = web
        .post(&add, &[("_csrf", &csrf), ("user_id", &second.id)])
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("已是该账号的保管人"), "{}", a.body);
    let a = web
        .post(&add, &[("_csrf", &csrf), ("user_id", &auditor.id)])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("不能保管本单位的账号"), "{}", a.body);
    // Without the CSRF token: refused, nothing changes.
    let a = web.post(&add, &[("user_id", &auditor.id)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web
        .post(
            &format!("{path}/custodians/remove"),
            &[("user_id", &second.id)],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(custodian_ids(&app, &s.account).await, before);

    // Removed: gone from the page and the table; audited.
    let a = web
        .post(
            &format!("{path}/custodians/remove"),
            &[("_csrf", &csrf), ("user_id", &second.id)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("{path}?done=custodian_removed"));
    assert!(!custodian_ids(&app, &s.account).await.contains(&second.id));
    let page = web.get(a.location()).await;
    assert!(
        !page
            .body
            .contains(&format!("id=\"remove-custodian-{}\"", second.id))
    );
    // Removing someone not named: not found.
    let a = web
        .post(
            &format!("{path}/custodians/remove"),
            &[("_csrf", &csrf), ("user_id", &second.id)],
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let actions = app.audit_actions(&s.unit).await;
    for want in ["custodian.add", "custodian.remove"] {
        assert!(
            actions.iter().any(|(a, o)| a == want && o == "success"),
            "{want}: {actions:?}"
        );
    }
}

async fn only_those_who_change_the_account_name_custodians(app: TestApp) {
    let s = setup(&app).await;
    let second = app.user_with_role(&s.unit, "custodian").await;
    let foreign_unit = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign_unit, "unit_admin").await;
    let supervisor = app.user_with_role(&s.unit, "supervisor").await;
    let path = format!("/accounts/{}", s.account);
    let before = custodian_ids(&app, &s.account).await;
    // The named custodian and a supervisor read the page but get no forms, and their
    // POSTs are refused (403).
    for user in [&s.custodian, &supervisor] {
        let web = signed_in(&app, user).await;
        let page = web.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("id=\"add-custodian\""), "{}", page.body);
        assert!(
            !page.body.contains("id=\"remove-custodian-"),
            "{}",
            page.body
        );
        let csrf = page.csrf();
        for (action, who) in [
            ("custodians", &second.id),
            ("custodians/remove", &s.custodian.id),
        ] {
            let a = web
                .post(
                    &format!("{path}/{action}"),
                    &[("_csrf", &csrf), ("user_id", who)],
                )
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{action}: {}", a.body);
        }
    }
    // Another unit's admin: not found, nothing of the account shown.
    let web = signed_in(&app, &foreign_admin).await;
    let csrf = web.get("/").await.csrf();
    for (action, who) in [
        ("custodians", &second.id),
        ("custodians/remove", &s.custodian.id),
    ] {
        let a = web
            .post(
                &format!("{path}/{action}"),
                &[("_csrf", &csrf), ("user_id", who)],
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{action}");
        assert!(!a.body.contains("永川发布公众号"));
    }
    assert_eq!(custodian_ids(&app, &s.account).await, before);
}
