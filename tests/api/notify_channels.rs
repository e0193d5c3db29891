//! Notification channels per unit: write-only, inherited settings (who may see and
//! change them, no partial writes, no secret in any answer, audit entry or log), and
//! real deliveries to local receivers that verify the webhook signature and the
//! DingTalk sign, the 24-hour secret overlap (also when two secret changes race), and
//! 410 Gone disabling the endpoint.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use credgov::notify::deliver::Deliverer;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::Row;

use crate::both_engines;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestApp, TestUser, captured_logs, error_code};
use crate::receiver::{Received, Receiver};

both_engines!(
    channel_settings_are_write_only_inherited_and_guarded,
    test_messages_reach_each_channel_signed,
    a_gone_webhook_is_disabled_until_saved_again,
    robots_never_get_more_than_twenty_a_minute,
    two_secret_changes_at_once_lose_neither_secret,
    notify_long_digests_arrive_in_parts_within_every_limit,
    notify_a_robot_slot_never_frees_within_a_minute_of_its_send,
    notify_a_410_from_the_old_url_leaves_a_newly_saved_one_enabled,
);

/// Key material that must never leave the sealed settings.
const WECOM_KEY: &str = "canary-wecom-key-7f3a9c";
const DING_TOKEN: &str = "canary-ding-token-51b2";
const DING_SECRET: &str = "SECcanary0dingtalk0secret0e4d1";

/// A fresh `whsec_` secret: 32 random-looking bytes, tagged so a test can grep for it.
pub(crate) fn whsec(tag: u8) -> String {
    let bytes: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(tag))
        .collect();
    format!("whsec_{}", B64.encode(bytes))
}

fn hmac_b64(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    B64.encode(mac.finalize().into_bytes())
}

