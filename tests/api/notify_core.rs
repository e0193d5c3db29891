//! Notifications, the core: the in-app inbox (personal, paged, read / read-all), the
//! outbox (sysadmins list and retry), and the deliverer's lease, backoff and give-up,
//! driven through a scripted transport so no network is involved.

use std::sync::{Arc, Mutex};

use credgov::ids::UnitId;
use credgov::notify::channels::Delivery;
use credgov::notify::deliver::Deliverer;
use credgov::notify::deliver::store::Claimed;
use credgov::notify::deliver::transport::{SendFuture, Sent, Transport};
use credgov::notify::kinds::NotificationKind;
use credgov::notify::outbox::{self, Channel, NewMessage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(
    privileged_lockout_reaches_the_sysadmins_inbox,
    inbox_is_personal_and_pages,
    outbox_is_listed_and_retried_by_sysadmins_only,
    deliverer_backs_off_then_gives_up_and_tells_sysadmins,
    a_lease_keeps_a_row_from_a_second_deliverer_until_it_runs_out,
    notify_a_send_starts_only_if_it_ends_inside_the_lease,
    a_batch_writes_what_its_notices_write_one_at_a_time,
);

/// Answers each send with the next scripted verdict (Delivered when the script is out)
/// and remembers the ids it was given.
#[derive(Default)]
struct Scripted {
    answers: Mutex<Vec<Delivery>>,
    sent: Mutex<Vec<String>>,
}

impl Scripted {
    fn answering(answers: Vec<Delivery>) -> Arc<Scripted> {
        Arc::new(Scripted {
            answers: Mutex::new(answers.into_iter().rev().collect()),
            sent: Mutex::default(),
        })
    }

    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

impl Transport for Scripted {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a> {
        self.sent.lock().unwrap().push(row.id.clone());
        let answer = self
            .answers
            .lock()
            .unwrap()
            .pop()
            .unwrap_or(Delivery::Delivered);
        Box::pin(async move { Sent::Tried(answer) })
    }
}

/// Queues one webhook message about `unit_id` straight into the outbox; its id.
async fn queue(app: &TestApp, unit_id: &str, title: &str) -> String {
    let unit = UnitId::new(unit_id.to_string());
    let mut tx = app.state.db.begin_write().await.unwrap();
    let added = outbox::insert(
        &mut tx,
        &NewMessage {
            kind: NotificationKind::RotationDue,
            unit_id: &unit,
            channel: Channel::Webhook,
            settings_unit_id: Some(&unit),
            recipient_user_id: None,
            title,
            body: "正文",
            html: "<p>正文</p>",
            data: &json!({ "count": 1 }),
            mentions: &json!({}),
            dedupe_key: None,
            at: app.now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    added.expect("queued")
}

/// (state, attempts, next_attempt_at, last_error) of an outbox row.
async fn outbox_row(app: &TestApp, id: &str) -> (String, i64, i64, Option<String>) {
    let r = sqlx::query(
        "SELECT state, attempts, next_attempt_at, last_error FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

async fn inbox(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/v1/notifications{query}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

async fn fail_login_until_locked(app: &TestApp, username: &str) {
    for i in 0..5 {
        let (s, v) = app
            .login_raw(username, &format!("not-the-password-{i}"), None)
            .await;
        assert!(
            s == StatusCode::UNAUTHORIZED || s == StatusCode::LOCKED,
            "{s} {v}"
        );
    }
    let (s, v) = app.login_raw(username, "again-wrong", None).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
}

async fn privileged_lockout_reaches_the_sysadmins_inbox(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区网信办", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let clerk = app.user_with_role(&unit, "custodian").await;
    fail_login_until_locked(&app, &clerk.username).await;
    assert!(
        inbox(&app, &app.admin_token, "").await.is_empty(),
        "a custodian's lockout is not a sysadmin's business"
    );
    fail_login_until_locked(&app, &admin.username).await;
    let items = inbox(&app, &app.admin_token, "?unread=true").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let n = &items[0];
    assert_eq!(n["kind"], "privileged_lockout");
    assert_eq!(n["unit_id"], unit.as_str());
    assert_eq!(n["title"], "特权用户被锁定");
    assert_eq!(n["data"]["failures"], 5);
    assert!(
        n["data"]["user"]
            .as_str()
            .unwrap()
            .contains(&admin.username),
        "{n}"
    );
    assert!(n["read_at"].is_null());
    // The password tried never travels with the notice.
    let dump = app.dump().await;
    assert!(
        !dump.contains("not-the-password"),
        "a tried password was stored"
    );
    // Nobody else heard it.
    assert!(inbox(&app, &clerk.token, "").await.is_empty());
}

async fn inbox_is_personal_and_pages(app: TestApp) {
    let unit = app.create_unit(&app.root_id, "区教委", "department").await;
    for i in 0..3 {
        let admin = app.user_with_role(&unit, "unit_admin").await;
        fail_login_until_locked(&app, &admin.username).await;
        app.clock.advance_ms(1000 + i);
    }
    let all = inbox(&app, &app.admin_token, "").await;
    assert_eq!(all.len(), 3);
    // Newest first, paged by cursor without repeats or gaps.
    let (s, first) = app
        .get("/api/v1/notifications?limit=2", &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (s, second) = app
        .get(
            &format!("/api/v1/notifications?limit=2&cursor={cursor}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert!(second["next_cursor"].is_null());
    let mut ids: Vec<&Value> = first["items"].as_array().unwrap().iter().collect();
    ids.extend(second["items"].as_array().unwrap());
    let ids: Vec<&Value> = ids.iter().map(|n| &n["id"]).collect();
    let expected: Vec<&Value> = all.iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, expected);
    let created: Vec<i64> = all
        .iter()
        .map(|n| n["created_at"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");

    // Someone else's notification is not found, whatever their role.
    let other = app.user_with_role(&app.root_id, "supervisor").await;
    let id = all[0]["id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &other.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(error_code(&v), "not_found");
    // An API token has no inbox.
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "HR", "role": "hr", "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap();
    let (s, v) = app.get("/api/v1/notifications", token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app.get("/api/v1/notifications", "cg_nonsense").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Bad filters are refused, not ignored.
    let (s, v) = app
        .get("/api/v1/notifications?unread=perhaps", &app.admin_token)
        .await;
    assert!(s.is_client_error(), "{s} {v}");
    let (s, v) = app
        .get("/api/v1/notifications?limit=0", &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Read one (twice is fine; the first time stays), then all.
    let (s, v) = app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let read_at = v["read_at"].as_i64().unwrap();
    app.clock.advance_ms(5000);
    let (_, again) = app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(again["read_at"].as_i64(), Some(read_at));
    assert_eq!(inbox(&app, &app.admin_token, "?unread=true").await.len(), 2);
    assert_eq!(
        inbox(&app, &app.admin_token, "?unread=false").await.len(),
        1
    );
    let (s, v) = app
        .post(
            "/api/v1/notifications/read-all",
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["marked"], 2);
    assert!(
        inbox(&app, &app.admin_token, "?unread=true")
            .await
            .is_empty()
    );
}

async fn outbox_is_listed_and_retried_by_sysadmins_only(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区卫健委", "department")
        .await;
    let id = queue(&app, &unit, "一条将失败的消息").await;
    let transport = Scripted::answering(vec![Delivery::Reject {
        error: "the webhook receiver answered HTTP 400".into(),
    }]);
    let deliverer = Deliverer::with_transport(app.state.clone(), transport.clone());
    let round = deliverer.run_once().await.unwrap();
    assert_eq!((round.claimed, round.failed), (1, 1), "{round:?}");
    assert_eq!(transport.sent(), vec![id.clone()]);
    let (state, attempts, _, error) = outbox_row(&app, &id).await;
    assert_eq!((state.as_str(), attempts), ("failed", 1));
    assert_eq!(
        error.as_deref(),
        Some("the webhook receiver answered HTTP 400")
    );

    // Sysadmins see it, filtered by state; others may not look.
    let (s, v) = app
        .get("/api/v1/outbox?state=failed", &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["channel"], "webhook");
    assert!(items[0].get("body").is_none(), "the list carries no body");
    let (_, v) = app
        .get("/api/v1/outbox?state=pending", &app.admin_token)
        .await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    let (s, v) = app.get("/api/v1/outbox?state=lost", &app.admin_token).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    for role in ["unit_admin", "supervisor", "auditor", "custodian"] {
        let user = app.user_with_role(&unit, role).await;
        let (s, v) = app.get("/api/v1/outbox", &user.token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/outbox/{id}/retry"),
                &user.token,
                json!({}),
            )
            .await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{role}: {s} {v}"
        );
    }
    assert_eq!(outbox_row(&app, &id).await.0, "failed");

    // The retry puts it back, audited; a second retry finds nothing to do.
    let (s, v) = app
        .post(
            &format!("/api/v1/outbox/{id}/retry"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "pending");
    assert_eq!(v["attempts"], 1);
    let (s, v) = app
        .post(
            &format!("/api/v1/outbox/{id}/retry"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "outbox_not_failed");
    let (s, v) = app
        .post(
            "/api/v1/outbox/0190aaaa-0000-7000-8000-000000000000/retry",
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(
        app.audit_actions(&unit)
            .await
            .contains(&("outbox.retry".to_string(), "success".to_string()))
    );
    // Sent again, it is delivered.
    let round = deliverer.run_once().await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    assert_eq!(outbox_row(&app, &id).await.0, "delivered");
}

async fn deliverer_backs_off_then_gives_up_and_tells_sysadmins(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区民政局", "department")
        .await;
    let id = queue(&app, &unit, "总是超时的消息").await;
    let max = i64::from(app.config.notify.max_attempts);
    let timeouts = (0..max)
        .map(|_| Delivery::Retry {
            error: "the webhook receiver did not answer in 15 s".into(),
            after: None,
        })
        .collect();
    let transport = Scripted::answering(timeouts);
    let deliverer = Deliverer::with_transport(app.state.clone(), transport.clone());
    let mut previous_delay = 0;
    for attempt in 1..max {
        let before = app.now();
        let round = deliverer.run_once().await.unwrap();
        assert_eq!(round.retried, 1, "attempt {attempt}: {round:?}");
        let (state, attempts, next, _) = outbox_row(&app, &id).await;
        assert_eq!((state.as_str(), attempts), ("pending", attempt));
        let delay = next - before;
        // 30 s · 2^(n-1), capped at 24 h, ±20 %.
        let base = (30_000i64 << (attempt - 1).min(20)).min(24 * 3_600_000);
        assert!(
            delay >= base * 8 / 10 && delay <= base * 12 / 10,
            "attempt {attempt}: delay {delay} for base {base}"
        );
        assert!(delay >= previous_delay * 8 / 10 / 2, "delays grow");
        previous_delay = delay;
        // Not due yet: nothing to claim.
        assert_eq!(deliverer.run_once().await.unwrap().claimed, 0);
        app.clock.advance_ms(delay);
    }
    let round = deliverer.run_once().await.unwrap();
    assert_eq!(round.failed, 1, "{round:?}");
    let (state, attempts, _, error) = outbox_row(&app, &id).await;
    assert_eq!((state.as_str(), attempts), ("failed", max));
    assert!(
        error
            .unwrap()
            .starts_with(&format!("gave up after {max} attempts"))
    );
    // The sysadmins hear of it in their inbox (read from the table: days have passed
    // and the admin's session has long ended).
    let rows = sqlx::query("SELECT kind, data FROM notifications")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<String, _>(0), "delivery_failed");
    let data: Value = serde_json::from_str(&rows[0].get::<String, _>(1)).unwrap();
    assert_eq!(data["outbox_id"], id.as_str());
    assert_eq!(data["attempts"], max);
    assert_eq!(transport.sent().len() as i64, max);
}

async fn a_lease_keeps_a_row_from_a_second_deliverer_until_it_runs_out(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区财政局", "department")
        .await;
    let id = queue(&app, &unit, "租约中的消息").await;
    let first = Deliverer::with_transport(app.state.clone(), Scripted::answering(vec![]));
    let second_transport = Scripted::answering(vec![]);
    let second = Deliverer::with_transport(app.state.clone(), second_transport.clone());
    // The first claims it (and, say, dies before sending).
    let claimed = first.claim().await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    assert_eq!(second.run_once().await.unwrap().claimed, 0, "leased");
    app.clock.advance_ms(app.config.notify.lease_ms as i64);
    let round = second.run_once().await.unwrap();
    assert_eq!((round.claimed, round.delivered), (1, 1), "{round:?}");
    // The same id goes out again: what a receiver deduplicates on.
    assert_eq!(second_transport.sent(), vec![id.clone()]);
    assert_eq!(outbox_row(&app, &id).await.0, "delivered");
    assert_eq!(first.run_once().await.unwrap().claimed, 0);
}

/// Takes 25 s (of the test clock) per send.
struct Slow {
    clock: Arc<credgov::clock::ManualClock>,
    sent: Mutex<Vec<String>>,
}

impl Transport for Slow {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a> {
        self.sent.lock().unwrap().push(row.id.clone());
        self.clock.advance_ms(25_000);
        Box::pin(async move { Sent::Tried(Delivery::Delivered) })
    }
}

/// A batch of slow sends does not outlast the lease: a send starts only while the
/// row's lease lasts until the send's latest end (20 s for a webhook plus a 5 s margin),
/// extending the row's own lease first when needed; rows whose lease ran out meanwhile
/// are not sent (another deliverer takes them) instead of going out twice.
async fn notify_a_send_starts_only_if_it_ends_inside_the_lease(app: TestApp) {
    use credgov::notify::deliver::transport::max_send_ms;

    assert_eq!(max_send_ms(Channel::Webhook), 25_000);
    let unit = app
        .create_unit(&app.root_id, "区统计局", "department")
        .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(queue(&app, &unit, &format!("慢消息{i}")).await);
    }
    let slow = Arc::new(Slow {
        clock: app.clock.clone(),
        sent: Mutex::default(),
    });
    let first = Deliverer::with_transport(app.state.clone(), slow.clone());
    let round = first.run_once().await.unwrap();
    // Lease 60 s: sends start at 0 s and 25 s; at 50 s the row's lease is extended to
    // 75 s for the third; at 75 s the others' leases have run out.
    assert_eq!(app.config.notify.lease_ms, 60_000);
    assert_eq!(
        (round.claimed, round.delivered, round.expired, round.lost),
        (5, 3, 2, 0),
        "{round:?}"
    );
    assert_eq!(slow.sent.lock().unwrap().len(), 3);
    // Another deliverer takes the two at once.
    let second_transport = Scripted::answering(vec![]);
    let second = Deliverer::with_transport(app.state.clone(), second_transport.clone());
    let round = second.run_once().await.unwrap();
    assert_eq!((round.claimed, round.delivered), (2, 2), "{round:?}");
    let mut all: Vec<String> = slow.sent.lock().unwrap().clone();
    all.extend(second_transport.sent());
    all.sort();
    ids.sort();
    assert_eq!(all, ids, "each row sent once");
    let attempts: i64 = sqlx::query("SELECT CAST(SUM(attempts) AS BIGINT) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(attempts, 5);
}

/// Inbox and outbox rows as a comparison sees them: everything but ids and order.
async fn queued_rows(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let mut inbox: Vec<String> = sqlx::query(
        "SELECT user_id, unit_id, kind, title, body, data, dedupe_key, created_at FROM notifications",
    )
    .fetch_all(app.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{}|{}|{}|{}|{}|{}|{:?}|{}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
            r.get::<String, _>(3),
            r.get::<String, _>(4),
            r.get::<String, _>(5),
            r.get::<Option<String>, _>(6),
            r.get::<i64, _>(7)
        )
    })
    .collect();
    let mut outbox: Vec<String> = sqlx::query(
        "SELECT kind, unit_id, channel, settings_unit_id, recipient_user_id, title, body, html, \
         data, mentions, state, attempts, next_attempt_at, created_at, dedupe_key FROM outbox",
    )
    .fetch_all(app.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let text = |i: usize| r.get::<Option<String>, _>(i).unwrap_or_else(|| "∅".into());
        let mut row: Vec<String> = (0..11).map(text).collect();
        row.push(r.get::<i64, _>(11).to_string());
        row.push(r.get::<i64, _>(12).to_string());
        row.push(r.get::<i64, _>(13).to_string());
        row.push(text(14));
        row.join("|")
    })
    .collect();
    inbox.sort();
    outbox.sort();
    (inbox, outbox)
}

/// A daily scan queues its digests as one batch (`notify::Batch`: each audience
/// resolved once, the rows in a few multi-row statements). The batch must write exactly
/// the rows its notices write one at a time: same people, languages, e-mails, group
/// messages with their mentions, and the same dedupe (a key queued before, or twice in
/// the batch, is written once).
async fn a_batch_writes_what_its_notices_write_one_at_a_time(app: TestApp) {
    use credgov::notify::{Audience, Batch, Notice, enqueue};
    let rx = crate::receiver::Receiver::start().await;
    // A relay (never reached here): personal e-mails are queued only while one is set.
    crate::notify_email::set_relay(&app, 2525).await;
    let unit = crate::inspection::unit(&app, "区批量局").await;
    let custodian = app.user_with_role(&unit.id, "custodian").await;
    let english = app.user_with_role(&unit.id, "custodian").await;
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(&english.token),
            Some(json!({ "lang": "en", "email": "english@example.gov.cn" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/channels", unit.id),
            Some(&app.admin_token),
            Some(json!({
                "webhook": { "url": rx.url("/hook"), "secret": "whsec_YmF0Y2gtd2ViaG9vay1zZWNyZXQtMDAwMQ==" },
                "wecom": { "webhook_url": rx.url("/cgi-bin/webhook/send?key=batch-key") },
            })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let id = UnitId::new(unit.id.clone());
    let now = app.now();
    let digest = |n: usize, key: Option<&str>| {
        let mut notice = Notice::new(NotificationKind::RotationOverdue, id.clone(), now)
            .to(Audience::UnitAdmins(id.clone()))
            .to(Audience::UnitGroups(id.clone()))
            .mention(Audience::User(credgov::ids::UserId::new(custodian.id.clone())))
            .data(json!({ "unit": "区批量局", "count": n, "items": (0..n).map(|i| format!("账号{i}")).collect::<Vec<_>>() }));
        if let Some(k) = key {
            notice = notice.dedupe(k);
        }
        notice
    };
    let personal = |user: &crate::common::TestUser, key: &str| {
        Notice::new(NotificationKind::RotationDue, id.clone(), now)
            .to(Audience::User(credgov::ids::UserId::new(user.id.clone())))
            .data(json!({ "unit": "区批量局", "count": 1, "stage_days": 7 }))
            .dedupe(key)
    };
    let notices = vec![
        digest(3, Some("batch|a")),
        digest(3, Some("batch|a")), // the same key twice: written once
        digest(40, None),
        personal(&custodian, "batch|c"),
        personal(&english, "batch|e"),
        Notice::new(NotificationKind::Escalation, id.clone(), now)
            .to(Audience::ParentSupervisors(id.clone()))
            .to(Audience::Sysadmins)
            .data(json!({ "unit": "区批量局", "count": 1, "about": "veto" })),
    ];
    let mut tx = app.state.db.begin_write().await.unwrap();
    let mut one_at_a_time = credgov::notify::Queued::default();
    for n in &notices {
        let q = enqueue(&mut tx, n).await.unwrap();
        one_at_a_time.inbox += q.inbox;
        one_at_a_time.outbox += q.outbox;
    }
    tx.commit().await.unwrap();
    let expected = queued_rows(&app).await;
    assert!(one_at_a_time.inbox >= 4, "{one_at_a_time:?}");
    for channel in ["email", "webhook", "wecom"] {
        assert!(
            expected
                .1
                .iter()
                .any(|r| r.contains(&format!("|{channel}|"))),
            "no {channel} row among {:#?}",
            expected.1
        );
    }
    for table in ["notifications", "outbox"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(app.pool())
            .await
            .unwrap();
    }
    let mut tx = app.state.db.begin_write().await.unwrap();
    let mut batch = Batch::default();
    for n in notices.iter().cloned() {
        batch.push(n);
    }
    let together = batch.enqueue(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(together, one_at_a_time);
    assert_eq!(queued_rows(&app).await, expected);
    // Queued again, every keyed row is already there.
    let mut tx = app.state.db.begin_write().await.unwrap();
    let mut batch = Batch::default();
    batch.push(notices[0].clone());
    batch.push(notices[3].clone());
    assert_eq!(
        batch.enqueue(&mut tx).await.unwrap(),
        credgov::notify::Queued::default()
    );
    tx.commit().await.unwrap();
}
