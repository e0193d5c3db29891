//! The unit tree, users and memberships.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(
    unit_tree_and_subtree_visibility,
    unit_input_is_validated,
    users_get_generated_or_checked_passwords,
    memberships_grant_revoke_and_separation_of_duties,
);

async fn unit_tree_and_subtree_visibility(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区文旅委", "department")
        .await;
    let inst = app.create_unit(&dept, "区图书馆", "institution").await;
    let town = app.create_unit(&app.root_id, "来苏镇", "town").await;
    let admin = app.user_with_role(&dept, "unit_admin").await;
    let (s, list) = app.get("/api/v1/units", &admin.token).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![dept.as_str(), inst.as_str()],
        "own subtree only, in tree order"
    );
    let (s, v) = app
        .get(&format!("/api/v1/units/{inst}"), &admin.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["parent_id"], dept.as_str());
    assert_eq!(v["depth"], 2);
    for other in [&town, &app.root_id] {
        let (s, v) = app
            .get(&format!("/api/v1/units/{other}"), &admin.token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(error_code(&v), "not_found");
    }
    let (s, list) = app.get("/api/v1/units", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    // A unit admin cannot create units.
    let (s, _) = app
        .post(
            "/api/v1/units",
            &admin.token,
            json!({ "name": "x", "kind": "other", "parent_id": dept }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        app.audit_actions(&inst)
            .await
            .contains(&("unit.create".into(), "success".into()))
    );
}

async fn unit_input_is_validated(app: TestApp) {
    let root = app.root_id.clone();
    let cases = [
        (
            json!({ "name": "", "kind": "town", "parent_id": root }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "x", "kind": "planet", "parent_id": root }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "x", "kind": "district", "parent_id": root }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "x", "kind": "town", "parent_id": "no-such-unit" }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "name": "x", "kind": "town" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, want) in cases {
        let (s, v) = app
            .post("/api/v1/units", &app.admin_token, body.clone())
            .await;
        assert_eq!(s, want, "{body} → {v}");
        error_code(&v);
    }
    app.create_unit(&root, "双石镇", "town").await;
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "双石镇", "kind": "town", "parent_id": root }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "青峰镇", "kind": "town", "parent_id": root, "code": "500118-101" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "朱沱镇", "kind": "town", "parent_id": root, "code": "500118-101" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "codes are unique");
}

async fn users_get_generated_or_checked_passwords(app: TestApp) {
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "zhangwei", "display_name": "张伟" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let initial = v["initial_password"].as_str().unwrap().to_string();
    assert!(initial.len() >= 16);
    assert_eq!(v["status"], "active");
    let (s, _) = app.login_raw("zhangwei", &initial, None).await;
    assert_eq!(s, StatusCode::OK, "the generated password works");
    let (s, list) = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains(&initial), "shown once");
    // Weak and contextual passwords are refused with feedback.
    for weak in ["password123456", "zhangsan12345678", "short"] {
        let (s, v) = app
            .post(
                "/api/v1/users",
                &app.admin_token,
                json!({ "username": "zhangsan", "display_name": "张三", "password": weak }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {v}");
        assert_eq!(error_code(&v), "weak_password");
        assert!(
            !v["error"]["details"]["feedback"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(!v.to_string().contains(weak), "the password is not echoed");
    }
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "zhangwei", "display_name": "另一个张伟" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&v), "username_taken");
    let (s, _) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": "a b", "display_name": "x" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn memberships_grant_revoke_and_separation_of_duties(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区网信办", "department")
        .await;
    let auditor = app.user_with_role(&dept, "auditor").await;
    // Three-role separation: an auditor cannot become sysadmin.
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{dept}/members"),
            &app.admin_token,
            json!({ "user_id": auditor.id, "role": "sysadmin" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "role_conflict");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{dept}/members"),
            &app.admin_token,
            json!({ "user_id": auditor.id, "role": "auditor" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&v), "already_member");
    let (s, list) = app
        .get(&format!("/api/v1/units/{dept}/members"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (s, _) = app
        .delete(
            &format!("/api/v1/units/{dept}/members/{}/auditor", auditor.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .delete(
            &format!("/api/v1/units/{dept}/members/{}/auditor", auditor.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The last root sysadmin cannot be removed.
    let (s, me) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    let admin_id = me["user"]["id"].as_str().unwrap();
    let (s, v) = app
        .delete(
            &format!("/api/v1/units/{}/members/{admin_id}/sysadmin", app.root_id),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "last_sysadmin");
    let actions = app.audit_actions(&dept).await;
    assert!(actions.contains(&("membership.grant".into(), "success".into())));
    assert!(actions.contains(&("membership.revoke".into(), "success".into())));
}