/// Whether `secret` produced one of the request's `v1,` signatures.
pub(crate) fn signed_by(r: &Received, secret: &str) -> bool {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut signed = r.header("webhook-id").as_bytes().to_vec();
    signed.push(b'.');
    signed.extend_from_slice(r.header("webhook-timestamp").as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(&r.body);
    let expected = format!("v1,{}", hmac_b64(&key, &signed));
    r.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

fn channels_body(rx: &Receiver, secret: &str) -> Value {
    json!({
        "webhook": { "url": rx.url("/hook"), "secret": secret },
        "wecom": { "webhook_url": rx.url(&format!("/cgi-bin/webhook/send?key={WECOM_KEY}")) },
        "dingtalk": {
            "webhook_url": rx.url(&format!("/robot/send?access_token={DING_TOKEN}")),
            "secret": DING_SECRET,
        },
        "email": { "to": ["Office@Example.gov.cn", "office@example.gov.cn", "duty@example.gov.cn"] },
    })
}

fn assert_no_canary(what: &str, text: &str, secrets: &[&str]) {
    for canary in [WECOM_KEY, DING_TOKEN, DING_SECRET].iter().chain(secrets) {
        assert!(!text.contains(canary), "{what} shows a secret: {text}");
    }
}

async fn channel_settings_are_write_only_inherited_and_guarded(app: TestApp) {
    let rx = Receiver::start().await;
    let dept = app
        .create_unit(&app.root_id, "区委宣传部", "department")
        .await;
    let office = app.create_unit(&dept, "网络新闻中心", "institution").await;
    let sibling = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let secret = whsec(1);
    let (s, v) = put_channels(&app, &dept, &app.admin_token, channels_body(&rx, &secret)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_no_canary("the PUT answer", &v.to_string(), &[&secret]);
    assert_eq!(v["webhook"]["host"], "127.0.0.1");
    assert_eq!(v["webhook"]["inherited"], false);
    assert_eq!(
        v["email"]["to"],
        json!(["office@example.gov.cn", "duty@example.gov.cn"])
    );
    let fingerprint = v["wecom"]["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16);

    // The office inherits every channel from its department.
    let (s, v) = app
        .get(
            &format!("/api/v1/units/{office}/channels"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for channel in ["webhook", "wecom", "dingtalk", "email"] {
        assert_eq!(v[channel]["inherited"], true, "{channel}: {v}");
        assert_eq!(v[channel]["from_unit_id"], dept.as_str());
    }
    assert_no_canary("the GET answer", &v.to_string(), &[&secret]);

    // A unit admin of the office overrides one channel for it and removes nothing above.
    let office_admin = app.user_with_role(&office, "unit_admin").await;
    let other_key = "canary-office-wecom-key-0c4e";
    let (s, v) = put_channels(&app, &office, &office_admin.token, json!({ "wecom": { "webhook_url": rx.url(&format!("/cgi-bin/webhook/send?key={other_key}")) } })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["wecom"]["inherited"], false);
    assert_ne!(v["wecom"]["fingerprint"], fingerprint.as_str());
    assert_eq!(v["dingtalk"]["inherited"], true);
    // … but may not touch its department's.
    let (s, v) = put_channels(&app, &dept, &office_admin.token, json!({ "wecom": null })).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s} {v}"
    );
    // Other roles and other units see nothing and change nothing.
    let sibling_admin = app.user_with_role(&sibling, "unit_admin").await;
    let (s, v) = app
        .get(
            &format!("/api/v1/units/{dept}/channels"),
            &sibling_admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    for role in ["supervisor", "auditor", "custodian", "hr"] {
        let user = app.user_with_role(&dept, role).await;
        let (s, v) = app
            .get(&format!("/api/v1/units/{dept}/channels"), &user.token)
            .await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{role}: {s} {v}"
        );
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{dept}/channels/wecom/test"),
                &user.token,
                json!({}),
            )
            .await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{role}: {s} {v}"
        );
    }

    // Bad input is refused whole: nothing of the valid channels beside it is saved.
    let before = app
        .get(
            &format!("/api/v1/units/{sibling}/channels"),
            &app.admin_token,
        )
        .await
        .1;
    for (body, field) in [
        (
            json!({ "email": { "to": ["a@b.cn"] }, "wecom": { "webhook_url": "http://10.1.2.3/send?key=x" } }),
            "wecom.webhook_url",
        ),
        (
            json!({ "email": { "to": ["a@b.cn"] }, "webhook": { "url": rx.url("/hook") } }),
            "webhook.secret",
        ),
        (
            json!({ "webhook": { "url": rx.url("/hook"), "secret": "whsec_c2hvcnQ=" } }),
            "webhook.secret",
        ),
        (
            json!({ "webhook": { "url": rx.url("/hook"), "secret": format!("whsec_{}", B64.encode([9u8; 32])) } }),
            "webhook.secret",
        ),
        (
            json!({ "webhook": { "url": "ftp://example.com/x", "secret": whsec(2) } }),
            "webhook.url",
        ),
        (
            json!({ "dingtalk": { "webhook_url": rx.url("/robot/send"), "secret": "nope" } }),
            "dingtalk.secret",
        ),
        // Plain http only to a host in outbound.allowed_hosts (127.0.0.1 in tests).
        (
            json!({ "webhook": { "url": "http://hooks.example.gov.cn/credgov", "secret": whsec(2) } }),
            "webhook.url",
        ),
        (
            json!({ "wecom": { "webhook_url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x" } }),
            "wecom.webhook_url",
        ),
        (
            json!({ "dingtalk": { "webhook_url": "http://oapi.dingtalk.com/robot/send?access_token=x", "secret": "SECabc" } }),
            "dingtalk.webhook_url",
        ),
        (json!({ "email": { "to": ["not-an-address"] } }), "email.to"),
        (json!({ "email": { "to": [] } }), "email.to"),
    ] {
        let (s, v) = put_channels(&app, &sibling, &app.admin_token, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v.to_string().contains(field), "{body}: {v}");
        assert_no_canary("an error", &v.to_string(), &[]);
    }
    let (s, v) = put_channels(
        &app,
        &sibling,
        &app.admin_token,
        json!({ "sms": { "to": "x" } }),
    )
    .await;
    assert!(s.is_client_error(), "{s} {v}");
    let after = app
        .get(
            &format!("/api/v1/units/{sibling}/channels"),
            &app.admin_token,
        )
        .await
        .1;
    assert_eq!(before, after, "a refused PUT wrote something");
    assert!(after["email"].is_null());

    // null removes the unit's own setting (the office falls back to the department's).
    let (s, v) = put_channels(&app, &office, &office_admin.token, json!({ "wecom": null })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["wecom"]["inherited"], true);
    assert_eq!(v["wecom"]["fingerprint"], fingerprint.as_str());

    // Audited with fingerprints, never the settings; nothing readable at rest or in logs.
    let rows = sqlx::query("SELECT action, details FROM audit_events WHERE action LIKE 'notify.%'")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let details: String = r.get(1);
        assert_no_canary("an audit entry", &details, &[&secret, other_key]);
    }
    let stored = sqlx::query("SELECT sealed, shown FROM unit_channels")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(!stored.is_empty());
    for r in &stored {
        let sealed: Vec<u8> = r.get(0);
        let shown: String = r.get(1);
        assert_no_canary(
            "a stored row",
            &String::from_utf8_lossy(&sealed),
            &[&secret],
        );
        assert_no_canary("a stored row", &shown, &[&secret]);
    }
    assert_no_canary("the log", &captured_logs(), &[&secret, other_key]);
}

async fn put_channels(app: &TestApp, unit: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/units/{unit}/channels"),
        Some(token),
        Some(body),
    )
    .await
}

