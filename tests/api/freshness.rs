//! Content freshness: reporting publications (who may, what is refused), the content
//! rule's stages (content_stale at 8 days, veto at 15, zombie_account at 91) cleared at
//! once by a publication, the CSV publication log, and the freshness_probe job against
//! local servers (an RSS feed, a changing page, a failing feed that recovers).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::get;
use credgov::audit::RequestMeta;
use credgov::authz::AuthContext;
use credgov::freshness::{FreshnessError, import_publications, probe_due};
use credgov::ids::UnitId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, error_code};
use crate::inspection::{DAY, Stored, Unit, finding, listed_details, scan, state_of, unit};
use crate::outbound_server::{self, NEWEST_MS};

both_engines!(
    publications_are_reported_by_custodians_and_unit_admins,
    silence_raises_stale_then_veto_then_zombie_and_a_publication_clears_them,
    a_silent_day_more_rewrites_no_finding,
    a_publication_log_imports_whole_or_not_at_all,
    feed_url_is_checked_and_only_for_content_accounts,
    the_probe_reads_feeds_and_pages,
    failing_probes_raise_unreachable_and_recovery_clears_it,
);

async fn account(
    app: &TestApp,
    u: &Unit,
    name: &str,
    platform: &str,
    feed: Option<&str>,
) -> String {
    let mut body = json!({ "name": name, "platform": platform, "login_name": name, "classification": "general", "generate": true });
    if let Some(f) = feed {
        body["feed_url"] = json!(f);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{}/accounts", u.id),
            &u.admin.token,
            body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn publish(app: &TestApp, token: &str, account: &str, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/accounts/{account}/publications"),
        token,
        body,
    )
    .await
}

/// Moves the account's registration `days` into the past (nothing published since).
async fn registered_days_ago(app: &TestApp, account: &str, days: i64) {
    sqlx::query("UPDATE accounts SET created_at = $1 WHERE id = $2")
        .bind(app.now() - days * DAY - 60_000)
        .bind(account)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn last_published(app: &TestApp, token: &str, account: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/accounts/{account}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn publications_are_reported_by_custodians_and_unit_admins(app: TestApp) {
    let u = unit(&app, "区融媒体中心").await;
    let other = unit(&app, "区教委").await;
    let acct = account(&app, &u, "融媒体公众号", "wechat_official", None).await;
    let custodian = app.user_with_role(&u.id, "custodian").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{acct}/custodians"),
            &u.admin.token,
            json!({ "user_id": custodian.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let at = app.now() - DAY;
    let (s, v) = publish(
        &app,
        &custodian.token,
        &acct,
        json!({ "published_at": at, "title": "区政府常务会议召开", "url": "https://mp.weixin.qq.com/s/abc" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["published_at"], at);
    assert_eq!(v["source"], "report");
    assert_eq!(v["reported_by"], custodian.id.as_str());
    assert_eq!(v["last_published_at"], at);
    // An older one is logged but does not move the date back.
    let (s, v) = publish(
        &app,
        &u.admin.token,
        &acct,
        json!({ "published_at": at - DAY }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["last_published_at"], at);
    assert_eq!(
        last_published(&app, &u.admin.token, &acct).await["last_published_at"],
        at
    );
    assert!(
        app.audit_actions(&u.id)
            .await
            .iter()
            .filter(|(a, _)| a == "publication.report")
            .count()
            == 2
    );
    // Another unit's admin: not found. An auditor or a custodian not named: forbidden.
    let (s, v) = publish(
        &app,
        &other.admin.token,
        &acct,
        json!({ "published_at": at }),
    )
    .await;
    assert_eq!(
        (s, error_code(&v)),
        (StatusCode::NOT_FOUND, "not_found"),
        "{v}"
    );
    let auditor = app.user_with_role(&u.id, "auditor").await;
    let (s, v) = publish(&app, &auditor.token, &acct, json!({ "published_at": at })).await;
    assert_eq!(
        (s, error_code(&v)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{v}"
    );
    let stranger = app.user_with_role(&u.id, "custodian").await;
    let (s, _) = publish(&app, &stranger.token, &acct, json!({ "published_at": at })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input: a future date, a bad URL, an unknown field, a non-content account.
    for body in [
        json!({ "published_at": app.now() + DAY }),
        json!({ "published_at": at, "url": "javascript:alert(1)" }),
        json!({ "published_at": at, "author": "x" }),
    ] {
        let (s, v) = publish(&app, &custodian.token, &acct, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    let (s, v) = publish(
        &app,
        &custodian.token,
        &acct,
        json!({ "published_at": app.now() + DAY }),
    )
    .await;
    assert_eq!(v["error"]["details"]["field"], "published_at", "{v}");
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mail = account(&app, &u, "单位邮箱", "email", None).await;
    let (s, v) = publish(&app, &u.admin.token, &mail, json!({ "published_at": at })).await;
    assert_eq!(
        (s, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        "{v}"
    );
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM publications")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2, "refused reports write nothing");
}

async fn silence_raises_stale_then_veto_then_zombie_and_a_publication_clears_them(app: TestApp) {
    let u = unit(&app, "区文旅委").await;
    let acct = account(&app, &u, "文旅微博", "weibo", None).await;
    let site = account(&app, &u, "文旅网站", "gov_website_cms", None).await;
    scan(&app).await;
    assert_eq!(state_of(&app, "content_stale", &acct).await, None);
    registered_days_ago(&app, &acct, 6).await;
    scan(&app).await;
    assert_eq!(
        state_of(&app, "content_stale", &acct).await,
        None,
        "within the week"
    );
    registered_days_ago(&app, &acct, 8).await;
    scan(&app).await;
    let Stored {
        state, severity, ..
    } = finding(&app, "content_stale", &acct).await.unwrap();
    assert_eq!((state.as_str(), severity.as_str()), ("open", "medium"));
    let listed = listed_details(&app, &u, "content_stale").await;
    assert_eq!(
        (listed["days"].as_i64(), listed["limit_days"].as_i64()),
        (Some(8), Some(7)),
        "{listed}"
    );

    registered_days_ago(&app, &acct, 15).await;
    scan(&app).await;
    let Stored {
        severity, details, ..
    } = finding(&app, "content_stale", &acct).await.unwrap();
    assert_eq!(severity, "veto", "单项否决 after two weeks");
    assert_eq!(details["stage"], "veto");
    assert_eq!(state_of(&app, "zombie_account", &acct).await, None);
    registered_days_ago(&app, &acct, 91).await;
    scan(&app).await;
    let Stored {
        state,
        severity,
        details,
        ..
    } = finding(&app, "zombie_account", &acct).await.unwrap();
    assert_eq!((state.as_str(), severity.as_str()), ("open", "high"));
    assert_eq!(details["limit_days"], 90);
    // The findings list shows the messages.
    let (s, v) = app
        .get(
            &format!("/api/v1/findings?unit_id={}&rule=zombie_account", u.id),
            &u.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["items"][0]["message"]["zh_cn"]
            .as_str()
            .unwrap()
            .contains("文旅微博"),
        "{v}"
    );
    // A publication reported now clears both at once, before any scan.
    let (s, v) = publish(
        &app,
        &u.admin.token,
        &acct,
        json!({ "published_at": app.now() - 3_600_000 }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for rule in ["content_stale", "zombie_account"] {
        let Stored {
            state,
            resolved_how: how,
            ..
        } = finding(&app, rule, &acct).await.unwrap();
        assert_eq!(
            (state.as_str(), how.as_deref()),
            ("resolved", Some("publication.report")),
            "{rule}"
        );
    }
    // A publication reported 8 days late raises the warning in the same request.
    let (s, _) = publish(
        &app,
        &u.admin.token,
        &site,
        json!({ "published_at": app.now() - 8 * DAY }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        state_of(&app, "content_stale", &site).await.as_deref(),
        Some("open")
    );
    // A unit may tighten its platform's rule.
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/policy", u.id),
            Some(&u.admin.token),
            Some(json!({ "overrides": { "freshness": { "weibo_warn_days": 3 } } })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = publish(
        &app,
        &u.admin.token,
        &acct,
        json!({ "published_at": app.now() - 4 * DAY }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // Still the newer report from above: not stale under 3 days.
    assert_eq!(
        state_of(&app, "content_stale", &acct).await.as_deref(),
        Some("resolved")
    );
    sqlx::query("UPDATE accounts SET last_published_at = $1 WHERE id = $2")
        .bind(app.now() - 4 * DAY)
        .bind(&acct)
        .execute(app.pool())
        .await
        .unwrap();
    scan(&app).await;
    let Stored { state, details, .. } = finding(&app, "content_stale", &acct).await.unwrap();
    assert_eq!(
        (state.as_str(), details["limit_days"].as_i64()),
        ("open", Some(3))
    );
    // A loosening is refused: the floor stays.
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/policy", u.id),
            Some(&u.admin.token),
            Some(json!({ "overrides": { "freshness": { "weibo_veto_days": 30 } } })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The day counts are derived when a finding is read, so a next day's scan finds
/// nothing changed in a still-silent account's findings: it records that it saw them
/// and rewrites neither row (rewriting every silent account's findings each day was
/// most of a daily scan's writes; so was moving each open finding's `last_seen`).
async fn a_silent_day_more_rewrites_no_finding(app: TestApp) {
    let u = unit(&app, "区档案馆").await;
    let acct = account(&app, &u, "档案馆公众号", "wechat_official", None).await;
    registered_days_ago(&app, &acct, 100).await;
    scan(&app).await;
    let mut before = Vec::new();
    for rule in ["content_stale", "zombie_account"] {
        let f = finding(&app, rule, &acct).await.unwrap();
        assert_eq!(f.state, "open", "{rule}");
        assert!(f.details.get("days").is_none(), "{rule}: {:?}", f.details);
        before.push((rule, f));
    }
    let listed = listed_details(&app, &u, "zombie_account").await;
    assert_eq!(listed["days"].as_i64(), Some(100), "{listed}");
    let tomorrow = app.now() + DAY;
    credgov::inspection::daily_scan(&app.state, tomorrow)
        .await
        .unwrap();
    for (rule, f) in before {
        let next = finding(&app, rule, &acct).await.unwrap();
        assert_eq!(next.details, f.details, "{rule}: nothing to rewrite");
        assert_eq!(
            (next.state.as_str(), next.first_seen, next.last_seen),
            ("open", f.first_seen, tomorrow),
            "{rule}"
        );
        assert_eq!(
            next.stored_last_seen, f.stored_last_seen,
            "{rule}: row not written"
        );
    }
}

async fn a_publication_log_imports_whole_or_not_at_all(app: TestApp) {
    let u = unit(&app, "区卫健委").await;
    let wx = account(&app, &u, "健康公众号", "wechat_official", None).await;
    let dy = account(&app, &u, "健康抖音", "douyin", None).await;
    account(&app, &u, "卫健邮箱", "email", None).await;
    registered_days_ago(&app, &wx, 20).await;
    scan(&app).await;
    assert_eq!(
        state_of(&app, "content_stale", &wx).await.as_deref(),
        Some("open")
    );
    let ctx = AuthContext::operator();
    let unit_id = UnitId::new(u.id.as_str());
    let meta = RequestMeta::default();
    let bad = "账号,发布时间,标题,链接\n\
               健康公众号,2026-03-02 16:00,春季防病,https://example.gov.cn/a\n\
               不存在的账号,2026-03-02,x,\n\
               卫健邮箱,2026-03-02,x,\n\
               健康抖音,明天,x,\n\
               健康抖音,2999-01-01,x,\n";
    let e = import_publications(&app.state, &ctx, &meta, &unit_id, bad.as_bytes(), false)
        .await
        .unwrap_err();
    let FreshnessError::Rows { problems } = e else {
        panic!("{e:?}")
    };
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[0].contains("row 3"), "{problems:?}");
    assert!(problems[3].contains("future"), "{problems:?}");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM publications")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "nothing written");
    let yesterday = credgov::clock::to_rfc3339(app.now() - DAY);
    let good = format!(
        "account,published_at,title,url\n{wx},{yesterday},春季防病,https://example.gov.cn/a\n\n健康抖音,2026-03-02,短视频,\n"
    );
    let dry = import_publications(&app.state, &ctx, &meta, &unit_id, good.as_bytes(), true)
        .await
        .unwrap();
    assert_eq!((dry.rows, dry.imported, dry.accounts), (2, 0, 2));
    let r = import_publications(&app.state, &ctx, &meta, &unit_id, good.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((r.rows, r.imported, r.accounts), (2, 2, 2));
    let Stored {
        state,
        resolved_how: how,
        ..
    } = finding(&app, "content_stale", &wx).await.unwrap();
    assert_eq!(
        (state.as_str(), how.as_deref()),
        ("resolved", Some("publication.import"))
    );
    let v = last_published(&app, &u.admin.token, &dy).await;
    // 2026-03-02 midnight in Asia/Shanghai.
    assert_eq!(v["last_published_at"], NEWEST_MS - 16 * 3_600_000, "{v}");
    assert!(
        app.audit_actions(&u.id)
            .await
            .iter()
            .any(|(a, _)| a == "publication.import")
    );
}

async fn feed_url_is_checked_and_only_for_content_accounts(app: TestApp) {
    let u = unit(&app, "区司法局").await;
    for (platform, feed) in [
        ("weibo", "ftp://example.gov.cn/feed"),
        ("email", "https://example.gov.cn/rss"),
    ] {
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{}/accounts", u.id),
                &u.admin.token,
                json!({ "name": "x", "platform": platform, "login_name": "x", "classification": "general", "generate": true, "feed_url": feed }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{platform}: {v}");
        assert_eq!(v["error"]["details"]["field"], "feed_url", "{v}");
    }
    let acct = account(
        &app,
        &u,
        "司法网站",
        "gov_website_cms",
        Some("https://example.gov.cn/rss"),
    )
    .await;
    let v = last_published(&app, &u.admin.token, &acct).await;
    assert_eq!(v["feed_url"], "https://example.gov.cn/rss");
    assert_eq!(v["probe_failures"], 0);
    let (s, v) = app
        .patch(
            &format!("/api/v1/accounts/{acct}"),
            &u.admin.token,
            json!({ "feed_url": "" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["feed_url"], Value::Null);
    let (s, _) = app
        .patch(
            &format!("/api/v1/accounts/{acct}"),
            &u.admin.token,
            json!({ "feed_url": "gopher://x" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Runs the probe as the hourly job would, one second later than the previous run.
async fn probe_now(app: &TestApp) -> credgov::jobs::Counts {
    app.clock.advance_ms(1_000);
    probe_due(&app.state, app.now()).await.expect("probe")
}

async fn the_probe_reads_feeds_and_pages(app: TestApp) {
    assert!(credgov::jobs::registry::find("freshness_probe").is_some());
    let server = outbound_server::spawn().await;
    let u = unit(&app, "区政府办").await;
    let feed = account(
        &app,
        &u,
        "区政府网站",
        "gov_website_cms",
        Some(&server.url("/rss")),
    )
    .await;
    let page = account(
        &app,
        &u,
        "区政府头条",
        "toutiao",
        Some(&server.url("/changing")),
    )
    .await;
    let counts = probe_now(&app).await;
    assert_eq!(
        (counts["probed"], counts["ok"], counts["published"]),
        (2, 2, 1),
        "{counts:?}"
    );
    let v = last_published(&app, &u.admin.token, &feed).await;
    assert_eq!(v["last_published_at"], NEWEST_MS, "{v}");
    assert_eq!(v["last_probe_status"], "ok");
    // The page has no date: the first probe only remembers its content…
    let v = last_published(&app, &u.admin.token, &page).await;
    assert_eq!(v["last_published_at"], Value::Null, "{v}");
    // …the next one sees it changed and counts the probe time as a publication.
    app.clock.advance_ms(1_000);
    let due = app.now();
    let counts = probe_due(&app.state, due).await.unwrap();
    assert_eq!(counts["published"], 1, "{counts:?}");
    let v = last_published(&app, &u.admin.token, &page).await;
    let at = v["last_published_at"].as_i64().unwrap();
    assert!((app.now() - at).abs() < 60_000, "{v}");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM publications WHERE source = 'probe'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    // The same occurrence run again (a second server, a rerun) probes nothing.
    let again = probe_due(&app.state, due).await.unwrap();
    assert_eq!(again["probed"], 0, "{again:?}");
    // Private destinations stay refused even for the job: only 127.0.0.1 is allowed here.
    let local = account(
        &app,
        &u,
        "内网网站",
        "gov_website_cms",
        Some(&format!("http://localhost:{}/rss", server.port)),
    )
    .await;
    probe_now(&app).await;
    let v = last_published(&app, &u.admin.token, &local).await;
    assert_eq!(v["last_probe_status"], "destination_refused", "{v}");
}

/// A feed that answers 500 while `failing` is set.
async fn flaky_server(failing: Arc<AtomicBool>) -> String {
    let app = Router::new().route(
        "/feed",
        get(move || {
            let failing = Arc::clone(&failing);
            async move {
                if failing.load(Ordering::SeqCst) {
                    AxumStatus::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    "<html><body>恢复</body></html>".into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}/feed")
}

async fn failing_probes_raise_unreachable_and_recovery_clears_it(app: TestApp) {
    let failing = Arc::new(AtomicBool::new(true));
    let url = flaky_server(Arc::clone(&failing)).await;
    let u = unit(&app, "区应急局").await;
    let acct = account(&app, &u, "应急网站", "gov_website_cms", Some(&url)).await;
    for n in 1..=2 {
        let counts = probe_now(&app).await;
        assert_eq!(counts["failed"], 1, "{counts:?}");
        assert_eq!(
            state_of(&app, "account_unreachable", &acct).await,
            None,
            "after {n}"
        );
    }
    probe_now(&app).await;
    let Stored {
        state,
        severity,
        details,
        ..
    } = finding(&app, "account_unreachable", &acct).await.unwrap();
    assert_eq!((state.as_str(), severity.as_str()), ("open", "high"));
    assert_eq!(details["failures"], 3);
    assert_eq!(details["reason"], "HTTP 500");
    let v = last_published(&app, &u.admin.token, &acct).await;
    assert_eq!(
        (
            v["probe_failures"].as_i64(),
            v["last_probe_status"].as_str()
        ),
        (Some(3), Some("http_status"))
    );
    failing.store(false, Ordering::SeqCst);
    let counts = probe_now(&app).await;
    assert_eq!(counts["ok"], 1, "{counts:?}");
    let Stored {
        state,
        resolved_how: how,
        ..
    } = finding(&app, "account_unreachable", &acct).await.unwrap();
    assert_eq!(
        (state.as_str(), how.as_deref()),
        ("resolved", Some("freshness_probe"))
    );
    assert_eq!(
        last_published(&app, &u.admin.token, &acct).await["probe_failures"],
        0
    );
}
