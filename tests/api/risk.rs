//! Risk ranking: scores built from visible components (each recomputed here from its
//! numerator, denominator and weight), whole-subtree aggregates for the ranked children,
//! veto failing a unit whatever its score, drill-down, snapshots giving "change" and
//! trends, retention, and who may read what (role, own / child / sibling / foreign unit).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_engines;
use crate::common::{TestApp, TestUser};
use crate::inspection::{DAY, scan};

both_engines!(
    ranking_scores_veto_and_drill_down,
    risk_access_by_role_and_unit,
    snapshots_give_change_trend_and_expire,
);

pub(crate) const SHARED: &str = "Shared-Quartz-Harbor-4821!";

pub(crate) struct District {
    pub(crate) office: String,
    pub(crate) a: String,
    pub(crate) a1: String,
    pub(crate) b: String,
    pub(crate) supervisor: TestUser,
    pub(crate) a_admin: TestUser,
    pub(crate) b_admin: TestUser,
    /// b's account (silent for 20 days: a veto).
    pub(crate) silent: String,
    /// a1's account (rotation overdue).
    pub(crate) overdue: String,
}

async fn account(
    app: &TestApp,
    unit: &str,
    admin: &TestUser,
    name: &str,
    password: Option<&str>,
) -> String {
    let mut body =
        json!({ "name": name, "platform": "weibo", "login_name": name, "classification": "core" });
    match password {
        Some(p) => body["password"] = json!(p),
        None => body["generate"] = json!(true),
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            &admin.token,
            body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// office → a (→ a1), b. a and a1 each hold an account sharing one password (reused
/// across units) and one generated; a1's generated password is 400 days old; b holds
/// one account silent for 20 days (a content veto). The circular's tests use it too.
pub(crate) async fn district(app: &TestApp) -> District {
    let office = app
        .create_unit(&app.root_id, "区网信办", "department")
        .await;
    let a = app.create_unit(&office, "甲街道", "street").await;
    let a1 = app.create_unit(&a, "甲街道一社区", "other").await;
    let b = app.create_unit(&office, "乙镇", "town").await;
    let supervisor = app.user_with_role(&office, "supervisor").await;
    let a_admin = app.user_with_role(&a, "unit_admin").await;
    let b_admin = app.user_with_role(&b, "unit_admin").await;
    account(app, &a, &a_admin, "甲街道微博", Some(SHARED)).await;
    account(app, &a, &a_admin, "甲街道抖音", None).await;
    account(app, &a1, &a_admin, "社区抖音", Some(SHARED)).await;
    let overdue = account(app, &a1, &a_admin, "社区微博", None).await;
    sqlx::query("UPDATE credential_versions SET created_at = created_at - $1, confirmed_at = confirmed_at - $1 WHERE account_id = $2 AND state = 'current'")
        .bind(400 * DAY)
        .bind(&overdue)
        .execute(app.pool())
        .await
        .unwrap();
    let silent = account(app, &b, &b_admin, "乙镇微博", None).await;
    sqlx::query("UPDATE accounts SET created_at = created_at - $1 WHERE id = $2")
        .bind(20 * DAY)
        .bind(&silent)
        .execute(app.pool())
        .await
        .unwrap();
    scan(app).await;
    District {
        office,
        a,
        a1,
        b,
        supervisor,
        a_admin,
        b_admin,
        silent,
        overdue,
    }
}

fn component<'a>(row: &'a Value, name: &str) -> &'a Value {
    row["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == name)
        .unwrap_or_else(|| panic!("no component {name} in {row}"))
}

/// (good, total) of a component.
fn ratio(row: &Value, name: &str) -> (i64, i64) {
    let c = component(row, name);
    (c["good"].as_i64().unwrap(), c["total"].as_i64().unwrap())
}

/// The score recomputed from the row's own components and weights.
fn recomputed(row: &Value) -> f64 {
    let (mut sum, mut weight) = (0.0, 0.0);
    for c in row["components"].as_array().unwrap() {
        let (good, total, w) = (
            c["good"].as_f64().unwrap(),
            c["total"].as_f64().unwrap(),
            c["weight"].as_f64().unwrap(),
        );
        if total > 0.0 && w > 0.0 {
            sum += w * good / total;
            weight += w;
        }
    }
    if weight == 0.0 {
        100.0
    } else {
        (1000.0 * sum / weight).round() / 10.0
    }
}

fn row<'a>(page: &'a Value, unit: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_id"] == unit)
        .unwrap_or_else(|| panic!("{unit} not ranked in {page}"))
}