/// Delivers everything queued now through the real channels.
async fn deliver(app: &TestApp) -> credgov::notify::deliver::Round {
    Deliverer::new(app.state.clone()).run_once().await.unwrap()
}

async fn queue_test(app: &TestApp, unit: &str, channel: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/{channel}/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{channel}: {v}");
    v["outbox_id"].as_str().unwrap().to_string()
}

async fn test_messages_reach_each_channel_signed(app: TestApp) {
    let rx = Receiver::start().await;
    let dept = app
        .create_unit(&app.root_id, "区融媒体中心", "department")
        .await;
    let office = app.create_unit(&dept, "新媒体科", "institution").await;
    let first = whsec(3);
    let (s, v) = put_channels(&app, &dept, &app.admin_token, channels_body(&rx, &first)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hook = queue_test(&app, &office, "webhook").await;
    let wecom = queue_test(&app, &office, "wecom").await;
    let ding = queue_test(&app, &office, "dingtalk").await;
    let round = deliver(&app).await;
    assert_eq!((round.claimed, round.delivered), (3, 3), "{round:?}");
    let got = rx.received();
    assert_eq!(got.len(), 3);

    let w = got.iter().find(|r| r.path == "/hook").unwrap();
    assert_eq!(w.header("webhook-id"), hook);
    assert!(signed_by(w, &first), "{:?}", w.headers);
    let ts: i64 = w.header("webhook-timestamp").parse().unwrap();
    assert!((ts - app.now() / 1000).abs() <= 1);
    let body = w.json();
    assert_eq!(body["type"], "credgov.channel_test");
    assert_eq!(body["data"]["id"], hook.as_str());
    assert!(body["data"]["text"].as_str().unwrap().contains("新媒体科"));

    let q = got
        .iter()
        .find(|r| r.path == "/cgi-bin/webhook/send")
        .unwrap();
    assert_eq!(q.query_param("key").as_deref(), Some(WECOM_KEY));
    assert_eq!(q.json()["msgtype"], "markdown");
    assert!(q.body.len() <= 4096 + 64);

    let d = got.iter().find(|r| r.path == "/robot/send").unwrap();
    assert_eq!(d.query_param("access_token").as_deref(), Some(DING_TOKEN));
    let ts = d.query_param("timestamp").unwrap();
    let expected = hmac_b64(
        DING_SECRET.as_bytes(),
        format!("{ts}\n{DING_SECRET}").as_bytes(),
    );
    assert_eq!(d.query_param("sign").as_deref(), Some(expected.as_str()));
    assert_eq!(d.json()["msgtype"], "markdown");
    let _ = (wecom, ding);

    // A new secret: for a day both sign, then only the new one.
    let second = whsec(4);
    let (s, v) = put_channels(
        &app,
        &dept,
        &app.admin_token,
        json!({ "webhook": { "url": rx.url("/hook"), "secret": second } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["webhook"]["previous_secret_until"].as_i64().unwrap() > app.now());
    queue_test(&app, &dept, "webhook").await;
    assert_eq!(deliver(&app).await.delivered, 1);
    let w = rx.received().pop().unwrap();
    assert!(
        signed_by(&w, &first) && signed_by(&w, &second),
        "{:?}",
        w.headers
    );
    app.clock.advance_ms(24 * 3_600_000 + 1);
    // The admin's session has ended meanwhile: sign in again.
    let token = app
        .login(&TestUser {
            id: String::new(),
            username: ADMIN.into(),
            password: ADMIN_PASSWORD.into(),
            token: String::new(),
            totp_secret: Some(app.admin_totp.clone()),
        })
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{dept}/channels/webhook/test"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(deliver(&app).await.delivered, 1);
    let w = rx.received().pop().unwrap();
    assert!(
        signed_by(&w, &second) && !signed_by(&w, &first),
        "{:?}",
        w.headers
    );

    // Nothing secret in any message or the log.
    for r in rx.received() {
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert_no_canary("a message body", &text, &[&first, &second]);
    }
    assert_no_canary("the log", &captured_logs(), &[&first, &second]);
}

async fn a_gone_webhook_is_disabled_until_saved_again(app: TestApp) {
    let rx = Receiver::start().await;
    let unit = app
        .create_unit(&app.root_id, "区水务局", "department")
        .await;
    let secret = whsec(5);
    let body = json!({ "webhook": { "url": rx.url("/hook"), "secret": secret } });
    let (s, v) = put_channels(&app, &unit, &app.admin_token, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    rx.answer(410, "{}");
    let id = queue_test(&app, &unit, "webhook").await;
    let round = deliver(&app).await;
    assert_eq!(round.failed, 1, "{round:?}");
    let row = sqlx::query("SELECT state, last_error FROM outbox WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "failed");
    assert!(row.get::<String, _>(1).contains("410"));
    let (_, v) = app
        .get(&format!("/api/v1/units/{unit}/channels"), &app.admin_token)
        .await;
    assert!(v["webhook"]["disabled_at"].is_i64(), "{v}");
    // Disabled: no test, and notices skip it.
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/webhook/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "channel_not_configured");
    // Saved again (the secret may be left out: it is kept), it works again.
    rx.answer(200, "{}");
    let (s, v) = put_channels(
        &app,
        &unit,
        &app.admin_token,
        json!({ "webhook": { "url": rx.url("/hook") } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["webhook"]["disabled_at"].is_null(), "{v}");
    queue_test(&app, &unit, "webhook").await;
    assert_eq!(deliver(&app).await.delivered, 1);
    assert!(signed_by(&rx.received().pop().unwrap(), &secret));
    // An unknown channel and a channel nobody set up are refused in words.
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/sms/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/channels/dingtalk/test"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

async fn robots_never_get_more_than_twenty_a_minute(app: TestApp) {
    use credgov::notify::deliver::rate;

    let rx = Receiver::start().await;
    let unit = app
        .create_unit(&app.root_id, "区应急局", "department")
        .await;
    let (s, v) = put_channels(
        &app,
        &unit,
        &app.admin_token,
        json!({ "wecom": { "webhook_url": rx.url(&format!("/cgi-bin/webhook/send?key={WECOM_KEY}")) } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for _ in 0..25 {
        queue_test(&app, &unit, "wecom").await;
    }
    let start = app.now();
    let round = deliver(&app).await;
    assert_eq!((round.delivered, round.deferred), (20, 5), "{round:?}");
    assert_eq!(rx.received().len(), 20);
    // Deferred rows wait for a free slot without spending an attempt.
    let rows = sqlx::query("SELECT attempts, next_attempt_at FROM outbox WHERE state = 'pending'")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r.get::<i64, _>(0), 0);
        assert!(r.get::<i64, _>(1) >= start + rate::WINDOW_MS);
    }
    // (The test clock is the wall clock plus jumps: leave real time a wide margin.)
    app.clock.advance_ms(rate::WINDOW_MS / 2);
    assert_eq!(deliver(&app).await.delivered, 0, "still inside the minute");
    assert_eq!(rx.received().len(), 20);
    app.clock.advance_ms(rate::WINDOW_MS / 2 + 1_000);
    assert_eq!(deliver(&app).await.delivered, 5);
    assert_eq!(rx.received().len(), 25);

    // Forty servers' worth of deliverers racing for one robot's slots get twenty.
    let robot = "race-test-robot";
    let now = app.now();
    let mut racers = Vec::new();
    for _ in 0..40 {
        let db = app.state.db.clone();
        racers.push(tokio::spawn(async move {
            rate::take(&db, robot, now, 20_000).await.unwrap()
        }));
    }
    let mut taken = Vec::new();
    for r in racers {
        if let Ok(slot) = r.await.unwrap() {
            taken.push(slot);
        }
    }
    assert_eq!(taken.len(), 20, "{taken:?}");
    let (slots,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM robot_slots WHERE robot = $1")
        .bind(robot)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(slots, rate::PER_MINUTE, "the racers created its slots once");
    // Every slot is spoken for: the next send waits.
    assert!(
        rate::take(&app.state.db, robot, now, 20_000)
            .await
            .unwrap()
            .is_err()
    );
}

/// Two administrators replace the webhook secret at the same moment. Whichever commits
/// last, the result is that of one after the other: the later secret signs, beside the
/// earlier one it replaced (the receiver may already have switched to it). Neither
/// replaces the original as if the other had never happened.
async fn two_secret_changes_at_once_lose_neither_secret(app: TestApp) {
    let rx = Receiver::start().await;
    let unit = app
        .create_unit(&app.root_id, "区审计局", "department")
        .await;
    let other_admin = app.user_with_role(&app.root_id, "sysadmin").await;
    let hook = |secret: &str| json!({ "webhook": { "url": rx.url("/hook"), "secret": secret } });
    // A few rounds: one lost update is enough to fail.
    for round in 0..4u8 {
        let original = whsec(10 + 3 * round);
        let (s, v) = put_channels(&app, &unit, &app.admin_token, hook(&original)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (one, two) = (whsec(11 + 3 * round), whsec(12 + 3 * round));
        let ((s1, v1), (s2, v2)) = tokio::join!(
            put_channels(&app, &unit, &app.admin_token, hook(&one)),
            put_channels(&app, &unit, &other_admin.token, hook(&two))
        );
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{v1} {v2}");
        // What the deliverer signs with: the current secret and the one it replaced.
        queue_test(&app, &unit, "webhook").await;
        assert_eq!(deliver(&app).await.delivered, 1);
        let w = rx.received().pop().unwrap();
        let signers: Vec<&str> = [&original, &one, &two]
            .into_iter()
            .filter(|secret| signed_by(&w, secret))
            .map(|secret| {
                if *secret == original {
                    "original"
                } else if *secret == one {
                    "first"
                } else {
                    "second"
                }
            })
            .collect();
        assert_eq!(
            signers,
            vec!["first", "second"],
            "round {round}: a replaced secret was lost"
        );
    }
}

/// A digest far past every channel's limit, queued through `enqueue`, reaches receivers
/// that refuse oversized messages as the platforms do: several parts per channel, each
/// with its own id and `（i/n）`, all within limits, every item in one of them, the
/// mentions on the first part only; e-mail is not cut (not configured here).
async fn notify_long_digests_arrive_in_parts_within_every_limit(app: TestApp) {
    use credgov::ids::UnitId;
    use credgov::notify::{Audience, Notice, NotificationKind, enqueue};

    let rx = Receiver::start().await;
    rx.enforce_limits();
    let unit = app
        .create_unit(&app.root_id, "区大数据中心", "department")
        .await;
    let secret = whsec(40);
    let mut body = channels_body(&rx, &secret);
    body.as_object_mut().unwrap().remove("email");
    let (s, v) = put_channels(&app, &unit, &app.admin_token, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items: Vec<String> = (0..420)
        .map(|i| format!("政务新媒体账号{i:04} · 2026-11-30 09:00 · 已逾期 12 天"))
        .collect();
    let ids: Vec<String> = (0..420).map(|i| format!("acct-{i:05}")).collect();
    let notice = Notice::new(
        NotificationKind::RotationOverdue,
        UnitId::new(unit.clone()),
        app.now(),
    )
    .to(Audience::UnitGroups(UnitId::new(unit.clone())))
    .data(
        json!({ "unit": "区大数据中心", "count": items.len(), "items": items, "account_ids": ids }),
    )
    .dedupe("overdue-digest-long");
    let mut tx = app.state.db.begin_write().await.unwrap();
    let queued = enqueue(&mut tx, &notice).await.unwrap();
    tx.commit().await.unwrap();
    assert!(queued.outbox > 3, "{queued:?}");
    // Queued again (the same dedupe key): nothing new.
    let mut tx = app.state.db.begin_write().await.unwrap();
    assert_eq!(enqueue(&mut tx, &notice).await.unwrap().outbox, 0);
    tx.commit().await.unwrap();

    let mut delivered = 0;
    for _ in 0..10 {
        let round = deliver(&app).await;
        delivered += round.delivered;
        if round.claimed == 0 {
            break;
        }
    }
    assert_eq!(delivered, queued.outbox);
    let got = rx.received();
    assert_eq!(got.len(), queued.outbox, "one request per part");
    assert!(got.iter().all(|r| !r.refused), "a part was too large");
    let pending: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(pending.0, 0);

    for (path, text_of) in [
        (
            "/cgi-bin/webhook/send",
            &(|v: &Value| v["markdown"]["content"].as_str().unwrap().to_string())
                as &dyn Fn(&Value) -> String,
        ),
        ("/robot/send", &|v: &Value| {
            v["markdown"]["text"].as_str().unwrap().to_string()
        }),
        ("/hook", &|v: &Value| {
            v["data"]["text"].as_str().unwrap().to_string()
        }),
    ] {
        let parts: Vec<String> = got
            .iter()
            .filter(|r| r.path == path)
            .map(|r| text_of(&r.json()))
            .collect();
        let n = parts.len();
        assert!(n > 1, "{path}: {n} part(s)");
        for i in 1..=n {
            assert_eq!(
                parts
                    .iter()
                    .filter(|p| p.contains(&format!("（{i}/{n}）")))
                    .count(),
                1,
                "{path}: part {i}/{n}"
            );
        }
        for item in &items {
            assert!(
                parts.iter().any(|p| p.contains(&format!("- {item}"))),
                "{path} lost {item}"
            );
        }
    }
    // Each part is its own message: its own webhook id, its own share of the items.
    let hooks: Vec<&Received> = got.iter().filter(|r| r.path == "/hook").collect();
    let mut ids_seen: Vec<&str> = hooks.iter().map(|r| r.header("webhook-id")).collect();
    ids_seen.sort();
    ids_seen.dedup();
    assert_eq!(ids_seen.len(), hooks.len());
    let mut details_items = 0;
    for r in &hooks {
        assert!(signed_by(r, &secret));
        assert!(r.body.len() <= 20 * 1024);
        details_items += r.json()["data"]["details"]["items"]
            .as_array()
            .unwrap()
            .len();
    }
    assert_eq!(details_items, items.len());
    let keys: Vec<String> =
        sqlx::query("SELECT dedupe_key FROM outbox WHERE channel = 'wecom' ORDER BY dedupe_key")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert!(keys.iter().all(|k| k.contains("|part ")), "{keys:?}");
}

/// `finish` gives a slot back a minute after its send ended, but never sooner than a
/// minute after the slot was taken (the send started then at the earliest), even when
/// the end is read from a clock behind (another server's).
async fn notify_a_robot_slot_never_frees_within_a_minute_of_its_send(app: TestApp) {
    use credgov::notify::deliver::rate;
    use credgov::notify::deliver::transport::MAX_ROBOT_SEND_MS;

    let robot = "finish-test-robot";
    let now = app.now();
    let slot = rate::take(&app.state.db, robot, now, MAX_ROBOT_SEND_MS)
        .await
        .unwrap()
        .unwrap();
    let free_at = |app: &TestApp| {
        let pool = app.pool().clone();
        async move {
            let (v,): (i64,) =
                sqlx::query_as("SELECT MAX(free_at) FROM robot_slots WHERE robot = $1")
                    .bind(robot)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            v
        }
    };
    assert_eq!(
        free_at(&app).await,
        now + MAX_ROBOT_SEND_MS + rate::WINDOW_MS
    );
    rate::finish(&app.state.db, &slot, now - 30_000)
        .await
        .unwrap();
    assert_eq!(free_at(&app).await, now + rate::WINDOW_MS);
}

/// The real channels, with a request sent (a new setting saved) after the send and
/// before the outcome is recorded.
struct SaveDuringSend {
    inner: credgov::notify::deliver::transport::ChannelTransport,
    save: std::sync::Mutex<Option<reqwest::RequestBuilder>>,
}

impl credgov::notify::deliver::transport::Transport for SaveDuringSend {
    fn send<'a>(
        &'a self,
        row: &'a credgov::notify::deliver::store::Claimed,
    ) -> credgov::notify::deliver::transport::SendFuture<'a> {
        Box::pin(async move {
            let sent = self.inner.send(row).await;
            let save = self.save.lock().unwrap().take();
            if let Some(req) = save {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
            }
            sent
        })
    }
}

/// A webhook answers 410 Gone while an administrator saves a fixed URL: the 410 of the
/// old URL disables nothing the administrator saved since.
async fn notify_a_410_from_the_old_url_leaves_a_newly_saved_one_enabled(app: TestApp) {
    use credgov::notify::deliver::transport::ChannelTransport;

    let old = Receiver::start().await;
    old.answer(410, "{}");
    let new = Receiver::start().await;
    let unit = app
        .create_unit(&app.root_id, "区交通局", "department")
        .await;
    let secret = whsec(41);
    let (s, v) = put_channels(
        &app,
        &unit,
        &app.admin_token,
        json!({ "webhook": { "url": old.url("/hook"), "secret": secret } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = queue_test(&app, &unit, "webhook").await;
    let save = app
        .client
        .put(format!("{}/api/v1/units/{unit}/channels", app.base))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "webhook": { "url": new.url("/hook") } }));
    let transport = std::sync::Arc::new(SaveDuringSend {
        inner: ChannelTransport::new(app.state.clone()),
        save: std::sync::Mutex::new(Some(save)),
    });
    let round = Deliverer::with_transport(app.state.clone(), transport)
        .run_once()
        .await
        .unwrap();
    assert_eq!(round.failed, 1, "{round:?}");
    assert_eq!(old.received().len(), 1);
    let state: String = sqlx::query("SELECT state FROM outbox WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "failed");
    let (_, v) = app
        .get(&format!("/api/v1/units/{unit}/channels"), &app.admin_token)
        .await;
    assert!(
        v["webhook"]["disabled_at"].is_null(),
        "the new URL was disabled: {v}"
    );
    queue_test(&app, &unit, "webhook").await;
    assert_eq!(deliver(&app).await.delivered, 1);
    assert_eq!(new.received().len(), 1);
    // A 410 from the setting still stored disables it, as before.
    new.answer(410, "{}");
    queue_test(&app, &unit, "webhook").await;
    assert_eq!(deliver(&app).await.failed, 1);
    let (_, v) = app
        .get(&format!("/api/v1/units/{unit}/channels"), &app.admin_token)
        .await;
    assert!(v["webhook"]["disabled_at"].is_i64(), "{v}");
}
