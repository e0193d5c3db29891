//! Staff change → handover case: revocation, items from custody / exposure / bindings,
//! rotation and rebinding, the successor's TOTP acknowledgement, sign-off, deadlines,
//! idempotency, signatures and access rules.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{Engine, TestApp, TestUser, error_code, spawn_app_with};

both_engines!(
    departure_runs_from_event_to_closed_case,
    transfer_keeps_roles_in_other_units,
    duplicate_events_open_exactly_one_case,
    bad_events_get_clear_errors,
    acknowledgement_needs_the_successor_and_a_fresh_code,
    a_passed_deadline_escalates_the_case,
    leave_assigns_a_deputy_without_revoking,
    handover_access_rules,
    exposure_answers_what_a_person_saw,
    reassign_without_successor_needs_a_new_custodian,
);

struct World {
    unit: String,
    admin: TestUser,
    hr: TestUser,
    leaver: TestUser,
    successor: TestUser,
}

async fn world(app: &TestApp, name: &str) -> World {
    let unit = app.create_unit(&app.root_id, name, "department").await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let hr = app.user_with_role(&unit, "hr").await;
    // Custodians see passwords only with a second factor.
    let mut leaver = app.user_with_role(&unit, "custodian").await;
    app.enroll_totp(&mut leaver).await;
    let mut successor = app.user_with_role(&unit, "custodian").await;
    app.enroll_totp(&mut successor).await;
    World {
        unit,
        admin,
        hr,
        leaver,
        successor,
    }
}

