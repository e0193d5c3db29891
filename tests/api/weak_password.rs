//! `weak_password`: a tightened policy re-flags stored passwords from the strength
//! recorded when they were sealed — nothing is decrypted (no reveal event, no reveal
//! exposure) — and a rotation clears the finding; versions sealed before the record
//! existed (NULL) are not judged.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Engine, TestApp, spawn_app_with};

/// Runs `async fn name(app: TestApp)` on both engines with the `nist-800-63b` preset as
/// the district floor (no required character classes, so a unit can tighten them).
macro_rules! on_both_engines_nist {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = super::nist_app(crate::common::Engine::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = super::nist_app(crate::common::Engine::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

on_both_engines_nist!(tightened_policy_reflags_without_decrypting_until_rotated);

async fn nist_app(engine: Engine) -> Option<TestApp> {
    spawn_app_with(engine, |c| c.policy = "nist-800-63b".into()).await
}

/// Lowercase words and spaces: acceptable under nist-800-63b, short of a policy that
/// wants uppercase letters and digits.
const WORDS: &str = "kestrel obsidian lantern fescue";
const OLD_WORDS: &str = "meadow quartz harbor violet tide";

async fn create(app: &TestApp, unit: &str, token: &str, name: &str, password: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            token,
            json!({ "name": name, "platform": "weibo", "login_name": name,
                "classification": "important", "password": password }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// (state, resolved_how, details) of the weak_password finding about `account`.
async fn weak(app: &TestApp, account: &str) -> Option<(String, Option<String>, Value)> {
    sqlx::query(
        "SELECT state, resolved_how, details FROM findings WHERE rule = 'weak_password' AND target_id = $1",
    )
    .bind(account)
    .fetch_optional(app.pool())
    .await
    .unwrap()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            serde_json::from_str(&r.get::<String, _>(2)).unwrap(),
        )
    })
}

/// Audit events of reveals and exposures of kind `reveal`: any decrypt for a person.
async fn reveals(app: &TestApp) -> i64 {
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'secret.%'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    let exposures: i64 = sqlx::query("SELECT COUNT(*) FROM exposures WHERE kind = 'reveal'")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    events + exposures
}

async fn tightened_policy_reflags_without_decrypting_until_rotated(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区融媒体中心", "department")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let acct = create(&app, &unit, &admin.token, "融媒微博", WORDS).await;
    // A version sealed before migration 0016 recorded nothing about its classes.
    let old = create(&app, &unit, &admin.token, "融媒抖音", OLD_WORDS).await;
    sqlx::query("UPDATE credential_versions SET char_classes = NULL, char_count = NULL WHERE account_id = $1")
        .bind(&old)
        .execute(app.pool())
        .await
        .unwrap();
    credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .unwrap();
    assert!(
        weak(&app, &acct).await.is_none(),
        "meets the policy in force"
    );

    // The unit tightens its policy: the re-evaluation in that write flags it at once.
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{unit}/policy"),
            Some(&admin.token),
            Some(json!({ "overrides": { "account_password": {
                "required_classes": ["lower", "upper", "digit"], "min_length": 16 } } })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (state, _, details) = weak(&app, &acct).await.expect("flagged at once");
    assert_eq!(state, "open");
    assert_eq!(
        details["missing_classes"],
        json!(["upper", "digit"]),
        "{details}"
    );
    assert_eq!(details["too_short"], false, "{details}");
    assert_eq!(
        details["required_classes"], "lower, upper, digit",
        "{details}"
    );
    assert!(!details.to_string().contains(WORDS), "{details}");
    app.clock.advance_ms(60_000);
    let counts = credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .unwrap();
    assert_eq!(counts.by_rule.get("weak_password"), Some(&1), "{counts:?}");
    assert_eq!(weak(&app, &acct).await.unwrap().0, "open");
    assert!(
        weak(&app, &old).await.is_none(),
        "versions without a strength record are not judged"
    );
    assert_eq!(reveals(&app).await, 0, "nothing was decrypted");
    let (s, list) = app
        .get(
            &format!("/api/v1/findings?unit_id={unit}&rule=weak_password"),
            &admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let item = &list["items"][0];
    assert_eq!(item["severity"], "high", "{list}");
    assert!(!list.to_string().contains(WORDS), "{list}");

    // A rotation to a generated password clears it in the confirm's own transaction.
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{acct}/rotations"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rotation = r["rotation_id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (state, how, _) = weak(&app, &acct).await.unwrap();
    assert_eq!(
        (state.as_str(), how.as_deref()),
        ("resolved", Some("rotation.confirm"))
    );
    let recorded: i64 = sqlx::query(
        "SELECT COUNT(*) FROM credential_versions WHERE account_id = $1 AND char_classes IS NOT NULL AND char_count IS NOT NULL",
    )
    .bind(&acct)
    .fetch_one(app.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(recorded, 2, "create and rotation both record the strength");
}
