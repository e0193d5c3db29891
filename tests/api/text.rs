//! Validated text fields: the same rules (trimmed, bounded in characters, no control
//! characters in one-line fields) wherever names, notes and reasons are typed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_engines;
use crate::common::{TestApp, error_code};
use crate::vault::{account, vault};

both_engines!(
    one_line_names_refuse_control_characters,
    account_contact_fields_are_one_line,
    cjk_text_is_counted_in_characters,
);

fn assert_invalid(s: StatusCode, v: &Value, field: &str) {
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(v), "invalid_input");
    assert_eq!(v["error"]["details"]["field"], field, "{v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(field), "{v}");
}

async fn one_line_names_refuse_control_characters(app: TestApp) {
    // A unit name and an API token name were only length-checked before.
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "宣传\u{0}科", "kind": "department", "parent_id": app.root_id }),
        )
        .await;
    assert_invalid(s, &v, "name");
    let unit = app
        .create_unit(&app.root_id, "  宣传科  ", "department")
        .await;
    let (s, v) = app
        .get(&format!("/api/v1/units/{unit}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "宣传科", "trimmed");
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "HR\u{1b}[31m", "role": "hr", "unit_id": unit }),
        )
        .await;
    assert_invalid(s, &v, "name");
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "lina", "display_name": "李\n娜", "unit_id": unit }),
        )
        .await;
    assert_invalid(s, &v, "display_name");
}

async fn account_contact_fields_are_one_line(app: TestApp) {
    let v = vault(&app, "网信办").await;
    let id = account(&app, &v, "门户网站", "Velvet-Harbor-Quince-7734").await;
    // Notes may span lines; a phone number, e-mail or address may not.
    let (s, body) = app
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &v.admin.token,
            json!({ "notes": "第一行\n第二行" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for field in ["bound_phone", "bound_email", "login_url"] {
        let (s, body) = app
            .patch(
                &format!("/api/v1/accounts/{id}"),
                &v.admin.token,
                json!({ field: "a\nb" }),
            )
            .await;
        assert_invalid(s, &body, field);
    }
}

async fn cjk_text_is_counted_in_characters(app: TestApp) {
    // 64 CJK characters are 192 bytes: still a valid display name; 65 are not.
    let unit = app.create_unit(&app.root_id, "办公室", "department").await;
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "wangfang", "display_name": "王".repeat(64), "unit_id": unit }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "wangfang2", "display_name": "王".repeat(65), "unit_id": unit }),
        )
        .await;
    assert_invalid(s, &v, "display_name");
    // A four-character reason is enough to reveal; a two-character one is not.
    let vlt = vault(&app, "融媒体中心").await;
    let id = account(&app, &vlt, "政务微博", "Copper-Willow-Saffron-5521").await;
    let path = format!("/api/v1/accounts/{id}/reveal");
    let (s, v) = app
        .post(&path, &vlt.admin.token, json!({ "reason": "年检" }))
        .await;
    assert_invalid(s, &v, "reason");
    let (s, v) = app
        .post(&path, &vlt.admin.token, json!({ "reason": "平台年检" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