async fn account(app: &TestApp, w: &World, name: &str) -> String {
    let (s, v) = app
        .post(&format!("/api/v1/units/{}/accounts", w.unit), &w.admin.token, json!({ "name": name, "platform": "wechat_official", "login_name": name, "classification": "core", "generate": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn custodian(app: &TestApp, w: &World, account: &str, user: &TestUser) {
    let (s, v) = app
        .post(
            &format!("/api/v1/accounts/{account}/custodians"),
            &w.admin.token,
            json!({ "user_id": user.id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn rotate(app: &TestApp, token: &str, account: &str) {
    let (s, r) = app
        .post(
            &format!("/api/v1/accounts/{account}/rotations"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = app
        .post(
            &format!(
                "/api/v1/rotations/{}/confirm",
                r["rotation_id"].as_str().unwrap()
            ),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

fn item<'a>(case: &'a Value, account: &str) -> Option<&'a Value> {
    case["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["account_id"] == account)
}

fn actions(case: &Value, account: &str) -> Vec<String> {
    item(case, account).map_or(vec![], |i| {
        i["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap().to_string())
            .collect()
    })
}

async fn departure_runs_from_event_to_closed_case(app: TestApp) {
    let w = world(&app, "区融媒体中心").await;
    let sole = account(&app, &w, "融媒体公众号").await; // leaver is the only custodian
    let shared = account(&app, &w, "融媒体微博").await; // leaver and successor
    let seen = account(&app, &w, "融媒体抖音").await; // leaver revealed it, custody removed since
    let old = account(&app, &w, "融媒体头条").await; // leaver revealed it, rotated since
    let bound = account(&app, &w, "融媒体域名").await; // bound phone held by the leaver
    let other = account(&app, &w, "融媒体快手").await; // nothing to do with the leaver
    custodian(&app, &w, &sole, &w.leaver).await;
    custodian(&app, &w, &shared, &w.leaver).await;
    custodian(&app, &w, &shared, &w.successor).await;
    for a in [&seen, &old] {
        custodian(&app, &w, a, &w.leaver).await;
        let (s, _) = app
            .post(
                &format!("/api/v1/accounts/{a}/reveal"),
                &w.leaver.token,
                json!({ "reason": "日常发布" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = app
            .delete(
                &format!("/api/v1/accounts/{a}/custodians/{}", w.leaver.id),
                &w.admin.token,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    rotate(&app, &w.admin.token, &old).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/accounts/{bound}"),
            &w.admin.token,
            json!({ "bound_phone": "13900000000", "binding_holder_id": w.leaver.id }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, ev) = app.hr_event(&w.hr.token, "hr-1001", json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit, "successor_username": w.successor.username, "note": "调往区外" })).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["handover_id"].as_str().unwrap().to_string();
    assert!(ev["event_id"].as_str().is_some());
    // Immediate effects.
    let (s, _) = app.get("/api/v1/me", &w.leaver.token).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the leaver's session dies at once"
    );
    let (s, u) = app
        .get(&format!("/api/v1/users/{}", w.leaver.id), &w.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["status"], "departed");
    let (_, a) = app
        .get(&format!("/api/v1/accounts/{shared}"), &w.admin.token)
        .await;
    assert!(
        !a.to_string().contains(&w.leaver.id),
        "no longer a custodian"
    );

    let (s, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &w.admin.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "open");
    assert_eq!(actions(&case, &sole), ["reassign", "rotate"]);
    assert_eq!(actions(&case, &shared), ["rotate"]);
    assert_eq!(
        actions(&case, &seen),
        ["rotate"],
        "revealed and still current"
    );
    assert!(
        item(&case, &old).is_none(),
        "revealed but rotated since: not included"
    );
    assert_eq!(actions(&case, &bound), ["rebind"]);
    assert!(item(&case, &other).is_none());
    let reassign = item(&case, &sole).unwrap()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "reassign")
        .unwrap()
        .clone();
    assert_eq!(
        reassign["done"], true,
        "the successor became custodian: {reassign}"
    );
    assert!(case["deadline_at"].as_i64().unwrap() > app.now());

    // Sign-off is refused while items are open.
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "items_open");
    // Rotations complete the rotate actions by themselves.
    for a in [&sole, &shared, &seen] {
        rotate(&app, &w.admin.token, a).await;
    }
    let rebind_item = item(&case, &bound).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{rebind_item}/complete"),
            &w.admin.token,
            json!({ "action": "rebind", "evidence": "已改绑" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "binding_unchanged");
    let (s, _) = app
        .patch(
            &format!("/api/v1/accounts/{bound}"),
            &w.admin.token,
            json!({ "bound_phone": "13700000000", "binding_holder_id": w.successor.id }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, case) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{rebind_item}/complete"),
            &w.admin.token,
            json!({ "action": "rebind", "evidence": "域名注册商绑定手机已改为接收人手机" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "open", "checklist still open");
    for entry in ["materials", "training"] {
        let (s, c) = app
            .post(
                &format!("/api/v1/handovers/{id}/checklist"),
                &w.admin.token,
                json!({ "entry": entry, "note": "已完成" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    let (_, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &w.admin.token)
        .await;
    assert_eq!(case["state"], "awaiting_acknowledgement", "{case}");
    // Acknowledge by the successor with a fresh code, then sign off.
    let code = app.fresh_code(w.successor.totp_secret.as_deref().unwrap());
    let (s, case) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.successor.token,
            json!({ "totp_code": code, "note": "已接收" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "awaiting_sign_off");
    let (s, _) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &w.successor.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, case) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "closed");
    // Closed cases are immutable.
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/cancel"),
            &w.admin.token,
            json!({ "reason": "误操作撤销" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&e), "case_closed");
    let (s, _) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{rebind_item}/complete"),
            &w.admin.token,
            json!({ "action": "rebind", "evidence": "再次" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The printable sheet.
    let r = app
        .client
        .get(format!("{}/api/v1/handovers/{id}/sheet", app.base))
        .bearer_auth(&w.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("交接单") && html.contains("融媒体公众号") && html.contains("已办结"),
        "{html}"
    );
    let revealed = app
        .post(
            &format!("/api/v1/accounts/{sole}/reveal"),
            &w.admin.token,
            json!({ "reason": "核对交接单" }),
        )
        .await
        .1;
    assert!(
        !html.contains(revealed["password"].as_str().unwrap()),
        "no secrets on the sheet"
    );
    let actions: Vec<String> = app
        .audit_actions(&w.unit)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for want in [
        "hr.event",
        "handover.open",
        "handover.action_complete",
        "handover.checklist",
        "handover.acknowledge",
        "handover.sign_off",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} missing");
    }
    let (s, list) = app
        .get(
            &format!("/api/v1/handovers?unit_id={}&state=closed", w.unit),
            &w.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn transfer_keeps_roles_in_other_units(app: TestApp) {
    let w = world(&app, "区教委").await;
    let other = app
        .create_unit(&app.root_id, "区体育局", "department")
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/units/{other}/members"),
            &app.admin_token,
            json!({ "user_id": w.leaver.id, "role": "custodian" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, ev) = app
        .hr_event(
            &w.hr.token,
            "t-1",
            json!({ "type": "transfer", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let (s, _) = app.get("/api/v1/me", &w.leaver.token).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "sessions end so the new rights apply at once"
    );
    let token = app.login(&w.leaver).await;
    let (s, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["status"], "active");
    let units: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["unit_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        units,
        vec![other.as_str()],
        "only the old unit's roles ended"
    );
}

async fn duplicate_events_open_exactly_one_case(app: TestApp) {
    let w = world(&app, "区人社局").await;
    let body = json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit, "successor_username": w.successor.username });
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/hr/events", app.base);
        let token = w.hr.token.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "dup-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.insert(v["handover_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "same key + same body → the same case");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM handovers")
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let mut changed = body.clone();
    changed["note"] = json!("不同的内容");
    let (s, e) = app.hr_event(&w.hr.token, "dup-1", changed).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&e), "idempotency_conflict");
}

async fn bad_events_get_clear_errors(app: TestApp) {
    let w = world(&app, "区民政局").await;
    let stranger = app.user_with_role(&app.root_id, "custodian").await;
    let cases = [
        (
            json!({ "type": "departure", "username": "nobody-at-all", "unit_id": w.unit }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": "no-such-unit" }),
            StatusCode::NOT_FOUND,
        ),
        (
            // Outside the reporter's scope: answered like an unknown username.
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit, "successor_username": stranger.username }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "type": "retirement", "username": w.leaver.username, "unit_id": w.unit }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "type": "departure", "unit_id": w.unit }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (i, (body, want)) in cases.into_iter().enumerate() {
        let (s, e) = app
            .hr_event(&w.hr.token, &format!("bad-{i}"), body.clone())
            .await;
        assert_eq!(s, want, "{body}: {e}");
        error_code(&e);
    }
    let (s, e) = app
        .post(
            "/api/v1/hr/events",
            &w.hr.token,
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "missing idempotency key: {e}");
    let (s, _) = app
        .hr_event(
            &w.hr.token,
            "leave-1",
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app
        .hr_event(
            &w.hr.token,
            "leave-2",
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "already_departed");
}

async fn acknowledgement_needs_the_successor_and_a_fresh_code(app: TestApp) {
    let w = world(&app, "区水利局").await;
    let (s, ev) = app.hr_event(&w.hr.token, "a-1", json!({ "type": "role_change", "username": w.leaver.username, "unit_id": w.unit, "successor_username": w.successor.username })).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["handover_id"].as_str().unwrap();
    let code = app.fresh_code(w.successor.totp_secret.as_deref().unwrap());
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.successor.token,
            json!({ "totp_code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "checklist open: {e}");
    for entry in ["materials", "training"] {
        let (s, _) = app
            .post(
                &format!("/api/v1/handovers/{id}/checklist"),
                &w.successor.token,
                json!({ "entry": entry }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "the successor may confirm what they received"
        );
    }
    let (s, _) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.admin.token,
            json!({ "totp_code": "123456" }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the successor");
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.successor.token,
            json!({ "totp_code": "000000" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(error_code(&e), "invalid_totp");
    // A code already used to log in cannot be used again.
    let code = app.fresh_code(w.successor.totp_secret.as_deref().unwrap());
    let (s, _) = app
        .login_raw(&w.successor.username, &w.successor.password, Some(&code))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.successor.token,
            json!({ "totp_code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(error_code(&e), "totp_replayed");
    let code = app.fresh_code(w.successor.totp_secret.as_deref().unwrap());
    let (s, c) = app
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &w.successor.token,
            json!({ "totp_code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let denied = app
        .audit_actions(&w.unit)
        .await
        .into_iter()
        .filter(|(a, o)| a == "handover.acknowledge" && o == "denied")
        .count();
    assert_eq!(denied, 2);
}

async fn a_passed_deadline_escalates_the_case(app: TestApp) {
    let w = world(&app, "区住建委").await;
    let a = account(&app, &w, "住建委网站后台").await;
    custodian(&app, &w, &a, &w.leaver).await;
    let (_, ev) = app
        .hr_event(
            &w.hr.token,
            "d-1",
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    let id = ev["handover_id"].as_str().unwrap();
    let (_, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &w.admin.token)
        .await;
    assert_eq!(case["state"], "open");
    app.clock.advance_ms(2 * 86_400_000);
    let token = app.login(&w.admin).await; // sessions idle out meanwhile
    let (_, case) = app.get(&format!("/api/v1/handovers/{id}"), &token).await;
    assert_eq!(
        case["state"], "open",
        "2 calendar days are within 3 working days"
    );
    app.clock.advance_ms(6 * 86_400_000);
    let token = app.login(&w.admin).await;
    let (_, case) = app.get(&format!("/api/v1/handovers/{id}"), &token).await;
    assert_eq!(case["state"], "escalated");
    assert_eq!(case["progress_state"], "open");
    let (s, list) = app.get("/api/v1/handovers?state=escalated", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Cancelled cases do not escalate.
    let (s, c) = app
        .post(
            &format!("/api/v1/handovers/{id}/cancel"),
            &token,
            json!({ "reason": "人事信息录入错误" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "cancelled");
}

async fn leave_assigns_a_deputy_without_revoking(app: TestApp) {
    let w = world(&app, "区商务委").await;
    let a = account(&app, &w, "商务委公众号").await;
    custodian(&app, &w, &a, &w.leaver).await;
    let (s, ev) = app.hr_event(&w.hr.token, "l-1", json!({ "type": "leave", "username": w.leaver.username, "unit_id": w.unit, "successor_username": w.successor.username })).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let (s, _) = app.get("/api/v1/me", &w.leaver.token).await;
    assert_eq!(s, StatusCode::OK, "nothing revoked on leave");
    let (_, acct) = app
        .get(&format!("/api/v1/accounts/{a}"), &w.admin.token)
        .await;
    let custodians: Vec<&str> = acct["custodians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user_id"].as_str().unwrap())
        .collect();
    assert!(
        custodians.contains(&w.leaver.id.as_str()) && custodians.contains(&w.successor.id.as_str()),
        "{acct}"
    );
    let (_, case) = app
        .get(
            &format!("/api/v1/handovers/{}", ev["handover_id"].as_str().unwrap()),
            &w.admin.token,
        )
        .await;
    assert_eq!(actions(&case, &a), ["reassign"]);
}

async fn handover_access_rules(app: TestApp) {
    let w = world(&app, "区司法局").await;
    let f = world(&app, "区公安分局").await;
    let (_, ev) = app
        .hr_event(
            &w.hr.token,
            "m-1",
            json!({ "type": "role_change", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    let id = ev["handover_id"].as_str().unwrap().to_string();
    // HR of another unit, or non-HR roles, cannot report here.
    let (s, _) = app
        .hr_event(
            &f.hr.token,
            "m-2",
            json!({ "type": "departure", "username": w.successor.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .hr_event(
            &w.admin.token,
            "m-3",
            json!({ "type": "departure", "username": w.successor.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An HR API token works like an HR user.
    let (s, t) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "人事系统", "role": "hr", "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app
        .hr_event(
            t["token"].as_str().unwrap(),
            "m-4",
            json!({ "type": "leave", "username": w.successor.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let auditor = app.user_with_role(&w.unit, "auditor").await;
    let supervisor = app.user_with_role(&w.unit, "supervisor").await;
    for (who, token, read, manage) in [
        (
            "foreign unit admin",
            &f.admin.token,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
        ),
        (
            "foreign hr",
            &f.hr.token,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
        ),
        (
            "auditor",
            &auditor.token,
            StatusCode::FORBIDDEN,
            StatusCode::FORBIDDEN,
        ),
        (
            "sysadmin",
            &app.admin_token,
            StatusCode::FORBIDDEN,
            StatusCode::FORBIDDEN,
        ),
        ("hr", &w.hr.token, StatusCode::OK, StatusCode::FORBIDDEN),
        (
            "supervisor",
            &supervisor.token,
            StatusCode::OK,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, _) = app.get(&format!("/api/v1/handovers/{id}"), token).await;
        assert_eq!(s, read, "{who} reads");
        let (s, _) = app
            .get(&format!("/api/v1/handovers/{id}/sheet"), token)
            .await;
        assert_eq!(s, read, "{who} sheet");
        let (s, _) = app
            .post(
                &format!("/api/v1/handovers/{id}/cancel"),
                token,
                json!({ "reason": "无权撤销" }),
            )
            .await;
        assert_eq!(s, manage, "{who} cancels");
        let (s, _) = app
            .post(
                &format!("/api/v1/handovers/{id}/checklist"),
                token,
                json!({ "entry": "materials" }),
            )
            .await;
        assert_eq!(s, manage, "{who} checklist");
        let (s, _) = app
            .post(
                &format!("/api/v1/handovers/{id}/items/x/complete"),
                token,
                json!({ "action": "rebind", "evidence": "无权" }),
            )
            .await;
        assert_eq!(s, manage, "{who} completes");
        let (s, _) = app
            .post(
                &format!("/api/v1/handovers/{id}/acknowledge"),
                token,
                json!({ "totp_code": "123456" }),
            )
            .await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
            "{who} acknowledges: {s}"
        );
    }
    // Sign-off: supervisors may (when the case is ready), custodians may not.
    let (s, _) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &w.successor.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &supervisor.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "allowed role, case not ready: {e}");
    let (s, _) = app
        .get(
            &format!("/api/v1/handovers?unit_id={}", w.unit),
            &f.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, list) = app.get("/api/v1/handovers", &f.admin.token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains(&id));
}

async fn exposure_answers_what_a_person_saw(app: TestApp) {
    let w = world(&app, "区档案馆").await;
    let f = world(&app, "区图书馆").await;
    let a = account(&app, &w, "档案馆公众号").await;
    let b = account(&app, &w, "档案馆微博").await;
    for x in [&a, &b] {
        custodian(&app, &w, x, &w.leaver).await;
        let (s, _) = app
            .post(
                &format!("/api/v1/accounts/{x}/reveal"),
                &w.leaver.token,
                json!({ "reason": "日常发布" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    rotate(&app, &w.admin.token, &b).await;
    let (s, list) = app
        .get(
            &format!("/api/v1/users/{}/exposure", w.leaver.id),
            &w.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let rows = list.as_array().unwrap();
    let find = |acct: &str| {
        rows.iter()
            .find(|r| r["account_id"] == acct)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&a)["still_valid"], true);
    assert_eq!(find(&b)["still_valid"], false, "rotated since");
    assert_eq!(find(&b)["version_state"], "previous");
    let (s, _) = app
        .get(
            &format!("/api/v1/users/{}/exposure", w.leaver.id),
            &w.leaver.token,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "custodians cannot ask");
    let (s, _) = app
        .get(
            &format!("/api/v1/users/{}/exposure", w.leaver.id),
            &f.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another unit's person");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_hr_requests_sqlite() {
    signed(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_hr_requests_postgres() {
    signed(Engine::Postgres).await;
}

async fn signed(engine: Engine) {
    let secret = "hr-integration-secret-7f3a";
    let Some(app) = spawn_app_with(engine, |c| c.hr_signing_secret = Some(secret.into())).await
    else {
        return;
    };
    let w = world(&app, "区税务局").await;
    let body = serde_json::to_vec(
        &json!({ "type": "leave", "username": w.leaver.username, "unit_id": w.unit }),
    )
    .unwrap();
    let send = |ts: Option<i64>, sig: Option<String>, body: Vec<u8>, key: &'static str| {
        let mut req = app
            .client
            .post(format!("{}/api/v1/hr/events", app.base))
            .bearer_auth(&w.hr.token)
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body);
        if let Some(ts) = ts {
            req = req.header("x-credgov-timestamp", ts.to_string());
        }
        if let Some(sig) = sig {
            req = req.header("x-credgov-signature", sig);
        }
        req.send()
    };
    let now = app.now() / 1000;
    let r = send(None, None, body.clone(), "s-1").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "unsigned");
    let tampered = {
        let mut b = body.clone();
        b.extend_from_slice(b" ");
        b
    };
    let r = send(
        Some(now),
        Some(credgov::handover::sign(secret.as_bytes(), now, &body)),
        tampered,
        "s-2",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "tampered body");
    let stale = now - 360;
    let r = send(
        Some(stale),
        Some(credgov::handover::sign(secret.as_bytes(), stale, &body)),
        body.clone(),
        "s-3",
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "replayed old timestamp"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(error_code(&v), "bad_signature");
    let r = send(
        Some(now),
        Some(credgov::handover::sign(b"wrong-secret", now, &body)),
        body.clone(),
        "s-4",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "wrong key");
    let r = send(
        Some(now),
        Some(credgov::handover::sign(secret.as_bytes(), now, &body)),
        body.clone(),
        "s-5",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}

async fn reassign_without_successor_needs_a_new_custodian(app: TestApp) {
    let w = world(&app, "区侨办").await;
    let a = account(&app, &w, "侨办公众号").await;
    custodian(&app, &w, &a, &w.leaver).await;
    let (s, ev) = app
        .hr_event(
            &w.hr.token,
            "r-1",
            json!({ "type": "departure", "username": w.leaver.username, "unit_id": w.unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["handover_id"].as_str().unwrap();
    let (_, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &w.admin.token)
        .await;
    assert!(case["successor"].is_null());
    let it = item(&case, &a).unwrap()["id"].as_str().unwrap().to_string();
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{it}/complete"),
            &w.admin.token,
            json!({ "action": "reassign", "evidence": "已指定新保管人" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "no_custodian");
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{it}/complete"),
            &w.admin.token,
            json!({ "action": "rotate", "evidence": "已改密" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "rotate completes itself: {e}");
    let (s, e) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{it}/complete"),
            &w.admin.token,
            json!({ "action": "rebind", "evidence": "无此项" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    custodian(&app, &w, &a, &w.successor).await;
    let (s, case) = app
        .post(
            &format!("/api/v1/handovers/{id}/items/{it}/complete"),
            &w.admin.token,
            json!({ "action": "reassign", "evidence": "已指定新保管人" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    let reassign = item(&case, &a).unwrap()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["action"] == "reassign")
        .unwrap()
        .clone();
    assert_eq!(reassign["done"], true);
    assert_eq!(reassign["evidence"], "已指定新保管人");
    rotate(&app, &w.admin.token, &a).await;
    for entry in ["materials", "training"] {
        app.post(
            &format!("/api/v1/handovers/{id}/checklist"),
            &w.admin.token,
            json!({ "entry": entry }),
        )
        .await;
    }
    // No successor: nothing to acknowledge; straight to sign-off.
    let (_, case) = app
        .get(&format!("/api/v1/handovers/{id}"), &w.admin.token)
        .await;
    assert_eq!(case["state"], "awaiting_sign_off", "{case}");
    let (s, case) = app
        .post(
            &format!("/api/v1/handovers/{id}/sign-off"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "closed");
}