async fn ranking_scores_veto_and_drill_down(app: TestApp) {
    let d = district(&app).await;
    let (s, page) = app
        .get(
            &format!("/api/v1/risk/units?under={}", d.office),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        2,
        "direct children only: {page}"
    );
    let a = row(&page, &d.a);
    let b = row(&page, &d.b);
    // a's figures include a1's account (whole subtree).
    assert_eq!(a["accounts"], 4, "{a}");
    assert_eq!(ratio(a, "unique"), (2, 4), "{a}");
    assert_eq!(ratio(a, "rotated"), (3, 4), "{a}");
    assert_eq!(ratio(a, "custodian"), (0, 4), "{a}");
    assert_eq!(ratio(a, "strong"), (4, 4), "{a}");
    assert_eq!(ratio(a, "fresh"), (4, 4), "{a}");
    assert_eq!(ratio(b, "fresh"), (0, 1), "{b}");
    assert_eq!(ratio(b, "unique"), (1, 1), "{b}");
    for r in [a, b] {
        assert_eq!(r["score"].as_f64().unwrap(), recomputed(r), "{r}");
        assert!(r["change"].is_null(), "no snapshot yet: {r}");
    }
    // b scores higher but fails on its veto finding; a has none.
    assert_eq!(
        (a["veto"].as_bool(), b["veto"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(b["counts"]["veto"].as_i64().unwrap() >= 1, "{b}");
    assert!(b["score"].as_f64().unwrap() > a["score"].as_f64().unwrap());
    assert_eq!((b["rank"].as_i64(), a["rank"].as_i64()), (Some(1), Some(2)));
    assert_eq!(
        page["items"][0]["unit_id"],
        d.b.as_str(),
        "sort=score: best first"
    );
    let (_, by_veto) = app
        .get(
            &format!("/api/v1/risk/units?under={}&sort=veto", d.office),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(by_veto["items"][0]["unit_id"], d.b.as_str());
    let (_, by_name) = app
        .get(
            &format!("/api/v1/risk/units?under={}&sort=name&limit=1", d.office),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    let cursor = by_name["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get(
            &format!(
                "/api/v1/risk/units?under={}&sort=name&limit=1&cursor={cursor}",
                d.office
            ),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert_ne!(next["items"][0]["unit_id"], by_name["items"][0]["unit_id"]);
    assert!(next["next_cursor"].is_null());
    // Without `under`: the supervisor's own unit.
    let (_, default) = app.get("/api/v1/risk/units", &d.supervisor.token).await;
    assert_eq!(default["items"].as_array().unwrap().len(), 2, "{default}");
    let (s, v) = app
        .get(
            &format!("/api/v1/risk/units?under={}&sort=worst", d.office),
            &d.supervisor.token,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Drill down: a → its child a1 → a1's account and its finding → the item.
    let (s, detail) = app
        .get(&format!("/api/v1/risk/units/{}", d.a), &d.supervisor.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    assert_eq!(detail["unit"]["score"], a["score"]);
    assert_eq!(detail["children"][0]["unit_id"], d.a1.as_str());
    assert_eq!(detail["children"][0]["accounts"], 2);
    let own: Vec<&Value> = detail["accounts"].as_array().unwrap().iter().collect();
    assert_eq!(
        own.len(),
        2,
        "a's own accounts (each without a custodian): {detail}"
    );
    let reused = |acc: &&&Value| {
        acc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "reused_password")
    };
    assert_eq!(own.iter().filter(reused).count(), 1, "{detail}");
    let (_, a1) = app
        .get(&format!("/api/v1/risk/units/{}", d.a1), &d.supervisor.token)
        .await;
    let acc = a1["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|acc| acc["account_id"] == d.overdue.as_str())
        .unwrap_or_else(|| panic!("{a1}"));
    let overdue = acc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "rotation_overdue")
        .unwrap_or_else(|| panic!("{a1}"));
    // rotation_overdue is high: it opened a rectification item, linked here and listed.
    let item = overdue["rectification_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{a1}"));
    assert!(
        a1["rectifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == item),
        "{a1}"
    );
    let (_, b_detail) = app
        .get(&format!("/api/v1/risk/units/{}", d.b), &d.supervisor.token)
        .await;
    assert_eq!(b_detail["unit"]["veto"], true);
    assert_eq!(b_detail["accounts"][0]["account_id"], d.silent.as_str());
    // Never a secret anywhere in what risk answers.
    for text in [page.to_string(), detail.to_string(), a1.to_string()] {
        assert!(!text.contains(SHARED), "{text}");
    }
}

async fn risk_access_by_role_and_unit(app: TestApp) {
    let d = district(&app).await;
    let foreign = app
        .create_unit(&app.root_id, "区外单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign, "unit_admin").await;
    let auditor = app.user_with_role(&d.office, "auditor").await;
    let custodian = app.user_with_role(&d.a, "custodian").await;
    let hr = app.user_with_role(&d.a, "hr").await;
    let ranking = |under: &str| format!("/api/v1/risk/units?under={under}");
    let detail = |unit: &str| format!("/api/v1/risk/units/{unit}");
    let trend = |unit: &str| format!("/api/v1/risk/trend?unit_id={unit}");
    let cases: Vec<(&str, &TestUser, String, StatusCode)> = vec![
        // Supervisor and auditor of the office: its subtree.
        (
            "supervisor ranks office",
            &d.supervisor,
            ranking(&d.office),
            StatusCode::OK,
        ),
        (
            "supervisor drills child",
            &d.supervisor,
            detail(&d.a1),
            StatusCode::OK,
        ),
        (
            "supervisor foreign",
            &d.supervisor,
            detail(&foreign),
            StatusCode::NOT_FOUND,
        ),
        (
            "auditor ranks office",
            &auditor,
            ranking(&d.office),
            StatusCode::OK,
        ),
        ("auditor trend", &auditor, trend(&d.a), StatusCode::OK),
        // Unit admins: their own units only.
        ("admin own", &d.a_admin, detail(&d.a), StatusCode::OK),
        ("admin child", &d.a_admin, ranking(&d.a), StatusCode::OK),
        (
            "admin parent",
            &d.a_admin,
            ranking(&d.office),
            StatusCode::NOT_FOUND,
        ),
        (
            "admin sibling",
            &d.a_admin,
            detail(&d.b),
            StatusCode::NOT_FOUND,
        ),
        (
            "admin sibling trend",
            &d.b_admin,
            trend(&d.a),
            StatusCode::NOT_FOUND,
        ),
        (
            "foreign admin",
            &foreign_admin,
            detail(&d.a),
            StatusCode::NOT_FOUND,
        ),
        // Roles without risk.
        ("custodian", &custodian, detail(&d.a), StatusCode::FORBIDDEN),
        (
            "custodian ranking",
            &custodian,
            ranking(&d.a),
            StatusCode::FORBIDDEN,
        ),
        ("hr", &hr, trend(&d.a), StatusCode::FORBIDDEN),
    ];
    for (what, user, path, expected) in cases {
        let (s, v) = app.get(&path, &user.token).await;
        assert_eq!(s, expected, "{what}: {path} {v}");
    }
    // Sysadmins see aggregates, never account-level details.
    let (s, v) = app.get(&detail(&d.a1), &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["accounts"].is_null(), "{v}");
    assert!(v["unit"]["components"].is_array());
    let (_, v) = app.get(&detail(&d.a1), &auditor.token).await;
    assert_eq!(v["accounts"].as_array().map(Vec::len), Some(2), "{v}");
    // Unknown parameters and units.
    let (s, _) = app
        .get("/api/v1/risk/units?unit=x", &d.supervisor.token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get(&detail("no-such-unit"), &d.supervisor.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn snapshots_give_change_trend_and_expire(app: TestApp) {
    let d = district(&app).await;
    let day0 = app.now();
    // A snapshot from 500 days ago (kept 400) and today's.
    credgov::risk::snapshots::record(&app.state, day0 - 500 * DAY)
        .await
        .unwrap();
    let n = credgov::risk::snapshots::record(&app.state, day0)
        .await
        .unwrap();
    assert!(n >= 5, "one row per unit: {n}");
    let cutoff = credgov::calendar::Date::in_china(day0 - 400 * DAY).to_string();
    let old: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM risk_snapshots WHERE day < $1")
        .bind(cutoff)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(old, 0, "snapshots past risk.snapshot_keep_days are deleted");
    // Recording again the same day replaces the day's row.
    credgov::risk::snapshots::record(&app.state, day0)
        .await
        .unwrap();
    // Next day: a1's overdue account is rotated; a's score rises.
    app.clock.advance_ms(DAY);
    let admin = app.login(&d.a_admin).await;
    let supervisor = app.login(&d.supervisor).await;
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{}/rotations", d.overdue),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rotation = r["rotation_id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rotations/{rotation}/confirm"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    scan(&app).await;
    let (_, page) = app
        .get(
            &format!("/api/v1/risk/units?under={}", d.office),
            &supervisor,
        )
        .await;
    let a = row(&page, &d.a);
    assert_eq!(ratio(a, "rotated"), (4, 4), "{a}");
    let change = a["change"].as_f64().unwrap_or_else(|| panic!("{a}"));
    assert!(change > 0.0, "{a}");
    // b changed too if its veto item went overdue overnight (a working day later):
    // whatever happened, change is today's score minus yesterday's snapshot.
    let b = row(&page, &d.b);
    let (_, tb) = app
        .get(
            &format!("/api/v1/risk/trend?unit_id={}&days=7", d.b),
            &supervisor,
        )
        .await;
    let yesterday = tb["points"][0]["score"].as_f64().unwrap();
    let expected = ((b["score"].as_f64().unwrap() - yesterday) * 10.0).round() / 10.0;
    assert_eq!(b["change"].as_f64(), Some(expected), "{b} {tb}");
    credgov::risk::snapshots::record(&app.state, app.now())
        .await
        .unwrap();
    let (s, t) = app
        .get(
            &format!("/api/v1/risk/trend?unit_id={}&days=7", d.a),
            &supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let points = t["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{t}");
    assert!(
        points[1]["score"].as_f64() > points[0]["score"].as_f64(),
        "{t}"
    );
    assert_eq!(points[1]["components"].as_array().unwrap().len(), 7);
    for bad in ["days=0", "days=401", "days=x"] {
        let (s, v) = app
            .get(
                &format!("/api/v1/risk/trend?unit_id={}&{bad}", d.a),
                &supervisor,
            )
            .await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::BAD_REQUEST,
            "{bad}: {s} {v}"
        );
    }
}
