//! The inbox and the home page's lists (issue 12) on both engines: each person sees
//! and marks only their own notifications; home lists what waits for the person.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::TestApp;
use crate::web_client::WebClient;
use crate::web_handover::{report, world};

both_engines!(
    the_inbox_lists_and_marks_only_ones_own,
    home_lists_what_waits_for_each_role,
);

async fn unread(app: &TestApp, user: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn the_inbox_lists_and_marks_only_ones_own(app: TestApp) {
    let w = world(&app, "区审计局").await;
    let id = report(&app, &w).await;
    // The successor and the unit admin were told of the case; HR of the event.
    let succ = WebClient::new(&app);
    succ.sign_in(&app, &w.successor).await;
    let before = unread(&app, &w.successor.id).await;
    assert!(before >= 1);
    let page = succ.get("/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/notifications\""),
        "nav link for everyone"
    );
    assert!(
        page.body.contains(&format!("href=\"/handovers/{id}\"")),
        "{}",
        page.body
    );
    let nid: String = sqlx::query_scalar(
        "SELECT id FROM notifications WHERE user_id = $1 ORDER BY created_at LIMIT 1",
    )
    .bind(&w.successor.id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(page.body.contains(&format!("/notifications/{nid}/read")));
    // The admin's notifications are not in the successor's inbox, nor markable by them.
    let admins: String =
        sqlx::query_scalar("SELECT id FROM notifications WHERE user_id = $1 LIMIT 1")
            .bind(&w.admin.id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(!page.body.contains(&admins));
    let a = succ
        .post(
            &format!("/notifications/{admins}/read"),
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(unread(&app, &w.admin.id).await, 1);
    // Without the token: refused, still unread.
    let a = succ.post(&format!("/notifications/{nid}/read"), &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(unread(&app, &w.successor.id).await, before);
    // Mark one read; the unread filter no longer lists it, the read one does.
    let a = succ
        .post(
            &format!("/notifications/{nid}/read"),
            &[("_csrf", &page.csrf()), ("show", "unread")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/notifications?show=unread&marked=1");
    assert_eq!(unread(&app, &w.successor.id).await, before - 1);
    let u = succ.get("/notifications?show=unread").await;
    assert!(!u.body.contains(&format!("id=\"n-{nid}\"")));
    let r = succ.get("/notifications?show=read").await;
    assert!(r.body.contains(&format!("id=\"n-{nid}\"")));
    // Mark all read.
    let hr = WebClient::new(&app);
    hr.sign_in(&app, &w.hr).await;
    let page = hr.get("/notifications?show=unread").await;
    let n = unread(&app, &w.hr.id).await;
    assert!(n >= 1);
    assert!(page.body.contains("id=\"read-all\""));
    let a = hr
        .post("/notifications/read-all", &[("_csrf", &page.csrf())])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), format!("/notifications?show=all&marked={n}"));
    assert_eq!(unread(&app, &w.hr.id).await, 0);
    let page = hr.get(a.location()).await;
    assert!(page.body.contains("标记为已读。"), "{}", page.body);
    assert!(hr.get("/").await.body.contains("没有未读通知"));
    // A bad cursor is a 400 page, not a 500.
    let a = hr.get("/notifications?cursor=%%%").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
}

async fn home_lists_what_waits_for_each_role(app: TestApp) {
    let w = world(&app, "区统计局").await;
    let id = report(&app, &w).await;
    // The account's password was set half a year ago: the daily scan finds it overdue.
    sqlx::query(
        "UPDATE credential_versions SET created_at = $1, confirmed_at = $1 WHERE account_id = $2",
    )
    .bind(app.now() - 200 * 24 * 3_600_000_i64)
    .bind(&w.account)
    .execute(app.pool())
    .await
    .unwrap();
    credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .expect("scan");
    credgov::rectification::sync_all(&app.state, app.now())
        .await
        .expect("sync");
    // The successor keeps the account: it is overdue on their home page, linked to it;
    // their case waits for them.
    let succ = WebClient::new(&app);
    succ.sign_in(&app, &w.successor).await;
    let home = succ.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body
            .contains(&format!("href=\"/accounts/{}\"", w.account)),
        "{}",
        home.body
    );
    assert!(home.body.contains("已超期"));
    assert!(home.body.contains(&format!("href=\"/handovers/{id}\"")));
    assert!(
        !home.body.contains("id=\"home-rectifications\""),
        "custodians fix nothing"
    );
    // The unit admin: the case to work on, the rectifications to fix.
    let admin = WebClient::new(&app);
    admin.sign_in(&app, &w.admin).await;
    let home = admin.get("/").await;
    assert!(
        home.body.contains(&format!("href=\"/handovers/{id}\"")),
        "{}",
        home.body
    );
    assert!(home.body.contains("id=\"home-rectifications\""));
    // Not a custodian of the account: it is not "theirs" to rotate.
    assert!(home.body.contains("id=\"home-due\""));
    assert!(
        !home
            .body
            .contains(&format!("href=\"/accounts/{}\"", w.account))
    );
    assert!(
        home.body.contains("href=\"/rectifications/"),
        "{}",
        home.body
    );
    // A district supervisor who is also the admin of another department: the
    // department's open items and case are not theirs to fix or work on (they may read
    // them as supervisor, and its case page offers them no step).
    let other = app
        .create_unit(&app.root_id, "区民政局", "department")
        .await;
    let mixed = app.user_with_role(&app.root_id, "supervisor").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{other}/members"),
            &app.admin_token,
            json!({ "user_id": mixed.id, "role": "unit_admin" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let m = WebClient::new(&app);
    m.sign_in(&app, &mixed).await;
    let home = m.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("id=\"home-rectifications\""),
        "{}",
        home.body
    );
    assert!(
        !home.body.contains("href=\"/rectifications/"),
        "{}",
        home.body
    );
    assert!(!home.body.contains(&id), "{}", home.body);
    let case = m.get(&format!("/handovers/{id}")).await;
    assert_eq!(case.status, StatusCode::OK, "a supervisor reads the case");
    assert!(
        !case.body.contains("id=\"cancel-submit\"")
            && !case.body.contains("id=\"confirm-materials\""),
        "{}",
        case.body
    );
    // The successor loses the custodian role (still named on the account): the
    // account's name no longer shows on their home page.
    let (s, v) = app
        .delete(
            &format!(
                "/api/v1/units/{}/members/{}/custodian",
                w.unit, w.successor.id
            ),
            &app.admin_token,
        )
        .await;
    assert!(s.is_success(), "{s} {v}");
    let succ = WebClient::new(&app);
    succ.sign_in(&app, &w.successor).await;
    let home = succ.get("/").await;
    assert!(
        !home
            .body
            .contains(&format!("href=\"/accounts/{}\"", w.account)),
        "{}",
        home.body
    );
    // The auditor: no case list, no accounts of their own.
    let auditor = app.user_with_role(&w.unit, "auditor").await;
    let a = WebClient::new(&app);
    a.sign_in(&app, &auditor).await;
    let home = a.get("/").await;
    assert!(!home.body.contains("id=\"home-cases\"") && !home.body.contains("id=\"home-due\""));
    assert!(!home.body.contains(&id));
    // In English too.
    let hr = WebClient::new(&app);
    hr.sign_in(&app, &w.hr).await;
    let csrf = hr.get("/").await.csrf();
    hr.post("/lang", &[("_csrf", &csrf), ("lang", "en")]).await;
    let home = hr.get("/").await;
    assert!(
        home.body.contains("Handovers waiting for me"),
        "{}",
        home.body
    );
}
